package analysis

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/sgn-project/sgn/data"
	"gonum.org/v1/gonum/mat"
)

// TestSavedVectorsAndDensityCurve: on real MNIST (200 pooled images, a
// 49-5-10 tanh network), each row of eigenvectors.safetensors is a unit
// eigenvector of the Hessian by finite differences for the eigenvalue
// stored beside it (‖Hv − λv‖ small against the spectrum), in the order of
// hessian.json; density.csv is a density: its trapezoid integral is 1.
func TestSavedVectorsAndDensityCurve(t *testing.T) {
	m, cp, sel, dense, want := mnistCase(t)
	p := len(want)
	scale := math.Max(math.Abs(want[0]), math.Abs(want[p-1]))
	dir := t.TempDir()
	rep, err := Run(m, cp, "in-memory", sel,
		Options{TopK: 3, BottomK: 2, SaveVectors: true, Density: true, SLQRuns: 2, SLQSteps: 30, MaxMemory: 1 << 30, Seed: 1, Workers: 2, OutDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	ts, meta, err := data.ReadSafetensors(filepath.Join(dir, VectorsFile))
	if err != nil {
		t.Fatal(err)
	}
	if meta["block"] != "[0, "+strconv.Itoa(p)+")" {
		t.Errorf("metadata block %q", meta["block"])
	}
	for _, c := range []struct {
		name string
		vals []float64
	}{{"top", rep.Eigenvalues}, {"bottom", rep.EigenvaluesSmallest}} {
		vecs, ev := ts[c.name+"_vectors"], ts[c.name+"_eigenvalues"]
		k := len(c.vals)
		if len(vecs.Shape) != 2 || vecs.Shape[0] != k || vecs.Shape[1] != p || len(ev.F64) != k {
			t.Fatalf("%s: shapes %v and %v, want [%d %d] and [%d]", c.name, vecs.Shape, ev.Shape, k, p, k)
		}
		for i := range k {
			if ev.F64[i] != c.vals[i] {
				t.Errorf("%s_eigenvalues[%d] = %g, hessian.json %g", c.name, i, ev.F64[i], c.vals[i])
			}
			v := mat.NewVecDense(p, vecs.F64[i*p:(i+1)*p])
			if n := mat.Norm(v, 2); math.Abs(n-1) > 1e-12 {
				t.Errorf("%s vector %d: norm %g", c.name, i, n)
			}
			var hv mat.VecDense
			hv.MulVec(dense, v)
			hv.AddScaledVec(&hv, -ev.F64[i], v)
			if r := mat.Norm(&hv, 2); r > 1e-6*scale {
				t.Errorf("%s vector %d: ‖Hv − λv‖ = %g with H by finite differences (scale %g)", c.name, i, r, scale)
			}
		}
	}
	f, err := os.Open(filepath.Join(dir, DensityCSV))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil || len(rows) < 1000 || rows[0][0] != "lambda" || rows[0][1] != "density" {
		t.Fatalf("density.csv: %d rows, header %v, %v", len(rows), rows[0], err)
	}
	integral := 0.0
	var x0, y0 float64
	for i, r := range rows[1:] {
		x, _ := strconv.ParseFloat(r[0], 64)
		y, _ := strconv.ParseFloat(r[1], 64)
		if i > 0 {
			integral += (x - x0) * (y + y0) / 2
		}
		x0, y0 = x, y
	}
	if math.Abs(integral-1) > 1e-6 {
		t.Errorf("density.csv integrates to %.9f, want 1", integral)
	}
}

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
