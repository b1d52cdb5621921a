package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// A value given explicitly is checked even where the flag's zero means "the
// default" (--barrier 0 used to become 0.02), and every error reached
// through a flag names the flag, not the configuration field behind it:
// exit 2 and one line.
func TestExplicitFlagValuesAreChecked(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	tw := []string{"selection", "twowell", "run", "--dynamics", "sgld", "--steps", "10", "--burn-in", "1", "--replicas", "2", "--out", out}
	esc := []string{"escape", "run", "--dynamics", "sgld", "--runs", "2", "--max-steps", "10", "--out", out}
	mlp := []string{"escape", "run", "--landscape", "mlp", "--dynamics", "sgd", "--delta", "0.05", "--runs", "2", "--max-steps", "10", "--out", out}
	eq := []string{"equilibrium", "--checkpoint", "x.safetensors", "--out", out}
	for _, c := range []struct {
		base []string
		args []string
		want string
	}{
		{tw, []string{"--barrier", "0"}, "--barrier 0: want a positive number"},
		{tw, []string{"--barrier-flat", "0"}, "--barrier-flat 0"},
		{tw, []string{"--h-col", "0"}, "--h-col 0"},
		{tw, []string{"--h-flat", "0"}, "--h-flat 0"},
		{tw, []string{"--sharpness", "0"}, "--sharpness 0"},
		{tw, []string{"--dim", "0"}, "--dim 0"},
		{tw, []string{"--burn-in", "-1"}, "--burn-in -1"},
		{tw, []string{"--h-col", "3"}, "--h-col 3: want |h_b| ≤ h₂ = 1"},
		{tw, []string{"--sharpness", "0.5"}, "--sharpness 0.5"},
		{tw, []string{"--dim", "3", "--transverse-sharp", "1,2,3"}, "--transverse-sharp has 3 values"},
		{tw, []string{"--replicas", "1"}, "--replicas 1"},
		{tw, []string{"--dynamics", "sgd", "--batch-size", "1.5"}, "--batch-size 1.5"},
		{esc, []string{"--dim", "0"}, "--dim 0"},
		{esc, []string{"--col-ratio", "0"}, "--col-ratio 0"},
		{esc, []string{"--dim", "2", "--col-ratio", "0"}, "--col-ratio 0"},
		{esc, []string{"--dim", "3", "--transverse", "1,2,3"}, "--transverse has 3 values"},
		{esc, []string{"--radius", "0"}, "--radius 0"},
		{esc, []string{"--radius", "1"}, "--radius applies to --criterion distance only"},
		{esc, []string{"--delta", "0.1"}, "--delta applies to --criterion loss only"},
		{mlp, []string{"--grad-tol", "0"}, "--grad-tol 0"},
		{mlp, []string{"--max-iterations", "0"}, "--max-iterations 0"},
		{mlp, []string{"--check-every", "0"}, "--check-every 0"},
		{mlp, []string{"--first", "0"}, "--first 0"},
		{mlp, []string{"--first", "70000"}, "--first 70000"},
		{mlp, []string{"--pool", "0"}, "--pool 0"},
		{mlp, []string{"--pool", "3"}, "--pool 3"},
		{mlp, []string{"--minimizer", "gd", "--gd-eta", "0"}, "--gd-eta 0"},
		{mlp, []string{"--minimizer", "gd", "--gd-max-steps", "0"}, "--gd-max-steps 0"},
		{mlp, []string{"--weight-decay", "-1"}, "--weight-decay -1"},
		{mlp, []string{"--batch-size", "2.5"}, "--batch-size 2.5"},
		{mlp, []string{"--layers", "49,8,9"}, "--layers"},
		{eq, []string{"--burn-in", "0"}, "--burn-in 0"},
		{eq, []string{"--bulk", "-2"}, "--bulk -2"},
	} {
		args := append(append([]string(nil), c.base...), c.args...)
		code, _, stderr := run(args...)
		if code != 2 || !strings.Contains(stderr, c.want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and one line with %q", c.args, code, stderr, c.want)
		}
		for _, field := range []string{"h_col", "h_flat", "barrier_flat", "grad_tol", "max_iterations", "check_every", "gd_eta", "gd_max_steps", "weight_decay", "batch_size", "col_ratio", "burn_in"} {
			if strings.Contains(stderr, field) {
				t.Errorf("%v: the error names the field %s: %q", c.args, field, stderr)
			}
		}
	}
}

// One spelling per concept: the old spellings still work, each with one
// deprecation line, and set the current flag (its name is in the error).
func TestDeprecatedSpellings(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	for _, c := range []struct {
		cmd      []string
		old, cur string
		rest     []string
	}{
		{[]string{"train"}, "lr", "eta", []string{"-0.1", "--out", out}},
		{[]string{"equilibrium"}, "sgld-d", "temperature", []string{"-2", "--checkpoint", "x.safetensors", "--out", out}},
		{[]string{"hessian"}, "max-iter", "max-iterations", []string{"-1", "--checkpoint", "x.safetensors", "--out", out}},
		{[]string{"escape", "run"}, "D", "temperature", []string{"-1", "--dynamics", "sgld", "--out", out}},
	} {
		args := append(append(append([]string(nil), c.cmd...), "--"+c.old), c.rest...)
		code, _, stderr := run(args...)
		lines := strings.Split(strings.TrimSpace(stderr), "\n")
		if code != 2 || len(lines) != 2 || lines[0] != "sgn: --"+c.old+" is deprecated for "+strings.Join(c.cmd, " ")+"; use --"+c.cur ||
			!strings.Contains(lines[1], "--"+c.cur) {
			t.Errorf("%v: exit %d, stderr %q; want the deprecation line and an error naming --%s", args, code, stderr, c.cur)
		}
	}
	// covariance --random-seed (the random model's initialisation seed,
	// now --init-seed as in escape run): accepted with its line.
	code, _, stderr := run("covariance", "--random-seed", "5", "--checkpoint", "x.safetensors")
	if lines := strings.Split(strings.TrimSpace(stderr), "\n"); code != 2 || len(lines) != 2 || lines[0] != "sgn: --random-seed is deprecated for covariance; use --init-seed" {
		t.Errorf("covariance --random-seed 5: exit %d, %q", code, stderr)
	}
}
