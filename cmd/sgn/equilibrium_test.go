package main

import (
	"encoding/csv"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/sgn-project/sgn/escape"
	"github.com/sgn-project/sgn/escape/equilibrium"
	"github.com/sgn-project/sgn/escape/kramers"
	"github.com/sgn-project/sgn/escape/network"
	"github.com/sgn-project/sgn/train/minimum"
)

// TestEquilibriumEndToEnd runs 'sgn equilibrium' on a small real network on
// real MNIST with 1 and 2 workers: the files and keys are there and the
// numbers are identical.
func TestEquilibriumEndToEnd(t *testing.T) {
	dir := mnistOrSkip(t)
	tmp := t.TempDir()
	ck := writeCheckpoint(t, tmp, "tiny.safetensors", []int{49, 6, 10}, 3, 4)
	var reps [2]map[string]any
	for i, w := range []string{"1", "2"} {
		out := filepath.Join(tmp, "eq"+w)
		code, stdout, stderr := run("equilibrium", "--mnist", dir, "--checkpoint", ck, "--first", "300", "--batch-size", "16",
			"--eta", "0.2", "--descend", "200", "--steps", "1500", "--every", "5", "--top-k", "6", "--bulk", "6", "--seed", "4", "--workers", w, "--out", out, "--quiet")
		if code != 0 {
			t.Fatalf("workers %s: exit %d\nstdout:\n%s\nstderr:\n%s", w, code, stdout, stderr)
		}
		if stderr != "" {
			t.Errorf("--quiet, yet stderr:\n%s", stderr)
		}
		for _, want := range []string{"P = 370, N = 300", "descent: 200 full-batch GD steps", "median measured/predicted v", "log-log slope", "wrote " + filepath.Join(out, "equilibrium.png")} {
			if !strings.Contains(stdout, want) {
				t.Errorf("stdout lacks %q:\n%s", want, stdout)
			}
		}
		js, err := os.ReadFile(filepath.Join(out, "equilibrium.json"))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(js, &reps[i]); err != nil {
			t.Fatal(err)
		}
		for _, f := range []string{"equilibrium.svg", "equilibrium.png"} {
			if st, err := os.Stat(filepath.Join(out, f)); err != nil || st.Size() == 0 {
				t.Errorf("%s: %v", f, err)
			}
		}
		f, err := os.Open(filepath.Join(out, "directions.csv"))
		if err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(f).ReadAll()
		f.Close()
		if err != nil || len(rows) != 13 || rows[0][0] != "index" || rows[0][2] != "lambda" {
			t.Errorf("directions.csv: %d rows, header %v, err %v", len(rows), rows[0], err)
		}
	}
	r := reps[0]
	dirs, _ := r["directions"].([]any)
	if len(dirs) != 12 {
		t.Fatalf("equilibrium.json: %d directions, want 6 top + 6 bulk", len(dirs))
	}
	d0 := dirs[0].(map[string]any)
	for _, k := range []string{"index", "lambda", "c", "equilibrated", "var_sgd", "var_sgd_ci95", "pred_sgd_measured_c", "pred_sgd_h_over_b", "var_sgld", "var_sgld_ci95", "pred_sgld"} {
		if _, ok := d0[k]; !ok {
			t.Errorf("directions[0] lacks %q", k)
		}
	}
	sm := r["summary"].(map[string]any)
	for _, k := range []string{"median_ratio_sgd_measured_c", "median_ratio_sgd_h_over_b", "median_ratio_sgld", "loglog_slope_sgd", "loglog_slope_sgld", "directions_used"} {
		if _, ok := sm[k]; !ok {
			t.Errorf("summary lacks %q", k)
		}
	}
	ld := r["low_dim"].(map[string]any)
	for _, k := range []string{"k", "fraction_sgd", "fraction_sgld"} {
		if v, ok := ld[k].([]any); !ok || len(v) != 6 {
			t.Errorf("low_dim.%s = %v, want 6 values", k, ld[k])
		}
	}
	for _, k := range []string{"settings", "seeds", "data", "version", "model", "minimum"} {
		if _, ok := r[k]; !ok {
			t.Errorf("equilibrium.json lacks %q", k)
		}
	}
	if data := r["data"].(map[string]any); data["first"] != 300.0 || data["pool"] != 4.0 {
		t.Errorf("data selection %v", data)
	}
	for _, k := range []string{"directions", "summary", "low_dim", "minimum"} {
		if !reflect.DeepEqual(reps[0][k], reps[1][k]) {
			t.Errorf("%s differs between --workers 1 and 2", k)
		}
	}
}

