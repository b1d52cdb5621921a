package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sgn-project/sgn/data"
	"github.com/sgn-project/sgn/train"
)

// editCheckpoint rewrites the checkpoint at path through edit.
func editCheckpoint(t *testing.T, path string, edit func(ts map[string]data.Tensor, md map[string]string)) {
	t.Helper()
	ts, md, err := data.ReadSafetensors(path)
	if err != nil {
		t.Fatal(err)
	}
	edit(ts, md)
	var list []data.Tensor
	for _, v := range ts {
		list = append(list, v)
	}
	if err := data.WriteSafetensors(path, list, md); err != nil {
		t.Fatal(err)
	}
}

// Issue cases 1 and 8: every bad flag value is a usage error (exit 2) naming
// the flag, sizes included.
func TestBadFlagValuesAreUsageErrors(t *testing.T) {
	base := t.TempDir()
	ck := writeCheckpoint(t, base, "m.safetensors", []int{49, 6, 10}, 1, 4)
	out := filepath.Join(base, "out")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"train", "--layers", "49,307445734561825861,10", "--out", out}, "layers"},
		{[]string{"train", "--layers", "49,100000,100000,10", "--out", out}, "--max-params"},
		{[]string{"train", "--layers", "49,16,10", "--max-params", "900", "--out", out}, "--max-params"},
		{[]string{"train", "--first", "60001", "--out", out}, "--first"},
		{[]string{"train", "--test-first", "10001", "--out", out}, "--test-first"},
		{[]string{"escape", "sweep", "--config", "x.json", "--workers", "-3", "--out", out}, "--workers"},
		{[]string{"covariance", "--checkpoint", ck, "--first", "100", "--batch-size", "8", "--mode", "matfree", "--top-k", "5000", "--out", out, "--quiet"}, "--top-k"},
		{[]string{"selection", "twowell", "run", "--dynamics", "sgd", "--workers", "0", "--out", out}, "--workers"},
		{[]string{"selection", "twowell", "sweep", "--config", "builtin:twowell", "--shard", "5/2", "--out", out}, "--shard: invalid shard"},
		{[]string{"train", "--epochs", "0", "--out", out}, "--epochs 0 and --steps 0"},
		{[]string{"train", "--steps", "-3", "--out", out}, "--steps -3: must not be negative"},
		{[]string{"hessian", "--checkpoint", ck, "--top-k", "30", "--max-iterations", "10", "--out", out, "--quiet"}, "--max-iterations 10 is smaller"},
	} {
		code, _, stderr := run(c.args...)
		if code != 2 || !strings.Contains(stderr, c.want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and one line naming %s", c.args, code, stderr, c.want)
		}
	}
}

// Issue cases 8 and 9: a checkpoint whose weights hold a NaN, or whose
// training settings are invalid, is the file's fault: exit 1 naming the file,
// no flag the user never gave, no advice to lower the learning rate.
func TestBadCheckpointIsTheFilesFault(t *testing.T) {
	mnistOrSkip(t)
	base := t.TempDir()
	ck := writeCheckpoint(t, base, "nan.safetensors", []int{49, 6, 10}, 1, 4)
	editCheckpoint(t, ck, func(ts map[string]data.Tensor, _ map[string]string) { ts["fc2.weight"].F64[3] = math.NaN() })
	for _, args := range [][]string{
		{"noise", "--checkpoint", ck, "--first", "100", "--batch-size", "8", "--out", filepath.Join(base, "n"), "--quiet"},
		{"covariance", "--checkpoint", ck, "--first", "100", "--batch-size", "8", "--out", filepath.Join(base, "c"), "--quiet"},
		{"hessian", "--checkpoint", ck, "--first", "100", "--top-k", "2", "--out", filepath.Join(base, "h"), "--quiet"},
	} {
		code, _, stderr := run(args...)
		if code != 1 || !strings.Contains(stderr, ck) || !strings.Contains(stderr, "NaN") {
			t.Errorf("%s on a NaN checkpoint: exit %d, stderr %q", args[0], code, stderr)
		}
	}

	dir := filepath.Join(base, "run")
	if code, _, stderr := run("train", "--layers", "49,6,10", "--first", "200", "--test-first", "100", "--epochs", "1", "--batch-size", "10", "--out", dir, "--quiet"); code != 0 {
		t.Fatal(stderr)
	}
	good, err := os.ReadFile(filepath.Join(dir, train.CheckpointFile))
	if err != nil {
		t.Fatal(err)
	}
	ckpt := filepath.Join(dir, train.CheckpointFile)
	for _, c := range []struct {
		name string
		edit func(ts map[string]data.Tensor, md map[string]string)
	}{
		{"NaN weight", func(ts map[string]data.Tensor, _ map[string]string) { ts["fc1.bias"].F64[0] = math.Inf(1) }},
		{"batch size 0", func(_ map[string]data.Tensor, md map[string]string) {
			var meta map[string]json.RawMessage
			json.Unmarshal([]byte(md["config"]), &meta)
			var s map[string]any
			json.Unmarshal(meta["training"], &s)
			s["batch_size"] = 0
			meta["training"], _ = json.Marshal(s)
			b, _ := json.Marshal(meta)
			md["config"] = string(b)
		}},
	} {
		if err := os.WriteFile(ckpt, good, 0o644); err != nil {
			t.Fatal(err)
		}
		editCheckpoint(t, ckpt, c.edit)
		code, _, stderr := run("train", "--resume", dir, "--epochs", "2", "--quiet")
		if code != 1 || !strings.Contains(stderr, ckpt) || strings.Contains(stderr, "learning rate") || strings.Contains(stderr, "--batch-size") {
			t.Errorf("resume from a checkpoint with %s: exit %d, stderr %q; want exit 1 naming %s", c.name, code, stderr, ckpt)
		}
	}
}

// Issue case 3: sgn noise estimates its buffers and refuses, before
// allocating them, options that need more than --max-memory.
func TestNoiseRefusesOptionsAboveMaxMemory(t *testing.T) {
	mnistOrSkip(t)
	base := t.TempDir()
	ck := writeCheckpoint(t, base, "m.safetensors", []int{49, 6, 10}, 1, 4)
	code, _, stderr := run("noise", "--checkpoint", ck, "--first", "100", "--batch-size", "8", "--minibatches", "100000000", "--out", filepath.Join(base, "n"), "--quiet")
	if code != 2 || !strings.Contains(stderr, "--max-memory") || !strings.Contains(stderr, "--minibatches 100000000") {
		t.Errorf("--minibatches 100000000: exit %d, stderr %q", code, stderr)
	}
	code, _, stderr = run("noise", "--checkpoint", ck, "--first", "100", "--batch-size", "8", "--minibatches", "100", "--max-memory", "1KiB", "--out", filepath.Join(base, "n"), "--quiet")
	if code != 2 || !strings.Contains(stderr, "--max-memory") {
		t.Errorf("--max-memory 1KiB: exit %d, stderr %q", code, stderr)
	}
}
