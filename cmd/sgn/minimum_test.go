package main

import (
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sgn-project/sgn/escape/equilibrium"
	"github.com/sgn-project/sgn/model"
	"github.com/sgn-project/sgn/train/minimum"
)

// TestMinimumCommand: a tiny network on 100 real images reaches a minimum;
// the checkpoint it writes is read back by covariance's loader, and bad
// flags are usage errors naming the flag.
func TestMinimumCommand(t *testing.T) {
	mnist := mnistOrSkip(t)
	tmp := t.TempDir()
	ck := writeCheckpoint(t, tmp, "start.safetensors", []int{49, 3, 10}, 1, 4)
	out := filepath.Join(tmp, "min")
	code, stdout, stderr := run("minimum", "--checkpoint", ck, "--mnist", mnist, "--first", "100", "--weight-decay", "1e-2", "--out", out, "--quiet")
	if code != 0 || !strings.Contains(stdout, "a minimum:") {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	m, _, err := model.LoadCheckpoint(filepath.Join(out, minimum.CheckpointFile))
	if err != nil {
		t.Fatal(err)
	}
	r, err := minimum.ReadReport(filepath.Join(out, minimum.JSONFile))
	if err != nil || !r.IsMinimum || r.Data.N != 100 || r.Settings.Decay != 1e-2 || m.NumParams() != r.Params {
		t.Fatalf("report %+v, %v", r, err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--weight-decay", "0"}, "--weight-decay 0"},
		{[]string{"--grad-tol", "-1"}, "--grad-tol -1"},
		{[]string{"--max-iterations", "0"}, "--max-iterations 0"},
	} {
		args := append([]string{"minimum", "--checkpoint", ck, "--mnist", mnist, "--first", "100", "--out", out}, c.args...)
		code, _, stderr := run(args...)
		if code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, %q; want 2 naming %q", c.args, code, stderr, c.want)
		}
	}
}

// TestEquilibriumFromMinimum: sgn equilibrium on the checkpoint sgn
// minimum wrote takes its weight decay and measures at it without descent:
// ‖∇L(θ₀)‖ of the regularised loss is at the tolerance, and the report
// carries the regime checks, the noise shares and the loss drift.
func TestEquilibriumFromMinimum(t *testing.T) {
	mnist := mnistOrSkip(t)
	tmp := t.TempDir()
	ck := writeCheckpoint(t, tmp, "start.safetensors", []int{49, 4, 10}, 1, 4)
	min := filepath.Join(tmp, "min")
	if code, stdout, stderr := run("minimum", "--checkpoint", ck, "--mnist", mnist, "--first", "200", "--weight-decay", "1e-2", "--out", min, "--quiet"); code != 0 {
		t.Fatalf("minimum: exit %d\n%s\n%s", code, stdout, stderr)
	}
	out := filepath.Join(tmp, "eq")
	code, stdout, stderr := run("equilibrium", "--checkpoint", filepath.Join(min, minimum.CheckpointFile), "--mnist", mnist, "--first", "200",
		"--batch-size", "16", "--eta", "0.2", "--steps", "2000", "--every", "5", "--top-k", "10", "--bulk", "-1", "--out", out, "--quiet")
	if code != 0 {
		t.Fatalf("equilibrium: exit %d\n%s\n%s", code, stdout, stderr)
	}
	var rep equilibrium.Report
	readJSON(t, filepath.Join(out, equilibrium.JSONFile), &rep)
	if rep.Minimum.WeightDecay != 1e-2 || rep.Settings.Descend != 0 || rep.Minimum.GradNorm > 1e-6 || len(rep.Summary.NoiseShareTopK) != 3 ||
		len(rep.Regime) != 5 || !rep.Regime[0].OK || !rep.Regime[1].OK || math.IsNaN(float64(rep.Summary.LossDrift)) {
		t.Errorf("decay %v, descend %d, ‖∇L‖ %v, shares %v, regime %+v, drift %v", rep.Minimum.WeightDecay, rep.Settings.Descend,
			rep.Minimum.GradNorm, rep.Summary.NoiseShareTopK, rep.Regime, rep.Summary.LossDrift)
	}
	if !strings.Contains(stdout, "share of tr C in the top 1/5/10/40") || !strings.Contains(stdout, "loss drift") {
		t.Errorf("stdout:\n%s", stdout)
	}
}
