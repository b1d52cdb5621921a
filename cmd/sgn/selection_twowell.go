package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sgn-project/sgn/escape"
	"github.com/sgn-project/sgn/escape/selection"
	"github.com/sgn-project/sgn/internal/sweep"
)

// runSelectionTwoWell implements 'sgn selection twowell': minima selection
// between a sharp and a flat valley.
func runSelectionTwoWell(a *app, args []string) error {
	return group{
		path: "selection twowell",
		about: `Minima selection on the two-valley landscape twowell: long trajectories of
sgld, sgd-diffusion-finite-sum and minibatch sgd cross back and forth between a sharp
and a flat valley; measured are the occupancy ratio P(flat)/P(sharp) and the
transition rates each way, beside Theorem 1 (SGLD) and Theorem 2 (SGD).`,
		example: "sgn selection twowell figure --out out/selection",
		subs: []subcommand{
			{"run", "simulate one point into a folder and fit it", runSelectionRun},
			{"sweep", "simulate a grid from a JSON config (resumable, shardable)", runSelectionSweep},
			{"merge", "combine the shard folders of one sweep", runSelectionMerge},
			{"fit", "selection.json, selection.csv and the figure from a sweep folder", runSelectionFit},
			{"configs", "list the builtin configs, or print one (builtin:NAME works as --config)", runSelectionConfigs},
			{"figure", "run the builtin config and fit it (what make selection-figure does)", runSelectionFigure},
		},
	}.run(a, args)
}

// landscapeFlags registers the twowell flags on fs.
func landscapeFlags(fs *flag.FlagSet, s *escape.TwoWellSpec) (ts, tf, tc *floatList) {
	fs.IntVar(&s.Dim, "dim", 1, "dimension n (θ₁ is the escape coordinate)")
	fs.Float64Var(&s.Sharpness, "sharpness", 2, "k = h₁/h₂ ≥ 1: the sharp valley's curvature over the flat one's, along θ₁")
	fs.Float64Var(&s.HFlat, "h-flat", 1, "h₂: the flat valley's curvature along θ₁")
	fs.Float64Var(&s.HCol, "h-col", 0, "|h_b| ≤ h₂: minus the col's curvature along θ₁ (default h₂/2)")
	fs.Float64Var(&s.Barrier, "barrier", 0.02, "ΔL₁ = L(col) − L(sharp minimum)")
	fs.Float64Var(&s.BarrierFlat, "barrier-flat", 0, "ΔL₂ = L(col) − L(flat minimum) (default: --barrier)")
	ts, tf, tc = &floatList{}, &floatList{}, &floatList{}
	fs.Var(ts, "transverse-sharp", "dim > 1: curvatures of θ₂…θₙ at the sharp minimum, comma-separated (one value: all; default k·h₂)")
	fs.Var(tf, "transverse-flat", "dim > 1: the same at the flat minimum (default h₂)")
	fs.Var(tc, "transverse-col", "dim > 1: the same at the col (default h₂)")
	return
}

// twowellRunFields maps the configuration fields that the flags of 'sgn
// selection twowell run' set (selection.Config and Spec) to the flags, for
// fieldFlagError.
var twowellRunFields = map[string]string{
	"dim": "dim", "sharpness": "sharpness", "h_flat": "h-flat", "h_col": "h-col", "barrier": "barrier",
	"barrier_flat": "barrier-flat", "transverse_sharp": "transverse-sharp", "transverse_flat": "transverse-flat",
	"transverse_col": "transverse-col", "eta": "eta", "temperature": "temperature", "batch_size": "batch-size",
	"replicas": "replicas", "steps": "steps", "burn_in": "burn-in",
}

