package noiseshape

import (
	"math"
	"time"

	"github.com/sgn-project/sgn/data"
	"github.com/sgn-project/sgn/internal/cputime"
	"github.com/sgn-project/sgn/model"
)

// Job is one measurement of the shape of the gradient noise of a trained
// model on its samples, across parameters (Simsekli et al. 2019) and across
// minibatches (Xie, Sato & Sugiyama, ICLR 2021): what sgn noise runs.
type Job struct {
	// Model is the network at θ, Meta its checkpoint's metadata (a minimum
	// written by sgn minimum records the λ of its loss: ‖∇L‖ is judged for
	// that loss) and Checkpoint the file it came from.
	Model      *model.MLP
	Meta       model.CheckpointMeta
	Checkpoint string
	// Data are the samples of the full gradient and the minibatches.
	Data *data.Set
	// Options are the analysis' settings (Options.WeightDecay is taken
	// from Meta).
	Options Options
	// OutDir is the output folder; Version is recorded in noise.json.
	OutDir, Version string
	// Start and StartCPU are when the command started (wall clock and
	// cputime.Process), for the seconds noise.json records; a zero Start
	// is Run's own start.
	Start    time.Time
	StartCPU float64
	// Progress, if not nil, is told the minibatch gradients done.
	Progress func(done, total int)
	// Removed, if not nil, is told the names of an earlier run's files
	// removed from OutDir.
	Removed func(names []string)
}

// Run removes an earlier run's files from OutDir (RemoveOutputs) before
// computing, so that a run stopped half-way never leaves a mix of two;
// analyses the noise at the model (Analyze over NewModelOracle); writes
// noise.json, the CSVs and the figures (Report.Write) and returns the
// report.
func Run(j Job) (*Report, error) {
	if j.Start.IsZero() {
		j.Start, j.StartCPU = time.Now(), cputime.Process()
	}
	gone, err := RemoveOutputs(j.OutDir)
	if err != nil {
		return nil, err
	}
	if len(gone) > 0 && j.Removed != nil {
		j.Removed(gone)
	}
	opt := j.Options
	opt.WeightDecay = j.Meta.Metrics["weight_decay"]
	a, err := Analyze(NewModelOracle(j.Model, model.Batch{X: j.Data.X, Y: j.Data.Y}), opt, j.Progress)
	if err != nil {
		return nil, err
	}
	rep := &Report{Version: j.Version, Checkpoint: j.Checkpoint, Model: j.Meta, Selection: j.Data.Selected(), Workers: opt.Workers, Analysis: a,
		WallSeconds: math.Round(time.Since(j.Start).Seconds()*1000) / 1000, CPUSeconds: cputime.Since(j.StartCPU)}
	return rep, rep.Write(j.OutDir)
}
