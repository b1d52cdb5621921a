package main

// The one-point commands of the sweep families: sgn escape run and sgn
// selection twowell run.

import (
	"errors"
	"flag"
	"strings"

	"github.com/sgn-project/sgn/escape"
	"github.com/sgn-project/sgn/escape/kramers"
	"github.com/sgn-project/sgn/escape/network"
	"github.com/sgn-project/sgn/escape/selection"
	"github.com/sgn-project/sgn/internal/cli"
	"github.com/sgn-project/sgn/internal/cputime"
	"github.com/sgn-project/sgn/internal/sweep"
	"github.com/sgn-project/sgn/model"
)

// escapeRunFlags registers the flags of 'sgn escape run' on fs into s (the
// rules between them are kramers.RunSettings.Check); the strings of
// --layers and --activation are parsed by runEscapeRun.
func escapeRunFlags(a *app, fs *flag.FlagSet, s *kramers.RunSettings) (layers, activation *string) {
	net := &s.Network
	fs.StringVar(&s.Landscape.Name, "landscape", escape.DoubleWellName, "landscape: doublewell (ΔL(kx²−1)², n-D with --dim), styblinski-tang, or mlp (an MLP trained on MNIST to a minimum; dynamics sgd, sgd-gaussian, sgld, gd)")
	layers = fs.String("layers", "49,8,10", "mlp: widths, input (28/pool)² first, 10 classes last")
	activation = fs.String("activation", "tanh", "mlp: hidden activation, "+strings.Join(model.ActivationNames(), " or "))
	fs.IntVar(&net.First, "first", 1000, "mlp: train on the first N MNIST training images")
	fs.String("mnist", "", mnistUsage)
	fs.IntVar(&net.Pool, "pool", 4, "mlp: average-pool the images pool×pool (1, 2 or 4)")
	fs.StringVar(&net.Data, "data", "", "mlp: instead of MNIST, the arrays x (N×d features) and y (N labels) of this safetensors or .npz `file` (--first selects its first rows; all by default)")
	fs.Uint64Var(&net.InitSeed, "init-seed", 1, "mlp: seed of the initialisation")
	fs.StringVar(&net.Start, "start", "", "mlp: a checkpoint `file` the minimiser starts from instead of the seeded initialisation (sgn minimum's minimum.safetensors: the runs start at that true minimum)")
	fs.Float64Var(&net.WeightDecay, "weight-decay", 1e-3, "mlp: λ of the landscape L = cross-entropy + (λ/2)‖θ‖² (0: none; a network that fits every image then has no minimum)")
	fs.StringVar(&net.Minimizer, "minimizer", network.MinimizerLBFGS, "mlp: how θ₀ is found: lbfgs (L-BFGS, then Newton–CG on exact Hessian-vector products) or gd (fixed-step gradient descent)")
	fs.Float64Var(&net.GradTol, "grad-tol", 0, "mlp: target ‖∇L‖ at θ₀ (default 1e-6; gd 1e-4)")
	fs.IntVar(&net.MaxIterations, "max-iterations", 10000, "mlp, lbfgs: at most this many L-BFGS iterations")
	fs.Float64Var(&net.GDEta, "gd-eta", 0.5, "mlp, gd: step of the gradient descent to the minimum")
	fs.IntVar(&net.GDMaxSteps, "gd-max-steps", 10000, "mlp, gd: at most this many gradient descent steps")
	fs.IntVar(&net.CheckEvery, "check-every", 10, "mlp, loss criterion: evaluate the full-batch loss every this many steps")
	fs.Float64Var(&s.Landscape.Barrier, "barrier", 1, "barrier height ΔL = L(col) − L(minimum)")
	fs.IntVar(&s.Landscape.Dim, "dim", 1, "dimension n")
	fs.Var((*cli.FloatList)(&s.Landscape.Transverse), "transverse", "doublewell, dim > 1: curvatures of directions 2..n at the minimum for k = 1, comma-separated (one value: all; default 1)")
	fs.Float64Var(&s.Landscape.ColRatio, "col-ratio", 0, "doublewell, dim > 1: transverse curvature at the col over that at the minimum (default 1)")
	fs.Float64Var(&s.Sharpness, "sharpness", 1, "sharpness k: the reparametrisation θ → √k·θ multiplies the Hessian at the minimum by k, keeps ΔL")
	fs.StringVar(&s.Dynamics, "dynamics", "", "dynamics: sgld (θ ← θ − η∇L + √(2ηD)ξ), sgd-diffusion (noise covariance η²|H(θ)|/B) or gd (no noise); mlp: sgd, sgd-gaussian, sgld or gd (required)")
	fs.Float64Var(&s.Temperature, "temperature", 0.15, "SGLD diffusion coefficient D (sgld only)")
	cli.Deprecate(fs, a.stderr, "escape run", "D", "temperature")
	fs.BoolVar(&s.MatchNoise, "match-noise", false, "sgld: instead of --temperature, D = η·tr C(θ₀)/(2n), the noise power of SGD with --batch-size B at the minimum (C = |H(a)|/B on an analytic landscape as sgd-diffusion, Σ(θ₀)/B on mlp); tr C and D are reported")
	fs.Float64Var(&s.Eta, "eta", 1e-3, "learning rate (step size) η")
	fs.Float64Var(&s.BatchSize, "batch-size", 1, "batch size B (sgd-diffusion: of the noise covariance C = |H|/B; mlp: sgd, sgd-gaussian)")
	fs.IntVar(&s.Runs, "runs", 1000, "number of runs, all started at the minimum")
	fs.Int64Var(&s.MaxSteps, "max-steps", 10_000_000, "step limit: runs not escaped by then are right-censored")
	fs.StringVar(&s.Criterion.Kind, "criterion", escape.CriterionCol, "escape criterion: col (crossed the col, halfway to the other minimum), distance (|θ − a| ≥ --radius) or loss (L ≥ L(a) + --delta; the default for mlp)")
	fs.Float64Var(&s.Criterion.Radius, "radius", 0, "distance criterion: radius r in units of θ")
	fs.Float64Var(&s.Criterion.Delta, "delta", 0, "loss criterion: δ")
	fs.Uint64Var(&s.Seed, "seed", 1, "seed; run r uses the PCG seed RunSeed(seed, 0, r), recorded in runs.jsonl")
	return layers, activation
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
	var s kramers.RunSettings
	layers, activation := escapeRunFlags(a, fs, &s)
	o := outputFlags(fs, "the runs", "output `folder` (required; created if missing)")
	lim := sweepLimits("buffers (mlp: the samples, the minimum's Hessian and curvature, sgd-gaussian's N×P gradients, the replicas)", "escape", escapeLower)(fs)
	if err := o.parse(fs, args); err != nil {
		return err
	}
	s.Given.Set, s.Given.Name = cli.GivenFields(fs)
	if s.Landscape.Name == "mlp" {
		c, err := model.ParseConfig(*layers, *activation)
		if err != nil {
			return cli.Usagef("--%v", err)
		}
		s.Network.Layers, s.Network.Activation = c.Layers, c.Activation
	}
	cfg, err := s.Check()
	if err != nil {
		return fieldFlagError(err, fs)
	}
	need, err := kramers.Experiment{}.Need(cfg, o.workers)
	if err != nil {
		return cli.Usagef("--layers: %v", err)
	}
	return a.runPoint("escape run", o, lim.Check(need, "--layers", false), func(prog func(done, total int)) (sweep.Report, error) {
		res, err := kramers.RunOne(o.out, cfg, kramers.RunOptions{Workers: o.workers, Version: version, MNIST: fs.Lookup("mnist").Value.String(), MatchNoise: s.MatchBatch(),
			Progress: prog, Removed: a.removed("escape run", o.out, o.quiet)})
		if errors.Is(err, kramers.ErrConfig) {
			return nil, fieldFlagError(err, fs)
		}
		return res, err
	})
}

