package minimum

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/sgn-project/sgn/data"
	"github.com/sgn-project/sgn/model"
)

// TestRun: Run removes an earlier run's files, finds the same minimum as
// Find (bit for bit), records the provenance and writes a checkpoint that
// loads back to that θ₀.
func TestRun(t *testing.T) {
	net, err := model.New(model.Config{Layers: []int{3, 4, 2}, Activation: model.Tanh, Init: model.InitAuto, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	set := &data.Set{N: 6, D: 3, X: []float64{0.1, 0.5, 0.9, 0.3, 0.2, 0.7, 0.8, 0.1, 0.4, 0.6, 0.6, 0.2, 0.9, 0.3, 0.5, 0.4, 0.7, 0.1}, Y: []int{0, 1, 1, 0, 1, 0}, Classes: 2, Split: "train", Selection: "six rows"}
	s := Settings{Decay: 1e-2, GradTol: 1e-9, Seed: 1, Workers: 1}
	want, wr, err := Find(net, model.Batch{X: set.X, Y: set.Y}, s)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, JSONFile), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	var removed []string
	rep, err := Run(Job{Model: net, Meta: model.CheckpointMeta{Config: net.Config}, Checkpoint: "in.safetensors", Data: set, Settings: s,
		OutDir: dir, Version: "v", Removed: func(n []string) { removed = n }})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(removed, []string{JSONFile}) || rep.Source != "in.safetensors" || rep.Version != "v" ||
		math.Float64bits(rep.Minimum.Loss) != math.Float64bits(wr.Minimum.Loss) || rep.LambdaMin != wr.LambdaMin {
		t.Errorf("removed %v, report %+v; want %s removed and Find's minimum %+v", removed, rep, JSONFile, wr.Minimum)
	}
	back, _, err := model.LoadCheckpoint(filepath.Join(dir, CheckpointFile))
	if err != nil || !slices.Equal(back.Theta, want) {
		t.Errorf("checkpoint written: %v; want θ₀ of Find", err)
	}
	if _, err := ReadReport(filepath.Join(dir, JSONFile)); err != nil {
		t.Errorf("%s: %v", JSONFile, err)
	}
}
