package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEquilibriumUnstableEta: a step size with η·λmax ≥ 2 at the
// checkpoint is a usage error naming --eta, the value of η·λmax and the
// bound, on one line, before anything runs: an earlier run's
// equilibrium.json in --out is kept.
func TestEquilibriumUnstableEta(t *testing.T) {
	dir := mnistOrSkip(t)
	tmp := t.TempDir()
	ck := writeCheckpoint(t, tmp, "tiny.safetensors", []int{49, 6, 10}, 3, 4)
	out := filepath.Join(tmp, "eq")
	earlier := filepath.Join(out, "equilibrium.json")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(earlier, []byte("{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := run("equilibrium", "--mnist", dir, "--first", "300", "--quiet", "--checkpoint", ck, "--eta", "10000", "--out", out)
	line := strings.TrimSpace(stderr)
	if code != 2 || stdout != "" || strings.Contains(line, "\n") || !strings.HasPrefix(line, "sgn equilibrium: --eta 10000: η·λmax = ") || !strings.Contains(line, "≥ 2 at the given θ") {
		t.Errorf("exit %d, stdout %q, stderr %q; want 2 and one line naming --eta, η·λmax and the bound", code, stdout, stderr)
	}
	if b, err := os.ReadFile(earlier); err != nil || string(b) != "{}\n" {
		t.Errorf("the earlier equilibrium.json: %q, %v; want it kept", b, err)
	}
}
