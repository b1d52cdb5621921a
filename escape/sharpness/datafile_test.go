package sharpness

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sgn-project/sgn/data"
	"github.com/sgn-project/sgn/internal/sweep"
	"github.com/sgn-project/sgn/model"
)

// A sweep on data files exported from MNIST (data.ExportSet) writes the
// same runs.jsonl as the sweep on the same MNIST selection; a data file
// without a test file, or one that does not fit the model, is refused.
func TestSweepOnDataFiles(t *testing.T) {
	mc := model.Config{Layers: []int{49, 4, 10}, Activation: model.Tanh, Init: model.InitAuto, Seed: 2}
	c := Config{Seed: 5, Model: mc, Pool: 4, TrainFirst: 200, TestFirst: 100, BatchSizes: []int{20}, Etas: []float64{0.1}, Epochs: 1, Runs: 2}
	d, err := LoadData(c, "")
	if err != nil {
		t.Skipf("real MNIST not available: %v", err)
	}
	root := t.TempDir()
	tr, te := filepath.Join(root, "train.safetensors"), filepath.Join(root, "test.safetensors")
	if err := data.ExportSet(tr, d.Train, nil); err != nil {
		t.Fatal(err)
	}
	if err := data.ExportSet(te, d.Test, nil); err != nil {
		t.Fatal(err)
	}
	fc := c
	fc.Pool, fc.TrainFirst, fc.TestFirst, fc.Data, fc.Test = 0, 0, 0, tr, te
	if err := fc.Validate(); err != nil {
		t.Fatal(err)
	}
	fd, err := LoadData(fc, "")
	if err != nil {
		t.Fatal(err)
	}
	var runs [2][]byte
	for i, cd := range []struct {
		c Config
		d *Data
	}{{c, d}, {fc, fd}} {
		dir := filepath.Join(root, []string{"mnist", "file"}[i])
		if _, err := Sweep(dir, cd.c, cd.d, sweep.Options{Workers: 1, Version: "test"}, "test"); err != nil {
			t.Fatal(err)
		}
		runs[i], _ = os.ReadFile(filepath.Join(dir, sweep.RunsFile))
	}
	if len(runs[0]) == 0 || !bytes.Equal(runs[0], runs[1]) {
		t.Errorf("runs.jsonl on the files differs from the runs on MNIST:\n%s\n%s", runs[1], runs[0])
	}
	if need, err := fc.MemoryNeed(1); err != nil || !(need > 0) {
		t.Errorf("memory need %v, %v", need, err)
	}
	noTest := fc
	noTest.Test = ""
	if err := noTest.Validate(); err == nil || !strings.Contains(err.Error(), "give test") {
		t.Errorf("data without test: %v", err)
	}
	wide := fc
	wide.Model.Layers = []int{50, 4, 10}
	if _, err := LoadData(wide, ""); err == nil || !strings.Contains(err.Error(), tr) || !strings.Contains(err.Error(), "50 inputs") {
		t.Errorf("a model that does not fit: %v", err)
	}
}
