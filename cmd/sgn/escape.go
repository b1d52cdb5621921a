package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"github.com/sgn-project/sgn/data"
	"github.com/sgn-project/sgn/escape"
	"github.com/sgn-project/sgn/model"
)

// escapeSubcommands lists the subcommands of 'sgn escape'.
const escapeSubcommands = "run, sweep, merge, fit, configs, figure"

// runEscape implements 'sgn escape': it dispatches to its subcommands.
func runEscape(a *app, args []string) error {
	if len(args) == 0 {
		return usagef("missing subcommand: want one of: %s (e.g. sgn escape run --dynamics sgld --temperature 0.15 --eta 1e-3 --runs 1000 --out out/esc1)", escapeSubcommands)
	}
	switch args[0] {
	case "run":
		return runEscapeRun(a, args[1:])
	case "sweep":
		return runEscapeSweep(a, args[1:])
	case "merge":
		return runEscapeMerge(a, args[1:])
	case "fit":
		return runEscapeFit(a, args[1:])
	case "configs":
		return runEscapeConfigs(a, args[1:])
	case "figure":
		return runEscapeFigure(a, args[1:])
	case "-h", "-help", "--help", "help":
		fmt.Fprint(a.stderr, `Usage: sgn escape <subcommand> [flags]

Escape times of SGD and SGLD from the minimum of an analytic landscape or
of an MLP trained on MNIST, against Kramers' theory (Theorem 1: SGLD;
Theorem 2: SGD).

Subcommands:
  run      simulate the runs of one point: escape rate, 95% interval, prediction
  sweep    simulate a grid of points from a JSON config (resumable, shardable)
  merge    combine the shard folders of one sweep
  fit      rates per point and −log γ against 1/k, B, 1/η (SGD) and log k, 1/D (SGLD)
  configs  list the builtin sweep configs, or print one (builtin:NAME works as --config)
  figure   run the builtin configs of the six-panel figure, fit them and draw it

Run 'sgn escape <subcommand> -h' for its flags and an example.
`)
		return flag.ErrHelp
	}
	return usagef("unknown subcommand %q: want one of: %s", args[0], escapeSubcommands)
}

// parseInterleaved parses flags that may come before, between or after
// positional arguments, and returns the positional arguments.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := parseFlags(fs, args, true); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// floatList is a comma-separated list of numbers as a flag value.
type floatList []float64

func (l *floatList) String() string {
	s := make([]string, len(*l))
	for i, v := range *l {
		s[i] = strconv.FormatFloat(v, 'g', -1, 64)
	}
	return strings.Join(s, ",")
}

func (l *floatList) Set(s string) error {
	*l = nil
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil {
			return fmt.Errorf("%q is not a number", f)
		}
		*l = append(*l, v)
	}
	return nil
}

// positive checks that the flag name has a positive finite value.
func positive(name string, v float64) error {
	if !(v > 0) || math.IsInf(v, 0) {
		return usagef("--%s %v: want a positive number", name, v)
	}
	return nil
}

