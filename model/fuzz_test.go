package model

import (
	"bytes"
	"maps"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"testing"

	"github.com/sgn-project/sgn/data"
)

// allocLimit bounds what loading one fuzz input may allocate: the inputs are
// a few kilobytes, so anything near this means the loader built a model
// from the metadata without checking it against the file.
const allocLimit = 256 << 20

// checkLoaded loads path and fails t if the loader panics, allocates more
// than allocLimit, or returns a model inconsistent with the file.
func checkLoaded(t *testing.T, path string) {
	var m *MLP
	var meta CheckpointMeta
	var extra map[string][]float64
	var err error
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	m, meta, extra, err = LoadCheckpointExtra(path)
	runtime.ReadMemStats(&after)
	if n := after.TotalAlloc - before.TotalAlloc; n > allocLimit {
		t.Fatalf("loading allocated %d bytes (err %v)", n, err)
	}
	if err != nil {
		return
	}
	p, perr := ParamCount(meta.Layers)
	if perr != nil || p != len(m.Theta) || p > DefaultMaxParams {
		t.Fatalf("layers %v: θ of %d (%v)", meta.Layers, len(m.Theta), perr)
	}
	for i, v := range m.Theta {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			t.Fatalf("θ[%d] = %v accepted", i, v)
		}
	}
	for name, v := range extra {
		for _, x := range v {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				t.Fatalf("%s holds %v, accepted", name, x)
			}
		}
	}
	roundTrip(t, path+".again", m, meta, extra)
}

// roundTrip saves what a checkpoint loaded into to path and loads it back:
// θ, the extra tensors and the metadata (its config is the model's, as
// SaveCheckpoint records it) must come back the same, bit for bit, and
// saving them again must give the same file.
func roundTrip(t *testing.T, path string, m *MLP, meta CheckpointMeta, extra map[string][]float64) {
	t.Helper()
	if err := SaveCheckpointExtra(path, m, meta, extra); err != nil {
		t.Fatalf("saving what was loaded: %v", err)
	}
	first, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m2, meta2, extra2, err := LoadCheckpointExtra(path)
	if err != nil {
		t.Fatalf("loading what was saved: %v", err)
	}
	bits := func(v []float64) []uint64 {
		b := make([]uint64, len(v))
		for i, x := range v {
			b[i] = math.Float64bits(x)
		}
		return b
	}
	if !slices.Equal(bits(m.Theta), bits(m2.Theta)) || !reflect.DeepEqual(m.Config, m2.Config) {
		t.Fatalf("θ or the architecture changed on a save and load (%v, %v)", m.Config, m2.Config)
	}
	if meta.Pool != meta2.Pool || meta.Version != meta2.Version || !maps.Equal(meta.Metrics, meta2.Metrics) || !reflect.DeepEqual(m.Config, meta2.Config) {
		t.Fatalf("metadata %+v loaded back as %+v", meta, meta2)
	}
	if len(extra) != len(extra2) {
		t.Fatalf("%d extra tensors loaded back, want %d", len(extra2), len(extra))
	}
	for k, v := range extra {
		if !slices.Equal(bits(v), bits(extra2[k])) {
			t.Fatalf("extra tensor %s changed on a save and load", k)
		}
	}
	if err := SaveCheckpointExtra(path, m2, meta2, extra2); err != nil {
		t.Fatal(err)
	}
	if second, _ := os.ReadFile(path); !bytes.Equal(first, second) {
		t.Fatal("saving the same checkpoint twice gave different files")
	}
}

// FuzzLoadCheckpoint feeds arbitrary files to the checkpoint loader.
func FuzzLoadCheckpoint(f *testing.F) {
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		path := filepath.Join(dir, "model.safetensors")
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		checkLoaded(t, path)
	})
}

// FuzzCheckpointConfig fuzzes the metadata "config" of an otherwise valid
// checkpoint of a 49-4-10 network (with a momentum buffer of length extra
// when extra > 0): the loader must refuse, without allocating them, the
// architectures the tensors do not hold, however large (issue case 1 is a
// config of "layers":[49,20000,20000,10] over such tensors).
func FuzzCheckpointConfig(f *testing.F) {
	dir := f.TempDir()
	m, err := New(Config{Layers: []int{49, 4, 10}, Activation: Tanh, Seed: 1})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, config string, extra int, nanAt int) {
		mm := m.Clone()
		if nanAt >= 0 && nanAt < len(mm.Theta) {
			mm.Theta[nanAt] = math.NaN()
		}
		var ts []data.Tensor
		if extra > 0 && extra <= 4096 {
			ts = append(ts, data.Tensor{Name: "optimizer.momentum_buffer", DType: "F64", Shape: []int{extra}, F64: make([]float64, extra)})
		}
		path := filepath.Join(dir, "model.safetensors")
		writeCheckpointConfig(t, path, mm, config, ts...)
		checkLoaded(t, path)
	})
}
