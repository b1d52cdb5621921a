package main

import (
	"flag"
	"fmt"
	"strings"

	"github.com/sgn-project/sgn/escape/kramers"
	"github.com/sgn-project/sgn/escape/network"
	"github.com/sgn-project/sgn/escape/selection"
	"github.com/sgn-project/sgn/escape/sharpness"
	"github.com/sgn-project/sgn/internal/cli"
	"github.com/sgn-project/sgn/internal/sweep/sweepcmd"
	"github.com/sgn-project/sgn/model"
)

// The sweep experiments and their command families: one entry each, the
// subcommands built by sweepcmd.Family.

// env is what the families' subcommands take from a.
func (a *app) env() sweepcmd.Env {
	return sweepcmd.Env{Stdout: a.stdout, Stderr: a.stderr, Terminal: a.isTerminal, Version: version, Claim: claimOut,
		ConfigError: func(spec string, err error) error { return configError("config", spec, err) }}
}

// limiter is a family's check of its configurations against the limit
// flags, as a sweepcmd.Limiter.
type limiter[C any] struct {
	lim   *limits
	check func(lim *limits, cfg C, what string, workers int, mnistSet bool) error
}

func (l limiter[C]) Parse() error { return l.lim.parse() }

func (l limiter[C]) Check(cfg C, what string, workers int, mnistSet bool) error {
	return l.check(l.lim, cfg, what, workers, mnistSet)
}

// limitsFlags registers --max-memory (whose help says memory) and, with
// params, --max-params on a sweep's flag set, checked by check.
func limitsFlags[C any](memory string, params bool, check func(*limits, C, string, int, bool) error) func(fs *flag.FlagSet) sweepcmd.Limiter[C] {
	return func(fs *flag.FlagSet) sweepcmd.Limiter[C] {
		lim := &limits{}
		if lim.memoryFlag(fs, memory); params {
			lim.paramsFlag(fs)
		}
		return limiter[C]{lim, check}
	}
}

// sub is a subcommand of a family run by a.
func (a *app) sub(name, summary string, run func(*app, []string) error) cli.Sub[sweepcmd.Env] {
	return cli.Sub[sweepcmd.Env]{Name: name, Summary: summary, Run: func(_ sweepcmd.Env, args []string) error { return run(a, args) }}
}

// escapeFamily is 'sgn escape': escape times from the minimum of an
// analytic landscape or an MLP against Kramers' theory (escape/kramers).
func (a *app) escapeFamily() sweepcmd.Family[kramers.Config] {
	return sweepcmd.Family[kramers.Config]{
		Exp:  kramers.Experiment{},
		Path: "escape",
		About: `Escape times of SGD and SGLD from the minimum of an analytic landscape or
of an MLP trained on MNIST, against Kramers' theory (Theorem 1: SGLD;
Theorem 2: SGD).`,
		Example:       "sgn escape run --dynamics sgld --temperature 0.15 --eta 1e-3 --runs 1000 --out out/esc1",
		Units:         "runs",
		MNISTUsage:    mnistUsage,
		Limits:        limitsFlags("buffers (network sweeps: the samples, the minimum's Hessian and curvature, sgd-gaussian's N×P gradients, the replicas)", true, checkEscapeSweep),
		FitSummary:    "rates per point and −log γ against 1/k, B, 1/η (SGD) and log k, 1/D (SGLD)",
		FigureSummary: "run the builtin configs of the six-panel figure, fit them and draw it",
		FigureOut:     "one sweep folder per panel, escape-figure.png/.svg, figure.json",
		Extra:         []cli.Sub[sweepcmd.Env]{a.sub("run", "simulate the runs of one point: escape rate, 95% interval, prediction", runEscapeRun)},
	}
}

// runEscape implements 'sgn escape'.
func runEscape(a *app, args []string) error { return a.escapeFamily().Run(a.env(), args) }

// checkEscapeSweep checks a sweep's configuration against the limits
// (checkEscapeLimits) and refuses --mnist for an analytic landscape.
func checkEscapeSweep(lim *limits, cfg kramers.Config, what string, workers int, mnistSet bool) error {
	if cfg.Network == nil && mnistSet {
		return cli.Usagef("--mnist applies to network sweeps only (a config with \"network\")")
	}
	return checkEscapeLimits(lim, cfg, what, workers)
}