// runEscapeRun implements 'sgn escape run'.
func runEscapeRun(a *app, args []string) error {
	fs := a.newFlagSet("escape run",
		"escape run [--landscape doublewell|styblinski-tang|mlp] [--barrier ΔL] [--sharpness k] [--dim n] --dynamics sgld|sgd-diffusion|sgd|sgd-gaussian|gd [--temperature D] [--eta η] [--batch-size B] [--runs N] [--max-steps S] [--criterion col|distance|loss] [--layers 49,8,10 --first N ...] --out DIR",
		`sgn escape run --landscape doublewell --barrier 1 --sharpness 1 --dynamics sgld \
    --temperature 0.15 --eta 1e-3 --runs 1000 --out out/esc1
sgn escape run --landscape mlp --layers 49,8,10 --first 1000 --dynamics sgd --batch-size 10 --eta 0.1 \
    --criterion loss --delta 0.05 --runs 200 --max-steps 20000 --out out/esc-mlp
sgn escape run --dynamics sgd-diffusion --sharpness 2 --batch-size 2 --eta 0.05 --runs 500 --out out/esc2`)
	var spec escape.LandscapeSpec
	fs.StringVar(&spec.Name, "landscape", escape.DoubleWellName, "landscape: doublewell (ΔL(kx²−1)², n-D with --dim), styblinski-tang, or mlp (an MLP trained on MNIST to a minimum; dynamics sgd, sgd-gaussian, sgld, gd)")
	layers := fs.String("layers", "49,8,10", "mlp: widths, input (28/pool)² first, 10 classes last")
	activation := fs.String("activation", "tanh", "mlp: hidden activation, tanh or relu")
	first := fs.Int("first", 1000, "mlp: train on the first N MNIST training images")
	pool := fs.Int("pool", 4, "mlp: average-pool the images pool×pool (1, 2 or 4)")
	initSeed := fs.Uint64("init-seed", 1, "mlp: seed of the initialisation")
	gdEta := fs.Float64("gd-eta", 0.5, "mlp: step of the full-batch gradient descent to the minimum")
	gdSteps := fs.Int("gd-max-steps", 10000, "mlp: at most this many gradient descent steps")
	gradTol := fs.Float64("grad-tol", 1e-4, "mlp: stop gradient descent when ‖∇L‖ ≤ this")
	checkEvery := fs.Int("check-every", 10, "mlp, loss criterion: evaluate the full-batch loss every this many steps")
	fs.Float64Var(&spec.Barrier, "barrier", 1, "barrier height ΔL = L(col) − L(minimum)")
	fs.IntVar(&spec.Dim, "dim", 1, "dimension n")
	var transverse floatList
	fs.Var(&transverse, "transverse", "doublewell, dim > 1: curvatures of directions 2..n at the minimum for k = 1, comma-separated (one value: all; default 1)")
	fs.Float64Var(&spec.ColRatio, "col-ratio", 0, "doublewell, dim > 1: transverse curvature at the col over that at the minimum (default 1)")
	k := fs.Float64("sharpness", 1, "sharpness k: the reparametrisation θ → √k·θ multiplies the Hessian at the minimum by k, keeps ΔL")
	dyn := fs.String("dynamics", "", "dynamics: sgld (θ ← θ − η∇L + √(2ηD)ξ), sgd-diffusion (noise covariance η²|H(θ)|/B) or gd (no noise) (required)")
	temp := fs.Float64("temperature", 0.15, "SGLD diffusion coefficient D (sgld only; also --D)")
	fs.Float64Var(temp, "D", 0.15, "same as --temperature")
	eta := fs.Float64("eta", 1e-3, "learning rate (step size) η")
	batch := fs.Float64("batch-size", 1, "batch size B of the noise covariance C = |H|/B (sgd-diffusion only)")
	runs := fs.Int("runs", 1000, "number of runs, all started at the minimum")
	maxSteps := fs.Int64("max-steps", 10_000_000, "step limit: runs not escaped by then are right-censored")
	crit := fs.String("criterion", escape.CriterionCol, "escape criterion: col (crossed the col, halfway to the other minimum), distance (|θ − a| ≥ --radius) or loss (L ≥ L(a) + --delta)")
	radius := fs.Float64("radius", 0, "distance criterion: radius r in units of θ")
	delta := fs.Float64("delta", 0, "loss criterion: δ")
	seed := fs.Uint64("seed", 1, "seed; run r uses the PCG seed RunSeed(seed, 0, r), recorded in runs.jsonl")
	workers := fs.Int("workers", 0, "goroutines (0: all cores); results do not depend on it")
	out := fs.String("out", "", "output `folder` (required; created if missing)")
	quiet := fs.Bool("quiet", false, "no progress on stderr")
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	set := flagsSet(fs)
	if *out == "" {
		return usagef("--out DIR is required (see -h)")
	}
	if spec.Name == "mlp" {
		ls, err := model.ParseLayers(*layers)
		if err != nil {
			return usagef("--%v", err)
		}
		net := escape.NetworkSpec{Layers: ls, Activation: model.Activation(*activation), InitSeed: *initSeed, Pool: *pool, First: *first,
			GDEta: *gdEta, GDMaxSteps: *gdSteps, GradTol: *gradTol, CheckEvery: *checkEvery}
		if !set["criterion"] {
			*crit = escape.CriterionLoss
		}
		if *crit == escape.CriterionLoss && !set["delta"] {
			return usagef("--delta δ is required with the loss criterion: escaped when L ≥ L(θ₀) + δ (e.g. --delta 0.05)")
		}
		cfg := escape.Config{Seed: *seed, Network: &net, Dynamics: []string{*dyn}, Sharpness: []float64{*k}, Eta: []float64{*eta},
			Runs: *runs, MaxSteps: *maxSteps, Criterion: escape.Criterion{Kind: *crit, Radius: *radius, Delta: *delta}}
		switch *dyn {
		case escape.SGD, escape.SGDGaussian:
			cfg.BatchSize = []float64{*batch}
		case escape.SGLD:
			cfg.Temperature = []float64{*temp}
		}
		return runEscapeRunNetwork(a, cfg, *workers, *out, *quiet)
	}
	switch *dyn {
	case escape.SGLD, escape.SGDDiffusion, escape.GD:
	case "":
		return usagef("--dynamics is required: sgld, sgd-diffusion or gd")
	default:
		return usagef("--dynamics %q: want sgld, sgd-diffusion or gd", *dyn)
	}
	switch spec.Name {
	case escape.DoubleWellName, escape.StyblinskiTangName:
	default:
		return usagef("--landscape %q: want doublewell, styblinski-tang or mlp", spec.Name)
	}
	for _, c := range []struct {
		name string
		v    float64
	}{{"barrier", spec.Barrier}, {"sharpness", *k}, {"eta", *eta}, {"temperature", *temp}, {"batch-size", *batch}} {
		if err := positive(c.name, c.v); err != nil {
			return err
		}
	}
	if (set["temperature"] || set["D"]) && *dyn != escape.SGLD {
		return usagef("--temperature applies to --dynamics sgld only")
	}
	if set["batch-size"] && *dyn != escape.SGDDiffusion {
		return usagef("--batch-size applies to --dynamics sgd-diffusion only")
	}
	if *runs < 1 {
		return usagef("--runs %d: want a positive integer", *runs)
	}
	if *maxSteps < 1 {
		return usagef("--max-steps %d: want a positive integer", *maxSteps)
	}
	spec.Transverse = transverse
	cfg := escape.Config{Seed: *seed, Landscape: spec, Dynamics: []string{*dyn}, Sharpness: []float64{*k}, Eta: []float64{*eta},
		Runs: *runs, MaxSteps: *maxSteps, Criterion: escape.Criterion{Kind: *crit, Radius: *radius, Delta: *delta}}
	if *dyn == escape.SGLD {
		cfg.Temperature = []float64{*temp}
	}
	if *dyn == escape.SGDDiffusion {
		cfg.BatchSize = []float64{*batch}
	}
	if err := cfg.Validate(); err != nil {
		return usagef("%v", err)
	}
	p := cfg.Points()[0]
	sim, err := escape.AnalyticSimulator(p)
	if err != nil {
		return usagef("%v", err)
	}
	pred, err := escape.AnalyticPrediction(p)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return fmt.Errorf("cannot create --out %s: %w", *out, err)
	}
	if *workers <= 0 {
		*workers = runtime.GOMAXPROCS(0)
	}
	prog := a.newProgress("escape run", *runs, *quiet)
	recs, err := escape.RunPoint(sim, *seed, *runs, *workers, func(done int) { prog.Update(done, "") })
	prog.Done()
	if err != nil {
		return err
	}
	runsPath := filepath.Join(*out, escape.RunsFile)
	if err := escape.WriteRuns(runsPath, recs); err != nil {
		return err
	}
	pr := escape.PointRate{Point: p, Estimate: escape.EstimateRate(recs), Prediction: pred}
	sum := pr.Summary()
	rep := struct {
		Version    string             `json:"version"`
		Command    string             `json:"command"`
		Config     escape.Config      `json:"config"`
		ConfigHash string             `json:"config_hash"`
		Point      escape.Point       `json:"point"`
		Seed       uint64             `json:"seed"`
		RunSeeds   string             `json:"run_seeds"`
		Workers    int                `json:"workers"`
		RateUnit   string             `json:"rate_unit"`
		Result     escape.RateSummary `json:"result"`
		RunsFile   string             `json:"runs_file"`
	}{Version: version, Command: "escape run", Config: cfg, ConfigHash: cfg.Hash(), Point: p, Seed: *seed,
		RunSeeds: "run r uses PCG seed RunSeed(seed, 0, r) (SplitMix64 of seed, point 0, r); each run's seed is in runs.jsonl",
		Workers:  *workers, RateUnit: escape.RateUnit, Result: sum, RunsFile: escape.RunsFile}
	b, err := escapeJSON(rep)
	if err != nil {
		return err
	}
	jsonPath := filepath.Join(*out, "escape.json")
	if err := data.WriteBytesAtomic(jsonPath, b); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "%s on %s (ΔL=%g, dim %d): %d/%d runs escaped\n", p.Label(), spec.Name, spec.Barrier, cfg.Landscape.Dim, pr.Estimate.Escaped, pr.Estimate.Runs)
	g, lo, hi := pr.RatePerTime()
	fmt.Fprintf(a.stdout, "escape rate γ = %.4g per unit time, 95%% CI [%.4g, %.4g] (%.4g per step)\n", g, lo, hi, pr.Estimate.Rate)
	if pred != nil && pred.Rate != nil {
		fmt.Fprintf(a.stdout, "Theorem 1 (Kramers): %.4g per unit time; measured/predicted = %.3f\n", *pred.Rate, pr.Ratio())
		if pred.ExactRate != nil {
			fmt.Fprintf(a.stdout, "exact continuous-time rate: %.4g; measured/exact = %.3f\n", *pred.ExactRate, g / *pred.ExactRate)
		}
	}
	if pred != nil && pred.RateS0 != nil {
		fmt.Fprintf(a.stdout, "Theorem 2: %.4g (s = 0) to %.4g (s = 1) per unit time; s solved from the measured rate = %s\n", *pred.RateS0, *pred.RateS1, fmtOpt(sum.S))
	}
	if sum.EtaHMax != nil && *sum.EtaHMax >= 2 {
		fmt.Fprintf(a.stdout, "warning: η·λmax(H(a)) = %.3g ≥ 2: the minimum is unstable even without noise\n", *sum.EtaHMax)
	}
	fmt.Fprintf(a.stdout, "wrote %s, %s\n", jsonPath, runsPath)
	return nil
}

