package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/sgn-project/sgn/escape"
	"github.com/sgn-project/sgn/escape/kramers"
	"github.com/sgn-project/sgn/escape/network"
)

// TestMaxParamsOnEveryLoader: a checkpoint of more parameters than
// --max-params is the file's fault (exit 1, naming the file and the flag)
// for every command that loads one; a bad --max-params value is a usage
// error. P of 49-16-16-10 is 1,242.
func TestMaxParamsOnEveryLoader(t *testing.T) {
	base := t.TempDir()
	ck := writeCheckpoint(t, base, "m.safetensors", []int{49, 16, 16, 10}, 1, 4)
	out := filepath.Join(base, "out")
	for _, args := range [][]string{
		{"hessian", "--checkpoint", ck, "--first", "100"},
		{"noise", "--checkpoint", ck, "--first", "100", "--batch-size", "4"},
		{"covariance", "--checkpoint", ck, "--first", "100"},
		{"equilibrium", "--checkpoint", ck, "--first", "100"},
	} {
		code, _, stderr := run(append(args, "--max-params", "1000", "--out", out, "--quiet")...)
		if code != 1 || !strings.Contains(stderr, ck) || !strings.Contains(stderr, "--max-params") || !strings.Contains(stderr, "1242 parameters") || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%s: exit %d, stderr %q; want exit 1 naming %s, its 1242 parameters and --max-params", args[0], code, stderr, ck)
		}
		code, _, stderr = run(append(args, "--max-params", "0", "--out", out, "--quiet")...)
		if code != 2 || !strings.Contains(stderr, "--max-params 0") {
			t.Errorf("%s --max-params 0: exit %d, stderr %q; want a usage error", args[0], code, stderr)
		}
	}
}

// TestHessianRefusesBuffersAboveMaxMemory: the Lanczos basis (--max-iterations
// vectors of length P) and the SLQ basis are estimated
// before anything is allocated: past --max-memory, a usage error naming the
// stage and what to lower.
func TestHessianRefusesBuffersAboveMaxMemory(t *testing.T) {
	base := t.TempDir()
	ck := writeCheckpoint(t, base, "m.safetensors", []int{49, 16, 16, 10}, 1, 4)
	usageErrors(t, func(args []string) []string {
		return append([]string{"hessian", "--checkpoint", ck, "--first", "100", "--out", filepath.Join(base, "h"), "--quiet"}, args...)
	}, []refusal{
		// 1,242 Lanczos vectors of 1,242 values: 12 MiB.
		{[]string{"--top-k", "200", "--max-iterations", "1242", "--max-memory", "8MiB"}, []string{"most for lanczos", "--max-iterations", "--max-memory 8.0 MiB"}},
		{[]string{"--top-k", "0", "--density", "--slq-steps", "1242", "--max-memory", "8MiB"}, []string{"most for density", "--slq-steps"}},
	})
}

// TestTrainResumeMaxParams: --resume reads the checkpoint within
// --max-params; a larger one is the file's fault (exit 1 naming it and the
// flag), and --max-params raises the limit.
func TestTrainResumeMaxParams(t *testing.T) {
	mnistOrSkip(t)
	dir := filepath.Join(t.TempDir(), "run")
	code, _, stderr := run("train", "--layers", "49,8,10", "--pool", "4", "--first", "200", "--test-first", "100", "--batch-size", "50", "--epochs", "1", "--out", dir, "--quiet")
	if code != 0 {
		t.Fatalf("train: exit %d, %s", code, stderr)
	}
	ck := filepath.Join(dir, "model.safetensors")
	code, _, stderr = run("train", "--resume", dir, "--epochs", "2", "--max-params", "400", "--quiet")
	if code != 1 || !strings.Contains(stderr, ck) || !strings.Contains(stderr, "--max-params") || !strings.Contains(stderr, "490 parameters") {
		t.Errorf("resume above --max-params: exit %d, stderr %q; want exit 1 naming %s and --max-params", code, stderr, ck)
	}
	if code, _, stderr = run("train", "--resume", dir, "--epochs", "2", "--max-params", "490", "--quiet"); code != 0 {
		t.Errorf("resume at --max-params 490: exit %d, stderr %q", code, stderr)
	}
}

// TestCovarianceAndEquilibriumRefuseBuffersAboveMaxMemory: both estimate
// their buffers before allocating them (covariance: dense H and Σ of two
// models; equilibrium: the chains' Steps/Every projections) and refuse,
// with a usage error naming what to lower, options past --max-memory.
func TestCovarianceAndEquilibriumRefuseBuffersAboveMaxMemory(t *testing.T) {
	mnistOrSkip(t)
	base := t.TempDir()
	ck := writeCheckpoint(t, base, "m.safetensors", []int{49, 16, 16, 10}, 1, 4)
	usageErrors(t, func(args []string) []string { return append(args, "--out", filepath.Join(base, args[0]), "--quiet") }, []refusal{
		{[]string{"covariance", "--checkpoint", ck, "--first", "100", "--batch-size", "8", "--max-memory", "4MiB"}, []string{"P = 1242", "mode auto", "--max-memory 4.0 MiB", "--mode matfree"}},
		// 2 chains × 10⁹ samples × (20 + 20 + 1) values: 656 GB.
		{[]string{"equilibrium", "--checkpoint", ck, "--first", "100", "--steps", "1000000000", "--every", "1"}, []string{"--steps 1000000000", "--max-memory 8.0 GiB", "raise --every"}},
	})
}

