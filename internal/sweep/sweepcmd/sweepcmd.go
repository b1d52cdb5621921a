package sweepcmd

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/sgn-project/sgn/internal/cli"
	"github.com/sgn-project/sgn/internal/cputime"
	"github.com/sgn-project/sgn/internal/sweep"
)

// Env is what the subcommands take from the program that runs them.
type Env struct {
	// Stdout receives the help and the summaries, Stderr the progress and
	// notices.
	Stdout, Stderr io.Writer
	// Terminal reports whether Stderr is a terminal (a progress bar) or not
	// (plain progress lines).
	Terminal bool
	// Version is the program version recorded in the outputs.
	Version string
	// Claim takes an output folder for the life of the command and returns
	// its release (the program's lock of output folders).
	Claim func(dir string) (release func(), err error)
}

// Limiter bounds a sweep before anything runs: the family's limit flags
// (--max-memory, --max-params) parsed, then what a configuration needs
// (sweep.Experiment.Need) checked against them.
type Limiter interface {
	// Parse checks the limit flags' values.
	Parse() error
	// Check refuses a need beyond the limits; what names where the
	// configuration came from ("--config FILE"); mnist reports whether
	// --mnist was given.
	Check(n sweep.Need, what string, mnist bool) error
}

// Family is the command family of a sweep experiment (sgn escape, sgn
// selection twowell, sgn selection networks).
type Family[C any] struct {
	// Exp is the experiment the subcommands drive.
	Exp sweep.Experiment[C]
	// Path is the words after the program's name: "selection twowell".
	Path string
	// Example is the family's example (its help paragraph and the names
	// of its runs are the experiment's Describe).
	Example string
	// DefaultConfig is --config's default ("": the flag is required).
	DefaultConfig string
	// MNISTUsage is the help of the sweep's --mnist ("": no such flag, the
	// runs load no MNIST).
	MNISTUsage string
	// Limits registers the family's limit flags on the sweep's flag set.
	Limits func(fs *flag.FlagSet) Limiter
	// Extra are the family's own subcommands (its run), listed first.
	Extra []cli.Sub[Env]
}

// Run dispatches args to the family's subcommands.
func (f Family[C]) Run(e Env, args []string) error {
	d := f.Exp.Describe()
	subs := append([]cli.Sub[Env](nil), f.Extra...)
	subs = append(subs,
		cli.Sub[Env]{Name: "sweep", Summary: "compute a grid of points from a JSON config (resumable, shardable)", Run: f.sweep},
		cli.Sub[Env]{Name: "merge", Summary: "combine the shard folders of one sweep", Run: f.merge},
		cli.Sub[Env]{Name: "fit", Summary: d.Fit, Run: f.fit},
		cli.Sub[Env]{Name: "configs", Summary: "list the builtin configs, or print one (builtin:NAME works as --config)", Run: f.configs},
		cli.Sub[Env]{Name: "figure", Summary: d.Figure, Run: f.figure},
	)
	return cli.Group[Env]{Path: "sgn " + f.Path, About: d.About, Example: f.Example, Subs: subs}.Run(e, e.Stdout, args)
}

// flagSet returns the flag set of 'sgn PATH SUB'.
func (f Family[C]) flagSet(e Env, sub, synopsis, example string) *flag.FlagSet {
	return cli.NewFlagSet(e.Stdout, "sgn "+f.Path+" "+sub, "sgn "+f.Path+" "+sub+" "+synopsis, example)
}

