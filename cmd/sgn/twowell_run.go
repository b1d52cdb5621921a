package main

import (
	"flag"

	"github.com/sgn-project/sgn/escape"
	"github.com/sgn-project/sgn/escape/selection"
	"github.com/sgn-project/sgn/internal/cli"
	"github.com/sgn-project/sgn/internal/cputime"
	"github.com/sgn-project/sgn/internal/sweep"
)

// landscapeFlags registers the twowell flags on fs.
func landscapeFlags(fs *flag.FlagSet, s *escape.TwoWellSpec) (ts, tf, tc *cli.FloatList) {
	fs.IntVar(&s.Dim, "dim", 1, "dimension n (θ₁ is the escape coordinate)")
	fs.Float64Var(&s.Sharpness, "sharpness", 2, "k = h₁/h₂ ≥ 1: the sharp valley's curvature over the flat one's, along θ₁")
	fs.Float64Var(&s.HFlat, "h-flat", 1, "h₂: the flat valley's curvature along θ₁")
	fs.Float64Var(&s.HCol, "h-col", 0, "|h_b| ≤ h₂: minus the col's curvature along θ₁ (default h₂/2)")
	fs.Float64Var(&s.Barrier, "barrier", 0.02, "ΔL₁ = L(col) − L(sharp minimum)")
	fs.Float64Var(&s.BarrierFlat, "barrier-flat", 0, "ΔL₂ = L(col) − L(flat minimum) (default: --barrier)")
	ts, tf, tc = &cli.FloatList{}, &cli.FloatList{}, &cli.FloatList{}
	fs.Var(ts, "transverse-sharp", "dim > 1: curvatures of θ₂…θₙ at the sharp minimum, comma-separated (one value: all; default k·h₂)")
	fs.Var(tf, "transverse-flat", "dim > 1: the same at the flat minimum (default h₂)")
	fs.Var(tc, "transverse-col", "dim > 1: the same at the col (default h₂)")
	return
}

// runSelectionRun implements 'sgn selection run'.
func runSelectionRun(a *app, args []string) error {
	start := cputime.Start()
	fs := a.newFlagSet("selection twowell run",
		"selection twowell run --dynamics sgld|sgd-diffusion-finite-sum|sgd|sgd-diffusion-abs-h [--temperature D | --batch-size B] [--eta η] [landscape flags] [--replicas R] [--steps S] [--burn-in N] --out DIR",
		`sgn selection twowell run --dynamics sgld --barrier 0.02 --temperature 0.004 --eta 0.05 --out out/sel-sgld
sgn selection twowell run --dynamics sgd --barrier 0.02 --batch-size 4 --eta 0.05 --replicas 16 --steps 4000000 --out out/sel-sgd`)
	var rs selection.RunSettings
	ts, tf, tc := landscapeFlags(fs, &rs.Landscape)
	fs.StringVar(&rs.Dynamics, "dynamics", "", "sgld (θ ← θ − η∇L + √(2ηD)ξ), sgd-diffusion-finite-sum (Gaussian noise of covariance η²S(θ)/B, S ≈ H near the minima, never 0), sgd (minibatch SGD on the finite sum), or sgd-diffusion-abs-h (noise η²|H(θ)|/B) (required)")
	fs.Float64Var(&rs.Temperature, "temperature", 0.004, "SGLD diffusion D (sgld only)")
	fs.Float64Var(&rs.Eta, "eta", 0.05, "learning rate η")
	fs.Float64Var(&rs.BatchSize, "batch-size", 1, "batch size B (SGD kinds; sgd: an integer)")
	fs.IntVar(&rs.Replicas, "replicas", 16, "independent trajectories (at least 2: the occupancy interval comes from their spread)")
	fs.Int64Var(&rs.Steps, "steps", 4_000_000, "measured steps per trajectory")
	fs.Int64Var(&rs.BurnIn, "burn-in", 200_000, "steps before the measured ones")
	fs.Uint64Var(&rs.Seed, "seed", 1, "sweep seed; replica r uses seed.Derive(seed, 0, r), recorded in runs.jsonl")
	o := outputFlags(fs, "replicas in parallel", "output `folder` (required): config.json, runs.jsonl, selection.json/.csv, selection.png/.svg (a figure from two points on; one point is the table printed and selection.csv)")
	var lim limits
	lim.memoryFlag(fs, "replicas' bookkeeping (a task, then a record read back, per replica)")
	if err := o.parse(fs, args); err != nil {
		return err
	}
	rs.Landscape.TransverseSharp, rs.Landscape.TransverseFlat, rs.Landscape.TransverseCol = *ts, *tf, *tc
	rs.Given = given(fs)
	cfg, err := rs.Check()
	if err != nil {
		return fieldFlagError(err, fs)
	}
	need, _ := selection.Experiment{}.Need(cfg, o.workers)
	need.What = "--" + need.What // --replicas R at 1 points
	if err := (needLimits{&lim, "", "lower the replicas"}).Check(need, "--replicas", false); err != nil {
		return err
	}
	release, err := claimOut(o.out)
	if err != nil {
		return err
	}
	defer release()
	prog, end := cli.Runs(a.stderr, a.isTerminal, "selection twowell run", o.quiet)
	rep, err := selection.RunOne(o.out, cfg, sweep.Options{Workers: o.workers, Version: version, Progress: prog}, start)
	end()
	if err != nil {
		return err
	}
	return rep.WriteText(a.stdout)
}
