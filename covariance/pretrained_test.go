package covariance

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/sgn-project/sgn/model"
	"github.com/sgn-project/sgn/train"
)

// TestTrainFigure: the model TrainFigure returns is the checkpoint of the
// figure preset trained on the first images for the epochs asked, bit for
// bit the one train.Train writes with those settings; a selection smaller
// than the preset's batch is its *train.SettingError.
func TestTrainFigure(t *testing.T) {
	dir := filepath.Join(t.TempDir(), TrainDir)
	pre, err := TrainFigure(train.Job{OutDir: dir, Workers: 2, Version: "test"}, 256, 1)
	if err != nil {
		t.Fatal(err)
	}
	m, meta, sum := pre.Model, pre.Meta, pre.Training
	if pre.Checkpoint != filepath.Join(dir, train.CheckpointFile) || pre.Source != "figure preset trained on the spot (train first 256, 1 epochs) into "+dir {
		t.Errorf("checkpoint %s, source %q", pre.Checkpoint, pre.Source)
	}
	p := train.Presets()["figure"]
	p.Settings.TrainFirst, p.Settings.Epochs = 256, 1
	other := t.TempDir()
	if _, err := train.Train(train.Job{Model: p.Model, Settings: p.Settings, OutDir: other, Workers: 1, Version: "test"}); err != nil {
		t.Fatal(err)
	}
	want, _, err := model.LoadCheckpoint(filepath.Join(other, train.CheckpointFile))
	if err != nil {
		t.Fatal(err)
	}
	if sum.Final.Epoch != 1 || meta.Pool != 4 || len(m.Theta) != len(want.Theta) {
		t.Fatalf("epoch %d, pool %d, P %d; want 1, 4, %d", sum.Final.Epoch, meta.Pool, len(m.Theta), len(want.Theta))
	}
	for i := range m.Theta {
		if m.Theta[i] != want.Theta[i] {
			t.Fatalf("θ[%d] = %v, train.Train's %v", i, m.Theta[i], want.Theta[i])
		}
	}
	var se *train.SettingError
	if _, err := TrainFigure(train.Job{OutDir: t.TempDir(), Workers: 1}, 10, 1); !errors.As(err, &se) || se.Field != "batch_size" {
		t.Errorf("10 images for a batch of 64: %v; want the SettingError of batch_size", err)
	}
}