// escapeJSON encodes v as indented JSON with a final newline.
func escapeJSON(v any) ([]byte, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// fmtOpt formats an optional number.
func fmtOpt(p *float64) string {
	if p == nil {
		return "undefined"
	}
	return strconv.FormatFloat(*p, 'g', 4, 64)
}

// runEscapeSweep implements 'sgn escape sweep'.
func runEscapeSweep(a *app, args []string) error {
	fs := a.newFlagSet("escape sweep",
		"escape sweep --config FILE --out DIR [--workers N] [--shard i/n]",
		`sgn escape sweep --config escape/testdata/sweep.json --workers 2 --out out/sweep
sgn escape sweep --config sweep.json --out out/sweep --shard $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT`)
	cfgPath := fs.String("config", "", "sweep config JSON `file` (schema: escape.Config; example: escape/testdata/sweep.json), or builtin:NAME (see sgn escape configs) (required)")
	out := fs.String("out", "", "output `folder` (required); with --shard i/n the shard goes to DIR-shard-i")
	workers := fs.Int("workers", 0, "goroutines (0: all cores); results do not depend on it")
	shardFlag := fs.String("shard", "", "run only shard `i/n` of the runs (0 ≤ i < n; run r of point p is in shard (p·runs + r) mod n)")
	quiet := fs.Bool("quiet", false, "no progress on stderr")
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	if *cfgPath == "" {
		return usagef("--config FILE is required (see -h)")
	}
	if *out == "" {
		return usagef("--out DIR is required (see -h)")
	}
	var shard escape.Shard
	if *shardFlag != "" {
		s, err := escape.ParseShard(*shardFlag)
		if err != nil {
			return usagef("--%v", err)
		}
		shard = s
	}
	cfg, err := escape.LoadConfig(*cfgPath)
	if err != nil {
		return usagef("--config %v", err)
	}
	// Unknown landscape or dynamics names are errors in the config file.
	for _, p := range cfg.Points() {
		check := func(p escape.Point) error { _, err := escape.AnalyticSimulator(p); return err }
		if cfg.Network != nil {
			check = escape.CheckNetworkPoint
		}
		if err := check(p); err != nil {
			return usagef("--config %s: point %d (%s): %v", *cfgPath, p.Index, p.Label(), err)
		}
	}
	dir := *out
	if shard.Count > 0 {
		dir = fmt.Sprintf("%s-shard-%d", strings.TrimRight(*out, "/"), shard.Index)
	}
	var prog *progress
	label := "escape sweep"
	if shard.Count > 0 {
		label += " shard " + shard.String()
	}
	sopt := escape.SweepOptions{Workers: *workers, Shard: shard, Version: version,
		Progress: func(done, total int) {
			if prog == nil {
				prog = a.newProgress(label, total, *quiet)
			}
			prog.Update(done, "")
		}}
	var sum escape.SweepSummary
	var mn *escape.Minimum
	if cfg.Network != nil {
		sum, mn, err = escape.NetworkSweep(dir, cfg, sopt)
	} else {
		sum, err = escape.Sweep(dir, cfg, escape.AnalyticSimulator, sopt)
	}
	prog.Done()
	if err != nil {
		return err
	}
	if mn != nil {
		fmt.Fprintf(a.stdout, "network %v %s on %s: minimum after %d GD steps, loss %.6g, ‖∇L‖ = %.3g, λmax(H) = %.4g (× k in φ); %s\n",
			mn.Spec.Layers, mn.Spec.Activation, mn.Data.Description, mn.GDSteps, mn.Loss, mn.GradNorm, mn.HessianTop, escape.MinimumFile)
	}
	sd, err := escape.ReadSweep(dir)
	if err != nil {
		return err
	}
	escaped := 0
	for _, r := range sd.Runs {
		if r.Result.Escaped {
			escaped++
		}
	}
	np := len(cfg.Points())
	fmt.Fprintf(a.stdout, "sweep %s: %d points × %d runs", cfg.Hash(), np, cfg.Runs)
	if shard.Count > 0 {
		fmt.Fprintf(a.stdout, ", shard %s: %d runs", shard, sum.Total)
	}
	fmt.Fprintf(a.stdout, " (%d resumed, %d simulated now); %d escaped\n", sum.Resumed, sum.New, escaped)
	fmt.Fprintf(a.stdout, "wrote %s, %s\n", filepath.Join(dir, escape.ConfigFile), filepath.Join(dir, escape.RunsFile))
	if mn != nil {
		info := struct {
			Version string                 `json:"version"`
			Hash    string                 `json:"config_hash"`
			Minimum *escape.MinimumSummary `json:"minimum"`
			Note    string                 `json:"note"`
		}{version, cfg.Hash(), mn.Summary(cfg.Sharpness), "θ₀ is in " + escape.MinimumFile + "; hessian_top is λmax of the Hessian in φ = θ/√k, k·λmax(H(θ₀)), by Lanczos on exact Hessian-vector products"}
		b, err := escapeJSON(info)
		if err != nil {
			return err
		}
		if err := data.WriteBytesAtomic(filepath.Join(dir, "network.json"), b); err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "wrote %s, %s\n", filepath.Join(dir, escape.MinimumFile), filepath.Join(dir, "network.json"))
	}
	if shard.Count > 0 {
		fmt.Fprintf(a.stdout, "when all %d shards are done: sgn escape merge %s-shard-* --out %s\n", shard.Count, strings.TrimRight(*out, "/"), *out)
	} else {
		fmt.Fprintf(a.stdout, "next: sgn escape fit %s\n", dir)
	}
	return nil
}

