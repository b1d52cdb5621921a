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

	"github.com/sgn-project/sgn/model"
)

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