// landscapeFlags registers the twowell flags on fs.
func landscapeFlags(fs *flag.FlagSet, s *escape.TwoWellSpec) {
	fs.IntVar(&s.Dim, "dim", 1, "dimension n (θ₁ is the escape coordinate)")
	fs.Float64Var(&s.Sharpness, "sharpness", 2, "k = h₁/h₂ ≥ 1: the sharp valley's curvature over the flat one's, along θ₁")
	fs.Float64Var(&s.HFlat, "h-flat", 1, "h₂: the flat valley's curvature along θ₁")
	fs.Float64Var(&s.HCol, "h-col", 0, "|h_b| ≤ h₂: minus the col's curvature along θ₁ (default h₂/2)")
	fs.Float64Var(&s.Barrier, "barrier", 0.02, "ΔL₁ = L(col) − L(sharp minimum)")
	fs.Float64Var(&s.BarrierFlat, "barrier-flat", 0, "ΔL₂ = L(col) − L(flat minimum) (default: --barrier)")
	fs.Var((*cli.FloatList)(&s.TransverseSharp), "transverse-sharp", "dim > 1: curvatures of θ₂…θₙ at the sharp minimum, comma-separated (one value: all; default k·h₂)")
	fs.Var((*cli.FloatList)(&s.TransverseFlat), "transverse-flat", "dim > 1: the same at the flat minimum (default h₂)")
	fs.Var((*cli.FloatList)(&s.TransverseCol), "transverse-col", "dim > 1: the same at the col (default h₂)")
}