// runEscapeMerge implements 'sgn escape merge'.
func runEscapeMerge(a *app, args []string) error {
	fs := a.newFlagSet("escape merge",
		"escape merge DIR... --out DIR",
		"sgn escape merge out/sweep-shard-* --out out/sweep")
	out := fs.String("out", "", "output `folder` (required); runs it already holds of the same sweep are kept")
	fs.Bool("quiet", false, "no progress (merge prints none)")
	dirs, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if *out == "" {
		return usagef("--out DIR is required (see -h)")
	}
	if len(dirs) == 0 {
		return usagef("give the sweep folders to merge, e.g. out/sweep-shard-*")
	}
	sum, err := escape.Merge(*out, dirs, version)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "merged %d folders of sweep %s: %d of %d runs\n", len(dirs), sum.Hash, sum.Runs, sum.Total)
	if sum.Runs < sum.Total {
		fmt.Fprintf(a.stdout, "%d runs are missing: finish the shards, or simulate them with sgn escape sweep --config FILE --out %s\n", sum.Total-sum.Runs, *out)
	}
	fmt.Fprintf(a.stdout, "wrote %s, %s\n", filepath.Join(*out, escape.ConfigFile), filepath.Join(*out, escape.RunsFile))
	return nil
}

// runEscapeFit implements 'sgn escape fit'.
func runEscapeFit(a *app, args []string) error {
	fs := a.newFlagSet("escape fit",
		"escape fit DIR [--out DIR]",
		"sgn escape fit out/sweep")
	out := fs.String("out", "", "output `folder` (default: the sweep folder)")
	fs.Bool("quiet", false, "no progress (fit prints none)")
	dirs, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(dirs) != 1 {
		return usagef("give one sweep folder, e.g. sgn escape fit out/sweep")
	}
	dir := dirs[0]
	if *out == "" {
		*out = dir
	}
	sd, err := escape.ReadSweep(dir)
	if err != nil {
		return err
	}
	if sd.Shard.Count > 0 {
		fmt.Fprintf(a.stderr, "note: %s holds shard %s only; merge the shards first for the whole sweep\n", dir, sd.Shard)
	}
	rates, err := escape.PointRates(sd, escape.AnalyticPrediction)
	if err != nil {
		return err
	}
	rels := escape.FitRelations(rates)
	files, err := escape.WriteFit(*out, sd, rates, rels, version)
	if err != nil {
		return err
	}
	total := len(sd.Config.Points()) * sd.Config.Runs
	fmt.Fprintf(a.stdout, "sweep %s: %d of %d runs; γ per unit time (t = η·steps), 95%% intervals\n", sd.Hash, len(sd.Runs), total)
	for _, r := range rates {
		g, lo, hi := r.RatePerTime()
		line := fmt.Sprintf("  %3d %-38s %5d/%-5d escaped  γ = %-10.4g [%.3g, %.3g]", r.Point.Index, r.Point.Label(), r.Estimate.Escaped, r.Estimate.Runs, g, lo, hi)
		if v := r.Ratio(); !math.IsNaN(v) {
			line += fmt.Sprintf("  measured/Theorem 1 = %.3f", v)
		}
		if v := r.S(); !math.IsNaN(v) {
			line += fmt.Sprintf("  s = %.3f", v)
		}
		fmt.Fprintln(a.stdout, line)
	}
	for _, rel := range rels {
		fmt.Fprintf(a.stdout, "−log γ against %s (%s):\n", rel.XLabel, rel.Dynamics)
		for _, s := range rel.Series {
			if s.Line == nil {
				fmt.Fprintf(a.stdout, "  %s: %s\n", s.Label(), s.Note)
				continue
			}
			l := s.Line
			line := fmt.Sprintf("  %s: slope %.4g", s.Label(), l.Slope)
			if l.SlopeCI != nil {
				line += fmt.Sprintf(" [%.4g, %.4g]", l.SlopeCI[0], l.SlopeCI[1])
			}
			line += fmt.Sprintf(", intercept %.4g, R² %s, %d points", l.Intercept, fmtOpt(l.R2), l.N)
			if s.PredictedSlope != nil {
				line += fmt.Sprintf("; Theorem 1 slope %.4g", *s.PredictedSlope)
			}
			if s.SFromSlope != nil {
				line += fmt.Sprintf("; Theorem 2 slope %.4g (s=0) to %.4g (s=1), s from slope = %.3f", *s.PredictedSlopeS0, *s.PredictedSlopeS1, *s.SFromSlope)
			}
			fmt.Fprintln(a.stdout, line)
			if s.Note != "" {
				fmt.Fprintf(a.stdout, "    %s\n", s.Note)
			}
		}
	}
	fmt.Fprintf(a.stdout, "wrote %s\n", strings.Join(files, ", "))
	return nil
}