// checkEscapeLimits checks a configuration against --max-params (a
// network given by what, a flag or the config file) and its memory against
// --max-memory before anything is simulated: the bookkeeping of its runs
// (kramers.RunsBytes) and, on a network, the samples, the minimum and the
// replicas (network.MemoryNeed).
func checkEscapeLimits(lim *limits, cfg kramers.Config, what string, workers int) error {
	if err := lim.parse(); err != nil {
		return err
	}
	if err := lim.checkLibraryParams("escape"); err != nil {
		return err
	}
	need := kramers.RunsBytes(cfg)
	desc := fmt.Sprintf("%d runs per point", cfg.Runs)
	if net := cfg.Network; net != nil {
		if err := lim.checkModel(model.Config{Layers: net.Layers, Activation: net.Activation}, what); err != nil {
			return err
		}
		b, err := network.MemoryNeed(*net, cfg.Dynamics, workers)
		if err != nil {
			return cli.Usagef("%s: %v", what, err)
		}
		need += b + kramers.NetworkBatchBytes(cfg, workers)
		desc += fmt.Sprintf(" on the network %v with %d workers (dynamics %v, batch sizes %v)", net.Layers, workers, cfg.Dynamics, cfg.BatchSize)
	}
	return lim.checkMemory(need, desc, "lower --runs, the images (--first), --batch-size, --workers or the network, or avoid sgd-gaussian (it holds the N×P per-sample gradients)")
}

// twowellFamily is 'sgn selection twowell': minima selection between a
// sharp and a flat valley (escape/selection).
func (a *app) twowellFamily() sweepcmd.Family[selection.Config] {
	return sweepcmd.Family[selection.Config]{
		Exp:  selection.Experiment{},
		Path: "selection twowell",
		About: `Minima selection on the two-valley landscape twowell: long trajectories of
sgld, sgd-diffusion-finite-sum and minibatch sgd cross back and forth between a sharp
and a flat valley; measured are the occupancy ratio P(flat)/P(sharp) and the
transition rates each way, beside Theorem 1 (SGLD) and Theorem 2 (SGD).`,
		Example:       "sgn selection twowell figure --out out/selection",
		Units:         "replicas",
		Limits:        limitsFlags("replicas' bookkeeping (a task, then a record read back, per replica)", false, checkTwowellSweep),
		FitSummary:    "selection.json, selection.csv and the figure from a sweep folder",
		FigureSummary: "run the builtin config and fit it (what make selection-figure does)",
		FigureOut:     "the sweep in DIR/twowell, selection.json/.csv and selection.png/.svg in DIR",
		Extra:         []cli.Sub[sweepcmd.Env]{a.sub("run", "simulate one point into a folder and fit it", runSelectionRun)},
	}
}

// checkTwowellSweep checks a sweep's replicas against --max-memory.
func checkTwowellSweep(lim *limits, cfg selection.Config, what string, _ int, _ bool) error {
	return twowellCheckMemory(lim, cfg, what+": replicas")
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

// networksFamily is 'sgn selection networks': training sweeps over (B, η)
// and the sharpness of the minima they reach (escape/sharpness).
func (a *app) networksFamily() sweepcmd.Family[sharpness.Config] {
	return sweepcmd.Family[sharpness.Config]{
		Exp:  sharpness.Experiment{},
		Path: "selection networks",
		About: `How sharp is the minimum SGD finds? Training runs over a grid of batch size B
and learning rate η from one initialisation on one data selection; each run
ends with λmax(H) (Lanczos), tr H (exact for small P, Hutchinson otherwise),
‖∇L‖ and train/test loss and accuracy. Runs shard, merge and resume like the
escape sweeps.`,
		Example:       "sgn selection networks sweep --workers 2 --out out/selection/networks\nsgn selection networks fit out/selection/networks --out out/selection",
		Units:         "training runs",
		DefaultConfig: "builtin",
		MNISTUsage:    mnistUsage,
		Limits:        limitsFlags("buffers (the images, and per concurrent run its training and the Hessian of its minimum)", true, checkNetworksSweep),
		FitSummary:    "log λmax and log tr H against log(η/B): selection-networks.json, CSV, figures",
		FigureSummary: "train the builtin sweep into DIR/networks and fit it into DIR",
		FigureOut:     "the sweep in DIR/networks, selection-networks.json/.csv and the figures in DIR",
	}
}

// checkNetworksSweep checks a sweep's model against --max-params and its
// concurrent runs against --max-memory.
func checkNetworksSweep(lim *limits, cfg sharpness.Config, what string, workers int, _ bool) error {
	if err := lim.checkLibraryParams("selection networks"); err != nil {
		return err
	}
	if err := lim.checkModel(cfg.Model, what+": model"); err != nil {
		return err
	}
	need, err := cfg.MemoryNeed(workers)
	if err != nil {
		return configError("config", strings.TrimPrefix(what, "--config "), err)
	}
	return lim.checkMemory(need, fmt.Sprintf("%d runs at a time of the model %v", workers, cfg.Model.Layers),
		"lower --workers, train_first or the model")
}
