package model

import (
	"encoding/json"
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

// A checkpoint whose metadata holds a huge value (an activation or init of
// 10 MB, a million widths, a tensor named by a long string) is refused in
// one short line that names the file: the value is cut, never echoed.
func TestCheckpointErrorsCutLongValues(t *testing.T) {
	m, err := New(Config{Layers: []int{49, 8, 10}, Activation: Tanh, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	good := filepath.Join(dir, "good.safetensors")
	if err := SaveCheckpointExtra(good, m, CheckpointMeta{Pool: 4}, map[string][]float64{"optimizer.v": make([]float64, 3)}); err != nil {
		t.Fatal(err)
	}
	ts, md, err := data.ReadSafetensors(good)
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("x", 10<<20)
	many := make([]int, 1<<20)
	for i := range many {
		many[i] = 1
	}
	many[0], many[len(many)-1] = 49, 10
	zeros := append([]int{49, 8, 10}, make([]int, 1<<20)...)
	for _, c := range []struct {
		name   string
		edit   func(meta map[string]any)
		tensor func(ts map[string]data.Tensor)
		want   string
	}{
		{"activation", func(meta map[string]any) { meta["activation"] = long }, nil, "activation"},
		{"init", func(meta map[string]any) { meta["init"] = long }, nil, "init"},
		{"a million widths", func(meta map[string]any) { meta["layers"] = many }, nil, "1048576 widths"},
		{"a million zero widths", func(meta map[string]any) { meta["layers"] = zeros }, nil, "1048579 widths"},
		{"a long optimizer name", nil, func(ts map[string]data.Tensor) {
			v := ts["optimizer.v"]
			delete(ts, "optimizer.v")
			v.Name, v.DType, v.I64, v.F64 = "optimizer."+long[:1<<16], "I64", make([]int64, 3), nil
			ts[v.Name] = v
		}, "optimizer tensor"},
		{"a long foreign name", nil, func(ts map[string]data.Tensor) {
			v := ts["optimizer.v"]
			delete(ts, "optimizer.v")
			v.Name = long[:1<<16]
			ts[v.Name] = v
		}, "unexpected tensor"},
	} {
		var meta map[string]any
		if err := json.Unmarshal([]byte(md["config"]), &meta); err != nil {
			t.Fatal(err)
		}
		if c.edit != nil {
			c.edit(meta)
		}
		b, _ := json.Marshal(meta)
		edited := map[string]string{"config": string(b)}
		tensors := map[string]data.Tensor{}
		for k, v := range ts {
			tensors[k] = v
		}
		if c.tensor != nil {
			c.tensor(tensors)
		}
		var list []data.Tensor
		for _, v := range tensors {
			list = append(list, v)
		}
		bad := filepath.Join(dir, "bad.safetensors")
		if err := data.WriteSafetensors(bad, list, edited); err != nil {
			t.Fatal(err)
		}
		_, _, _, err := LoadCheckpointMax(bad, DefaultMaxParams)
		if err == nil || !strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %.300v, want one naming %s and %q", c.name, err, bad, c.want)
			continue
		}
		if n := len(err.Error()); n > 400 || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error of %d bytes: %.300s", c.name, n, err)
		}
	}
}

// layersText shows short lists whole and cuts long ones, with the count.
func TestLayersText(t *testing.T) {
	for _, c := range []struct {
		in   []int
		want string
	}{
		{[]int{49, 16, 10}, "[49 16 10]"},
		{[]int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, "[1 2 3 4 5 6 7 8 9 10 11 12]"},
		{[]int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13}, "[1 2 3 4 5 6 7 8 9 10 … 12 13] (13 widths)"},
	} {
		if got := layersText(c.in); got != c.want {
			t.Errorf("layersText(%v) = %q, want %q", c.in, got, c.want)
		}
	}
}