// runEscapeConfigs implements 'sgn escape configs'.
func runEscapeConfigs(a *app, args []string) error {
	fs := a.newFlagSet("escape configs",
		"escape configs [NAME] [--out DIR]",
		`sgn escape configs
sgn escape configs mlp-batch-size > my-sweep.json
sgn escape sweep --config builtin:mlp-batch-size --workers 2 --out out/escape-mlp`)
	out := fs.String("out", "", "also write NAME.json into this `folder` (created if missing)")
	fs.Bool("quiet", false, "no progress (configs prints none)")
	names, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(names) == 0 {
		fmt.Fprintln(a.stdout, "builtin sweep configs (use as --config builtin:NAME; print one with sgn escape configs NAME):")
		for _, b := range escape.Builtins() {
			fmt.Fprintf(a.stdout, "  %-22s %s\n", b.Name, b.Description)
		}
		return nil
	}
	if len(names) > 1 {
		return usagef("give one config name, e.g. sgn escape configs mlp-batch-size")
	}
	name := strings.TrimPrefix(names[0], escape.BuiltinPrefix)
	b, err := escape.BuiltinJSON(name)
	if err != nil {
		return usagef("%v", err)
	}
	if *out != "" {
		if err := os.MkdirAll(*out, 0o755); err != nil {
			return fmt.Errorf("cannot create --out %s: %w", *out, err)
		}
		if err := data.WriteBytesAtomic(filepath.Join(*out, name+".json"), b); err != nil {
			return err
		}
	}
	_, err = a.stdout.Write(b)
	return err
}

