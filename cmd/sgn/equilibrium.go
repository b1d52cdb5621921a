package main

import (
	"fmt"

	"github.com/sgn-project/sgn/escape/equilibrium"
	"github.com/sgn-project/sgn/escape/equilibrium/displacement"
	"github.com/sgn-project/sgn/escape/kramers"
	"github.com/sgn-project/sgn/internal/cli"
	"github.com/sgn-project/sgn/internal/domain"
	"github.com/sgn-project/sgn/model"
)

const equilibriumExample = `sgn minimum --checkpoint out/figure-model/model.safetensors --first 2000 --out out/equilibrium
sgn equilibrium --checkpoint out/equilibrium/minimum.safetensors --first 2000 --out out/equilibrium
sgn equilibrium --checkpoint out/equilibrium/minimum.safetensors --eta 0.05 --batch-size 16 --steps 40000 --out out/eq-b16`

// runEquilibrium implements 'sgn equilibrium' (equilibrium.Run): SGD's and
// SGLD's fluctuations around a trained minimum along the Hessian's
// eigendirections, against the linearised predictions; and its subcommand
// 'sgn equilibrium escape'.
func runEquilibrium(a *app, args []string) error {
	if len(args) > 0 && args[0] == "escape" {
		return cli.InCommand("sgn equilibrium escape", runEquilibriumEscape(a, args[1:]))
	}
	fs := a.newFlagSet("equilibrium", "equilibrium --checkpoint FILE [--first N] [--eta η] [--batch-size B] [--steps T] [flags] --out DIR\n       sgn equilibrium escape --sweep DIR [flags] --out DIR   (the displacement of network escape runs; see sgn equilibrium escape -h)", equilibriumExample)
	in := inputFlags(fs, "trained model `file` (safetensors): θ₀", 2000, "the loss L, H and C", "buffers (the Hessian's cached passes and eigenbasis, the chains' Steps/Every projections)")
	var s equilibrium.Settings
	var decay float64
	fs.Float64Var(&s.Eta, "eta", equilibrium.DefaultEta, "step size η of SGD and SGLD")
	fs.IntVar(&s.BatchSize, "batch-size", equilibrium.DefaultBatchSize, "SGD batch size B (drawn with replacement); C = Σ/B (left out: at most a quarter of the samples)")
	fs.IntVar(&s.Steps, "steps", equilibrium.DefaultSteps, "T, steps sampled after the burn-in")
	fs.IntVar(&s.BurnIn, "burn-in", 0, "steps before sampling (default: T/10)")
	fs.IntVar(&s.Every, "every", equilibrium.DefaultEvery, "sample θ every `m` steps")
	fs.IntVar(&s.TopK, "top-k", equilibrium.DefaultTopK, "number of top Hessian eigendirections (k = 1…K of the low-dimensional fraction; left out: at most P)")
	fs.IntVar(&s.Bulk, "bulk", equilibrium.DefaultBulk, fmt.Sprintf("number of further eigendirections drawn at random from the rest of the spectrum when P ≤ %d (-1: none)", equilibrium.FullMaxParams))
	fs.Float64Var(&s.D, "temperature", 0, "SGLD diffusion coefficient D (default: η·tr C/(2P), the noise power of SGD)")
	cli.Deprecate(fs, a.stderr, "equilibrium", "sgld-d", "temperature")
	fs.IntVar(&s.Batches, "batches", equilibrium.DefaultBatches, "number of batch means of the 95% intervals")
	fs.IntVar(&s.Descend, "descend", equilibrium.DefaultDescend, "full-batch gradient-descent `steps` of size η from the checkpoint before measuring, θ₀ is where they end (0: measure at the checkpoint; the default is 0 from a checkpoint written by sgn minimum)")
	fs.Float64Var(&decay, "weight-decay", 0, "λ of the loss CE + (λ/2)‖θ‖² the dynamics follow (default: the checkpoint's, when sgn minimum wrote it, else 0)")
	fs.IntVar(&s.Snapshots, "snapshots", equilibrium.DefaultSnapshots, "points along each chain where λᵢ(t) and cᵢ(t) are measured for the quasi-static prediction")
	fs.StringVar(&s.Center, "center", equilibrium.CenterGD, "measure θ − θ_GD(t), θ_GD the noise-free gradient-descent path from θ₀ computed once (gd: the noise-driven displacement), or θ − θ₀ (theta0)")
	fs.Uint64Var(&s.Seed, "seed", 1, "seed of minibatches, SGLD noise and the bulk sample")
	o := outputFlags(fs, "the chains (SGD and SGLD run concurrently from 2 on) and the Hessian and gradient passes", "output `folder` (equilibrium.json, directions.csv, equilibrium.png/.svg)")
	if err := o.parse(fs, args); err != nil {
		return err
	}
	set := cli.Given(fs)
	// Settings.Normalized reads 0 as "the default": a 0 given on the
	// command line is refused rather than silently replaced.
	if err := domain.First(in.parse(), cli.CheckGiven(fs, set, domain.Positive, "eta", "temperature"),
		cli.CheckGiven(fs, set, domain.PositiveInt, "batch-size", "steps", "burn-in", "every", "top-k", "batches", "snapshots"),
		cli.CheckGiven(fs, set, domain.NonNegative, "weight-decay")); err != nil {
		return err
	}
	switch {
	case s.Bulk < -1:
		return cli.Usagef("--bulk %d: want a number of directions, or -1 (or 0) for none", s.Bulk)
	case set["bulk"] && s.Bulk == 0:
		s.Bulk = -1 // --bulk 0 means none, as -1 does
	}
	m, meta, ds, err := a.loadAnalysed("equilibrium", in, set["first"], o.quiet)
	if err != nil {
		return err
	}
	// The checkpoint's weight decay and descent (equilibrium.CheckpointDefaults)
	// and the sizes (SizedFor) where left out.
	decay, s.Descend = equilibrium.CheckpointDefaults(meta, ifGiven(set, "weight-decay", &decay), ifGiven(set, "descend", &s.Descend))
	for name, field := range map[string]*int{"batch-size": &s.BatchSize, "top-k": &s.TopK, "bulk": &s.Bulk} {
		if !set[name] {
			*field = 0
		}
	}
	s.Workers = o.workers
	s = s.SizedFor(m.NumParams(), ds.N).Normalized()
	if err := s.Validate(m.NumParams(), ds.N); err != nil {
		return cli.Usagef("--%s", err)
	}
	release, err := claimAfter(cli.MemoryUsage(s.CheckMemory(m.Layers, m.Activation, ds.N, in.lim.memory), nil), o.out)
	if err != nil {
		return err
	}
	defer release()
	prog, end := cli.Stages(a.stderr, a.isTerminal, "sgn equilibrium: ", o.quiet, nil)
	rep, err := equilibrium.Run(equilibrium.Job{Model: m, Meta: meta, Source: meta.Source(*in.ckpt), Data: ds, Decay: decay, Settings: s, OutDir: o.out,
		Version: version, Command: append([]string{"sgn", "equilibrium"}, args...), Progress: prog, Removed: a.removed("equilibrium", o.out, o.quiet)})
	return summarise(a, end, rep, equilibrium.AsUsage(err, cli.Usagef))
}

