package claims

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sgn-project/sgn/escape"
	"github.com/sgn-project/sgn/escape/kramers"
	"github.com/sgn-project/sgn/internal/atomicfile"
	"github.com/sgn-project/sgn/internal/cputime"
	"github.com/sgn-project/sgn/internal/report"
	"github.com/sgn-project/sgn/internal/stats"
)

// smallSweep runs and fits cfg into a new folder, as sgn escape sweep and
// sgn escape fit do.
func smallSweep(t *testing.T, cfg kramers.Config) (string, kramers.FitResult) {
	t.Helper()
	dir := t.TempDir()
	start := cputime.Start()
	if _, err := kramers.RunSweep(dir, cfg, kramers.SweepOptions{Workers: 2, Version: "test"}); err != nil {
		t.Fatal(err)
	}
	res, err := kramers.Fit(dir, dir, "test", start)
	if err != nil {
		t.Fatal(err)
	}
	return dir, res
}

func claimOf(t *testing.T, cs []report.Claim, id string) report.Claim {
	t.Helper()
	c, ok := report.Find(cs, id)
	if !ok {
		t.Fatalf("no claim %s", id)
	}
	return c
}

// TestClaimsOnRealSweeps judges Theorem 1 from a real SGLD sweep on the
// double well, and Theorem 2's range from a real double-well panel written
// as figure.json; every claim obeys the judging rules (report.Build).
func TestClaimsOnRealSweeps(t *testing.T) {
	var cfg kramers.Config
	if err := json.Unmarshal([]byte(`{"seed": 3, "landscape": {"name": "doublewell", "barrier": 1, "dim": 1},
		"dynamics": ["sgld"], "sharpness": [1], "eta": [0.01], "temperature": [0.3, 0.4, 0.5],
		"runs": 40, "max_steps": 2000000, "criterion": {"kind": "col"}}`), &cfg); err != nil {
		t.Fatal(err)
	}
	dir, _ := smallSweep(t, cfg)
	cs, err := Claims(dir)
	if err != nil {
		t.Fatal(err)
	}
	c := claimOf(t, cs, ClaimSGLD)
	if len(c.Sources) != 2 || len(c.Effects) != 2 || c.Verdict == "" {
		t.Fatalf("sgld claim from a real sweep: %+v", c)
	}
	// fit.json records the sweep's and the fit's cost since the start, and
	// the claim carries it.
	if src := c.Sources[0]; !(src.WallSeconds > 0) || !(src.CPUSeconds > 0) {
		t.Errorf("the fit's source records %v s wall, %v s CPU, want > 0", src.WallSeconds, src.CPUSeconds)
	}
	// The band is ΔL ± ln 1.25·Σ|xᵢ − x̄|/Σ(xᵢ − x̄)² over 1/D = 10/3, 5/2, 2:
	// x̄ = 47/18, deviations 13/18, −2/18, −11/18, so Σ|d| = 26/18 and
	// Σd² = 294/324; ΔL = 1 (barrier 1); the exact chain's slope beside it.
	delta := math.Log(1.25) * (26.0 / 18) / (294.0 / 324)
	if e := c.Effects[0]; math.Abs(e.Prediction.Lo-(1-delta)) > 1e-9 || math.Abs(e.Prediction.Hi-(1+delta)) > 1e-9 || !(e.Interval.Lo < e.Interval.Hi) || e.Reference == nil {
		t.Errorf("slope effect %+v: want an interval against ΔL ± %.6g with the exact chain's slope beside", e, delta)
	}
	if c := claimOf(t, cs, ClaimNetwork); c.Produce == "" {
		t.Errorf("without figure.json the network claim is measured: %+v", c)
	}

	bs, err := kramers.BuiltinConfig("doublewell-batch-size")
	if err != nil {
		t.Fatal(err)
	}
	bs.Runs, bs.BatchSize = 30, []float64{1, 2, 3}
	_, res := smallSweep(t, bs)
	fig := kramers.FigureReport{Version: "test", RateUnit: kramers.RateUnit, WallSeconds: 85.5, CPUSeconds: 160.25}
	for i := range res.Relations {
		if res.Relations[i].Variable == "batch-size" {
			fig.Panels = append(fig.Panels, kramers.PanelResult{FigurePanel: kramers.FigurePanel{Label: "e", Builtin: "doublewell-batch-size", Variable: "batch-size"},
				Relation: &res.Relations[i], Points: kramers.PointSummaries(res.Rates)})
		}
	}
	if len(fig.Panels) != 1 {
		t.Fatalf("relations %+v", res.Relations)
	}
	figDir := t.TempDir()
	b, err := atomicfile.MarshalJSON(fig)
	if err != nil {
		t.Fatal(err)
	}
	if err := atomicfile.WriteBytes(filepath.Join(figDir, kramers.FigureFile), b); err != nil {
		t.Fatal(err)
	}
	cs, err = Claims(figDir)
	if err != nil {
		t.Fatal(err)
	}
	dw := claimOf(t, cs, ClaimDoubleWell)
	if len(dw.Sources) != 1 || dw.Sources[0].WallSeconds != 85.5 || dw.Sources[0].CPUSeconds != 160.25 {
		t.Errorf("double-well claim's source does not carry figure.json's cost: %+v", dw.Sources)
	}
	if len(dw.Effects) != 1 || dw.Effects[0].Prediction.Lo >= dw.Effects[0].Prediction.Hi || dw.Effects[0].Reference == nil {
		t.Errorf("double-well claim %+v", dw)
	}
	// Under |H| the noise vanishes on the path: the claim is not-testable,
	// whatever the slopes, and says why.
	if dw.Verdict != report.NotTestable || !strings.Contains(dw.Reason, "noise on the escape path") {
		t.Errorf("|H| double-well claim: %s, %q", dw.Verdict, dw.Reason)
	}
	if nw := claimOf(t, cs, ClaimNetwork); nw.Verdict != report.Inconclusive || !strings.Contains(nw.Finding, "network panels") {
		t.Errorf("network claim without network panels: %+v", nw)
	}
	if _, err := report.Build([]string{dir, figDir}, "v", []report.ClaimsFunc{Claims}); err != nil {
		t.Fatal(err)
	}
}

