package main

import (
	"sort"
	"strings"
	"testing"
)

// subcommands returns the subcommands a group lists in its help (the
// first word of each line of its "Subcommands:" table), or
// nil when path is not a group.
func subcommands(t *testing.T, path []string) []string {
	t.Helper()
	_, out, _ := run(append(append([]string{}, path...), "--help")...)
	if !strings.HasPrefix(out, "Usage: sgn "+strings.Join(path, " ")+" <") {
		return nil
	}
	var subs []string
	in := false
	for _, line := range strings.Split(out, "\n") {
		switch {
		case line == "Subcommands:":
			in = true
		case in && strings.TrimSpace(line) == "":
			return subs
		case in && strings.HasPrefix(line, "  ") && !strings.HasPrefix(line, "   "):
			subs = append(subs, strings.Fields(line)[0])
		}
	}
	return subs
}

// TestErrorPrefixNamesTheSubcommand: over the command table, walking every
// group's subcommands, an error line begins with the words of the command
// that failed, `sgn CMD [SUB…]: `: a flag that does not exist (exit 2) in
// every leaf, an unknown subcommand in every group, and failures (exit 1)
// of subcommands.
func TestErrorPrefixNamesTheSubcommand(t *testing.T) {
	var names []string
	for n := range commands() {
		names = append(names, n)
	}
	sort.Strings(names)
	leaves, groups := 0, 0
	var walk func(path []string)
	walk = func(path []string) {
		want := "sgn " + strings.Join(path, " ") + ": "
		if subs := subcommands(t, path); subs != nil {
			groups++
			code, _, errs := run(append(append([]string{}, path...), "no-such-subcommand")...)
			if code != 2 || !strings.HasPrefix(errs, want+"unknown ") || strings.Count(errs, "\n") != 1 {
				t.Errorf("%s no-such-subcommand: exit %d, %q; want exit 2, one line beginning %q", want, code, errs, want+"unknown ")
			}
			for _, s := range subs {
				walk(append(append([]string{}, path...), s))
			}
			return
		}
		leaves++
		code, _, errs := run(append(append([]string{}, path...), "--no-such-flag")...)
		if code != 2 || !strings.HasPrefix(errs, want) || strings.Count(errs, "\n") != 1 {
			t.Errorf("%s--no-such-flag: exit %d, %q; want exit 2 and one line beginning %q", want, code, errs, want)
		}
	}
	for _, n := range names {
		walk([]string{n})
	}
	if groups < 5 || leaves < 25 {
		t.Errorf("walked %d groups and %d leaves: the help of the groups was not read", groups, leaves)
	}
	// Failures (exit 1) carry the subcommand's words too.
	tmp := t.TempDir()
	missing := tmp + "/missing"
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"data", "export", "--mnist", missing, "--out", tmp + "/x.safetensors", "--quiet"}, "sgn data export: "},
		{[]string{"escape", "fit", missing}, "sgn escape fit: "},
		{[]string{"selection", "twowell", "fit", missing}, "sgn selection twowell fit: "},
		{[]string{"equilibrium", "escape", "--sweep", missing, "--out", tmp + "/o", "--quiet"}, "sgn equilibrium escape: "},
		{[]string{"hessian", "--checkpoint", missing, "--top-k", "2", "--out", tmp + "/h", "--quiet"}, "sgn hessian: "},
	} {
		code, _, errs := run(c.args...)
		if code != 1 || !strings.HasPrefix(errs, c.want) || strings.Count(errs, "\n") != 1 {
			t.Errorf("%v: exit %d, %q; want exit 1 and one line beginning %q", c.args, code, errs, c.want)
		}
	}
}