const equilibriumEscapeExample = `sgn escape sweep --config builtin:mlp-sharpness --workers 2 --out out/escape-mlp
sgn equilibrium escape --sweep out/escape-mlp --runs 50 --top-k 40 --out out/escape-mlp-fraction`

// runEquilibriumEscape implements 'sgn equilibrium escape': for the runs of
// a network escape sweep, the fraction of the displacement at the escape
// step in the top-k eigenspaces of H(θ₀).
func runEquilibriumEscape(a *app, args []string) error {
	fs := a.newFlagSet("equilibrium escape", "equilibrium escape --sweep DIR [--mnist DIR] [--points I,J…] [--runs N] [--top-k K] --out DIR", equilibriumEscapeExample)
	var j displacement.Job
	fs.StringVar(&j.Sweep, "sweep", "", "`folder` of a network escape sweep (config.json, runs.jsonl, minimum.json)")
	fs.StringVar(&j.MNIST, "mnist", "", "the sweep's "+mnistUsage)
	pts := fs.String("points", "", "comma-separated grid points to analyse (default: all)")
	fs.IntVar(&j.Runs, "runs", 50, "runs per point re-simulated from their recorded seeds")
	fs.IntVar(&j.TopK, "top-k", equilibrium.DefaultTopK, "K: fractions for the top-k eigenspaces of H(θ₀), k = 1…K")
	o := outputFlags(fs, "the minimum and the Hessian", "output `folder` (escape_fraction.json, escape_fraction.png/.svg)")
	lim := limitFlags(fs, "buffers (the sweep's minimum and replicas, the Hessian's cached passes and eigenbasis)")
	if err := domain.First(o.parse(fs, args), cli.CheckGiven(fs, cli.Given(fs), domain.PositiveInt, "runs", "top-k")); err != nil {
		return err
	}
	if j.Sweep == "" {
		return cli.Usagef("--sweep DIR is required (see -h)")
	}
	if *pts != "" {
		var err error
		if j.Points, err = cli.ParseIndices(*pts); err != nil {
			return cli.Usagef("--points %q: want grid point indices such as 0,2", *pts)
		}
	}
	release, err := claimAfter(checkEscapeFractionLimits(lim, j.Sweep, j.TopK, o.workers), o.out)
	if err != nil {
		return err
	}
	defer release()
	prog, end := cli.Stages(a.stderr, a.isTerminal, "sgn equilibrium escape: ", o.quiet, nil)
	j.Workers, j.OutDir, j.Version, j.Progress, j.Removed = o.workers, o.out, version, prog, a.removed("equilibrium escape", o.out, o.quiet)
	j.Command = append([]string{"sgn", "equilibrium", "escape"}, args...)
	rep, err := displacement.Run(j)
	return summarise(a, end, rep, err)
}

// checkEscapeFractionLimits checks the network of the sweep in dir against
// --max-params and the measurement's buffers against --max-memory
// (displacement.CheckMemory), before its minimum is read or anything
// allocated for it.
func checkEscapeFractionLimits(lim *limits, dir string, topK, workers int) error {
	if err := domain.First(lim.parse(), lim.checkLibraryParams("equilibrium escape")); err != nil {
		return err
	}
	cfg, err := kramers.SweepConfig(dir)
	if err != nil || cfg.Network == nil {
		return nil // the measurement names what is wrong with the folder
	}
	net := cfg.Network.Normalized()
	if err := lim.checkModel(model.Config{Layers: net.Layers, Activation: net.Activation}, "--sweep "+dir+": network"); err != nil {
		return err
	}
	return cli.MemoryUsage(displacement.CheckMemory(dir, cfg, topK, workers, lim.memory), nil)
}
