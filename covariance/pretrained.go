package covariance

import (
	"path/filepath"

	"github.com/sgn-project/sgn/model"
	"github.com/sgn-project/sgn/train"
)

// TrainFigure trains the pretrained model of a run given no checkpoint:
// the figure preset (train.Presets "figure") on the first `first` training
// images (0: all) for `epochs` epochs (0: the preset's), as the job j says
// (its MNIST folder, OutDir, Workers, Version and callbacks; its model and
// settings are the preset's); then it loads the checkpoint train.Train wrote
// in OutDir. Settings that do not fit are a *train.SettingError.
func TrainFigure(j train.Job, first, epochs int) (*model.MLP, model.CheckpointMeta, *train.Summary, error) {
	p := train.Presets()["figure"]
	j.Model, j.Settings = p.Model, p.Settings
	j.Settings.TrainFirst = first
	if epochs > 0 {
		j.Settings.Epochs, j.Settings.Steps = epochs, 0
	}
	sum, err := train.Train(j)
	if err != nil {
		return nil, model.CheckpointMeta{}, nil, err
	}
	m, meta, err := model.LoadCheckpoint(filepath.Join(j.OutDir, train.CheckpointFile))
	if err != nil {
		return nil, meta, nil, err
	}
	return m, meta, sum, nil
}
