package main

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/sgn-project/sgn/escape/equilibrium"
	"github.com/sgn-project/sgn/escape/kramers"
	"github.com/sgn-project/sgn/model"
)

const equilibriumExample = `sgn minimum --checkpoint out/figure-model/model.safetensors --first 2000 --out out/equilibrium
sgn equilibrium --checkpoint out/equilibrium/minimum.safetensors --first 2000 --out out/equilibrium
sgn equilibrium --checkpoint out/equilibrium/minimum.safetensors --eta 0.05 --batch-size 16 --steps 40000 --out out/eq-b16`

// defaultDescend is the default --descend from a checkpoint that is not a
// minimum written by sgn minimum: a checkpoint trained on other samples
// (the figure preset: all 60,000) is far from a minimum of the loss on the
// N analysed; 20,000 steps of η = 0.1 take the figure model's ‖∇L‖ on the
// first 2,000 from 0.26 to 0.003. From sgn minimum's checkpoint the
// default is 0.
const defaultDescend = 20000

// runEquilibrium implements 'sgn equilibrium': SGD's and SGLD's
// fluctuations around a trained minimum along the Hessian's
// eigendirections, against the linearised predictions.
func runEquilibrium(a *app, args []string) error {
	if len(args) > 0 && args[0] == "escape" {
		return runEquilibriumEscape(a, args[1:])
	}
	fs := a.newFlagSet("equilibrium", "equilibrium --checkpoint FILE [--first N] [--eta η] [--batch-size B] [--steps T] [flags] --out DIR", equilibriumExample)
	ckpt := fs.String("checkpoint", "", "trained model `file` (safetensors): θ₀")
	sel := addSelectionFlags(fs, 2000, "the loss L, H and C")
	var s equilibrium.Settings
	fs.Float64Var(&s.Eta, "eta", equilibrium.DefaultEta, "step size η of SGD and SGLD")
	fs.IntVar(&s.BatchSize, "batch-size", equilibrium.DefaultBatchSize, "SGD batch size B (drawn with replacement); C = Σ/B")
	fs.IntVar(&s.Steps, "steps", equilibrium.DefaultSteps, "T, steps sampled after the burn-in")
	fs.IntVar(&s.BurnIn, "burn-in", 0, "steps before sampling (default: T/10)")
	fs.IntVar(&s.Every, "every", equilibrium.DefaultEvery, "sample θ every `m` steps")
	fs.IntVar(&s.TopK, "top-k", equilibrium.DefaultTopK, "number of top Hessian eigendirections (k = 1…K of the low-dimensional fraction)")
	fs.IntVar(&s.Bulk, "bulk", equilibrium.DefaultBulk, fmt.Sprintf("number of further eigendirections drawn at random from the rest of the spectrum when P ≤ %d (-1: none)", equilibrium.FullMaxParams))
	fs.Float64Var(&s.D, "temperature", 0, "SGLD diffusion coefficient D (default: η·tr C/(2P), the noise power of SGD)")
	deprecatedFlag(fs, a.stderr, "equilibrium", "sgld-d", "temperature")
	fs.IntVar(&s.Batches, "batches", equilibrium.DefaultBatches, "number of batch means of the 95% intervals")
	fs.IntVar(&s.Descend, "descend", defaultDescend, "full-batch gradient-descent `steps` of size η from the checkpoint before measuring, θ₀ is where they end (0: measure at the checkpoint; the default is 0 from a checkpoint written by sgn minimum)")
	decay := fs.Float64("weight-decay", 0, "λ of the loss CE + (λ/2)‖θ‖² the dynamics follow (default: the checkpoint's, when sgn minimum wrote it, else 0)")
	fs.IntVar(&s.Snapshots, "snapshots", equilibrium.DefaultSnapshots, "points along each chain where λᵢ(t) and cᵢ(t) are measured for the quasi-static prediction")
	fs.StringVar(&s.Center, "center", equilibrium.CenterGD, "measure θ − θ_GD(t), θ_GD the noise-free gradient-descent path from θ₀ computed once (gd: the noise-driven displacement), or θ − θ₀ (theta0)")
	fs.Uint64Var(&s.Seed, "seed", 1, "seed of minibatches, SGLD noise and the bulk sample")
	workers := workersFlag(fs, "the chains (SGD and SGLD run concurrently from 2 on) and the Hessian and gradient passes")
	out := fs.String("out", "", "output `folder` (equilibrium.json, directions.csv, equilibrium.png/.svg)")
	quiet := fs.Bool("quiet", false, "no progress on stderr")
	lim := limitFlags(fs, "buffers (the Hessian's cached passes and eigenbasis, the chains' Steps/Every projections)")
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	set := flagsSet(fs)
	if err := checkWorkers(*workers); err != nil {
		return err
	}
	if err := lim.parse(); err != nil {
		return err
	}
	s.Workers = *workers
	switch {
	case *ckpt == "":
		return usagef("--checkpoint FILE is required (see -h)")
	case *out == "":
		return usagef("--out DIR is required (see -h)")
	case set["temperature"] && !(s.D > 0):
		return usagef("--temperature %v: want a positive number", s.D)
	case s.Bulk < -1:
		return usagef("--bulk %d: want a number of directions, or -1 (or 0) for none", s.Bulk)
	case set["bulk"] && s.Bulk == 0:
		s.Bulk = -1 // --bulk 0 means none, as -1 does
	}
	// Settings.Normalized reads 0 as "the default": a 0 given on the
	// command line is refused rather than silently replaced.
	for _, z := range []struct {
		name string
		zero bool
	}{{"eta", s.Eta == 0}, {"batch-size", s.BatchSize == 0}, {"steps", s.Steps == 0}, {"burn-in", s.BurnIn == 0},
		{"every", s.Every == 0}, {"top-k", s.TopK == 0}, {"batches", s.Batches == 0}, {"snapshots", s.Snapshots == 0}} {
		if set[z.name] && z.zero {
			return usagef("--%s 0: want a positive number (leave the flag out for its default)", z.name)
		}
	}

	if set["weight-decay"] && !(*decay >= 0 && !math.IsInf(*decay, 0)) {
		return usagef("--weight-decay %v: want a non-negative number", *decay)
	}
	m, meta, err := lim.loadCheckpoint(*ckpt)
	if err != nil {
		return err
	}
	// A checkpoint written by sgn minimum records its weight decay: it is
	// a minimum of that loss, so no descent and the same loss by default.
	if d, ok := meta.Metrics["weight_decay"]; ok && d > 0 {
		if !set["weight-decay"] {
			*decay = d
		}
		if !set["descend"] {
			s.Descend = 0
		}
	}
	o, err := selectionFor(*sel, set["first"], meta)
	if err != nil {
		return err
	}
	s = s.Normalized()
	if !*quiet {
		fmt.Fprintf(a.stderr, "sgn equilibrium: loading MNIST %s (pool %d)\n", o.Split, o.Pool)
	}
	ds, err := loadSelection(o, m, *ckpt)
	if err != nil {
		return err
	}
	if err := s.Validate(m.NumParams(), ds.N); err != nil {
		return usagef("--%s", err)
	}
	need, err := s.MemoryNeed(m.Layers, m.Activation, ds.N)
	if err != nil {
		return err
	}
	if err := lim.checkMemory(need, fmt.Sprintf("--steps %d --every %d with --top-k %d on P = %d and %d samples", s.Steps, s.Every, s.TopK, m.NumParams(), ds.N),
		"lower --steps, raise --every, or lower --top-k, --bulk or --first"); err != nil {
		return err
	}
	release, err := claimOut(*out)
	if err != nil {
		return err
	}
	defer release()
	// Everything is checked: an earlier run's files go before this one
	// computes, so a run stopped half-way never leaves a mix of two.
	if err := a.removeFiles("equilibrium", *out, *quiet, equilibrium.JSONFile, equilibrium.CSVFile,
		equilibrium.FigureBase+".png", equilibrium.FigureBase+".svg"); err != nil {
		return err
	}

	var bar *progress
	stage := ""
	prog := func(st string, done, total int) {
		if st != stage {
			bar.Done()
			stage = st
			bar = a.newProgress("sgn equilibrium: "+st, total, *quiet)
		}
		bar.Update(done, "")
	}
	net := &equilibrium.Network{Model: m, Data: model.Batch{X: ds.X, Y: ds.Y}, Decay: *decay, Workers: s.Workers}
	rep, err := equilibrium.Measure(net, m.Theta, s, prog)
	bar.Done()
	if err != nil {
		return fmt.Errorf("checkpoint %s on %s: %w", *ckpt, ds.Selection, err)
	}
	rep.Version, rep.Command, rep.Source, rep.Model, rep.Data = version, append([]string{"sgn", "equilibrium"}, args...), *ckpt, meta, ds.Selected()
	rep.Minimum.WeightDecay = *decay
	if err := rep.Write(*out); err != nil {
		return err
	}
	return rep.WriteText(a.stdout)
}

