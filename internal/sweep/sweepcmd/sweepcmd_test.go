package sweepcmd

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sgn-project/sgn/internal/cli"
	"github.com/sgn-project/sgn/internal/cputime"
	"github.com/sgn-project/sgn/internal/sweep"
)

// fake is an experiment whose configuration is a number of runs and whose
// steps record what they were asked.
type fake struct{ calls *[]string }

type text string

func (t text) WriteText(w io.Writer) error { _, err := fmt.Fprintln(w, string(t)); return err }

func (fake) Builtins() []sweep.Builtin {
	return []sweep.Builtin{{Name: "small", Description: "two runs"}}
}

func (fake) BuiltinJSON(name string) ([]byte, error) {
	if name != "small" {
		return nil, fmt.Errorf("%q: want small", name)
	}
	return []byte("{\"runs\": 2}\n"), nil
}

func (fake) LoadConfig(spec string) (int, error) {
	if spec == "builtin:small" {
		return 2, nil
	}
	return 0, fmt.Errorf("%s: no such file", spec)
}

func (f fake) Sweep(dir string, cfg int, opt sweep.Options) (sweep.Report, error) {
	*f.calls = append(*f.calls, fmt.Sprintf("sweep %s %d workers=%d shard=%s", dir, cfg, opt.Workers, opt.Shard))
	return text("swept"), nil
}

func (f fake) Merge(out string, inputs []string, version string) (sweep.MergeSummary, error) {
	*f.calls = append(*f.calls, fmt.Sprintf("merge %s %s", out, strings.Join(inputs, ",")))
	if len(inputs) == 1 { // shard 0 of 2 alone
		return sweep.MergeSummary{Runs: 1, Total: 2, Hash: "h", ShardCount: 2, MissingShards: []int{1}}, nil
	}
	return sweep.MergeSummary{Runs: 1, Total: 2, Hash: "h"}, nil
}

func (f fake) Fit(dir, out, version string, start cputime.Clock) (sweep.Fitted, error) {
	*f.calls = append(*f.calls, fmt.Sprintf("fit %s %s started=%v", dir, out, !start.IsZero()))
	return sweep.Fitted{Report: text("fitted"), Removed: []string{"old.json"}}, nil
}

func (f fake) Figure(out string, opt sweep.FigureOptions) (sweep.Report, error) {
	*f.calls = append(*f.calls, fmt.Sprintf("figure %s quick=%v started=%v", out, opt.Quick, !opt.Start.IsZero()))
	return text("drawn"), nil
}

// Need is a byte per run.
func (fake) Need(cfg int, _ int) (sweep.Need, error) {
	return sweep.Need{Bytes: float64(cfg), What: fmt.Sprintf("%d runs", cfg)}, nil
}

// Describe names the runs.
func (fake) Describe() sweep.Description {
	return sweep.Description{About: "A toy.", Units: "runs", Fit: "fit it", Figure: "draw it", FigureOut: "the figure"}
}

// maxRuns is a limit flag --max-runs.
type maxRuns struct{ n *int }

func (m maxRuns) Parse() error {
	if *m.n < 0 {
		return cli.Usagef("--max-runs %d: want ≥ 0", *m.n)
	}
	return nil
}

func (m maxRuns) Check(n sweep.Need, what string, _ bool) error {
	if int(n.Bytes) > *m.n {
		return cli.Usagef("%s: %s, more than --max-runs %d", what, n.What, *m.n)
	}
	return nil
}

// family runs the fake family and returns the error, stdout, stderr, the
// steps called and the folders claimed.
func family(args ...string) (err error, stdout, stderr string, calls, claimed []string) {
	var out, errb bytes.Buffer
	f := Family[int]{Exp: fake{&calls}, Path: "toy", MNISTUsage: "MNIST `folder`",
		Limits: func(fs *flag.FlagSet) Limiter { return maxRuns{fs.Int("max-runs", 10, "at most `N` runs")} }}
	e := Env{Stdout: &out, Stderr: &errb, Version: "test",
		Claim: func(dir string) (func(), error) { claimed = append(claimed, dir); return func() {}, nil }}
	err = f.Run(e, args)
	return err, out.String(), errb.String(), calls, claimed
}