// sweep implements 'sgn PATH sweep'.
func (f Family[C]) sweep(e Env, args []string) error {
	required := " (required)"
	if f.DefaultConfig != "" {
		required = ""
	}
	fs := f.flagSet(e, "sweep", "--config FILE|builtin:NAME --out DIR [--workers N] [--shard i/n]",
		fmt.Sprintf("sgn %s sweep --config builtin:%s --workers 2 --out out/sweep\nsgn %s sweep --config mine.json --out out/sweep --shard $SLURM_ARRAY_TASK_ID/$SHARDS", f.Path, f.Exp.Builtins()[0].Name, f.Path))
	cfgPath := fs.String("config", f.DefaultConfig, fmt.Sprintf("config JSON `file` (see sgn %s configs), or builtin:NAME%s", f.Path, required))
	out := fs.String("out", "", "output `folder` (required); with --shard i/n the shard goes to DIR-shard-i")
	workers := cli.WorkersFlag(fs, "the "+f.Exp.Describe().Units)
	shardFlag := fs.String("shard", "", fmt.Sprintf("compute only shard `i/n` of the %s (0 ≤ i < n; run r of point p is in shard (p·runs + r) mod n)", f.Exp.Describe().Units))
	mnist := new(string)
	if f.MNISTUsage != "" {
		mnist = fs.String("mnist", "", f.MNISTUsage)
	}
	quiet := fs.Bool("quiet", false, "no progress on stderr")
	lim := f.Limits(fs)
	if err := cli.Parse(fs, args, false); err != nil {
		return err
	}
	if *cfgPath == "" || *out == "" {
		return cli.Usagef("--config FILE and --out DIR are required (see -h)")
	}
	if err := cli.CheckWorkers(*workers); err != nil {
		return err
	}
	if err := lim.Parse(); err != nil {
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
	cfg, err := f.Exp.LoadConfig(*cfgPath)
	if err != nil {
		return configError(*cfgPath, err)
	}
	need, err := f.Exp.Need(cfg, *workers)
	if err != nil {
		return configError(*cfgPath, err)
	}
	if err := lim.Check(need, "--config "+*cfgPath, *mnist != ""); err != nil {
		return err
	}
	dir, label := *out, f.Path+" sweep"
	if shard.Count > 0 {
		dir = sweep.ShardDir(*out, shard.Index)
		label += " shard " + shard.String()
	}
	release, err := e.Claim(dir)
	if err != nil {
		return err
	}
	defer release()
	prog, end := cli.Runs(e.Stderr, e.Terminal, label, *quiet)
	rep, err := f.Exp.Sweep(dir, cfg, sweep.Options{Workers: *workers, Shard: shard, Version: e.Version, MNIST: *mnist, Progress: prog})
	end()
	if err != nil {
		return err
	}
	if err := rep.WriteText(e.Stdout); err != nil {
		return err
	}
	if shard.Count > 0 {
		fmt.Fprintf(e.Stdout, "when all %d shards are done: sgn %s merge --shards %d --out %s\n", shard.Count, f.Path, shard.Count, *out)
	} else {
		fmt.Fprintf(e.Stdout, "next: sgn %s fit %s\n", f.Path, dir)
	}
	return nil
}

// configError is the error of --config spec that could not be loaded: a
// builtin name that does not exist is a usage error, a file that is
// missing, unreadable or bad is the file's fault (not a usage error); the
// message names the file.
func configError(spec string, err error) error {
	if spec == "builtin" || strings.HasPrefix(spec, sweep.BuiltinPrefix) {
		return cli.Usagef("--config %s: %v", spec, err)
	}
	if !strings.Contains(err.Error(), spec) {
		return fmt.Errorf("--config %s: %w", spec, err)
	}
	return fmt.Errorf("--config: %w", err)
}

// merge implements 'sgn PATH merge'.
func (f Family[C]) merge(e Env, args []string) error {
	fs := f.flagSet(e, "merge", "DIR... --out DIR | --shards N --out DIR",
		fmt.Sprintf("sgn %s merge out/sweep-shard-* --out out/sweep\nsgn %s merge --shards 16 --out out/sweep", f.Path, f.Path))
	out := fs.String("out", "", fmt.Sprintf("output `folder` (required); %s it already holds of the same sweep are kept", f.Exp.Describe().Units))
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
		return cli.Usagef("give the sweep folders to merge, e.g. sgn %s merge out/sweep-shard-* --out out/sweep, or --shards N", f.Path)
	}
	if err := sweep.CheckDirs(dirs); err != nil {
		if *shards > 0 {
			return fmt.Errorf("--shards %d: %w (sgn %s sweep --shard I/%d --out %s writes shard I into %s)", *shards, err, f.Path, *shards, *out, strings.TrimSuffix(sweep.ShardDir(*out, 0), "0")+"I")
		}
		return err
	}
	release, err := e.Claim(*out)
	if err != nil {
		return err
	}
	defer release()
	sum, err := f.Exp.Merge(*out, dirs, e.Version)
	if err != nil {
		return err
	}
	folders := "folders"
	if len(dirs) == 1 {
		folders = "folder"
	}
	units := f.Exp.Describe().Units
	fmt.Fprintf(e.Stdout, "merged %d %s of sweep %s: %d of %d %s\n", len(dirs), folders, sum.Hash, sum.Runs, sum.Total, units)
	switch {
	case sum.Runs < sum.Total && len(sum.MissingShards) > 0:
		fmt.Fprintf(e.Stdout, "%d %s are missing: shard %s of the sweep's %d was not merged; merge all %d shard folders once they are done\n",
			sum.Total-sum.Runs, units, shardList(sum.MissingShards), sum.ShardCount, sum.ShardCount)
	case sum.Runs < sum.Total:
		fmt.Fprintf(e.Stdout, "%d %s are missing: finish the shards, or compute them with sgn %s sweep --config FILE --out %s\n", sum.Total-sum.Runs, units, f.Path, *out)
	}
	files := []string{filepath.Join(*out, sweep.ConfigFile), filepath.Join(*out, sweep.RunsFile)}
	for _, c := range sum.Copied {
		files = append(files, filepath.Join(*out, c))
	}
	fmt.Fprintf(e.Stdout, "wrote %s\n", strings.Join(files, ", "))
	return nil
}

