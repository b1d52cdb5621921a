package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// commandTree returns every command line of sgn that has a help of its
// own, found by walking the help texts: the commands of `sgn --help`, then
// the subcommands each group lists. A command added later is
// covered without being named here.
func commandTree(t *testing.T) [][]string {
	t.Helper()
	var all [][]string
	var walk func(path []string)
	walk = func(path []string) {
		all = append(all, path)
		_, out, _ := run(append(append([]string(nil), path...), "--help")...)
		i := strings.Index(out, "Subcommands:\n")
		if i < 0 {
			return
		}
		for _, line := range strings.Split(out[i:], "\n")[1:] {
			if line == "" {
				break
			}
			if f := strings.Fields(line); strings.HasPrefix(line, "  ") && !strings.HasPrefix(line, "   ") {
				walk(append(append([]string(nil), path...), f[0]))
			}
		}
	}
	for name := range commands() {
		walk([]string{name})
	}
	// A command with flags of its own and a subcommand.
	return append(all, []string{"equilibrium", "escape"})
}

// TestHelpEveryCommand: -h, -help, --help and `sgn help CMD…` of every
// command and subcommand print the help on stdout (nothing on stderr) and
// exit 0; a command's help shows an example; no panic (the help calls
// String on zero values of every flag type).
func TestHelpEveryCommand(t *testing.T) {
	tree := commandTree(t)
	if len(tree) < 25 {
		t.Fatalf("found %d commands in the help texts, want every subcommand: %v", len(tree), tree)
	}
	for _, path := range tree {
		var want string
		for i, form := range [][]string{
			append(append([]string(nil), path...), "-h"),
			append(append([]string(nil), path...), "--help"),
			append(append([]string(nil), path...), "-help"),
			append([]string{"help"}, path...),
		} {
			code, out, errOut := run(form...)
			if code != 0 || errOut != "" || !strings.Contains(out, "Example:") || strings.Contains(out, "panic") {
				t.Errorf("sgn %s: exit %d, stdout %q, stderr %q", strings.Join(form, " "), code, out, errOut)
			}
			if i == 0 {
				want = out
			} else if out != want {
				t.Errorf("sgn %s prints another help than -h", strings.Join(form, " "))
			}
		}
	}
}

// TestHelpFlagList: every flag in a help is listed as --name, with at most
// one default, and the deprecated spellings are not listed (they still
// parse: flags_test.go).
func TestHelpFlagList(t *testing.T) {
	flagLine := regexp.MustCompile(`^ +-`)
	for _, path := range commandTree(t) {
		_, out, _ := run(append(append([]string(nil), path...), "--help")...)
		name := strings.Join(path, " ")
		for _, line := range strings.Split(out, "\n") {
			if flagLine.MatchString(line) && !strings.HasPrefix(strings.TrimSpace(line), "--") {
				t.Errorf("sgn %s --help: flag line %q not spelled --name", name, line)
			}
			if strings.Count(line, "(default") > 1 {
				t.Errorf("sgn %s --help: two defaults in %q", name, line)
			}
			if strings.Contains(line, "deprecated spelling") {
				t.Errorf("sgn %s --help lists a deprecated spelling: %q", name, line)
			}
		}
	}
	// Known deprecated spellings, by name.
	for _, c := range []struct{ cmd, old string }{
		{"hessian", "--max-iter "}, {"escape run", "--D "}, {"equilibrium", "--sgld-d"},
		{"noise", "--batch-sizes"}, {"covariance", "--random-seed"},
	} {
		if _, out, _ := run(append(strings.Fields(c.cmd), "--help")...); strings.Contains(out, "  "+c.old) {
			t.Errorf("sgn %s --help lists the deprecated %s", c.cmd, c.old)
		}
	}
}

