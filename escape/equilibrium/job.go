package equilibrium

import (
	"fmt"

	"github.com/sgn-project/sgn/data"
	"github.com/sgn-project/sgn/internal/atomicfile"
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

// Run removes an earlier run's outputs from OutDir (so that a run stopped
// half-way never leaves a mix of two), measures (Measure) and writes the
// report (Report.Write).
func Run(j Job) (*Report, error) {
	if err := removeStale(j.OutDir, j.Removed, JSONFile, CSVFile, FigureBase+".png", FigureBase+".svg"); err != nil {
		return nil, err
	}
	net := &Network{Model: j.Model, Data: model.Batch{X: j.Data.X, Y: j.Data.Y}, Decay: j.Decay, Workers: j.Settings.Workers}
	rep, err := Measure(net, j.Model.Theta, j.Settings, j.Progress)
	if err != nil {
		return nil, fmt.Errorf("checkpoint %s on %s: %w", j.Source, j.Data.Selection, err)
	}
	rep.Version, rep.Command, rep.Source, rep.Model, rep.Data = j.Version, j.Command, j.Source, j.Meta, j.Data.Selected()
	rep.Minimum.WeightDecay = j.Decay
	return rep, rep.Write(j.OutDir)
}

// EscapeJob is a whole measurement of `sgn equilibrium escape`: the
// displacement of the runs of the network escape sweep in Sweep
// (MeasureEscape), written into OutDir.
type EscapeJob struct {
	Sweep, MNIST string
	// Points are the grid points analysed (nil: all); Runs the runs per
	// point; TopK the largest eigenspace.
	Points     []int
	Runs, TopK int
	Workers    int
	OutDir     string
	Version    string
	Command    []string
	Progress   Progress
	Removed    func(names []string)
}

// RunEscape measures the escape displacement (MeasureEscape) and writes
// escape_fraction.json and its figure into OutDir; an earlier run's go
// once the sweep has been read and checked, before the measurement.
func RunEscape(j EscapeJob) (*EscapeReport, error) {
	rep, err := measureEscape(j.Sweep, j.MNIST, j.Points, j.Runs, j.TopK, j.Workers, j.Progress, func() error {
		return removeStale(j.OutDir, j.Removed, EscapeJSONFile, EscapeFigureBase+".png", EscapeFigureBase+".svg")
	})
	if err != nil {
		return nil, err
	}
	rep.Version, rep.Command = j.Version, j.Command
	return rep, rep.WriteEscape(j.OutDir)
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
