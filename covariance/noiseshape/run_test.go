package noiseshape

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/sgn-project/sgn/data"
	"github.com/sgn-project/sgn/model"
	"github.com/sgn-project/sgn/model/modeltest"
)

// TestRun: Run removes an earlier run's files (and says which), records
// the checkpoint's λ, and writes the same analysis, bit for bit, as
// Analyze over the model's oracle with the same options.
func TestRun(t *testing.T) {
	m, b := modeltest.Net(t, []int{6, 4, 3}, model.Tanh, 200, 1)
	set := &data.Set{X: b.X, Y: b.Y, N: 200, D: 6, Selection: "synthetic 200"}
	opt := Options{BatchSizes: []int{4, 16}, Minibatches: 100, Seed: 3, Workers: 2, Directions: 8, Principal: 2, Bootstrap: 40}
	meta := model.CheckpointMeta{Metrics: map[string]float64{"weight_decay": 1e-3}}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, CoordsCSVFile), []byte("stale"), 0o644); err != nil {
		t.Fatal(err)
	}
	var removed []string
	rep, err := Run(Job{Model: m, Meta: meta, Checkpoint: "m.safetensors", Data: set, Options: opt, OutDir: dir, Version: "test",
		Removed: func(names []string) { removed = names }})
	if err != nil {
		t.Fatal(err)
	}
	opt.WeightDecay = 1e-3
	want, err := Analyze(NewModelOracle(m, b), opt, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(rep.Analysis)
	exp, _ := json.Marshal(want)
	if string(got) != string(exp) {
		t.Errorf("Run's analysis differs from Analyze's")
	}
	back, err := Read(dir)
	if err != nil || back.Checkpoint != "m.safetensors" || back.Version != "test" || back.Selection.Description != set.Selected().Description {
		t.Errorf("noise.json read back: %+v, %v", back, err)
	}
	if len(removed) != 1 || removed[0] != CoordsCSVFile {
		t.Errorf("removed %q; want the stale %s", removed, CoordsCSVFile)
	}
}