// TestFamilySubcommands: each subcommand calls its step with the folders of
// its flags, claims its output folder and prints the step's summary.
func TestFamilySubcommands(t *testing.T) {
	d := t.TempDir()
	s0, s1 := sweep.ShardDir(d, 0), sweep.ShardDir(d, 1)
	for _, dir := range []string{s0, s1} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, sweep.ConfigFile), []byte("{}"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		args               []string
		call, claim, print string
	}{
		{[]string{"sweep", "--config", "builtin:small", "--out", d, "--workers", "3"}, "sweep " + d + " 2 workers=3 shard=", d, "swept\nnext: sgn toy fit " + d},
		{[]string{"sweep", "--config", "builtin:small", "--out", d, "--shard", "1/2"}, "sweep " + s1 + " 2", s1, "when all 2 shards are done: sgn toy merge --shards 2 --out " + d},
		{[]string{"merge", "--shards", "2", "--out", d}, "merge " + d + " " + s0 + "," + s1, d, "merged 2 folders of sweep h: 1 of 2 runs\n1 runs are missing"},
		{[]string{"merge", s0, "--out", d}, "merge " + d + " " + s0, d, "merged 1 folder of sweep h: 1 of 2 runs\n1 runs are missing: shard 1 of the sweep's 2 was not merged; merge all 2 shard folders once they are done\n"},
		{[]string{"fit", s0, "--out", d}, "fit " + s0 + " " + d + " started=true", d, "fitted"},
		{[]string{"figure", "--out", d, "--quick"}, "figure " + d + " quick=true started=true", d, "drawn"},
	} {
		err, out, _, calls, claimed := family(c.args...)
		if err != nil || len(calls) != 1 || !strings.HasPrefix(calls[0], c.call) || len(claimed) != 1 || claimed[0] != c.claim || !strings.Contains(out, c.print) {
			t.Errorf("%v: %v, calls %q, claimed %q, printed %q; want %q, %q, %q", c.args, err, calls, claimed, out, c.call, c.claim, c.print)
		}
	}
	if err, _, _, calls, _ := family("merge", "--shards", "3", "--out", d); err == nil || len(calls) != 0 ||
		!strings.Contains(err.Error(), "--shards 3: "+sweep.ShardDir(d, 2)+" is not a sweep folder") || !strings.Contains(err.Error(), "writes shard I into "+d+"-shard-I") {
		t.Errorf("--shards 3 with two shard folders: %v, calls %q; want the missing one named and how it is written", err, calls)
	}
	if _, _, stderr, _, _ := family("fit", s0); !strings.Contains(stderr, "removed the earlier fit's old.json from "+s0) {
		t.Errorf("fit: stderr %q; want the notice of the files removed", stderr)
	}
}

// TestFamilyRefusals: bad flags are usage errors naming the flag, before
// any step runs or any folder is claimed.
func TestFamilyRefusals(t *testing.T) {
	d := t.TempDir()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"sweep", "--out", d}, "--config FILE and --out DIR are required"},
		{[]string{"sweep", "--config", "builtin:small", "--out", d, "--workers", "0"}, "--workers 0"},
		{[]string{"sweep", "--config", "builtin:small", "--out", d, "--shard", "2/2"}, "--shard"},
		{[]string{"sweep", "--config", "builtin:small", "--out", d, "--max-runs", "-1"}, "--max-runs -1"},
		{[]string{"sweep", "--config", "builtin:small", "--out", d, "--max-runs", "1"}, "--config builtin:small: 2 runs, more than --max-runs 1"},
		{[]string{"merge", d}, "--out DIR is required"},
		{[]string{"merge", d, "--shards", "2", "--out", d}, "--shards 2"},
		{[]string{"merge", "--out", d}, "give the sweep folders to merge"},
		{[]string{"fit"}, "give one sweep folder"},
		{[]string{"figure"}, "--out DIR is required"},
		{[]string{"configs", "nope"}, "want small"},
		{[]string{"configs", "a", "b"}, "give one config name"},
		{[]string{"swep"}, "did you mean sweep?"},
		{[]string{"sweep", "--config", "builtin:nope", "--out", d}, "--config builtin:nope: builtin:nope: no such file"},
	} {
		err, _, _, calls, claimed := family(c.args...)
		var ue *cli.UsageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), c.want) || len(calls) > 0 || len(claimed) > 0 {
			t.Errorf("%v: %v (calls %q, claimed %q); want a usage error with %q and nothing run", c.args, err, calls, claimed, c.want)
		}
	}
	if err, _, _, calls, _ := family("sweep", "--config", "missing.json", "--out", d); err == nil || errors.As(err, new(*cli.UsageError)) || len(calls) > 0 ||
		err.Error() != "--config: missing.json: no such file" {
		t.Errorf("sweep of a missing config: %v; want the file's error, not a usage error", err)
	}
}

// TestFamilyConfigs: configs lists the builtins, prints one and writes it
// with --out; the help lists every subcommand.
func TestFamilyConfigs(t *testing.T) {
	if err, out, _, _, _ := family("configs"); err != nil || !strings.Contains(out, "  small ") || !strings.Contains(out, "two runs") {
		t.Errorf("configs: %v, %q; want the builtin listed", err, out)
	}
	d := t.TempDir()
	err, out, _, _, _ := family("configs", "builtin:small", "--out", d)
	b, rerr := os.ReadFile(filepath.Join(d, "small.json"))
	if err != nil || out != "{\"runs\": 2}\n" || rerr != nil || string(b) != out {
		t.Errorf("configs builtin:small --out: %v, %q, file %q (%v); want its JSON on stdout and in the file", err, out, b, rerr)
	}
	err, help, _, _, _ := family("--help")
	for _, sub := range []string{"sweep", "merge", "fit", "configs", "figure"} {
		if !errors.Is(err, flag.ErrHelp) || !strings.Contains(help, "\n  "+sub+" ") {
			t.Errorf("--help: %v, does not list %s:\n%s", err, sub, help)
		}
	}
	if err, help, _, _, _ := family("sweep", "--help"); !errors.Is(err, flag.ErrHelp) || !strings.Contains(help, "--mnist") || !strings.Contains(help, "--max-runs") {
		t.Errorf("sweep --help: %v; want --mnist and the limit flag listed:\n%s", err, help)
	}
}