// runEscapeFigure implements 'sgn escape figure'.
func runEscapeFigure(a *app, args []string) error {
	fs := a.newFlagSet("escape figure",
		"escape figure --out DIR [--workers N] [--quick]",
		`sgn escape figure --out out/escape-figure --workers 2`)
	out := fs.String("out", "", "output `folder` (required): one sweep folder per panel, escape-figure.png/.svg, figure.json")
	workers := fs.Int("workers", 0, "goroutines (0: all cores); results do not depend on it")
	quick := fs.Bool("quick", false, "a quick trial: 8 runs per point, short runs, a small network (folders NAME-quick)")
	quiet := fs.Bool("quiet", false, "no progress on stderr")
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	if *out == "" {
		return usagef("--out DIR is required (see -h)")
	}
	if *workers <= 0 {
		*workers = runtime.GOMAXPROCS(0)
	}
	var prog *progress
	current := ""
	rep, err := escape.RunFigure(*out, escape.FigureOptions{Workers: *workers, Quick: *quick, Version: version,
		Progress: func(name string, done, total int) {
			if name != current {
				prog.Done()
				prog, current = a.newProgress("escape figure "+name, total, *quiet), name
			}
			prog.Update(done, "")
		}})
	prog.Done()
	if err != nil {
		return err
	}
	for _, p := range rep.Panels {
		fmt.Fprintf(a.stdout, "%s  [%d/%d runs escaped, %.0f s]\n", escape.PanelTitle(p), p.Escaped, p.Runs, p.Seconds)
	}
	fmt.Fprintf(a.stdout, "wall time %.0f s on %d workers (sweeps %.0f s, of which network minima %.0f s)\n", rep.WallSeconds, rep.Workers, rep.SweepSeconds, rep.PrepareSeconds)
	onePrep, nNet := 0.0, 0
	for _, p := range rep.Panels {
		if p.Minimum != nil {
			onePrep, nNet = max(onePrep, p.PrepareSeconds), nNet+1
		}
	}
	fmt.Fprintf(a.stdout, "on n shards of %d workers (sgn escape sweep --config builtin:NAME --shard i/n, then merge and fit) the sweeps take about %.0f s/n + %.0f s per shard (each of the %d network sweeps prepares its minimum in every shard)\n",
		rep.Workers, rep.SweepSeconds-rep.PrepareSeconds, float64(nNet)*onePrep, nNet)
	stem := filepath.Join(*out, rep.Figure)
	fmt.Fprintf(a.stdout, "wrote %s.png, %s.svg, %s\n", stem, stem, filepath.Join(*out, "figure.json"))
	return nil
}

