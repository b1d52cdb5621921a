package paper

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/sgn-project/sgn/covariance"
	"github.com/sgn-project/sgn/covariance/noiseshape"
	"github.com/sgn-project/sgn/data"
	"github.com/sgn-project/sgn/escape"
	"github.com/sgn-project/sgn/escape/equilibrium"
	"github.com/sgn-project/sgn/escape/kramers"
	"github.com/sgn-project/sgn/escape/network"
	"github.com/sgn-project/sgn/escape/sharpness"
	"github.com/sgn-project/sgn/hessian/analysis"
	"github.com/sgn-project/sgn/internal/cli"
	"github.com/sgn-project/sgn/internal/cputime"
	"github.com/sgn-project/sgn/internal/memlimit"
	"github.com/sgn-project/sgn/internal/sweep"
	"github.com/sgn-project/sgn/model"
	"github.com/sgn-project/sgn/train/minimum"
)

// The experiments' folders in Job.Out.
const (
	folderHessian     = "hessian"
	folderCov         = "cvh"
	folderNoise       = "noise"
	folderMinimum     = "minimum"
	folderCovMin      = "cvh-minimum"
	folderNoiseMin    = "noise-minimum"
	folderEquilibrium = "equilibrium"
	folderEscape      = "escape"
	folderSelection   = "selection"
)

// Seeds of the experiments (each experiment's own streams derive from it).
const (
	seedAnalysis   = 1
	seedRandomInit = 2
)

// steps returns the experiments in the order they run: those at the given
// checkpoint, the minimum, those at the minimum.
func (r *runner) steps() []step {
	z := r.sizes
	covOpt := covariance.Options{BatchSizes: []int{z.CovBatch}, Seed: seedAnalysis, Workers: r.j.Workers}
	noiseOpt := noiseshape.Options{BatchSizes: z.NoiseBatches, Minibatches: z.Minibatches, Seed: seedAnalysis, Workers: r.j.Workers}
	minSet := minimum.Settings{Decay: minimum.DefaultDecay, GradTol: minimum.DefaultGradTol, MaxIterations: z.MinimumIterations, Seed: seedAnalysis, Workers: r.j.Workers}
	hessOpt := analysis.Options{TopK: z.HessianTopK, Tol: 1e-6, Trace: z.Trace, TraceTol: 1e-2, TraceMax: 1000,
		Density: z.Density, SLQRuns: 5, SLQSteps: min(100, r.m.NumParams()), Full: z.Full, Seed: seedAnalysis, Workers: r.j.Workers}
	eqSet := equilibrium.Settings{BatchSize: z.EqBatch, Steps: z.EqSteps, Every: z.EqEvery, TopK: z.EqTopK, Bulk: z.EqBulk,
		Batches: z.EqBatches, Snapshots: z.EqSnapshot, Seed: seedAnalysis, Workers: r.j.Workers}
	return []step{
		{name: "Hessian spectrum", folder: folderHessian, settings: hessOpt, run: func(dir string, _ bool) error { return r.hessian(dir, hessOpt) }},
		{name: "C against H/B at the checkpoint", folder: folderCov, settings: covOpt,
			run: func(dir string, _ bool) error { return r.covariance(dir, r.m, r.meta, r.j.Checkpoint, covOpt) }},
		{name: "noise shape at the checkpoint", folder: folderNoise, settings: noiseOpt,
			run: func(dir string, _ bool) error { return r.noise(dir, r.m, r.meta, r.j.Checkpoint, noiseOpt) }},
		{name: "true minimum", folder: folderMinimum, settings: minSet, run: func(dir string, _ bool) error { return r.minimum(dir, minSet) }},
		{name: "C against H/B at the minimum", folder: folderCovMin, settings: covOpt, needs: []string{folderMinimum},
			run: r.atMinimum(func(dir string, m *model.MLP, meta model.CheckpointMeta, ckpt string) error {
				return r.covariance(dir, m, meta, ckpt, covOpt)
			})},
		{name: "noise shape at the minimum", folder: folderNoiseMin, settings: noiseOpt, needs: []string{folderMinimum},
			run: r.atMinimum(func(dir string, m *model.MLP, meta model.CheckpointMeta, ckpt string) error {
				return r.noise(dir, m, meta, ckpt, noiseOpt)
			})},
		{name: "quasi-equilibrium around the minimum", folder: folderEquilibrium, settings: eqSet, needs: []string{folderMinimum},
			run: func(dir string, _ bool) error { return r.equilibrium(dir, eqSet) }},
		{name: "network escape from the minimum", folder: folderEscape, needs: []string{folderMinimum},
			settings: []any{z.EscapeRuns, z.EscapeMaxSteps, z.EscapeBatches, z.MinimumIterations},
			run:      r.escape},
		{name: "minima selection on networks", folder: folderSelection, settings: []any{r.j.Test, z.SelFirst, z.SelBatches, z.SelEtas, z.SelRuns, z.SelEpochs},
			run: r.selectionNetworks},
	}
}

