package main

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/sgn-project/sgn/internal/cli"
	"github.com/sgn-project/sgn/internal/sweep"
)

// family is the command family of a sweep experiment (sgn escape, sgn
// selection twowell, sgn selection networks): its subcommands sweep, merge,
// fit, configs and figure are built from the experiment's
// sweep.Experiment, with one spelling of every flag, plus the family's own
// (run).
type family[C any] struct {
	exp     sweep.Experiment[C]
	path    string // the words after sgn: "selection twowell"
	about   string // the family's help paragraph
	example string // the family's help example
	units   string // what the runs are called: "runs", "replicas"
	// defaultConfig is --config's default ("": the flag is required).
	defaultConfig string
	// mnist: the sweep takes --mnist (its runs load MNIST); params: the
	// sweep takes --max-params as well as --max-memory, whose help says
	// memory.
	mnist, params bool
	memory        string
	// check refuses, before anything runs, a configuration beyond the
	// limits (or, mnistSet, one that takes no --mnist); what names where
	// the configuration came from.
	check func(lim *limits, cfg C, what string, workers int, mnistSet bool) error
	// fitSummary, figureSummary and figureOut describe fit and figure in
	// the help.
	fitSummary, figureSummary, figureOut string
	// extra are the family's own subcommands (its run), listed first.
	extra []cli.Sub[*app]
}

// run dispatches to the family's subcommands.
func (f family[C]) run(a *app, args []string) error {
	subs := append([]cli.Sub[*app](nil), f.extra...)
	subs = append(subs,
		cli.Sub[*app]{Name: "sweep", Summary: "compute a grid of points from a JSON config (resumable, shardable)", Run: f.sweep},
		cli.Sub[*app]{Name: "merge", Summary: "combine the shard folders of one sweep", Run: f.merge},
		cli.Sub[*app]{Name: "fit", Summary: f.fitSummary, Run: f.fit},
		cli.Sub[*app]{Name: "configs", Summary: "list the builtin configs, or print one (builtin:NAME works as --config)", Run: f.configs},
		cli.Sub[*app]{Name: "figure", Summary: f.figureSummary, Run: f.figure},
	)
	return cli.Group[*app]{Path: "sgn " + f.path, About: f.about, Example: f.example, Subs: subs}.Run(a, a.stdout, args)
}

// sweep implements 'sgn FAMILY sweep'.
func (f family[C]) sweep(a *app, args []string) error {
	required := " (required)"
	if f.defaultConfig != "" {
		required = ""
	}
	fs := a.newFlagSet(f.path+" sweep", f.path+" sweep --config FILE|builtin:NAME --out DIR [--workers N] [--shard i/n]",
		fmt.Sprintf("sgn %s sweep --config builtin:%s --workers 2 --out out/sweep\nsgn %s sweep --config mine.json --out out/sweep --shard $SLURM_ARRAY_TASK_ID/$SHARDS", f.path, f.exp.Builtins()[0].Name, f.path))
	cfgPath := fs.String("config", f.defaultConfig, fmt.Sprintf("config JSON `file` (see sgn %s configs), or builtin:NAME%s", f.path, required))
	out := fs.String("out", "", "output `folder` (required); with --shard i/n the shard goes to DIR-shard-i")
	workers := workersFlag(fs, "the "+f.units)
	shardFlag := fs.String("shard", "", fmt.Sprintf("compute only shard `i/n` of the %s (0 ≤ i < n; run r of point p is in shard (p·runs + r) mod n)", f.units))
	mnist := new(string)
	if f.mnist {
		mnist = fs.String("mnist", "", mnistUsage)
	}
	quiet := fs.Bool("quiet", false, "no progress on stderr")
	lim := &limits{}
	if lim.memoryFlag(fs, f.memory); f.params {
		lim.paramsFlag(fs)
	}
	if err := cli.Parse(fs, args, false); err != nil {
		return err
	}
	if *cfgPath == "" || *out == "" {
		return cli.Usagef("--config FILE and --out DIR are required (see -h)")
	}
	if err := checkWorkers(*workers); err != nil {
		return err
	}
	if err := lim.parse(); err != nil {
		return err
	}
	var shard sweep.Shard
	if *shardFlag != "" {
		s, err := sweep.ParseShard(*shardFlag)
		if err != nil {
			return cli.Usagef("--shard: %v", err)
		}
		shard = s
	}
	cfg, err := f.exp.LoadConfig(*cfgPath)
	if err != nil {
		return configError("config", *cfgPath, err)
	}
	if err := f.check(lim, cfg, "--config "+*cfgPath, *workers, *mnist != ""); err != nil {
		return err
	}
	dir, label := *out, f.path+" sweep"
	if shard.Count > 0 {
		dir = sweep.ShardDir(*out, shard.Index)
		label += " shard " + shard.String()
	}
	release, err := claimOut(dir)
	if err != nil {
		return err
	}
	defer release()
	prog, end := cli.Runs(a.stderr, a.isTerminal, label, *quiet)
	rep, err := f.exp.Sweep(dir, cfg, sweep.Options{Workers: *workers, Shard: shard, Version: version, MNIST: *mnist, Progress: prog})
	end()
	if err != nil {
		return err
	}
	if err := rep.WriteText(a.stdout); err != nil {
		return err
	}
	if shard.Count > 0 {
		fmt.Fprintf(a.stdout, "when all %d shards are done: sgn %s merge --shards %d --out %s\n", shard.Count, f.path, shard.Count, *out)
	} else {
		fmt.Fprintf(a.stdout, "next: sgn %s fit %s\n", f.path, dir)
	}
	return nil
}

