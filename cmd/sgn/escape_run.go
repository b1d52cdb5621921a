package main

import (
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/sgn-project/sgn/escape"
	"github.com/sgn-project/sgn/escape/kramers"
	"github.com/sgn-project/sgn/escape/network"
	"github.com/sgn-project/sgn/internal/cli"
	"github.com/sgn-project/sgn/model"
)

// escapeRunFlags are the flags of 'sgn escape run'.
type escapeRunFlags struct {
	spec                   escape.LandscapeSpec
	transverse             cli.FloatList
	layers, activation     *string
	mnist                  *string
	dataFile               *string
	minimizer              *string
	first, pool, maxIter   *int
	gdSteps, checkEvery    *int
	initSeed, seed         *uint64
	weightDecay, gdEta     *float64
	start                  *string
	gradTol, k, temp, eta  *float64
	batch, radius, delta   *float64
	dyn, crit, out         *string
	runs, workers          *int
	maxSteps               *int64
	quiet, match           *bool
	lim                    *limits
	set                    map[string]bool
	fs                     *flag.FlagSet
	networkOnly, gdOnly    []string
	analyticOnly, sgldOnly []string
}

// register defines the flags on fs.
func (f *escapeRunFlags) register(a *app, fs *flag.FlagSet) {
	f.fs = fs
	fs.StringVar(&f.spec.Name, "landscape", escape.DoubleWellName, "landscape: doublewell (ΔL(kx²−1)², n-D with --dim), styblinski-tang, or mlp (an MLP trained on MNIST to a minimum; dynamics sgd, sgd-gaussian, sgld, gd)")
	f.layers = fs.String("layers", "49,8,10", "mlp: widths, input (28/pool)² first, 10 classes last")
	f.activation = fs.String("activation", "tanh", "mlp: hidden activation, "+strings.Join(model.ActivationNames(), " or "))
	f.first = fs.Int("first", 1000, "mlp: train on the first N MNIST training images")
	f.mnist = fs.String("mnist", "", mnistUsage)
	f.pool = fs.Int("pool", 4, "mlp: average-pool the images pool×pool (1, 2 or 4)")
	f.dataFile = fs.String("data", "", "mlp: instead of MNIST, the arrays x (N×d features) and y (N labels) of this safetensors or .npz `file` (--first selects its first rows; all by default)")
	f.initSeed = fs.Uint64("init-seed", 1, "mlp: seed of the initialisation")
	f.start = fs.String("start", "", "mlp: a checkpoint `file` the minimiser starts from instead of the seeded initialisation (sgn minimum's minimum.safetensors: the runs start at that true minimum)")
	f.weightDecay = fs.Float64("weight-decay", 1e-3, "mlp: λ of the landscape L = cross-entropy + (λ/2)‖θ‖² (0: none; a network that fits every image then has no minimum)")
	f.minimizer = fs.String("minimizer", network.MinimizerLBFGS, "mlp: how θ₀ is found: lbfgs (L-BFGS, then Newton–CG on exact Hessian-vector products) or gd (fixed-step gradient descent)")
	f.gradTol = fs.Float64("grad-tol", 0, "mlp: target ‖∇L‖ at θ₀ (default 1e-6; gd 1e-4)")
	f.maxIter = fs.Int("max-iterations", 10000, "mlp, lbfgs: at most this many L-BFGS iterations")
	f.gdEta = fs.Float64("gd-eta", 0.5, "mlp, gd: step of the gradient descent to the minimum")
	f.gdSteps = fs.Int("gd-max-steps", 10000, "mlp, gd: at most this many gradient descent steps")
	f.checkEvery = fs.Int("check-every", 10, "mlp, loss criterion: evaluate the full-batch loss every this many steps")
	fs.Float64Var(&f.spec.Barrier, "barrier", 1, "barrier height ΔL = L(col) − L(minimum)")
	fs.IntVar(&f.spec.Dim, "dim", 1, "dimension n")
	fs.Var(&f.transverse, "transverse", "doublewell, dim > 1: curvatures of directions 2..n at the minimum for k = 1, comma-separated (one value: all; default 1)")
	fs.Float64Var(&f.spec.ColRatio, "col-ratio", 0, "doublewell, dim > 1: transverse curvature at the col over that at the minimum (default 1)")
	f.k = fs.Float64("sharpness", 1, "sharpness k: the reparametrisation θ → √k·θ multiplies the Hessian at the minimum by k, keeps ΔL")
	f.dyn = fs.String("dynamics", "", "dynamics: sgld (θ ← θ − η∇L + √(2ηD)ξ), sgd-diffusion (noise covariance η²|H(θ)|/B) or gd (no noise); mlp: sgd, sgd-gaussian, sgld or gd (required)")
	f.temp = fs.Float64("temperature", 0.15, "SGLD diffusion coefficient D (sgld only)")
	cli.Deprecate(fs, a.stderr, "escape run", "D", "temperature")
	f.match = fs.Bool("match-noise", false, "sgld: instead of --temperature, D = η·tr C(θ₀)/(2n), the noise power of SGD with --batch-size B at the minimum (C = |H(a)|/B on an analytic landscape as sgd-diffusion, Σ(θ₀)/B on mlp); tr C and D are reported")
	f.eta = fs.Float64("eta", 1e-3, "learning rate (step size) η")
	f.batch = fs.Float64("batch-size", 1, "batch size B (sgd-diffusion: of the noise covariance C = |H|/B; mlp: sgd, sgd-gaussian)")
	f.runs = fs.Int("runs", 1000, "number of runs, all started at the minimum")
	f.maxSteps = fs.Int64("max-steps", 10_000_000, "step limit: runs not escaped by then are right-censored")
	f.crit = fs.String("criterion", escape.CriterionCol, "escape criterion: col (crossed the col, halfway to the other minimum), distance (|θ − a| ≥ --radius) or loss (L ≥ L(a) + --delta; the default for mlp)")
	f.radius = fs.Float64("radius", 0, "distance criterion: radius r in units of θ")
	f.delta = fs.Float64("delta", 0, "loss criterion: δ")
	f.seed = fs.Uint64("seed", 1, "seed; run r uses the PCG seed RunSeed(seed, 0, r), recorded in runs.jsonl")
	f.workers = cli.WorkersFlag(fs, "the runs")
	f.out = fs.String("out", "", "output `folder` (required; created if missing)")
	f.quiet = fs.Bool("quiet", false, "no progress on stderr")
	f.lim = limitFlags(fs, "buffers (mlp: the samples, the minimum's Hessian and curvature, sgd-gaussian's N×P gradients, the replicas)")
	f.networkOnly = []string{"layers", "activation", "first", "mnist", "pool", "data", "init-seed", "start", "weight-decay", "minimizer", "grad-tol", "max-iterations", "gd-eta", "gd-max-steps", "check-every"}
	f.analyticOnly = []string{"barrier", "dim", "transverse", "col-ratio"}
}