// checkMemory says an experiment cannot run when its buffers need more
// than Job.MaxMemory.
func (r *runner) checkMemory(need float64, what string) error {
	if r.j.MaxMemory > 0 && need > r.j.MaxMemory {
		return skip("%s needs about %s, more than the %s allowed", what, cli.FormatBytes(int64(min(need, math.MaxInt64/2))), cli.FormatBytes(int64(min(r.j.MaxMemory, math.MaxInt64/2))))
	}
	return nil
}

// hessian runs the Hessian analyses (top eigenvalues by Lanczos, trace,
// density, the dense spectrum of a small network) at the checkpoint.
func (r *runner) hessian(dir string, o analysis.Options) error {
	o.OutDir, o.Version, o.MaxMemory = dir, r.j.Version, math.MaxInt64/2
	if r.j.MaxMemory > 0 {
		o.MaxMemory = int64(min(r.j.MaxMemory, math.MaxInt64/2))
	}
	o.Configuration = map[string]string{"command": "sgn paper", "first": fmt.Sprint(r.sizes.First)}
	_, err := analysis.Run(r.m, r.meta, r.j.Checkpoint, r.dataOptions(), o)
	var me *memlimit.Error
	if errors.As(err, &me) {
		return skip("the Hessian analysis of %s needs about %s, more than the %s allowed", me.Subject(func(o string) string { return o }), cli.FormatBytes(me.Need), cli.FormatBytes(me.Limit))
	}
	return err
}

// dataOptions is the data selection of every experiment.
func (r *runner) dataOptions() data.Options {
	return data.Options{File: r.j.Data, Dir: r.j.MNIST, Split: "train", Pool: r.pool(), First: r.sizes.First}
}

// covariance runs C against H/B at m and at a random model of its shape
// (Xie et al. 2021, Fig. 2).
func (r *runner) covariance(dir string, m *model.MLP, meta model.CheckpointMeta, ckpt string, o covariance.Options) error {
	need, err := o.MemoryNeed(m.Layers, m.Activation, r.set.N)
	if err != nil {
		return err
	}
	if err := r.checkMemory(need, "C against H/B"); err != nil {
		return err
	}
	start, cpu0 := time.Now(), cputime.Process()
	_, err = covariance.Run(covariance.Job{Pretrained: m, Meta: meta, Checkpoint: ckpt, Source: meta.Source(ckpt), Data: r.set,
		RandomSeed: seedRandomInit, Options: o, OutDir: dir, Version: r.j.Version, Command: r.j.Command, Start: start, StartCPU: cpu0})
	return err
}

// noise runs the noise shape at m (Simsekli et al. 2019; Xie et al. 2021).
func (r *runner) noise(dir string, m *model.MLP, meta model.CheckpointMeta, ckpt string, o noiseshape.Options) error {
	o.WeightDecay = meta.Metrics["weight_decay"]
	need, err := o.MemoryNeed(m.NumParams(), r.set.N)
	if err != nil {
		return err
	}
	if err := r.checkMemory(need, "the noise shape"); err != nil {
		return err
	}
	start, cpu0 := time.Now(), cputime.Process()
	_, err = noiseshape.Run(noiseshape.Job{Model: m, Meta: meta, Checkpoint: ckpt, Data: r.set, Options: o, OutDir: dir, Version: r.j.Version,
		Start: start, StartCPU: cpu0})
	return err
}

// minimum refines the checkpoint to a true minimum of CE + (λ/2)‖θ‖² on
// the rows analysed, checked by the extreme Hessian eigenvalues.
func (r *runner) minimum(dir string, s minimum.Settings) error {
	need, err := minimum.MemoryNeed(r.m.Layers, r.m.Activation, r.set.N, s.Workers)
	if err != nil {
		return err
	}
	if err := r.checkMemory(need, "the true minimum's search"); err != nil {
		return err
	}
	_, err = minimum.Run(minimum.Job{Model: r.m, Meta: r.meta, Checkpoint: r.j.Checkpoint, Data: r.set, Settings: s, OutDir: dir, Version: r.j.Version})
	return err
}