// merge implements 'sgn FAMILY merge'.
func (f family[C]) merge(a *app, args []string) error {
	fs := a.newFlagSet(f.path+" merge", f.path+" merge DIR... --out DIR | --shards N --out DIR",
		fmt.Sprintf("sgn %s merge out/sweep-shard-* --out out/sweep\nsgn %s merge --shards 16 --out out/sweep", f.path, f.path))
	out := fs.String("out", "", fmt.Sprintf("output `folder` (required); %s it already holds of the same sweep are kept", f.units))
	shards := fs.Int("shards", 0, "merge the `N` shard folders OUT-shard-0 … OUT-shard-(N−1) of sweep --shard i/N into --out, instead of folders listed")
	fs.Bool("quiet", false, "no progress (merge prints none)")
	dirs, err := cli.ParseInterleaved(fs, args)
	if err != nil {
		return err
	}
	switch {
	case *out == "":
		return cli.Usagef("--out DIR is required (see -h)")
	case *shards < 0 || (*shards > 0 && len(dirs) > 0):
		return cli.Usagef("--shards %d: want the number of shards (≥ 1) instead of folders listed", *shards)
	case *shards > 0:
		for i := 0; i < *shards; i++ {
			dirs = append(dirs, sweep.ShardDir(*out, i))
		}
	case len(dirs) == 0:
		return cli.Usagef("give the sweep folders to merge, e.g. sgn %s merge out/sweep-shard-* --out out/sweep, or --shards N", f.path)
	}
	if err := sweep.CheckDirs(dirs); err != nil {
		return err
	}
	release, err := claimOut(*out)
	if err != nil {
		return err
	}
	defer release()
	sum, err := f.exp.Merge(*out, dirs, version)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "merged %d folders of sweep %s: %d of %d %s\n", len(dirs), sum.Hash, sum.Runs, sum.Total, f.units)
	if sum.Runs < sum.Total {
		fmt.Fprintf(a.stdout, "%d %s are missing: finish the shards, or compute them with sgn %s sweep --config FILE --out %s\n", sum.Total-sum.Runs, f.units, f.path, *out)
	}
	files := []string{filepath.Join(*out, sweep.ConfigFile), filepath.Join(*out, sweep.RunsFile)}
	for _, c := range sum.Copied {
		files = append(files, filepath.Join(*out, c))
	}
	fmt.Fprintf(a.stdout, "wrote %s\n", strings.Join(files, ", "))
	return nil
}

