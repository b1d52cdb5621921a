package main

import (
	"path/filepath"
	"strings"
	"testing"

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