// TestTopLevelHelp: sgn -h lists every command with its summary, on
// stdout with exit 0; sgn alone prints it on stderr with exit 2.
func TestTopLevelHelp(t *testing.T) {
	code, out, errOut := run("-h")
	if code != 0 || errOut != "" {
		t.Fatalf("sgn -h: exit %d, stderr %q", code, errOut)
	}
	flat := strings.Join(strings.Fields(out), " ")
	for name, c := range commands() {
		if !strings.Contains(out, "\n  "+name+" ") || !strings.Contains(flat, c.summary) {
			t.Errorf("sgn -h does not list %s with %q:\n%s", name, c.summary, out)
		}
	}
	for _, line := range strings.Split(out, "\n") {
		if len([]rune(line)) > 80 {
			t.Errorf("sgn -h: line longer than 80 columns: %q", line)
		}
	}
	if code, out2, errOut := run(); code != 2 || out2 != "" || errOut != out {
		t.Errorf("sgn: exit %d, stdout %q, stderr %q; want the help on stderr and exit 2", code, out2, errOut)
	}
	if code, out2, _ := run("help"); code != 0 || out2 != out {
		t.Errorf("sgn help: exit %d, %q", code, out2)
	}
}

// TestDidYouMean: a misspelled command, subcommand, setting or flag is a
// usage error (exit 2, one line) that names the closest spelling; a word
// far from every choice gets no suggestion.
func TestDidYouMean(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"hessain"}, `unknown command "hessain" (did you mean hessian?)`},
		{[]string{"covarianse"}, "(did you mean covariance?)"},
		{[]string{"help", "tran"}, "(did you mean train?)"},
		{[]string{"escape", "rn"}, `unknown subcommand "rn" (did you mean run?)`},
		{[]string{"escape", "swep"}, "(did you mean sweep?)"},
		{[]string{"selection", "twowel"}, `unknown subcommand "twowel" (did you mean twowell?)`},
		{[]string{"selection", "twowell", "figur"}, "(did you mean figure?)"},
		{[]string{"selection", "networks", "confg"}, "(did you mean configs?)"},
		{[]string{"data", "exprt"}, "(did you mean export?)"},
		{[]string{"hessian", "--top-kk", "3"}, "unknown flag --top-kk (did you mean --top-k?)"},
		{[]string{"hessian", "-chekpoint", "x"}, "unknown flag --chekpoint (did you mean --checkpoint?)"},
		{[]string{"train", "--epoch", "3"}, "(did you mean --epochs?)"},
		{[]string{"covariance", "--frist", "10"}, "unknown flag --frist (did you mean --first?)"},
		{[]string{"hesisan"}, "(did you mean hessian?)"},
		{[]string{"escape", "run", "--temprature", "1"}, "(did you mean --temperature?)"},
		{[]string{"hessian", "--top-k", "x"}, `invalid value "x" for flag --top-k`},
		{[]string{"hessian", "--out"}, "flag needs an argument: --out"},
	} {
		code, _, errOut := run(c.args...)
		if code != 2 || !strings.Contains(errOut, c.want) || strings.Count(errOut, "\n") != 1 {
			t.Errorf("sgn %s: exit %d, %q; want exit 2 and one line with %q", strings.Join(c.args, " "), code, errOut, c.want)
		}
	}
	for _, args := range [][]string{{"zzzzzz"}, {"escape", "qqqqq"}, {"hessian", "--qqqqqqq"}} {
		if code, _, errOut := run(args...); code != 2 || strings.Contains(errOut, "did you mean") {
			t.Errorf("sgn %s: exit %d, %q; want no suggestion", strings.Join(args, " "), code, errOut)
		}
	}
}

// TestVersionFlag: sgn --version prints what sgn version prints.
func TestVersionFlag(t *testing.T) {
	_, want, _ := run("version")
	for _, arg := range []string{"--version", "-version"} {
		if code, got, errs := run(arg); code != 0 || got != want || want == "" {
			t.Errorf("sgn %s: exit %d, %q %q; want %q", arg, code, got, errs, want)
		}
	}
}

