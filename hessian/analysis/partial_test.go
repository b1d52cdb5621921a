package analysis

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sgn-project/sgn/data"
	"github.com/sgn-project/sgn/model"
)

// TestRunSavesFinishedStages: a stage that fails (the density figure
// cannot be written: a folder that is not empty holds its name) leaves
// hessian.json with the stages finished before it (the Lanczos pairs, the
// trace) and the ones not run as pending, and the error names the file;
// a run that finishes records nothing pending.
func TestRunSavesFinishedStages(t *testing.T) {
	sel := data.Options{Split: "train", Pool: 4, First: 100}
	if _, err := data.Load(sel); err != nil {
		t.Skipf("MNIST: %v", err)
	}
	cfg := model.Config{Layers: []int{49, 5, 10}, Activation: model.Tanh, Seed: 3}
	m, err := model.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	o := Options{TopK: 3, Trace: true, TraceTol: 0.1, TraceMax: 50, Density: true, SLQRuns: 2, SLQSteps: 20, Full: true,
		MaxMemory: 1 << 30, Seed: 1, Workers: 1, OutDir: dir}
	if err := os.MkdirAll(filepath.Join(dir, DensityBase+".png", "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err = Run(m, model.CheckpointMeta{Config: cfg, Pool: 4}, "in-memory", sel, o)
	if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, JSONFile)) {
		t.Fatalf("a density figure that cannot be written: error %v, want one naming %s", err, filepath.Join(dir, JSONFile))
	}
	read := func() Report {
		raw, err := os.ReadFile(filepath.Join(dir, JSONFile))
		if err != nil {
			t.Fatal(err)
		}
		var r Report
		if err := json.Unmarshal(raw, &r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	r := read()
	if len(r.Eigenvalues) != 3 || r.Trace == nil || r.Density != nil || r.Full != nil || !slices.Equal(r.Pending, []string{StageDensity, StageFull}) {
		t.Errorf("saved: %d eigenvalues, trace %v, density %v, full %v, pending %v; want 3, a trace, none, none, [density full]",
			len(r.Eigenvalues), r.Trace != nil, r.Density != nil, r.Full != nil, r.Pending)
	}
	if err := os.RemoveAll(filepath.Join(dir, DensityBase+".png")); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(m, model.CheckpointMeta{Config: cfg, Pool: 4}, "in-memory", sel, o); err != nil {
		t.Fatal(err)
	}
	if r := read(); r.Pending != nil || r.Density == nil || r.Full == nil {
		t.Errorf("a finished run: pending %v, density %v, full %v", r.Pending, r.Density != nil, r.Full != nil)
	}
}
