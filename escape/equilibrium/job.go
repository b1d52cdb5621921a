package equilibrium

import (
	"fmt"

	"github.com/sgn-project/sgn/data"
	"github.com/sgn-project/sgn/internal/atomicfile"
	"github.com/sgn-project/sgn/internal/seed"
	"github.com/sgn-project/sgn/model"
)

// Job is a whole measurement of `sgn equilibrium`: the fluctuations of SGD
// and SGLD around the network Model (θ₀ its parameters, from the checkpoint
// Source) on the samples Data, written into OutDir.
type Job struct {
	Model  *model.MLP
	Meta   model.CheckpointMeta
	Source string
	Data   *data.Set
	// Decay is λ of the loss CE + (λ/2)‖θ‖² the dynamics follow.
	Decay float64
	// Settings are used as given (Settings.Normalized fills the defaults).
	Settings Settings
	// OutDir receives equilibrium.json, directions.csv and the figure.
	OutDir string
	// Version and Command are recorded in equilibrium.json.
	Version  string
	Command  []string
	Progress Progress
	// Removed, if not nil, is told the names of an earlier run's files
	// removed from OutDir before this one computes.
	Removed func(names []string)
}

// Run refuses a step size η with η·λmax ≥ StableBound at the checkpoint
// (a StabilityError, λmax by Lanczos) before it touches OutDir; then it
// removes an earlier run's outputs from OutDir (so that a run stopped
// half-way never leaves a mix of two), measures (Measure) and writes the
// report (Report.Write). A run that diverges writes nothing.
func Run(j Job) (*Report, error) {
	net := &Network{Model: j.Model, Data: model.Batch{X: j.Data.X, Y: j.Data.Y}, Decay: j.Decay, Workers: j.Settings.Workers}
	s := j.Settings.Normalized()
	lmax, err := topEigenvalue(net, j.Model.Theta, seed.Stream(s.Seed, seedLanczos), serialized(j.Progress))
	if err == nil {
		err = checkStable(s.Eta, lmax, 0)
	}
	if err != nil {
		return nil, fmt.Errorf("checkpoint %s on %s: %w", j.Source, j.Data.Selection, err)
	}
	if err := removeStale(j.OutDir, j.Removed, JSONFile, CSVFile, FigureBase+".png", FigureBase+".svg"); err != nil {
		return nil, err
	}
	rep, err := Measure(net, j.Model.Theta, j.Settings, j.Progress)
	if err != nil {
		return nil, fmt.Errorf("checkpoint %s on %s: %w", j.Source, j.Data.Selection, err)
	}
	rep.Version, rep.Command, rep.Source, rep.Model, rep.Data = j.Version, j.Command, j.Source, j.Meta, j.Data.Selected()
	rep.Minimum.WeightDecay = j.Decay
	return rep, rep.Write(j.OutDir)
}

// removeStale removes the named files of dir that exist and tells removed.
func removeStale(dir string, removed func([]string), names ...string) error {
	gone, err := atomicfile.RemoveStale(dir, names...)
	if err != nil {
		return err
	}
	if len(gone) > 0 && removed != nil {
		removed(gone)
	}
	return nil
}
