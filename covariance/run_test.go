package covariance

import (
	"bytes"
	"errors"
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
