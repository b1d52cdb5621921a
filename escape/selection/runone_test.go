package selection

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sgn-project/sgn/escape"
	"github.com/sgn-project/sgn/internal/cputime"
	"github.com/sgn-project/sgn/internal/sweep"
)

// TestRunOne: one point is simulated and fitted into one folder, and the
// summary holds the sweep's lines before the fit's.
func TestRunOne(t *testing.T) {
	s := RunSettings{Landscape: escape.TwoWellSpec{Dim: 1, Sharpness: 2, HFlat: 1, Barrier: 0.02}, Dynamics: "sgld",
		Eta: 0.05, Temperature: 0.004, Replicas: 2, Steps: 200, Seed: 1}
	cfg, err := s.Check()
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "one")
	rep, err := RunOne(out, cfg, sweep.Options{Workers: 2, Version: "test"}, cputime.Start())
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{sweep.ConfigFile, sweep.RunsFile, "selection.json"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	var b bytes.Buffer
	if err := rep.WriteText(&b); err != nil || !strings.HasPrefix(b.String(), "sweep ") || !strings.Contains(b.String(), "runs.jsonl\n") ||
		strings.Index(b.String(), "runs.jsonl") > strings.Index(b.String(), "selection.json") {
		t.Errorf("summary %q, %v", b.String(), err)
	}
}