// TestSGLDSlopeBand judges a fit.json of one SGLD series at 1/D = 4, 5, 6
// (band ΔL ± ln 1.25·2/2 = ΔL ± 0.223 with ΔL = 1): a slope 0.98 with a
// narrow interval (what a large sample gives when the finite-D corrections
// move the slope off ΔL) agrees, where a point prediction ΔL would refute
// it; 1.5 [1.45, 1.55] disagrees; 1.2 [1.1, 1.3] straddles.
func TestSGLDSlopeBand(t *testing.T) {
	for _, c := range []struct {
		slope, lo, hi float64
		want          report.Verdict
	}{{0.98, 0.975, 0.985, report.Agrees}, {1.5, 1.45, 1.55, report.Disagrees}, {1.2, 1.1, 1.3, report.Inconclusive}} {
		pred := 1.0
		fit := kramers.FitReport{Version: "test", Relations: []kramers.RelationFit{{Name: "sgld-vs-inv-temperature", Dynamics: escape.SGLD, Variable: "inv-temperature",
			Series: []kramers.SeriesFit{{Fixed: map[string]float64{"sharpness": 1}, Points: []int{0, 1, 2}, X: []float64{4, 5, 6}, Y: []float64{4, 5, 6},
				Line: &stats.LineFit{N: 3, Slope: c.slope, SlopeCI: &[2]float64{c.lo, c.hi}}, PredictedSlope: &pred}}}}}
		dir := t.TempDir()
		b, err := atomicfile.MarshalJSON(fit)
		if err != nil {
			t.Fatal(err)
		}
		if err := atomicfile.WriteBytes(filepath.Join(dir, kramers.FitFile), b); err != nil {
			t.Fatal(err)
		}
		cs, err := Claims(dir)
		if err != nil {
			t.Fatal(err)
		}
		e := claimOf(t, cs, ClaimSGLD).Effects[0]
		if d := math.Log(1.25); math.Abs(e.Prediction.Lo-(1-d)) > 1e-12 || math.Abs(e.Prediction.Hi-(1+d)) > 1e-12 {
			t.Errorf("slope %g: prediction %v, want 1 ± ln 1.25", c.slope, e.Prediction)
		}
		if e.Verdict != c.want {
			t.Errorf("slope %g %v: verdict %s, want %s", c.slope, e.Interval, e.Verdict, c.want)
		}
	}
}

func TestClaimsRejectBadFiles(t *testing.T) {
	for _, name := range []string{kramers.FitFile, kramers.FigureFile} {
		for _, body := range []string{`null`, `[]`, `"x"`, `{"relations": "x", "panels": 3}`, `{`} {
			dir := t.TempDir()
			p := filepath.Join(dir, name)
			os.WriteFile(p, []byte(body), 0o644)
			if _, err := Claims(dir); err == nil || !strings.Contains(err.Error(), p) {
				t.Errorf("%s = %s: error %v does not name the file", name, body, err)
			}
		}
	}
}