// runEscapeRunNetwork is 'sgn escape run --landscape mlp': one point of
// the network landscape.
func runEscapeRunNetwork(a *app, cfg escape.Config, workers int, out string, quiet bool) error {
	if out == "" {
		return usagef("--out DIR is required (see -h)")
	}
	if err := cfg.Validate(); err != nil {
		return usagef("%v", err)
	}
	p := cfg.Points()[0]
	if err := escape.CheckNetworkPoint(p); err != nil {
		return usagef("%v", err)
	}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return fmt.Errorf("cannot create --out %s: %w", out, err)
	}
	mn, err := escape.PrepareMinimum(*cfg.Network, out, workers)
	if err != nil {
		return err
	}
	if err := mn.Write(out); err != nil {
		return err
	}
	sim, err := escape.NetworkFactory(mn)(p)
	if err != nil {
		return usagef("%v", err)
	}
	prog := a.newProgress("escape run", cfg.Runs, quiet)
	recs, err := escape.RunPoint(sim, cfg.Seed, cfg.Runs, workers, func(done int) { prog.Update(done, "") })
	prog.Done()
	if err != nil {
		return err
	}
	runsPath := filepath.Join(out, escape.RunsFile)
	if err := escape.WriteRuns(runsPath, recs); err != nil {
		return err
	}
	pr := escape.PointRate{Point: p, Estimate: escape.EstimateRate(recs)}
	rep := struct {
		Version    string                 `json:"version"`
		Command    string                 `json:"command"`
		Config     escape.Config          `json:"config"`
		ConfigHash string                 `json:"config_hash"`
		Point      escape.Point           `json:"point"`
		Seed       uint64                 `json:"seed"`
		RunSeeds   string                 `json:"run_seeds"`
		Workers    int                    `json:"workers"`
		RateUnit   string                 `json:"rate_unit"`
		Minimum    *escape.MinimumSummary `json:"minimum"`
		Result     escape.RateSummary     `json:"result"`
		RunsFile   string                 `json:"runs_file"`
	}{Version: version, Command: "escape run", Config: cfg, ConfigHash: cfg.Hash(), Point: p, Seed: cfg.Seed,
		RunSeeds: "run r uses PCG seed RunSeed(seed, 0, r) (SplitMix64 of seed, point 0, r); each run's seed is in runs.jsonl",
		Workers:  workers, RateUnit: escape.RateUnit, Minimum: mn.Summary(cfg.Sharpness), Result: pr.Summary(), RunsFile: escape.RunsFile}
	b, err := escapeJSON(rep)
	if err != nil {
		return err
	}
	jsonPath := filepath.Join(out, "escape.json")
	if err := data.WriteBytesAtomic(jsonPath, b); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "network %v on %s: minimum loss %.6g, ‖∇L‖ = %.3g after %d GD steps, λmax(H) = %.4g (%.4g in φ at k = %g)\n",
		mn.Spec.Layers, mn.Data.Description, mn.Loss, mn.GradNorm, mn.GDSteps, mn.HessianTop, p.Sharpness*mn.HessianTop, p.Sharpness)
	fmt.Fprintf(a.stdout, "%s: %d/%d runs escaped\n", p.Label(), pr.Estimate.Escaped, pr.Estimate.Runs)
	g, lo, hi := pr.RatePerTime()
	fmt.Fprintf(a.stdout, "escape rate γ = %.4g per unit time, 95%% CI [%.4g, %.4g] (%.4g per step)\n", g, lo, hi, pr.Estimate.Rate)
	fmt.Fprintf(a.stdout, "wrote %s, %s, %s\n", jsonPath, runsPath, filepath.Join(out, escape.MinimumFile))
	return nil
}