const equilibriumEscapeExample = `sgn escape sweep --config builtin:mlp-sharpness --workers 2 --out out/escape-mlp
sgn equilibrium escape --sweep out/escape-mlp --runs 50 --top-k 40 --out out/escape-mlp-fraction`

// runEquilibriumEscape implements 'sgn equilibrium escape': for the runs of
// a network escape sweep, the fraction of the displacement at the escape
// step in the top-k eigenspaces of H(θ₀).
func runEquilibriumEscape(a *app, args []string) error {
	fs := a.newFlagSet("equilibrium escape", "equilibrium escape --sweep DIR [--mnist DIR] [--points I,J…] [--runs N] [--top-k K] --out DIR", equilibriumEscapeExample)
	dir := fs.String("sweep", "", "`folder` of a network escape sweep (config.json, runs.jsonl, minimum.json)")
	mnist := fs.String("mnist", "", "the sweep's "+mnistUsage)
	pts := fs.String("points", "", "comma-separated grid points to analyse (default: all)")
	runs := fs.Int("runs", 50, "runs per point re-simulated from their recorded seeds")
	topK := fs.Int("top-k", equilibrium.DefaultTopK, "K: fractions for the top-k eigenspaces of H(θ₀), k = 1…K")
	workers := workersFlag(fs, "the minimum and the Hessian")
	out := fs.String("out", "", "output `folder` (escape_fraction.json, escape_fraction.png/.svg)")
	quiet := fs.Bool("quiet", false, "no progress on stderr")
	lim := limitFlags(fs, "buffers (the sweep's minimum and replicas, the Hessian's cached passes and eigenbasis)")
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	if err := checkWorkers(*workers); err != nil {
		return err
	}
	switch {
	case *dir == "":
		return usagef("--sweep DIR is required (see -h)")
	case *out == "":
		return usagef("--out DIR is required (see -h)")
	case *runs < 1:
		return usagef("--runs %d: must be at least 1", *runs)
	case *topK < 1:
		return usagef("--top-k %d: must be at least 1", *topK)
	}
	var points []int
	if *pts != "" {
		for _, f := range strings.Split(*pts, ",") {
			i, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || i < 0 {
				return usagef("--points %q: want grid point indices such as 0,2", *pts)
			}
			points = append(points, i)
		}
	}
	if err := lim.parse(); err != nil {
		return err
	}
	if err := lim.checkLibraryParams("equilibrium escape"); err != nil {
		return err
	}
	// The sweep's network against the limits, before its minimum is read
	// or anything allocated for it.
	if cfg, err := kramers.SweepConfig(*dir); err == nil && cfg.Network != nil {
		net := cfg.Network.Normalized()
		if err := lim.checkModel(model.Config{Layers: net.Layers, Activation: net.Activation}, "--sweep "+*dir+": network"); err != nil {
			return err
		}
		need, err := equilibrium.EscapeMemoryNeed(cfg, *topK, *workers)
		if err != nil {
			return err
		}
		if err := lim.checkMemory(need, fmt.Sprintf("--top-k %d on the network %v of %s", *topK, net.Layers, *dir), "lower --top-k or --workers"); err != nil {
			return err
		}
	}
	release, err := claimOut(*out)
	if err != nil {
		return err
	}
	defer release()
	var bar *progress
	stage := ""
	var cleanErr error
	rep, err := equilibrium.MeasureEscape(*dir, *mnist, points, *runs, *topK, *workers, func(st string, done, total int) {
		if stage == "" {
			// The sweep has been read and checked: an earlier run's files
			// go before this one computes.
			cleanErr = a.removeFiles("equilibrium escape", *out, *quiet, equilibrium.EscapeJSONFile,
				equilibrium.EscapeFigureBase+".png", equilibrium.EscapeFigureBase+".svg")
		}
		if st != stage {
			bar.Done()
			stage = st
			bar = a.newProgress("sgn equilibrium escape: "+st, total, *quiet)
		}
		bar.Update(done, "")
	})
	bar.Done()
	if err == nil {
		err = cleanErr
	}
	if err != nil {
		return err
	}
	rep.Version, rep.Command = version, append([]string{"sgn", "equilibrium", "escape"}, args...)
	if err := rep.WriteEscape(*out); err != nil {
		return err
	}
	for _, ep := range rep.Points {
		line := fmt.Sprintf("point %d (%s): %d of %d runs escaped, mean ‖θ−θ₀‖ %.3g; fraction in the top", ep.Point, ep.Label, ep.Escaped, ep.Runs, ep.MeanDistance)
		for _, k := range []int{1, 5, 10, len(ep.K)} {
			if k <= len(ep.K) {
				line += fmt.Sprintf(" %d: %.3g (k/P %.3g);", k, ep.Fraction[k-1], ep.Isotropic[k-1])
			}
		}
		fmt.Fprintln(a.stdout, strings.TrimSuffix(line, ";"))
	}
	for _, f := range rep.Files {
		fmt.Fprintf(a.stdout, "wrote %s\n", f)
	}
	return nil
}
