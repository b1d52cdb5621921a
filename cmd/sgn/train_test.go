package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTrainCommand(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "m")
	code, out, errs := run("train", "--layers", "49,8,10", "--pool", "4", "--first", "600", "--test-first", "200",
		"--epochs", "2", "--batch-size", "32", "--out", dir, "--quiet")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(out, "test loss") {
		t.Errorf("summary missing from stdout: %q", out)
	}
	for _, f := range []string{"model.safetensors", "log.jsonl", "summary.json"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("%s not written: %v", f, err)
		}
	}
	// resume to 3 epochs
	if code, _, errs := run("train", "--resume", dir, "--epochs", "3", "--quiet"); code != 0 {
		t.Fatalf("resume: exit %d: %s", code, errs)
	}
	if code, _, errs := run("train", "--resume", dir, "--eta", "0.5", "--quiet"); code != 2 || !strings.Contains(errs, "--eta") {
		t.Errorf("resume with --lr: exit %d, %q", code, errs)
	}
}

// Bad input gets a one-line error naming the flag or file, exit status 2
// for usage errors and 1 for failures, and leaves no partial file.
func TestTrainBadInput(t *testing.T) {
	tmp := t.TempDir()
	ro := filepath.Join(tmp, "ro")
	os.Mkdir(ro, 0o555)
	corrupt := filepath.Join(tmp, "mnist")
	os.Mkdir(corrupt, 0o755)
	for _, f := range []string{"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"} {
		os.WriteFile(filepath.Join(corrupt, f), []byte("not gzip"), 0o644)
	}
	file := filepath.Join(tmp, "file")
	os.WriteFile(file, []byte("x"), 0o644)
	base := []string{"train", "--first", "300", "--test-first", "100", "--epochs", "1", "--quiet"}
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--preset", "huge", "--out", tmp}, 2, "--preset"},
		{[]string{"--activation", "swish", "--out", tmp}, 2, "--activation"},
		{[]string{"--activation", "leaky_relu:NaN", "--out", tmp}, 2, "--activation"},
		{[]string{"--activation", "elu:-1", "--out", tmp}, 2, "--activation"},
		{[]string{"--init", "bogus", "--out", tmp}, 2, "--init"},
		{[]string{"--layers", "49,x,10", "--out", tmp}, 2, "--layers"},
		{[]string{"--layers", "50,10", "--out", tmp}, 2, "input width"},
		{[]string{"--batch-size", "0", "--out", tmp}, 2, "--batch-size"},
		{[]string{"--batch-size", "5000", "--out", tmp}, 2, "--batch-size"},
		{[]string{"--eta", "-0.1", "--out", tmp}, 2, "--eta"},
		{[]string{"--pool", "3", "--out", tmp}, 2, "--pool"},
		{[]string{"--epochs", "1"}, 2, "--out"},
		{[]string{"--bogus", "--out", tmp}, 2, "bogus"},
		{[]string{"--random", "200", "--out", tmp}, 2, "--random"},
		{[]string{"--first", "70000", "--out", tmp}, 2, "--first 70000"},
		{[]string{"--first", "0", "--random", "70000", "--out", tmp}, 2, "--random 70000"},
		{[]string{"--test-first", "20000", "--out", tmp}, 2, "--test-first 20000"},
		{[]string{"--out", filepath.Join(file, "sub")}, 1, "--out"},
		{[]string{"--mnist", filepath.Join(tmp, "nowhere"), "--out", tmp}, 1, "nowhere"},
		{[]string{"--mnist", corrupt, "--out", tmp}, 1, "idx"},
	}
	if os.Geteuid() != 0 { // root writes anywhere
		cases = append(cases, struct {
			args []string
			code int
			want string
		}{[]string{"--out", ro}, 1, "not writable"})
	}
	for _, c := range cases {
		code, _, errs := run(append(append([]string{}, base...), c.args...)...)
		if code != c.code || !strings.Contains(errs, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d and a message containing %q", c.args, code, errs, c.code, c.want)
		}
		if n := strings.Count(strings.TrimSpace(errs), "\n"); code != 0 && n > 0 {
			t.Errorf("%v: error is %d lines, want one: %q", c.args, n+1, errs)
		}
	}
	if code, _, errs := run("train", "--resume", filepath.Join(tmp, "none")); code != 1 || !strings.Contains(errs, "none") {
		t.Errorf("resume from a missing folder: exit %d, %q", code, errs)
	}
	// a diverging run: exit 1, says so, writes no checkpoint
	dir := filepath.Join(tmp, "div")
	code, _, errs := run(append(append([]string{}, base...), "--layers", "49,16,10", "--activation", "relu", "--eta", "1e200", "--out", dir)...)
	if code != 1 || !strings.Contains(errs, "diverged") {
		t.Errorf("diverging run: exit %d, %q", code, errs)
	}
	if _, err := os.Stat(filepath.Join(dir, "model.safetensors")); err == nil {
		t.Error("a diverged run left a checkpoint")
	}
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