// runSelectionRun implements 'sgn selection run'.
func runSelectionRun(a *app, args []string) error {
	fs := a.newFlagSet("selection twowell run",
		"selection twowell run --dynamics sgld|sgd-diffusion-finite-sum|sgd|sgd-diffusion-abs-h [--temperature D | --batch-size B] [--eta η] [landscape flags] [--replicas R] [--steps S] [--burn-in N] --out DIR",
		`sgn selection twowell run --dynamics sgld --barrier 0.02 --temperature 0.004 --eta 0.05 --out out/sel-sgld
sgn selection twowell run --dynamics sgd --barrier 0.02 --batch-size 4 --eta 0.05 --replicas 16 --steps 4000000 --out out/sel-sgd`)
	var spec escape.TwoWellSpec
	ts, tf, tc := landscapeFlags(fs, &spec)
	dyn := fs.String("dynamics", "", "sgld (θ ← θ − η∇L + √(2ηD)ξ), sgd-diffusion-finite-sum (Gaussian noise of covariance η²S(θ)/B, S ≈ H near the minima, never 0), sgd (minibatch SGD on the finite sum), or sgd-diffusion-abs-h (noise η²|H(θ)|/B) (required)")
	temp := fs.Float64("temperature", 0.004, "SGLD diffusion D (sgld only)")
	eta := fs.Float64("eta", 0.05, "learning rate η")
	batch := fs.Float64("batch-size", 1, "batch size B (SGD kinds; sgd: an integer)")
	replicas := fs.Int("replicas", 16, "independent trajectories (at least 2: the occupancy interval comes from their spread)")
	steps := fs.Int64("steps", 4_000_000, "measured steps per trajectory")
	burnIn := fs.Int64("burn-in", 200_000, "steps before the measured ones")
	seed := fs.Uint64("seed", 1, "sweep seed; replica r uses seed.Derive(seed, 0, r), recorded in runs.jsonl")
	workers := workersFlag(fs, "replicas in parallel")
	out := fs.String("out", "", "output `folder` (required): config.json, runs.jsonl, selection.json/.csv, selection.png/.svg (a figure from two points on; one point is the table printed and selection.csv)")
	quiet := fs.Bool("quiet", false, "no progress on stderr")
	var lim limits
	lim.memoryFlag(fs, "replicas' bookkeeping (a task, then a record read back, per replica)")
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	if err := checkWorkers(*workers); err != nil {
		return err
	}
	set := flagsSet(fs)
	if *out == "" {
		return usagef("--out DIR is required (see -h)")
	}
	if *dyn == "" {
		return usagef("--dynamics is required: sgld, sgd-diffusion-finite-sum, sgd or sgd-diffusion-abs-h")
	}
	// The flags whose 0 means "the default" refuse an explicit 0.
	for _, c := range []struct {
		d     domain
		names []string
	}{
		{positive, []string{"sharpness", "h-flat", "h-col", "barrier", "barrier-flat", "transverse-sharp", "transverse-flat", "transverse-col", "eta", "temperature", "batch-size"}},
		{positiveInt, []string{"dim", "replicas", "steps"}},
		{atLeastZero, []string{"burn-in"}},
	} {
		if err := checkGiven(fs, set, c.d, c.names...); err != nil {
			return err
		}
	}
	spec.TransverseSharp, spec.TransverseFlat, spec.TransverseCol = *ts, *tf, *tc
	cfg := selection.Config{Seed: *seed, Landscape: spec, Dynamics: []escape.Dynamics{escape.Dynamics(*dyn)}, Eta: []float64{*eta}, Replicas: *replicas, Steps: *steps, BurnIn: *burnIn}
	switch escape.Dynamics(*dyn) {
	case selection.SGLD:
		cfg.Temperature = []float64{*temp}
		if set["batch-size"] {
			return usagef("--batch-size applies to the SGD kinds only")
		}
	default:
		cfg.BatchSize = []float64{*batch}
		if set["temperature"] {
			return usagef("--temperature applies to --dynamics sgld only")
		}
	}
	if err := cfg.Validate(); err != nil {
		return fieldFlagError(err, twowellRunFields)
	}
	if err := twowellCheckMemory(&lim, cfg, "--replicas"); err != nil {
		return err
	}
	release, err := claimOut(*out)
	if err != nil {
		return err
	}
	defer release()
	if err := runSelectionSweepInto(a, *out, cfg, sweep.Options{Workers: *workers, Version: version}, *quiet, "selection twowell run"); err != nil {
		return err
	}
	return fitAndPrint(a, *out, *out)
}

