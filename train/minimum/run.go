package minimum

import (
	"fmt"

	"github.com/sgn-project/sgn/data"
	"github.com/sgn-project/sgn/model"
)

// Job is a whole search of `sgn minimum`: a minimum of the regularised loss
// CE + (λ/2)‖θ‖² of Model (read from the file Checkpoint, whose metadata
// is Meta) on the samples Data, with Settings, written into OutDir.
type Job struct {
	Model      *model.MLP
	Meta       model.CheckpointMeta
	Checkpoint string
	Data       *data.Set
	Settings   Settings
	// OutDir receives CheckpointFile and JSONFile; Version is recorded in
	// both.
	OutDir, Version string
	// Removed, if not nil, is told the names of an earlier run's files
	// removed from OutDir before the search.
	Removed func(names []string)
}

// Run removes an earlier run's outputs from OutDir (RemoveOutputs), finds
// the minimum (Find) and writes it (Report.Write) with the provenance of
// the checkpoint and the samples. An error of Find names the checkpoint
// and the samples (a bad setting stays a *FieldError for errors.As).
func Run(j Job) (*Report, error) {
	gone, err := RemoveOutputs(j.OutDir)
	if err != nil {
		return nil, err
	}
	if j.Removed != nil {
		j.Removed(gone)
	}
	theta, rep, err := Find(j.Model, model.Batch{X: j.Data.X, Y: j.Data.Y}, j.Settings)
	if err != nil {
		return nil, fmt.Errorf("checkpoint %s on %s: %w", j.Checkpoint, j.Data.Selection, err)
	}
	rep.Version, rep.Source, rep.Data = j.Version, j.Meta.Source(j.Checkpoint), j.Data.Selected()
	return rep, rep.Write(j.OutDir, j.Model, theta, j.Meta)
}
