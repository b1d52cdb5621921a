package main

import (
	"strings"
	"testing"
)

// TestHelpEveryCommand: -h of every command and subcommand exits 0, shows an
// example and prints no panic (flag.PrintDefaults calls String on zero
// values of every flag type).
func TestHelpEveryCommand(t *testing.T) {
	for _, args := range [][]string{
		{"train"}, {"data", "export"}, {"hessian"}, {"covariance"}, {"noise"},
		{"escape", "run"}, {"escape", "sweep"}, {"escape", "merge"}, {"escape", "fit"},
		{"escape", "configs"}, {"escape", "figure"}, {"equilibrium"},
		{"selection", "networks", "sweep"}, {"selection", "networks", "fit"},
		{"selection", "networks", "merge"}, {"selection", "networks", "config"},
		{"selection", "twowell", "run"}, {"selection", "twowell", "sweep"},
		{"selection", "twowell", "merge"}, {"selection", "twowell", "fit"},
		{"selection", "twowell", "configs"}, {"selection", "twowell", "figure"},
		{"equilibrium", "escape"}, {"data"}, {"escape"},
		{"report"}, {"version"},
	} {
		code, out, errOut := run(append(args, "-h")...)
		msg := out + errOut
		if code != 0 || !strings.Contains(msg, "Example:") || strings.Contains(msg, "panic") {
			t.Errorf("sgn %s -h: exit %d, output %q", strings.Join(args, " "), code, msg)
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