// runSelectionSweepInto runs the sweep cfg into dir with a progress bar.
func runSelectionSweepInto(a *app, dir string, cfg selection.Config, opt sweep.Options, quiet bool, label string) error {
	if err := selection.CheckFolder(dir, cfg, opt.Shard); err != nil {
		return err
	}
	var prog *progress
	opt.Progress = func(done, total int) {
		if prog == nil {
			prog = a.newProgress(label, total, quiet)
		}
		prog.Update(done, "")
	}
	start := time.Now()
	sum, err := selection.Sweep(dir, cfg, opt)
	prog.Done()
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "sweep %s: %d points × %d replicas of %d steps (%d resumed, %d simulated now in %.1f s)\n",
		cfg.Hash(), len(cfg.Points()), cfg.Replicas, cfg.Steps, sum.Resumed, sum.New, time.Since(start).Seconds())
	return nil
}

// fitAndPrint fits the sweep folder dir into out and prints a summary.
func fitAndPrint(a *app, dir, out string) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return fmt.Errorf("cannot create %s: %w", out, err)
	}
	rep, _, paths, err := selection.FitFolder(dir, out, version)
	if err != nil {
		return err
	}
	f := func(p *float64) string {
		if p == nil {
			return "—"
		}
		return fmt.Sprintf("%.4g", *p)
	}
	pair := func(v []any) string {
		s := make([]string, 2)
		for i, x := range v {
			if y, ok := x.(float64); ok {
				s[i] = fmt.Sprintf("%.4g", y)
			} else {
				s[i] = "∞"
			}
		}
		return "[" + s[0] + ", " + s[1] + "]"
	}
	fmt.Fprintf(a.stdout, "P(flat)/P(sharp) with 95%% CI; rates per unit time t = η·steps\n")
	for _, p := range rep.Points {
		par := fmt.Sprintf("D=%s", f(p.Temperature))
		theory := "Theorem 1 " + f(p.PredictedRatio)
		if p.BatchSize != nil {
			par = fmt.Sprintf("B=%s", f(p.BatchSize))
			theory = fmt.Sprintf("Theorem 2 %s (s=0) … %s (s=1), implied s %s", f(p.PredictedRatioS0), f(p.PredictedRatioS1), f(p.ImpliedS))
		}
		note := ""
		if !p.Equilibrated {
			note = "  NOT EQUILIBRATED (no transition one way)"
		}
		fmt.Fprintf(a.stdout, "%-20s %-9s η=%-6g ratio %s %s  exact %s  %s  γ(s→f) %s %s  γ(f→s) %s %s  %d transitions%s\n",
			p.Dynamics, par, p.Eta, f(p.OccupancyRatio), pair(p.OccupancyRatioCI), f(p.PredictedExact), theory,
			f(p.RateSharpToFlat), pair(p.RateSharpToFlatCI), f(p.RateFlatToSharp), pair(p.RateFlatToSharpCI), p.Transitions, note)
	}
	for _, ft := range rep.Fits {
		if ft.Slope == nil {
			fmt.Fprintf(a.stdout, "fit %s: %s\n", ft.Dynamics, ft.Note)
			continue
		}
		ci := "—"
		if ft.SlopeCI != nil {
			ci = fmt.Sprintf("[%.4g, %.4g]", ft.SlopeCI[0], ft.SlopeCI[1])
		}
		fmt.Fprintf(a.stdout, "fit %s: log ratio = %.4g + %.4g·%s, slope CI %s, r2 %s", ft.Dynamics, *ft.Intercept, *ft.Slope, ft.Against, ci, f(ft.R2))
		if ft.PredictedSlope != nil {
			fmt.Fprintf(a.stdout, "; Theorem 1: slope %s, intercept %s", f(ft.PredictedSlope), f(ft.PredictedIntercept))
		}
		if ft.PredictedSlopeS0 != nil {
			fmt.Fprintf(a.stdout, "; Theorem 2: slope %s (s=0) … %s (s=1), implied s %s", f(ft.PredictedSlopeS0), f(ft.PredictedSlopeS1), f(ft.ImpliedS))
		}
		fmt.Fprintln(a.stdout)
	}
	fmt.Fprintf(a.stdout, "wrote %s\n", strings.Join(paths, ", "))
	return nil
}

