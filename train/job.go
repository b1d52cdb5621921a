package train

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/sgn-project/sgn/data"
	"github.com/sgn-project/sgn/model"
)

// Job is a whole training run, from the MNIST files to the outputs in
// OutDir: what `sgn train` runs.
type Job struct {
	Model    model.Config
	Settings Settings
	// MNIST is the folder of the idx files (data.Options.Dir; "" for the
	// default locations).
	MNIST string
	// OutDir, Resume, Workers and Version are as in Options.
	OutDir  string
	Resume  bool
	Workers int
	Version string
	// MaxParams, if positive, replaces model.DefaultMaxParams as the limit
	// on the number of parameters.
	MaxParams int
	// Started, if not nil, is called once the data are loaded and the model
	// is built, before the first step.
	Started func(m *model.MLP, trainSet, testSet *data.Set)
	// Progress is as in Options.
	Progress func(step, total int, loss float64)
	// Cleaned, if not nil, is called with the names of the earlier run's
	// files a fresh run removed from OutDir.
	Cleaned func(removed []string)
}

// Train loads the training selection (Settings.TrainFirst or TrainRandom,
// seeded by Settings.Seed) and the first TestFirst test images with the
// settings' pooling, builds the model (seeded by Model.Seed), then, unless
// resuming, removes an earlier run's checkpoint, log and summary from
// OutDir (so that a run killed early never leaves a mix of both; nothing is
// removed before every input is read and checked), and runs Run. Settings that do not fit the model or MNIST
// are a *SettingError (Settings.Check), returned before anything is read.
func Train(j Job) (*Summary, error) {
	s := j.Settings
	if err := s.Check(j.Model); err != nil {
		return nil, err
	}
	trainSet, err := data.Load(data.Options{Dir: j.MNIST, Split: "train", Pool: s.Pool, First: s.TrainFirst, Random: s.TrainRandom, Seed: s.Seed, File: s.Data})
	if err != nil {
		return nil, err
	}
	var testSet *data.Set // none for a data file without a test file
	if s.Data == "" || s.Test != "" {
		if testSet, err = data.Load(data.Options{Dir: j.MNIST, Split: "test", Pool: s.Pool, First: s.TestFirst, File: s.Test}); err != nil {
			return nil, err
		}
	}
	if s.BatchSize > trainSet.N {
		return nil, &SettingError{Field: "batch_size", Label: "batch size", Detail: fmt.Sprintf("%d is larger than the %d training images", s.BatchSize, trainSet.N)}
	}
	maxParams := model.DefaultMaxParams
	if j.MaxParams > 0 {
		maxParams = j.MaxParams
	}
	m, err := model.NewMax(j.Model, maxParams)
	if err != nil {
		return nil, err
	}
	if !j.Resume {
		gone, err := removeEarlier(j.OutDir)
		if err != nil {
			return nil, err
		}
		if len(gone) > 0 && j.Cleaned != nil {
			j.Cleaned(gone)
		}
	}
	if j.Started != nil {
		j.Started(m, trainSet, testSet)
	}
	return Run(m, trainSet, testSet, Options{
		Settings: s, OutDir: j.OutDir, Resume: j.Resume, Workers: j.Workers, Version: j.Version, Progress: j.Progress,
	})
}

// ResumeConfig returns the architecture and the settings recorded in the
// checkpoint of the run in dir, for resuming it. It refuses a checkpoint of
// more than model.DefaultMaxParams parameters (see ResumeConfigMax).
func ResumeConfig(dir string) (model.Config, Settings, error) {
	return ResumeConfigMax(dir, model.DefaultMaxParams)
}

// ResumeConfigMax is ResumeConfig with the limit on the number of
// parameters given: a larger checkpoint is refused with a
// *model.SizeError (wrapped) before its tensors are read. Settings that do
// not fit the model or MNIST (Settings.Check) are the file's fault: the
// error names the file and the field ("training.batch_size"), and is not a
// *SettingError.
func ResumeConfigMax(dir string, maxParams int) (model.Config, Settings, error) {
	var s Settings
	ck := filepath.Join(dir, CheckpointFile)
	m, meta, _, err := model.LoadCheckpointMax(ck, maxParams)
	if err != nil {
		return model.Config{}, s, fmt.Errorf("cannot resume: %w", err)
	}
	if len(meta.Training) == 0 {
		return model.Config{}, s, fmt.Errorf("cannot resume: %s has no training settings", ck)
	}
	if err := json.Unmarshal(meta.Training, &s); err != nil {
		return model.Config{}, s, fmt.Errorf("cannot resume: %s: training: %v", ck, err)
	}
	if err := s.Check(m.Config); err != nil {
		var se *SettingError
		if errors.As(err, &se) {
			return model.Config{}, s, fmt.Errorf("cannot resume: %s holds invalid settings: training.%s %s", ck, se.Field, se.Detail)
		}
		return model.Config{}, s, fmt.Errorf("cannot resume: %s holds invalid settings: %v", ck, err)
	}
	return m.Config, s, nil
}
