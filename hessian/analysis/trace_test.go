package analysis

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// TestTraceShortOfTolerance: on real MNIST (mnistCase, tr H known from
// central differences), Hutchinson stopped at its probe cap short of its
// tolerance says so in hessian.json (converged false, the relative
// standard error reached) and in the summary ("did NOT reach the
// tolerance"), and its estimate lies within a few standard errors of the
// trace; one that reaches its tolerance says nothing of the kind.
func TestTraceShortOfTolerance(t *testing.T) {
	m, meta, sel, dense, _ := mnistCase(t)
	tr := mat.Trace(dense)
	for _, c := range []struct {
		tol       float64
		max       int
		converged bool
	}{{1e-9, 40, false}, {0.5, 1000, true}} {
		dir := t.TempDir()
		rep, err := Run(m, meta, "in-memory", sel, Options{Trace: true, TraceTol: c.tol, TraceMax: c.max, MaxMemory: 1 << 30, Seed: 1, Workers: 1, OutDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		raw, err := os.ReadFile(filepath.Join(dir, JSONFile))
		if err != nil {
			t.Fatal(err)
		}
		var f struct {
			Trace struct {
				Estimate  *float64 `json:"estimate"`
				StdErr    *float64 `json:"stderr"`
				RelStdErr *float64 `json:"rel_stderr"`
				Samples   int      `json:"samples"`
				Converged *bool    `json:"converged"`
			} `json:"trace"`
		}
		if err := json.Unmarshal(raw, &f); err != nil {
			t.Fatal(err)
		}
		g := f.Trace
		if g.Converged == nil || *g.Converged != c.converged || g.Estimate == nil || g.StdErr == nil || g.RelStdErr == nil {
			t.Fatalf("tol %g: trace %s, want converged %v with the standard error", c.tol, raw, c.converged)
		}
		if rel := *g.StdErr / math.Abs(*g.Estimate); *g.RelStdErr != rel || (rel <= c.tol) == !c.converged {
			t.Errorf("tol %g: rel_stderr %g, want stderr/|estimate| = %g, above the tolerance exactly when not converged", c.tol, *g.RelStdErr, rel)
		}
		if !c.converged && g.Samples != c.max {
			t.Errorf("tol %g: %d probes, want the cap %d", c.tol, g.Samples, c.max)
		}
		if d := math.Abs(*g.Estimate - tr); d > 4**g.StdErr {
			t.Errorf("tol %g: estimate %g, tr H by central differences %g: off by %g > 4·stderr", c.tol, *g.Estimate, tr, d)
		}
		var b bytes.Buffer
		if err := rep.WriteText(&b); err != nil {
			t.Fatal(err)
		}
		if said := strings.Contains(b.String(), "did NOT reach the tolerance"); said == c.converged {
			t.Errorf("tol %g: summary\n%s\nsays it did not reach the tolerance: %v, want %v", c.tol, b.String(), said, !c.converged)
		}
	}
}