// runSelectionSweep implements 'sgn selection sweep'.
func runSelectionSweep(a *app, args []string) error {
	fs := a.newFlagSet("selection twowell sweep",
		"selection twowell sweep --config FILE|builtin:NAME --out DIR [--workers N] [--shard i/n]",
		`sgn selection twowell sweep --config builtin:twowell --workers 2 --out out/selection/sweep
sgn selection twowell sweep --config sel.json --out out/sel --shard $SLURM_ARRAY_TASK_ID/$SHARDS  # SHARDS fixed at submit, not SLURM_ARRAY_TASK_COUNT (1 for a one-index resubmit)`)
	cfgPath := fs.String("config", "", "selection config JSON `file` (schema: selection.Config; see sgn selection configs), or builtin:NAME (required)")
	out := fs.String("out", "", "output `folder` (required); with --shard i/n the shard goes to DIR-shard-i")
	workers := workersFlag(fs, "replicas in parallel")
	shardFlag := fs.String("shard", "", "run only shard `i/n` of the replicas (replica r of point p is in shard (p·replicas + r) mod n)")
	quiet := fs.Bool("quiet", false, "no progress on stderr")
	var lim limits
	lim.memoryFlag(fs, "replicas' bookkeeping (a task, then a record read back, per replica)")
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	if err := checkWorkers(*workers); err != nil {
		return err
	}
	if *cfgPath == "" || *out == "" {
		return usagef("--config FILE and --out DIR are required (see -h)")
	}
	var shard sweep.Shard
	if *shardFlag != "" {
		s, err := sweep.ParseShard(*shardFlag)
		if err != nil {
			return usagef("--shard: %v", err)
		}
		shard = s
	}
	cfg, err := selection.LoadConfig(*cfgPath)
	if err != nil {
		return configError("config", *cfgPath, err)
	}
	if err := twowellCheckMemory(&lim, cfg, "--config "+*cfgPath+": replicas"); err != nil {
		return err
	}
	dir := *out
	label := "selection twowell sweep"
	if shard.Count > 0 {
		dir = fmt.Sprintf("%s-shard-%d", strings.TrimRight(*out, "/"), shard.Index)
		label += " shard " + shard.String()
	}
	release, err := claimOut(dir)
	if err != nil {
		return err
	}
	defer release()
	if err := runSelectionSweepInto(a, dir, cfg, sweep.Options{Workers: *workers, Shard: shard, Version: version}, *quiet, label); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "wrote %s, %s\n", filepath.Join(dir, sweep.ConfigFile), filepath.Join(dir, sweep.RunsFile))
	return nil
}

// runSelectionMerge implements 'sgn selection merge'.
func runSelectionMerge(a *app, args []string) error {
	fs := a.newFlagSet("selection twowell merge", "selection twowell merge DIR... --out DIR", "sgn selection twowell merge out/sel-shard-* --out out/sel")
	out := fs.String("out", "", "output `folder` (required); replicas it already holds of the same sweep are kept")
	fs.Bool("quiet", false, "no progress (merge prints none)")
	dirs, release, err := mergeInputs(fs, args, out, "out/sel-shard-*")
	if err != nil {
		return err
	}
	defer release()
	sum, err := selection.Merge(*out, dirs, version)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "merged %d folders of sweep %s: %d of %d replicas\n", len(dirs), sum.Hash, sum.Runs, sum.Total)
	if sum.Runs < sum.Total {
		fmt.Fprintf(a.stdout, "%d replicas are missing: finish the shards, or simulate them with sgn selection twowell sweep --config FILE --out %s\n", sum.Total-sum.Runs, *out)
	}
	fmt.Fprintf(a.stdout, "wrote %s, %s\n", filepath.Join(*out, sweep.ConfigFile), filepath.Join(*out, sweep.RunsFile))
	return nil
}

