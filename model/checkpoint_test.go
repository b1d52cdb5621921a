package model

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sgn-project/sgn/data"
)

func TestCheckpointRoundTrip(t *testing.T) {
	m, _ := New(Config{Layers: []int{49, 16, 16, 10}, Activation: Tanh, Seed: 3})
	path := filepath.Join(t.TempDir(), "model.safetensors")
	meta := CheckpointMeta{Pool: 4, Metrics: map[string]float64{"test_accuracy": 0.9}, Version: "test"}
	if err := SaveCheckpoint(path, m, meta); err != nil {
		t.Fatal(err)
	}
	m2, meta2, err := LoadCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	if meta2.Pool != 4 || meta2.Activation != Tanh || meta2.Metrics["test_accuracy"] != 0.9 || meta2.Seed != 3 {
		t.Errorf("metadata round trip: %+v", meta2)
	}
	for i := range m.Theta {
		if m.Theta[i] != m2.Theta[i] {
			t.Fatalf("θ[%d] = %v after the round trip, want %v", i, m2.Theta[i], m.Theta[i])
		}
	}
}

// A checkpoint whose tensor does not fit the architecture in its metadata is
// refused with the tensor's name and both shapes.
func TestCheckpointWrongShape(t *testing.T) {
	m, _ := New(Config{Layers: []int{49, 16, 10}, Activation: ReLU, Seed: 3})
	dir := t.TempDir()
	path := filepath.Join(dir, "model.safetensors")
	if err := SaveCheckpoint(path, m, CheckpointMeta{Pool: 4}); err != nil {
		t.Fatal(err)
	}
	ts, md, err := data.ReadSafetensors(path)
	if err != nil {
		t.Fatal(err)
	}
	bad := ts["fc2.weight"]
	bad.Shape = []int{16, 10}
	ts["fc2.weight"] = bad
	var list []data.Tensor
	for _, n := range []string{"fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"} {
		list = append(list, ts[n])
	}
	if err := data.WriteSafetensors(path, list, md); err != nil {
		t.Fatal(err)
	}
	_, _, err = LoadCheckpoint(path)
	if err == nil || !strings.Contains(err.Error(), "fc2.weight") || !strings.Contains(err.Error(), "[10 16]") {
		t.Errorf("wrong shape: error %v, want one naming fc2.weight and the expected shape [10 16]", err)
	}
	// not a checkpoint at all
	junk := filepath.Join(dir, "junk.safetensors")
	os.WriteFile(junk, []byte("hello world, not safetensors"), 0o644)
	if _, _, err := LoadCheckpoint(junk); err == nil || !strings.Contains(err.Error(), "junk.safetensors") {
		t.Errorf("junk file: error %v, want one naming the file", err)
	}
}