// loadMinimum loads the minimum the minimum step wrote.
func (r *runner) loadMinimum() (*model.MLP, model.CheckpointMeta, string, error) {
	p := filepath.Join(r.j.Out, folderMinimum, minimum.CheckpointFile)
	m, meta, err := model.LoadCheckpoint(p)
	return m, meta, p, err
}

// atMinimum is the run of a step that measures at the minimum the minimum
// step wrote: it loads that checkpoint and calls measure with it.
func (r *runner) atMinimum(measure func(dir string, m *model.MLP, meta model.CheckpointMeta, ckpt string) error) func(string, bool) error {
	return func(dir string, _ bool) error {
		m, meta, ckpt, err := r.loadMinimum()
		if err != nil {
			return err
		}
		return measure(dir, m, meta, ckpt)
	}
}

// minimumReport reads the minimum step's report.
func (r *runner) minimumReport() (*minimum.Report, error) {
	return minimum.ReadReport(filepath.Join(r.j.Out, folderMinimum, minimum.JSONFile))
}

// stableEta is the step size of the dynamics around the minimum: the
// default, lowered to 1/λmax where the minimum is sharper (gradient
// descent is stable for η < 2/λmax).
func stableEta(def, lambdaMax float64) float64 {
	if lambdaMax > 0 && 1/lambdaMax < def {
		return 1 / lambdaMax
	}
	return def
}

// equilibrium measures SGD's and SGLD's fluctuations around the minimum
// against the quasi-static and Lyapunov predictions.
func (r *runner) equilibrium(dir string, s equilibrium.Settings) error {
	m, meta, ckpt, err := r.loadMinimum()
	if err != nil {
		return err
	}
	mr, err := r.minimumReport()
	if err != nil {
		return err
	}
	if !mr.IsMinimum {
		return skip("the refinement did not reach a minimum (%s)", mr.Verdict)
	}
	s.Eta = stableEta(equilibrium.DefaultEta, mr.LambdaMax)
	s = s.Normalized()
	if err := s.Validate(m.NumParams(), r.set.N); err != nil {
		return err
	}
	need, err := s.MemoryNeed(m.Layers, m.Activation, r.set.N)
	if err != nil {
		return err
	}
	if err := r.checkMemory(need, "the equilibrium chains"); err != nil {
		return err
	}
	_, err = equilibrium.Run(equilibrium.Job{Model: m, Meta: meta, Source: meta.Source(ckpt), Data: r.set, Decay: meta.Metrics["weight_decay"],
		Settings: s, OutDir: dir, Version: r.j.Version, Command: r.j.Command})
	return err
}

// escapeEta is the step size of the escape sweeps on the figure's
// network; escapeDelta the loss rise that counts as an escape.
const (
	escapeEta   = 0.2
	escapeDelta = 0.05
)

// escape runs the network panels of the escape figure (Theorem 2 of Xie
// et al.: −log γ against 1/k, B and 1/η) on the network from its minimum.
func (r *runner) escape(dir string, fresh bool) error {
	mr, err := r.minimumReport()
	if err != nil {
		return err
	}
	if !mr.IsMinimum {
		return skip("the refinement did not reach a minimum (%s)", mr.Verdict)
	}
	cfgs, err := r.escapeConfigs(stableEta(escapeEta, mr.LambdaMax))
	if err != nil {
		return err
	}
	// The sweeps run one after the other: the largest is the peak.
	need := 0.0
	for _, c := range cfgs {
		n, err := (kramers.Experiment{}).Need(c, r.j.Workers)
		if err != nil {
			return err
		}
		need = max(need, n.Bytes)
	}
	if err := r.checkMemory(need, "the largest network escape sweep"); err != nil {
		return err
	}
	// A sweep folder of other settings is refused by the sweep: the
	// folder of another run is started afresh, this run's resumed.
	if fresh {
		if err := clearFolder(dir); err != nil {
			return err
		}
	}
	_, err = kramers.RunFigure(dir, kramers.FigureOptions{Workers: r.j.Workers, Version: r.j.Version, Panels: kramers.FigurePanels()[:3], Configs: cfgs})
	return err
}

