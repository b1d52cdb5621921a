package covariance

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sgn-project/sgn/data"
	"github.com/sgn-project/sgn/model"
	"github.com/sgn-project/sgn/train"
)

// TestRunRemovesAFailedRunsFiles: a run whose writing fails (points.csv
// cannot be written) leaves none of its files, except the checkpoint it
// analyses when that is one of them; the summary of a run names its files.
func TestRunRemovesAFailedRunsFiles(t *testing.T) {
	m, set := tinyRunCase(t)
	dir := t.TempDir()
	ckpt := filepath.Join(dir, PretrainedFile)
	if err := model.SaveCheckpoint(ckpt, m, model.CheckpointMeta{Pool: 4}); err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(ckpt)
	if err != nil {
		t.Fatal(err)
	}
	job := Job{Pretrained: m, Meta: model.CheckpointMeta{Pool: 4}, Checkpoint: ckpt, Source: "test", Data: set,
		Options: Options{BatchSizes: []int{2}, Mode: ModeFull, Window: Window{Min: 1e-12, Max: 1e12}, Workers: 1},
		OutDir:  dir, Version: "test", Start: time.Now()}
	rep, err := Run(job)
	if err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	if err := rep.WriteText(&text); err != nil || !strings.Contains(text.String(), filepath.Join(dir, FileName)) {
		t.Errorf("summary %q (%v) does not name %s", text.String(), err, FileName)
	}
	if err := os.Remove(filepath.Join(dir, PointsFile)); err != nil {
		t.Fatal(err)
	}
	// a folder that is not empty: removing the earlier run's outputs
	// cannot clear it
	if err := os.MkdirAll(filepath.Join(dir, PointsFile, "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(job); err == nil {
		t.Fatal("a run that cannot write points.csv succeeded")
	}
	for _, n := range []string{FileName, RandomFile, FigureBase + ".png", FigureBase + ".svg"} {
		if _, err := os.Stat(filepath.Join(dir, n)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s is left after a failed run (%v)", n, err)
		}
	}
	if b, err := os.ReadFile(ckpt); err != nil || !bytes.Equal(b, want) {
		t.Errorf("the analysed checkpoint is gone or changed: %v", err)
	}
}

// tinyRunCase is the 4-3-2 tanh network and the eight rows of four pooled
// pixels the Run tests analyse: small enough that a whole run takes
// milliseconds.
func tinyRunCase(t *testing.T) (*model.MLP, *data.Set) {
	t.Helper()
	m, err := model.New(model.Config{Layers: []int{4, 3, 2}, Activation: model.Tanh, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	set := &data.Set{N: 8, D: 4, Pool: 4, Split: "train", X: make([]float64, 32), Y: []int{0, 1, 0, 1, 1, 0, 1, 0}}
	for i := range set.X {
		set.X[i] = float64(i%7) / 7
	}
	return m, set
}

// TestJobSeconds: the times measured before Run are kept, the on-the-spot
// training's wall time added as "train" (to the millisecond) unless given.
func TestJobSeconds(t *testing.T) {
	j := Job{Seconds: map[string]float64{"load": 2}, Training: &train.Summary{WallSeconds: 1.23456}}
	if got := j.seconds(); len(got) != 2 || got["load"] != 2 || got["train"] != 1.235 {
		t.Errorf("seconds %v, want load 2 and train 1.235", got)
	}
	j.Seconds["train"] = 9
	if got := j.seconds(); got["train"] != 9 {
		t.Errorf("train given: %v", got)
	}
	if got := (Job{}).seconds(); len(got) != 0 {
		t.Errorf("nothing measured: %v", got)
	}
}

// TestRunKeepsThePretrainedAnalysis: when the random model's analysis fails
// (no eigenvalue of its Hessian in a window that holds one of the
// pretrained model's), the pretrained model's finished analysis is in
// PartialFile beside the copy of its checkpoint, an earlier run's outputs
// are gone, and the error says where it is and is still ErrEmptyWindow; a
// run that succeeds removes PartialFile.
func TestRunKeepsThePretrainedAnalysis(t *testing.T) {
	m, set := tinyRunCase(t)
	src := t.TempDir()
	ckpt := filepath.Join(src, "model.safetensors")
	if err := model.SaveCheckpoint(ckpt, m, model.CheckpointMeta{Pool: 4}); err != nil {
		t.Fatal(err)
	}
	orig, err := os.ReadFile(ckpt)
	if err != nil {
		t.Fatal(err)
	}
	wide := Options{BatchSizes: []int{2}, Mode: ModeFull, Window: Window{Min: 1e-12, Max: 1e12}, Workers: 1}
	pair, err := AnalyzePair(m, model.Batch{X: set.X, Y: set.Y}, 7, wide, nil)
	if err != nil {
		t.Fatal(err)
	}
	// A window around the pretrained model's top eigenvalue that holds none
	// of the random model's.
	lam := pair.Pretrained.Lambda[0]
	lo, hi := 1e-12, 1e12
	for _, r := range pair.Random.Lambda {
		if r < lam {
			lo = math.Max(lo, r)
		} else if r > lam {
			hi = math.Min(hi, r)
		}
	}
	if !(lo < lam && lam < hi) {
		t.Fatalf("the random model has the pretrained model's top eigenvalue %v", lam)
	}
	dir := t.TempDir()
	job := Job{Pretrained: m, Meta: model.CheckpointMeta{Pool: 4}, Checkpoint: ckpt, Source: "test", Data: set, RandomSeed: 7,
		Options: wide, OutDir: dir, Version: "test", Start: time.Now()}
	if _, err := Run(job); err != nil { // an earlier run's outputs
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, PartialFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s is left beside covariance.json (%v)", PartialFile, err)
	}
	for _, mode := range []Mode{ModeFull, ModeMatFree} {
		job.Options.Mode, job.Options.TopK = mode, 5
		job.Options.Window = Window{Min: lo, Max: hi}
		_, err = Run(job)
		if !errors.Is(err, ErrEmptyWindow) {
			t.Fatalf("%s: a random model with no eigenvalue in the window: %v", mode, err)
		}
		want := filepath.Join(dir, PartialFile)
		if msg := err.Error(); !strings.Contains(msg, "random model") || !strings.Contains(msg, want) {
			t.Errorf("%s: error %q does not name the random model and %s", mode, msg, want)
		}
		raw, err := os.ReadFile(want)
		if err != nil {
			t.Fatal(err)
		}
		var mr ModelReport
		if err := json.Unmarshal(raw, &mr); err != nil {
			t.Fatal(err)
		}
		if mr.NumParams != m.NumParams() || mr.Loss != pair.Pretrained.Loss || mr.Selected < 1 || mr.Checkpoint != PretrainedFile || mr.Analysis == nil {
			t.Errorf("%s: %s holds P = %d, loss %v, %d eigenvalues, checkpoint %q; want P = %d, loss %v", mode, PartialFile, mr.NumParams, mr.Loss, mr.Selected, mr.Checkpoint, m.NumParams(), pair.Pretrained.Loss)
		}
		if got, err := os.ReadFile(filepath.Join(dir, PretrainedFile)); err != nil || !bytes.Equal(got, orig) {
			t.Errorf("%s: the copy of the pretrained checkpoint is missing or differs (%v)", mode, err)
		}
		for _, n := range []string{FileName, PointsFile, RandomFile, FigureBase + ".png", FigureBase + ".svg"} {
			if _, err := os.Stat(filepath.Join(dir, n)); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("%s: the earlier run's %s is left beside %s (%v)", mode, n, PartialFile, err)
			}
		}
	}
}