// TestDataExportRefusesASelectionAboveMaxMemory: data export holds the
// selection before writing it; it estimates it first.
func TestDataExportRefusesASelectionAboveMaxMemory(t *testing.T) {
	out := filepath.Join(t.TempDir(), "x.safetensors")
	code, _, stderr := run("data", "export", "--pool", "1", "--max-memory", "100MiB", "--out", out, "--quiet")
	if code != 2 || !strings.Contains(stderr, "--max-memory 100.0 MiB") || !strings.Contains(stderr, "train selection at pool 1") {
		t.Errorf("exit %d, stderr %q; want a usage error naming --max-memory", code, stderr)
	}
	if code, _, stderr := run("data", "export", "--max-memory", "lots", "--out", out); code != 2 || !strings.Contains(stderr, "--max-memory") {
		t.Errorf("--max-memory lots: exit %d, stderr %q", code, stderr)
	}
}

// TestEscapeAndSelectionLimits: escape run and sweep and selection networks
// sweep check the network against --max-params (usage error naming the flag
// that gave it) and estimate their memory before preparing anything: the
// N×P gradients of sgd-gaussian, the bookkeeping of 2·10⁹ runs, the
// concurrent runs of a selection sweep; they refuse a --max-params above
// what their libraries build.
func TestEscapeAndSelectionLimits(t *testing.T) {
	base := t.TempDir()
	mlp := []string{"escape", "run", "--landscape", "mlp", "--dynamics", "sgd", "--batch-size", "10", "--delta", "0.05", "--out", filepath.Join(base, "e"), "--quiet"}
	usageErrors(t, func(args []string) []string { return args }, []refusal{
		{append(mlp, "--layers", "49,8,10", "--max-params", "100"), []string{"--layers", "490 parameters", "--max-params"}},
		{append(mlp, "--max-params", "200000000"), []string{"--max-params 200000000", "escape builds models of at most 134217728"}},
		{[]string{"escape", "run", "--landscape", "mlp", "--dynamics", "sgd-gaussian", "--batch-size", "10", "--delta", "0.05", "--layers", "49,2000,10", "--first", "60000", "--out", filepath.Join(base, "g"), "--quiet"},
			[]string{"--max-memory 8.0 GiB", "sgd-gaussian"}},
		{[]string{"escape", "run", "--dynamics", "sgld", "--runs", "2000000000", "--out", filepath.Join(base, "r"), "--quiet"}, []string{"2000000000 runs per point", "--max-memory", "lower --runs"}},
		{[]string{"selection", "networks", "sweep", "--workers", "64", "--max-memory", "1GiB", "--out", filepath.Join(base, "s"), "--quiet"}, []string{"64 runs at a time", "--max-memory 1.0 GiB", "lower --workers"}},
		{[]string{"selection", "networks", "sweep", "--max-params", "1000", "--out", filepath.Join(base, "s"), "--quiet"}, []string{"--config builtin: model", "1242 parameters", "--max-params"}},
	})
}

// TestTwowellRefusesReplicasAboveMaxMemory: 2·10⁹ replicas need their
// bookkeeping (a task and a record each, 288 GB) before any is simulated.
func TestTwowellRefusesReplicasAboveMaxMemory(t *testing.T) {
	code, _, stderr := run("selection", "twowell", "run", "--dynamics", "sgld", "--replicas", "2000000000", "--steps", "10", "--out", filepath.Join(t.TempDir(), "s"), "--quiet")
	if code != 2 || !strings.Contains(stderr, "--replicas 2000000000") || !strings.Contains(stderr, "--max-memory 8.0 GiB") {
		t.Errorf("exit %d, stderr %q; want a usage error naming --replicas and --max-memory", code, stderr)
	}
}

// refusal is a command line and what its one-line usage error must say.
type refusal struct{ args, want []string }

// usageErrors runs each case's command line, completed by line, and checks
// that it exits with status 2 and one line on stderr saying every want.
func usageErrors(t *testing.T, line func([]string) []string, cases []refusal) {
	t.Helper()
	for _, c := range cases {
		code, _, stderr := run(line(c.args)...)
		if code != 2 || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q; want one line and exit 2", c.args, code, stderr)
		}
		for _, w := range c.want {
			if !strings.Contains(stderr, w) {
				t.Errorf("%v: stderr %q does not say %q", c.args, stderr, w)
			}
		}
	}
}

// stillSim is a simulator whose runs escape at once (the test's network
// sweep needs a folder, not the dynamics).
type stillSim struct{}

func (stillSim) Run(uint64) (escape.Outcome, error) {
	return escape.Outcome{Escaped: true, Step: 1}, nil
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

// TestDenseRefusalsOneRule: covariance --mode full and hessian --full on a
// model whose dense matrices need more than --max-memory (P = 25,450)
// refuse alike, by the memory estimate: exit 2, one line, the size in GiB,
// the limit, the flag to change.
func TestDenseRefusalsOneRule(t *testing.T) {
	base := t.TempDir()
	ck := writeCheckpoint(t, base, "m.safetensors", []int{784, 32, 10}, 1, 1)
	out := filepath.Join(base, "out")
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"covariance", "--checkpoint", ck, "--mode", "full"}, []string{"P = 25450 parameters (mode full)", "GiB", "--max-memory 8.0 GiB", "use --mode matfree", "raise --max-memory"}},
		{[]string{"hessian", "--checkpoint", ck, "--full"}, []string{"--full on", "GiB", "--max-memory 8.0 GiB", "raise --max-memory"}},
	} {
		code, _, stderr := run(append(c.args, "--first", "100", "--out", out, "--quiet")...)
		ok := code == 2 && strings.Count(stderr, "\n") == 1 && !strings.Contains(stderr, " GB")
		for _, w := range c.want {
			ok = ok && strings.Contains(stderr, w)
		}
		if !ok {
			t.Errorf("sgn %s: exit %d, %q; want exit 2, one line with %q", strings.Join(c.args[:1], " "), code, stderr, c.want)
		}
	}
}
