package main

import (
	"fmt"
	"strings"

	"github.com/sgn-project/sgn/escape/kramers"
	"github.com/sgn-project/sgn/escape/network"
	"github.com/sgn-project/sgn/escape/selection"
	"github.com/sgn-project/sgn/escape/sharpness"
	"github.com/sgn-project/sgn/internal/cli"
	"github.com/sgn-project/sgn/model"
)

// The sweep experiments and their command families: one entry each, the
// subcommands built by family (experiment.go).

// escapeFamily is 'sgn escape': escape times from the minimum of an
// analytic landscape or an MLP against Kramers' theory (escape/kramers).
var escapeFamily = family[kramers.Config]{
	exp:  kramers.Experiment{},
	path: "escape",
	about: `Escape times of SGD and SGLD from the minimum of an analytic landscape or
of an MLP trained on MNIST, against Kramers' theory (Theorem 1: SGLD;
Theorem 2: SGD).`,
	example:       "sgn escape run --dynamics sgld --temperature 0.15 --eta 1e-3 --runs 1000 --out out/esc1",
	units:         "runs",
	mnist:         true,
	params:        true,
	memory:        "buffers (network sweeps: the samples, the minimum's Hessian and curvature, sgd-gaussian's N×P gradients, the replicas)",
	check:         checkEscapeSweep,
	fitSummary:    "rates per point and −log γ against 1/k, B, 1/η (SGD) and log k, 1/D (SGLD)",
	figureSummary: "run the builtin configs of the six-panel figure, fit them and draw it",
	figureOut:     "one sweep folder per panel, escape-figure.png/.svg, figure.json",
	extra:         []cli.Sub[*app]{{Name: "run", Summary: "simulate the runs of one point: escape rate, 95% interval, prediction", Run: runEscapeRun}},
}

// runEscape implements 'sgn escape'.
func runEscape(a *app, args []string) error { return escapeFamily.run(a, args) }

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
var twowellFamily = family[selection.Config]{
	exp:  selection.Experiment{},
	path: "selection twowell",
	about: `Minima selection on the two-valley landscape twowell: long trajectories of
sgld, sgd-diffusion-finite-sum and minibatch sgd cross back and forth between a sharp
and a flat valley; measured are the occupancy ratio P(flat)/P(sharp) and the
transition rates each way, beside Theorem 1 (SGLD) and Theorem 2 (SGD).`,
	example:       "sgn selection twowell figure --out out/selection",
	units:         "replicas",
	memory:        "replicas' bookkeeping (a task, then a record read back, per replica)",
	check:         checkTwowellSweep,
	fitSummary:    "selection.json, selection.csv and the figure from a sweep folder",
	figureSummary: "run the builtin config and fit it (what make selection-figure does)",
	figureOut:     "the sweep in DIR/twowell, selection.json/.csv and selection.png/.svg in DIR",
	extra:         []cli.Sub[*app]{{Name: "run", Summary: "simulate one point into a folder and fit it", Run: runSelectionRun}},
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
var networksFamily = family[sharpness.Config]{
	exp:  sharpness.Experiment{},
	path: "selection networks",
	about: `How sharp is the minimum SGD finds? Training runs over a grid of batch size B
and learning rate η from one initialisation on one data selection; each run
ends with λmax(H) (Lanczos), tr H (exact for small P, Hutchinson otherwise),
‖∇L‖ and train/test loss and accuracy. Runs shard, merge and resume like the
escape sweeps.`,
	example:       "sgn selection networks sweep --workers 2 --out out/selection/networks\nsgn selection networks fit out/selection/networks --out out/selection",
	units:         "training runs",
	defaultConfig: "builtin",
	mnist:         true,
	params:        true,
	memory:        "buffers (the images, and per concurrent run its training and the Hessian of its minimum)",
	check:         checkNetworksSweep,
	fitSummary:    "log λmax and log tr H against log(η/B): selection-networks.json, CSV, figures",
	figureSummary: "train the builtin sweep into DIR/networks and fit it into DIR",
	figureOut:     "the sweep in DIR/networks, selection-networks.json/.csv and the figures in DIR",
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
