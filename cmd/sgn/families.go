package main

import (
	"flag"

	"github.com/sgn-project/sgn/escape/kramers"
	"github.com/sgn-project/sgn/escape/selection"
	"github.com/sgn-project/sgn/escape/sharpness"
	"github.com/sgn-project/sgn/internal/cli"
	"github.com/sgn-project/sgn/internal/sweep"
	"github.com/sgn-project/sgn/internal/sweep/sweepcmd"
)

// The sweep experiments and their command families: one entry each, the
// subcommands built by sweepcmd.Family.

// env is what the families' subcommands take from a.
func (a *app) env() sweepcmd.Env {
	return sweepcmd.Env{Stdout: a.stdout, Stderr: a.stderr, Terminal: a.isTerminal, Version: version, Claim: claimOut}
}

// needLimits are the limit flags of a family or a one-point run, checked
// against what a configuration needs (sweep.Experiment.Need): params names
// the command whose library builds models within model.DefaultMaxParams
// (with --max-params; none without); lower, what to lower for less memory.
type needLimits struct {
	lim           *limits
	params, lower string
}

// sweepLimits registers --max-memory (memory: which buffers it bounds)
// and, with params, --max-params on a sweep's or a one-point run's flags.
func sweepLimits(memory, params, lower string) func(fs *flag.FlagSet) sweepcmd.Limiter {
	return func(fs *flag.FlagSet) sweepcmd.Limiter {
		l := needLimits{&limits{}, params, lower}
		if l.lim.memoryFlag(fs, memory); params != "" {
			l.lim.paramsFlag(fs)
		}
		return l
	}
}

func (l needLimits) Parse() error { return l.lim.parse() }

// Check refuses --mnist where the runs read no MNIST, a model beyond
// --max-params (what names where it was given) and a need beyond
// --max-memory.
func (l needLimits) Check(n sweep.Need, what string, mnist bool) error {
	if mnist && !n.MNIST {
		return cli.Usagef("--mnist applies to network sweeps only (a config with \"network\")")
	}
	if err := l.lim.parse(); err != nil {
		return err
	}
	if l.params != "" {
		if err := l.lim.checkLibraryParams(l.params); err != nil {
			return err
		}
		if n.Model != nil {
			if err := n.Model.CheckSize(l.lim.params()); err != nil {
				return cli.Usagef("%s: model %v (raise --max-params to allow it)", what, err)
			}
		}
	}
	return l.lim.checkMemory(n.Bytes, n.What, l.lower)
}

// escapeFamily is 'sgn escape': escape times from the minimum of an
// analytic landscape or an MLP against Kramers' theory (escape/kramers).
func (a *app) escapeFamily() sweepcmd.Family[kramers.Config] {
	return sweepcmd.Family[kramers.Config]{
		Exp:        kramers.Experiment{},
		Path:       "escape",
		Example:    "sgn escape run --dynamics sgld --temperature 0.15 --eta 1e-3 --runs 1000 --out out/esc1",
		MNISTUsage: mnistUsage,
		Limits:     sweepLimits("buffers (network sweeps: the samples, the minimum's Hessian and curvature, sgd-gaussian's N×P gradients, the replicas)", "escape", escapeLower),
		Extra:      []cli.Sub[sweepcmd.Env]{{Name: "run", Summary: "simulate the runs of one point: escape rate, 95% interval, prediction", Run: func(_ sweepcmd.Env, args []string) error { return runEscapeRun(a, args) }}},
	}
}

// runEscape implements 'sgn escape'.
func runEscape(a *app, args []string) error { return a.escapeFamily().Run(a.env(), args) }

// escapeLower is what to lower for less memory in an escape sweep or run.
const escapeLower = "lower --runs, the images (--first), --batch-size, --workers or the network, or avoid sgd-gaussian (it holds the N×P per-sample gradients)"

// twowellFamily is 'sgn selection twowell': minima selection between a
// sharp and a flat valley (escape/selection).
func (a *app) twowellFamily() sweepcmd.Family[selection.Config] {
	return sweepcmd.Family[selection.Config]{
		Exp:     selection.Experiment{},
		Path:    "selection twowell",
		Example: "sgn selection twowell figure --out out/selection",
		Limits:  sweepLimits("replicas' bookkeeping (a task, then a record read back, per replica)", "", "lower the replicas"),
		Extra:   []cli.Sub[sweepcmd.Env]{{Name: "run", Summary: "simulate one point into a folder and fit it", Run: func(_ sweepcmd.Env, args []string) error { return runSelectionRun(a, args) }}},
	}
}

// networksFamily is 'sgn selection networks': training sweeps over (B, η)
// and the sharpness of the minima they reach (escape/sharpness).
func (a *app) networksFamily() sweepcmd.Family[sharpness.Config] {
	return sweepcmd.Family[sharpness.Config]{
		Exp:           sharpness.Experiment{},
		Path:          "selection networks",
		Example:       "sgn selection networks sweep --workers 2 --out out/selection/networks\nsgn selection networks fit out/selection/networks --out out/selection",
		DefaultConfig: "builtin",
		MNISTUsage:    mnistUsage,
		Limits:        sweepLimits("buffers (the images, and per concurrent run its training and the Hessian of its minimum)", "selection networks", "lower --workers, train_first or the model"),
	}
}

// runSelection implements 'sgn selection': does SGD select flat minima?
// Each setting of the experiment is a subcommand group.
func runSelection(a *app, args []string) error {
	return cli.Group[*app]{
		Path: "sgn selection",
		About: `Minima selection: does SGD favour flat minima, and how strongly, against batch
size and learning rate (Xie, Sato & Sugiyama, ICLR 2021)?`,
		Example: "sgn selection twowell figure --out out/selection",
		Subs: []cli.Sub[*app]{
			{Name: "twowell", Summary: "long trajectories between a sharp and a flat valley of an analytic landscape: occupancy ratio and rates against Theorems 1 and 2", Run: func(a *app, args []string) error { return a.twowellFamily().Run(a.env(), args) }},
			{Name: "networks", Summary: "training sweeps over (B, η) on MNIST: the sharpness of the minima reached", Run: func(a *app, args []string) error { return a.networksFamily().Run(a.env(), args) }},
		},
	}.Run(a, a.stdout, args)
}