// escapeRunFields maps the configuration fields that the flags of 'sgn
// escape run' set (kramers.Config, LandscapeSpec, NetworkSpec, Criterion) to
// the flags, for fieldFlagError.
var escapeRunFields = map[string]string{
	"barrier": "barrier", "dim": "dim", "transverse": "transverse", "col_ratio": "col-ratio",
	"radius": "radius", "delta": "delta", "criterion": "criterion", "layers": "layers", "pool": "pool", "first": "first", "data": "data",
	"weight_decay": "weight-decay", "start": "start", "minimizer": "minimizer", "grad_tol": "grad-tol", "max_iterations": "max-iterations",
	"gd_eta": "gd-eta", "gd_max_steps": "gd-max-steps", "check_every": "check-every", "batch_size": "batch-size",
	"eta": "eta", "sharpness": "sharpness", "runs": "runs", "max_steps": "max-steps", "temperature": "temperature",
}

// config checks the flags against each other and returns the one-point
// configuration they describe.
func (f *escapeRunFlags) config() (kramers.Config, error) {
	if *f.out == "" {
		return kramers.Config{}, cli.Usagef("--out DIR is required (see -h)")
	}
	if *f.dyn == "" {
		return kramers.Config{}, cli.Usagef("--dynamics is required: sgld, sgd-diffusion or gd (mlp: sgd, sgd-gaussian, sgld or gd)")
	}
	if err := cli.CheckWorkers(*f.workers); err != nil {
		return kramers.Config{}, err
	}
	mlp := f.spec.Name == "mlp"
	crit := *f.crit
	if mlp && !f.set["criterion"] {
		crit = escape.CriterionLoss
	}
	// Every flag given applies to the landscape, criterion and dimension
	// given; the numbers whose 0 means "the default" refuse an explicit 0.
	if err := cli.First(
		cli.Only(f.set, mlp, "--landscape mlp", f.networkOnly...),
		cli.Only(f.set, !mlp, "analytic landscapes", f.analyticOnly...),
		cli.CheckGiven(f.fs, f.set, cli.Positive, "barrier", "sharpness", "eta", "temperature", "batch-size", "col-ratio", "transverse", "grad-tol", "gd-eta", "radius", "delta"),
		cli.CheckGiven(f.fs, f.set, cli.PositiveInt, "runs", "max-steps", "dim", "pool", "first", "max-iterations", "gd-max-steps", "check-every"),
		cli.CheckGiven(f.fs, f.set, cli.NonNegative, "weight-decay"),
		cli.Only(f.set, crit == escape.CriterionDistance, "--criterion distance", "radius"),
		cli.Only(f.set, crit == escape.CriterionLoss, "--criterion loss", "delta"),
		cli.Only(f.set, mlp || f.spec.Dim > 1, "--dim > 1", "transverse", "col-ratio"),
	); err != nil {
		return kramers.Config{}, err
	}
	dyn, err := escape.ParseDynamics(*f.dyn)
	if err != nil {
		return kramers.Config{}, cli.Usagef("--dynamics: %v", err)
	}
	if *f.match {
		switch {
		case dyn != escape.SGLD:
			return kramers.Config{}, cli.Usagef("--match-noise sets the temperature of --dynamics sgld, not %s", dyn)
		case f.set["temperature"]:
			return kramers.Config{}, cli.Usagef("--match-noise and --temperature both set D: give one")
		case !f.set["batch-size"]:
			return kramers.Config{}, cli.Usagef("--match-noise needs --batch-size B, the batch size of the SGD whose noise SGLD matches")
		}
	}
	if err := cli.First(
		cli.Only(f.set, dyn.UsesTemperature(), "--dynamics sgld", "temperature"),
		cli.Only(f.set, dyn.UsesBatch() || *f.match, "--dynamics "+strings.Join(escape.BatchDynamics(), ", "), "batch-size"),
	); err != nil {
		return kramers.Config{}, err
	}
	cfg := kramers.Config{Seed: *f.seed, Dynamics: []escape.Dynamics{dyn}, Sharpness: []float64{*f.k}, Eta: []float64{*f.eta},
		Runs: *f.runs, MaxSteps: *f.maxSteps, Criterion: escape.Criterion{Kind: *f.crit, Radius: *f.radius, Delta: *f.delta}}
	if dyn.UsesBatch() {
		cfg.BatchSize = []float64{*f.batch}
	}
	if dyn.UsesTemperature() {
		cfg.Temperature = []float64{*f.temp}
	}
	if !mlp {
		f.spec.Transverse = f.transverse
		cfg.Landscape = f.spec
		return cfg, nil
	}
	return f.networkConfig(cfg)
}

