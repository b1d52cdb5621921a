package main

import (
	"path/filepath"
	"strings"
	"testing"
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