// TestEveryGroupOneRule: every command made of subcommands (sgn escape,
// sgn selection, sgn selection twowell, sgn cluster, …) refuses a
// misspelled or missing subcommand the same way: a usage error (exit 2,
// one line) that says "unknown subcommand" with "did you mean", or
// "missing subcommand".
func TestEveryGroupOneRule(t *testing.T) {
	groups := 0
	for _, path := range commandTree(t) {
		_, out, _ := run(append(append([]string(nil), path...), "--help")...)
		i := strings.Index(out, "Subcommands:\n")
		if i < 0 {
			continue
		}
		groups++
		first := strings.Fields(strings.Split(out[i:], "\n")[1])[0]
		typo := first[:len(first)-1] + "q"
		args := append(append([]string(nil), path...), typo)
		want := `unknown subcommand "` + typo + `" (did you mean `
		if code, _, errOut := run(args...); code != 2 || !strings.Contains(errOut, want) || strings.Count(errOut, "\n") != 1 {
			t.Errorf("sgn %s: exit %d, %q; want exit 2 and one line with %q", strings.Join(args, " "), code, errOut, want)
		}
		if code, _, errOut := run(path...); code != 2 || !strings.Contains(errOut, "missing subcommand") {
			t.Errorf("sgn %s: exit %d, %q; want exit 2 and missing subcommand", strings.Join(path, " "), code, errOut)
		}
	}
	if groups < 7 {
		t.Errorf("found %d groups of subcommands, want sgn data, escape, selection, its two settings, cluster, sweep at least", groups)
	}
}

// TestFamiliesShareSubcommands: sgn escape, sgn selection twowell and sgn
// selection networks have the same subcommands from one layer: each lists
// its builtin configs, prints one as JSON (and writes it with --out),
// refuses an unknown one as a usage error, and names its subcommands in
// its help.
func TestFamiliesShareSubcommands(t *testing.T) {
	for _, c := range []struct {
		path    []string
		builtin string
	}{
		{[]string{"escape"}, "mlp-batch-size"},
		{[]string{"selection", "twowell"}, "twowell"},
		{[]string{"selection", "networks"}, "networks"},
	} {
		name := strings.Join(c.path, " ")
		_, help, _ := run(append(append([]string(nil), c.path...), "--help")...)
		for _, sub := range []string{"sweep", "merge", "fit", "configs", "figure"} {
			if !strings.Contains(help, "\n  "+sub+" ") {
				t.Errorf("sgn %s --help does not list %s:\n%s", name, sub, help)
			}
		}
		code, list, errOut := run(append(append([]string(nil), c.path...), "configs")...)
		if code != 0 || !strings.Contains(list, "  "+c.builtin+" ") {
			t.Errorf("sgn %s configs: exit %d, %q %q; want %s listed", name, code, list, errOut, c.builtin)
		}
		dir := t.TempDir()
		code, js, errOut := run(append(append([]string(nil), c.path...), "configs", "builtin:"+c.builtin, "--out", dir)...)
		var v map[string]any
		if code != 0 || json.Unmarshal([]byte(js), &v) != nil {
			t.Errorf("sgn %s configs %s: exit %d, %q %q; want its JSON", name, c.builtin, code, js, errOut)
		}
		if b, err := os.ReadFile(filepath.Join(dir, c.builtin+".json")); err != nil || string(b) != js {
			t.Errorf("sgn %s configs %s --out: %v, file differs from stdout: %v", name, c.builtin, err, string(b) != js)
		}
		if code, _, errOut := run(append(append([]string(nil), c.path...), "configs", "nope")...); code != 2 || !strings.Contains(errOut, c.builtin) {
			t.Errorf("sgn %s configs nope: exit %d, %q; want a usage error listing %s", name, code, errOut, c.builtin)
		}
	}
}

// TestShardHelpKeepsTheSplit: no sweep's help suggests --shard
// $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT, which breaks on a
// resubmitted single index (Slurm then sets the count to 1 and the shard
// folder of the first submission is refused).
func TestShardHelpKeepsTheSplit(t *testing.T) {
	for _, args := range [][]string{
		{"escape", "sweep"}, {"selection", "networks", "sweep"}, {"selection", "twowell", "sweep"},
	} {
		_, out, errOut := run(append(args, "-h")...)
		if strings.Contains(out+errOut, "/$SLURM_ARRAY_TASK_COUNT") {
			t.Errorf("sgn %s -h suggests --shard …/$SLURM_ARRAY_TASK_COUNT", strings.Join(args, " "))
		}
	}
}