// fit implements 'sgn FAMILY fit'.
func (f family[C]) fit(a *app, args []string) error {
	fs := a.newFlagSet(f.path+" fit", f.path+" fit DIR [--out DIR]", fmt.Sprintf("sgn %s fit out/sweep --out out/fit", f.path))
	out := fs.String("out", "", "output `folder` (default: the sweep folder)")
	quiet := fs.Bool("quiet", false, "no progress (fit prints none) and no notice")
	dirs, err := cli.ParseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(dirs) != 1 {
		return cli.Usagef("give one sweep folder, e.g. sgn %s fit out/sweep", f.path)
	}
	if err := sweep.CheckDirs(dirs); err != nil {
		return err
	}
	if *out == "" {
		*out = dirs[0]
	}
	release, err := claimOut(*out)
	if err != nil {
		return err
	}
	defer release()
	res, err := f.exp.Fit(dirs[0], *out, version)
	if len(res.Removed) > 0 && !*quiet {
		fmt.Fprintf(a.stderr, "sgn %s fit: removed the earlier fit's %s from %s\n", f.path, strings.Join(res.Removed, ", "), *out)
	}
	if err != nil {
		return err
	}
	if sh := res.Shard; sh.Count > 0 {
		fmt.Fprintf(a.stderr, "note: %s holds shard %s only; merge the shards first for the whole sweep\n", dirs[0], sh)
	}
	return res.WriteText(a.stdout)
}

// configs implements 'sgn FAMILY configs'.
func (f family[C]) configs(a *app, args []string) error {
	name := f.exp.Builtins()[0].Name
	fs := a.newFlagSet(f.path+" configs", f.path+" configs [NAME] [--out DIR]",
		fmt.Sprintf("sgn %s configs\nsgn %s configs %s > mine.json\nsgn %s sweep --config builtin:%s --workers 2 --out out/sweep", f.path, f.path, name, f.path, name))
	out := fs.String("out", "", "also write NAME.json into this `folder` (created if missing)")
	fs.Bool("quiet", false, "no progress (configs prints none)")
	names, err := cli.ParseInterleaved(fs, args)
	if err != nil {
		return err
	}
	switch len(names) {
	case 0:
		fmt.Fprintf(a.stdout, "builtin configs (use as --config builtin:NAME; print one with sgn %s configs NAME):\n", f.path)
		for _, b := range f.exp.Builtins() {
			fmt.Fprintf(a.stdout, "  %-22s %s\n", b.Name, b.Description)
		}
		return nil
	case 1:
		b, err := sweep.SaveBuiltin(f.exp, *out, strings.TrimPrefix(names[0], sweep.BuiltinPrefix))
		if errors.Is(err, sweep.ErrNoBuiltin) {
			return cli.Usagef("%v", err)
		}
		if err != nil {
			return err
		}
		_, err = a.stdout.Write(b)
		return err
	}
	return cli.Usagef("give one config name, e.g. sgn %s configs %s", f.path, name)
}

// figure implements 'sgn FAMILY figure'.
func (f family[C]) figure(a *app, args []string) error {
	fs := a.newFlagSet(f.path+" figure", f.path+" figure --out DIR [--workers N] [--quick]", fmt.Sprintf("sgn %s figure --out out/%s --workers 2", f.path, strings.ReplaceAll(f.path, " ", "-")))
	out := fs.String("out", "", "output `folder` (required): "+f.figureOut)
	workers := workersFlag(fs, "the "+f.units)
	quick := fs.Bool("quick", false, "a quick trial: fewer and shorter runs (folders NAME-quick)")
	quiet := fs.Bool("quiet", false, "no progress on stderr")
	if err := cli.Parse(fs, args, false); err != nil {
		return err
	}
	if *out == "" {
		return cli.Usagef("--out DIR is required (see -h)")
	}
	if err := checkWorkers(*workers); err != nil {
		return err
	}
	release, err := claimOut(*out)
	if err != nil {
		return err
	}
	defer release()
	prog, end := cli.Stages(a.stderr, a.isTerminal, f.path+" figure ", *quiet, nil)
	rep, err := f.exp.Figure(*out, sweep.FigureOptions{Workers: *workers, Quick: *quick, Version: version, Progress: prog})
	end()
	if err != nil {
		return err
	}
	return rep.WriteText(a.stdout)
}
