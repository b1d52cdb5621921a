package covariance

import (
	"fmt"
	"path/filepath"

	"github.com/sgn-project/sgn/model"
	"github.com/sgn-project/sgn/train"
)

// Pretrained is the pretrained model of a run and where it comes from:
// its Model, its checkpoint's metadata Meta and file Checkpoint, Source in
// words, and the on-the-spot Training that made it (nil for a checkpoint
// given).
type Pretrained struct {
	Model      *model.MLP
	Meta       model.CheckpointMeta
	Checkpoint string
	Source     string
	Training   *train.Summary
}

// TrainFigure trains the pretrained model of a run given no checkpoint:
// the figure preset (train.Presets "figure") on the first `first` training
// images (0: all) for `epochs` epochs (0: the preset's), as the job j says
// (its MNIST folder, OutDir, Workers, Version and callbacks; its model and
// settings are the preset's); then it loads the checkpoint train.Train wrote
// in OutDir. Settings that do not fit are a *train.SettingError.
func TrainFigure(j train.Job, first, epochs int) (*Pretrained, error) {
	p := train.Presets()["figure"]
	j.Model, j.Settings = p.Model, p.Settings
	j.Settings.TrainFirst = first
	if epochs > 0 {
		j.Settings.Epochs, j.Settings.Steps = epochs, 0
	}
	sum, err := train.Train(j)
	if err != nil {
		return nil, err
	}
	ck := filepath.Join(j.OutDir, train.CheckpointFile)
	m, meta, err := model.LoadCheckpoint(ck)
	if err != nil {
		return nil, err
	}
	return &Pretrained{Model: m, Meta: meta, Checkpoint: ck, Training: sum,
		Source: fmt.Sprintf("figure preset trained on the spot (%s, %d epochs) into %s", sum.TrainSelection.Description, sum.Final.Epoch, j.OutDir)}, nil
}