// networkConfig completes cfg with the network of the flags.
func (f *escapeRunFlags) networkConfig(cfg kramers.Config) (kramers.Config, error) {
	ls, err := model.ParseLayers(*f.layers)
	if err != nil {
		return cfg, cli.Usagef("--%v", err)
	}
	act, err := model.ParseActivation(*f.activation)
	if err != nil {
		return cfg, cli.Usagef("--activation: %v", err)
	}
	if err := (model.Config{Layers: ls, Activation: act}).Validate(); err != nil {
		return cfg, cli.Usagef("--%v", err)
	}
	net := network.Spec{Layers: ls, Activation: act, InitSeed: *f.initSeed, Start: *f.start, Pool: *f.pool, First: *f.first,
		WeightDecay: *f.weightDecay, Minimizer: *f.minimizer, GradTol: *f.gradTol, CheckEvery: *f.checkEvery}
	if *f.dataFile != "" {
		switch {
		case f.set["pool"]:
			return cfg, cli.Usagef("--pool and --data: a data file holds its features as they are (leave --pool out)")
		case f.set["mnist"]:
			return cfg, cli.Usagef("--mnist and --data: give one source of samples")
		}
		net.Data, net.Pool = *f.dataFile, 0
		if !f.set["first"] {
			net.First = 0 // every row of the file
		}
	}
	gd := *f.minimizer == network.MinimizerGD
	if err := cli.First(cli.Only(f.set, !gd, "--minimizer lbfgs", "max-iterations"), cli.Only(f.set, gd, "--minimizer gd", "gd-eta", "gd-max-steps")); err != nil {
		return cfg, err
	}
	if gd {
		net.GDEta, net.GDMaxSteps = *f.gdEta, *f.gdSteps
	} else {
		net.MaxIterations = *f.maxIter
	}
	cfg.Network = &net
	if !f.set["criterion"] {
		cfg.Criterion.Kind = escape.CriterionLoss
	}
	if cfg.Criterion.Kind == escape.CriterionLoss && !f.set["delta"] {
		return cfg, cli.Usagef("--delta δ is required with the loss criterion: escaped when L ≥ L(θ₀) + δ (e.g. --delta 0.05)")
	}
	return cfg, nil
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
	var f escapeRunFlags
	f.register(a, fs)
	if err := cli.Parse(fs, args, false); err != nil {
		return err
	}
	f.set = cli.Given(fs)
	cfg, err := f.config()
	if err != nil {
		return err
	}
	if err := checkEscapeLimits(f.lim, cfg, "--layers", *f.workers); err != nil {
		return err
	}
	release, err := claimOut(*f.out)
	if err != nil {
		return err
	}
	defer release()
	prog, end := cli.Runs(a.stderr, a.isTerminal, "escape run", *f.quiet)
	var match float64
	if *f.match {
		match = *f.batch
	}
	res, err := kramers.RunOne(*f.out, cfg, kramers.RunOptions{Workers: *f.workers, Version: version, MNIST: *f.mnist, MatchNoise: match,
		Progress: prog,
		Removed: func(names []string) {
			if !*f.quiet {
				fmt.Fprintf(a.stderr, "sgn escape run: removed the earlier run's %s from %s\n", strings.Join(names, ", "), *f.out)
			}
		}})
	end()
	if errors.Is(err, kramers.ErrConfig) {
		return fieldFlagError(err, escapeRunFields)
	}
	if err != nil {
		return err
	}
	return res.WriteText(a.stdout)
}