// escapeConfigs returns the three network escape sweeps of the escape step
// (sharpness, batch size and step size around eta) from the refined
// minimum, each checked.
func (r *runner) escapeConfigs(eta float64) (map[string]kramers.Config, error) {
	z := r.sizes
	net := network.Spec{Layers: r.m.Layers, Activation: r.m.Activation, Start: filepath.Join(r.j.Out, folderMinimum, minimum.CheckpointFile),
		Pool: r.pool(), First: z.First, Data: r.j.Data, WeightDecay: minimum.DefaultDecay, Minimizer: network.MinimizerLBFGS,
		GradTol: minimum.DefaultGradTol, MaxIterations: z.MinimumIterations, CheckEvery: 10}
	b := z.EscapeBatches[len(z.EscapeBatches)-1]
	base := kramers.Config{Seed: 21, Dynamics: []escape.Dynamics{escape.SGD}, Sharpness: []float64{1}, BatchSize: []float64{b}, Eta: []float64{eta},
		Runs: z.EscapeRuns, MaxSteps: z.EscapeMaxSteps, Criterion: escape.Criterion{Kind: escape.CriterionLoss, Delta: escapeDelta}, Network: &net}
	sharp, batch, steps := base, base, base
	sharp.Sharpness = []float64{1, 1.07, 1.14, 1.22}
	batch.Seed, batch.BatchSize = 22, z.EscapeBatches
	steps.Seed, steps.Eta = 23, []float64{eta, 1.075 * eta, 1.15 * eta, 1.225 * eta}
	cfgs := map[string]kramers.Config{"mlp-sharpness": sharp, "mlp-batch-size": batch, "mlp-eta": steps}
	for name, c := range cfgs {
		if err := c.Validate(); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	return cfgs, nil
}

// clearFolder removes everything in dir but the marker file.
func clearFolder(dir string) error {
	es, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range es {
		if e.Name() == MarkerFile {
			continue
		}
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			return err
		}
	}
	return nil
}

// selectionNetworks trains the network's architecture from one initialisation over
// B × η and fits the sharpness each run reaches against log(η/B) (Xie et
// al. 2021, minima selection). Each run trains until the mean training
// loss is halfway from chance (log K) to the given network's loss, which
// its own training reached.
func (r *runner) selectionNetworks(dir string, fresh bool) error {
	start := cputime.Start()
	if r.j.Data != "" && r.j.Test == "" {
		return skip("it trains the network from scratch and records each run's test accuracy: give the held-out rows (--test FILE)")
	}
	z := r.sizes
	loss, err := r.m.Loss(r.m.Theta, model.Batch{X: r.set.X, Y: r.set.Y}, r.j.Workers)
	if err != nil {
		return err
	}
	chance := math.Log(float64(r.set.Classes))
	if !(loss < chance) {
		return skip("the given network's training loss %.3g is not below chance (log %d = %.3g): no training target to compare the runs at", loss, r.set.Classes, chance)
	}
	cfg := sharpness.Builtin()
	cfg.Model = model.Config{Layers: r.m.Layers, Activation: r.m.Activation, Init: model.InitAuto, Seed: 1}
	cfg.Pool, cfg.TrainFirst, cfg.TestFirst = r.pool(), z.SelFirst, 0
	cfg.Data, cfg.Test = r.j.Data, r.j.Test
	if r.j.Data == "" {
		cfg.TestFirst = data.TestSize
	}
	cfg.BatchSizes, cfg.Etas, cfg.Runs, cfg.Epochs = z.SelBatches, z.SelEtas, z.SelRuns, z.SelEpochs
	cfg.TargetTrainLoss = math.Round((chance+loss)/2*1000) / 1000
	if err := cfg.Validate(); err != nil {
		return err
	}
	need, err := cfg.MemoryNeed(max(1, r.j.Workers))
	if err != nil {
		return err
	}
	if err := r.checkMemory(need, "the training runs"); err != nil {
		return err
	}
	if fresh {
		if err := clearFolder(dir); err != nil {
			return err
		}
	}
	sweepDir := filepath.Join(dir, sharpness.BuiltinName)
	if _, err := (sharpness.Experiment{}).Sweep(sweepDir, cfg, sweep.Options{Workers: r.j.Workers, Version: r.j.Version, MNIST: r.j.MNIST}); err != nil {
		return err
	}
	_, err = sharpness.Fit(sweepDir, dir, r.j.Version, start)
	return err
}