func TestEquilibriumUsage(t *testing.T) {
	dir := mnistOrSkip(t)
	tmp := t.TempDir()
	ck := writeCheckpoint(t, tmp, "tiny.safetensors", []int{49, 6, 10}, 3, 4)
	out := filepath.Join(tmp, "eq")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--out", out}, "--checkpoint"},
		{[]string{"--checkpoint", ck}, "--out"},
		{[]string{"--checkpoint", ck, "--out", out, "--eta", "-1"}, "--eta"},
		{[]string{"--checkpoint", ck, "--out", out, "--batch-size", "500"}, "--batch-size"},
		{[]string{"--checkpoint", ck, "--out", out, "--top-k", "371"}, "--top-k"},
		{[]string{"--checkpoint", ck, "--out", out, "--temperature", "-2"}, "--temperature"},
		{[]string{"--checkpoint", ck, "--out", out, "--first", "-3"}, "--first"},
		{[]string{"--checkpoint", ck, "--out", out, "--eta", "0"}, "--eta 0"},
		{[]string{"--checkpoint", ck, "--out", out, "--batch-size", "0"}, "--batch-size 0"},
		{[]string{"--checkpoint", ck, "--out", out, "--steps", "0"}, "--steps 0"},
		{[]string{"--checkpoint", ck, "--out", out, "--every", "0"}, "--every 0"},
		{[]string{"--checkpoint", ck, "--out", out, "--snapshots", "0"}, "--snapshots 0"},
		{[]string{"--checkpoint", ck, "--out", out, "--weight-decay", "-1"}, "--weight-decay -1"},
	} {
		args := append([]string{"equilibrium", "--mnist", dir, "--first", "300", "--quiet"}, c.args...)
		code, _, stderr := run(args...)
		if code != 2 || !strings.Contains(stderr, c.want) || strings.Count(strings.TrimSpace(stderr), "\n") > 0 {
			t.Errorf("%v: exit %d, stderr %q; want 2 and one line naming %s", c.args, code, stderr, c.want)
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("a usage error created %s", out)
	}
}

func TestEquilibriumEscapeUsage(t *testing.T) {
	tmp := t.TempDir()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--out", tmp}, "--sweep"},
		{[]string{"--sweep", tmp}, "--out"},
		{[]string{"--sweep", tmp, "--out", tmp, "--runs", "0"}, "--runs"},
		{[]string{"--sweep", tmp, "--out", tmp, "--points", "1,x"}, "--points"},
	} {
		code, _, stderr := run(append([]string{"equilibrium", "escape", "--quiet"}, c.args...)...)
		if code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 naming %s", c.args, code, stderr, c.want)
		}
	}
	// A folder without a sweep is a failure, not a usage error.
	if code, _, stderr := run("equilibrium", "escape", "--quiet", "--sweep", tmp, "--out", filepath.Join(tmp, "o")); code != 1 || stderr == "" {
		t.Errorf("empty sweep folder: exit %d, stderr %q; want 1 and a message", code, stderr)
	}
}

// TestEquilibriumEscapeLimits: equilibrium escape checks the sweep's
// network against --max-params and its memory (the minimum, the replicas,
// the eigenbasis and the top-k directions) against --max-memory before it
// reads the sweep's minimum.
func TestEquilibriumEscapeLimits(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "sweep")
	cfg := kramers.Config{Seed: 1, Network: &network.Spec{Layers: []int{49, 16, 10}, First: 200}, Dynamics: []escape.Dynamics{escape.SGD},
		Sharpness: []float64{1}, Eta: []float64{0.1}, BatchSize: []float64{10}, Runs: 2, MaxSteps: 10,
		Criterion: escape.Criterion{Kind: escape.CriterionLoss, Delta: 0.05}}
	if _, err := kramers.Sweep(dir, cfg, func(kramers.Point) (escape.Simulator, error) { return stillSim{}, nil }, kramers.SweepOptions{Workers: 1}); err != nil {
		t.Fatal(err)
	}
	usageErrors(t, func(args []string) []string {
		return append([]string{"equilibrium", "escape", "--sweep", dir, "--out", filepath.Join(base, "f"), "--quiet"}, args...)
	}, []refusal{
		{[]string{"--max-params", "100"}, []string{"--sweep " + dir + ": network", "970 parameters", "--max-params"}},
		{[]string{"--top-k", "5", "--max-memory", "1MiB"}, []string{"--top-k 5 on the network [49 16 10]", "--max-memory 1.0 MiB"}},
	})
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

// stillSim is a simulator whose runs escape at once (the test's network
// sweep needs a folder, not the dynamics).
type stillSim struct{}

func (stillSim) Run(uint64) (escape.Outcome, error) {
	return escape.Outcome{Escaped: true, Step: 1}, nil
}