// shardList writes shard indices as "0", "0 and 2" or "0, 1 and 3".
func shardList(idx []int) string {
	s := make([]string, len(idx))
	for i, v := range idx {
		s[i] = strconv.Itoa(v)
	}
	if len(s) == 1 {
		return s[0]
	}
	return strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
}

// fit implements 'sgn PATH fit'.
func (f Family[C]) fit(e Env, args []string) error {
	start := cputime.Start()
	fs := f.flagSet(e, "fit", "DIR [--out DIR]", fmt.Sprintf("sgn %s fit out/sweep --out out/fit", f.Path))
	out := fs.String("out", "", "output `folder` (default: the sweep folder)")
	quiet := fs.Bool("quiet", false, "no progress (fit prints none) and no notice")
	dir, err := cli.ParseOne(fs, args, fmt.Sprintf("one sweep folder, e.g. sgn %s fit out/sweep", f.Path))
	if err != nil {
		return err
	}
	if err := sweep.CheckDirs([]string{dir}); err != nil {
		return err
	}
	if *out == "" {
		*out = dir
	}
	release, err := e.Claim(*out)
	if err != nil {
		return err
	}
	defer release()
	res, err := f.Exp.Fit(dir, *out, e.Version, start)
	if len(res.Removed) > 0 && !*quiet {
		fmt.Fprintf(e.Stderr, "sgn %s fit: removed the earlier fit's %s from %s\n", f.Path, strings.Join(res.Removed, ", "), *out)
	}
	if err != nil {
		return err
	}
	if sh := res.Shard; sh.Count > 0 {
		fmt.Fprintf(e.Stderr, "note: %s holds shard %s only; merge the shards first for the whole sweep\n", dir, sh)
	}
	return res.WriteText(e.Stdout)
}

// configs implements 'sgn PATH configs'.
func (f Family[C]) configs(e Env, args []string) error {
	name := f.Exp.Builtins()[0].Name
	fs := f.flagSet(e, "configs", "[NAME] [--out DIR]",
		fmt.Sprintf("sgn %s configs\nsgn %s configs %s > mine.json\nsgn %s sweep --config builtin:%s --workers 2 --out out/sweep", f.Path, f.Path, name, f.Path, name))
	out := fs.String("out", "", "also write NAME.json into this `folder` (created if missing)")
	fs.Bool("quiet", false, "no progress (configs prints none)")
	names, err := cli.ParseInterleaved(fs, args)
	if err != nil {
		return err
	}
	switch len(names) {
	case 0:
		fmt.Fprintf(e.Stdout, "builtin configs (use as --config builtin:NAME; print one with sgn %s configs NAME):\n", f.Path)
		for _, b := range f.Exp.Builtins() {
			fmt.Fprintf(e.Stdout, "  %-22s %s\n", b.Name, b.Description)
		}
		return nil
	case 1:
		b, err := sweep.SaveBuiltin(f.Exp, *out, strings.TrimPrefix(names[0], sweep.BuiltinPrefix))
		if errors.Is(err, sweep.ErrNoBuiltin) {
			return cli.Usagef("%v", err)
		}
		if err != nil {
			return err
		}
		_, err = e.Stdout.Write(b)
		return err
	}
	return cli.Usagef("give one config name, e.g. sgn %s configs %s", f.Path, name)
}

// figure implements 'sgn PATH figure'.
func (f Family[C]) figure(e Env, args []string) error {
	start := cputime.Start()
	fs := f.flagSet(e, "figure", "--out DIR [--workers N] [--quick]", fmt.Sprintf("sgn %s figure --out out/%s --workers 2", f.Path, strings.ReplaceAll(f.Path, " ", "-")))
	out := fs.String("out", "", "output `folder` (required): "+f.Exp.Describe().FigureOut)
	workers := cli.WorkersFlag(fs, "the "+f.Exp.Describe().Units)
	quick := fs.Bool("quick", false, "a quick trial: fewer and shorter runs (folders NAME-quick)")
	quiet := fs.Bool("quiet", false, "no progress on stderr")
	if err := cli.Parse(fs, args, false); err != nil {
		return err
	}
	if *out == "" {
		return cli.Usagef("--out DIR is required (see -h)")
	}
	if err := cli.CheckWorkers(*workers); err != nil {
		return err
	}
	release, err := e.Claim(*out)
	if err != nil {
		return err
	}
	defer release()
	prog, end := cli.Stages(e.Stderr, e.Terminal, f.Path+" figure ", *quiet, nil)
	rep, err := f.Exp.Figure(*out, sweep.FigureOptions{Workers: *workers, Quick: *quick, Version: e.Version, Start: start, Progress: prog})
	end()
	if err != nil {
		return err
	}
	return rep.WriteText(e.Stdout)
}