// runSelectionFit implements 'sgn selection fit'.
func runSelectionFit(a *app, args []string) error {
	fs := a.newFlagSet("selection twowell fit", "selection twowell fit DIR [--out DIR2]", "sgn selection twowell fit out/selection/sweep --out out/selection")
	out := fs.String("out", "", "where to write selection.json, selection.csv and selection.png/.svg (default: the sweep folder)")
	fs.Bool("quiet", false, "no progress (fit prints none)")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("give one sweep folder (see -h)")
	}
	if *out == "" {
		*out = pos[0]
	}
	if err := checkSweepDirs(pos); err != nil {
		return err
	}
	release, err := claimOut(*out)
	if err != nil {
		return err
	}
	defer release()
	return fitAndPrint(a, pos[0], *out)
}

// runSelectionConfigs implements 'sgn selection configs'.
func runSelectionConfigs(a *app, args []string) error {
	fs := a.newFlagSet("selection twowell configs", "selection twowell configs [NAME]", "sgn selection twowell configs twowell > my.json")
	fs.Bool("quiet", false, "no progress (configs prints none)")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	switch len(pos) {
	case 0:
		for _, n := range selection.Builtins() {
			fmt.Fprintf(a.stdout, "builtin:%s\n", n)
		}
		return nil
	case 1:
		b, err := selection.BuiltinJSON(strings.TrimPrefix(pos[0], selection.BuiltinPrefix))
		if err != nil {
			return usagef("%v", err)
		}
		_, err = a.stdout.Write(b)
		return err
	}
	return usagef("give at most one config name (see -h)")
}

// runSelectionFigure implements 'sgn selection figure'.
func runSelectionFigure(a *app, args []string) error {
	fs := a.newFlagSet("selection twowell figure", "selection twowell figure --out DIR [--workers N] [--quick]", "sgn selection twowell figure --out out/selection --workers 2")
	out := fs.String("out", "", "output `folder` (required): the sweep in DIR/twowell, selection.json/.csv and selection.png/.svg in DIR")
	workers := workersFlag(fs, "replicas in parallel")
	quick := fs.Bool("quick", false, "a quick trial: 4 replicas, 1/40 of the steps, three values per list (folder DIR/twowell-quick)")
	quiet := fs.Bool("quiet", false, "no progress on stderr")
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	if err := checkWorkers(*workers); err != nil {
		return err
	}
	if *out == "" {
		return usagef("--out DIR is required (see -h)")
	}
	cfg, err := selection.LoadConfig(selection.BuiltinPrefix + "twowell")
	if err != nil {
		return err
	}
	release, err := claimOut(*out)
	if err != nil {
		return err
	}
	defer release()
	dir := filepath.Join(*out, "twowell")
	if *quick {
		cfg = selection.Quick(cfg)
		dir += "-quick"
	}
	if err := runSelectionSweepInto(a, dir, cfg, sweep.Options{Workers: *workers, Version: version}, *quiet, "selection twowell figure"); err != nil {
		return err
	}
	return fitAndPrint(a, dir, *out)
}

// twowellCheckMemory refuses a configuration whose replicas' bookkeeping
// (selection.SweepBytes) needs more than --max-memory; what names where the
// replicas were given.
func twowellCheckMemory(lim *limits, cfg selection.Config, what string) error {
	if err := lim.parse(); err != nil {
		return err
	}
	return lim.checkMemory(selection.SweepBytes(cfg), fmt.Sprintf("%s %d at %d points", what, cfg.Replicas, len(cfg.Points())), "lower the replicas")
}