// runSelectionRun implements 'sgn selection run'.
func runSelectionRun(a *app, args []string) error {
	start := cputime.Start()
	fs := a.newFlagSet("selection twowell run",
		"selection twowell run --dynamics sgld|sgd-diffusion-finite-sum|sgd|sgd-diffusion-abs-h [--temperature D | --batch-size B] [--eta η] [landscape flags] [--replicas R] [--steps S] [--burn-in N] --out DIR",
		`sgn selection twowell run --dynamics sgld --barrier 0.02 --temperature 0.004 --eta 0.05 --out out/sel-sgld
sgn selection twowell run --dynamics sgd --barrier 0.02 --batch-size 4 --eta 0.05 --replicas 16 --steps 4000000 --out out/sel-sgd`)
	var rs selection.RunSettings
	landscapeFlags(fs, &rs.Landscape)
	fs.StringVar(&rs.Dynamics, "dynamics", "", "sgld (θ ← θ − η∇L + √(2ηD)ξ), sgd-diffusion-finite-sum (Gaussian noise of covariance η²S(θ)/B, S ≈ H near the minima, never 0), sgd (minibatch SGD on the finite sum), or sgd-diffusion-abs-h (noise η²|H(θ)|/B) (required)")
	fs.Float64Var(&rs.Temperature, "temperature", 0.004, "SGLD diffusion D (sgld only)")
	fs.Float64Var(&rs.Eta, "eta", 0.05, "learning rate η")
	fs.Float64Var(&rs.BatchSize, "batch-size", 1, "batch size B (SGD kinds; sgd: an integer)")
	fs.IntVar(&rs.Replicas, "replicas", 16, "independent trajectories (at least 2: the occupancy interval comes from their spread)")
	fs.Int64Var(&rs.Steps, "steps", 4_000_000, "measured steps per trajectory")
	fs.Int64Var(&rs.BurnIn, "burn-in", 200_000, "steps before the measured ones")
	fs.Uint64Var(&rs.Seed, "seed", 1, "sweep seed; replica r uses seed.Derive(seed, 0, r), recorded in runs.jsonl")
	o := outputFlags(fs, "replicas in parallel", "output `folder` (required): config.json, runs.jsonl, selection.json/.csv, selection.png/.svg (a figure from two points on; one point is the table printed and selection.csv)")
	lim := sweepLimits("replicas' bookkeeping (a task, then a record read back, per replica)", "", "lower the replicas")(fs)
	if err := o.parse(fs, args); err != nil {
		return err
	}
	rs.Given.Set, rs.Given.Name = cli.GivenFields(fs)
	cfg, err := rs.Check()
	if err != nil {
		return fieldFlagError(err, fs)
	}
	need, _ := selection.Experiment{}.Need(cfg, o.workers)
	need.What = "--" + need.What // --replicas R at 1 points
	return a.runPoint("selection twowell run", o, lim.Check(need, "--replicas", false), func(prog func(done, total int)) (sweep.Report, error) {
		return selection.RunOne(o.out, cfg, sweep.Options{Workers: o.workers, Version: version, Progress: prog}, start)
	})
}

// runPoint is the end of the one-point command cmd: check, the last check
// of its settings, returned if not nil; else its folder o.out claimed, run
// with the progress of its runs, and its report printed as the summary.
func (a *app) runPoint(cmd string, o *outFlags, check error, run func(progress func(done, total int)) (sweep.Report, error)) error {
	release, err := claimAfter(check, o.out)
	if err != nil {
		return err
	}
	defer release()
	prog, end := cli.Runs(a.stderr, a.isTerminal, cmd, o.quiet)
	rep, err := run(prog)
	end()
	if err != nil {
		return err
	}
	return rep.WriteText(a.stdout)
}

// fieldFlagError names the flag of an invalid configuration field that a
// flag of fs sets (the JSON name col_ratio is the flag --col-ratio): "--flag
// detail". Other errors keep their message. Both are usage errors.
func fieldFlagError(err error, fs *flag.FlagSet) error {
	var fe *escape.FieldError
	if errors.As(err, &fe) {
		if name := strings.ReplaceAll(fe.Field, "_", "-"); fs.Lookup(name) != nil {
			return cli.Usagef("--%s %s", name, fe.Detail)
		}
	}
	return cli.Usagef("%v", err)
}
