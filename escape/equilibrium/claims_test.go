package equilibrium

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sgn-project/sgn/internal/report"
)

// readTestReport reads testdata/equilibrium.json: the equilibrium.json of
// `sgn equilibrium` at the true minimum of the figure network
// (λ = 1e-3, 2,000 images, η = 0.1, B = 64, T = 20,000), with its
// directions and loss series left out (the claims read neither).
func readTestReport(t *testing.T) *Report {
	t.Helper()
	b, err := os.ReadFile("testdata/equilibrium.json")
	if err != nil {
		t.Fatal(err)
	}
	var r Report
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return &r
}

// claimByID returns the claim of cl with the given id.
func claimByID(t *testing.T, cl []report.Claim, id string) report.Claim {
	t.Helper()
	c, ok := report.Find(cl, id)
	if !ok {
		t.Fatalf("no claim %s among %d", id, len(cl))
	}
	return c
}

// TestClaimsRealOutput: on the measured report of the figure network's
// minimum, the whole SGLD loss drifts (the flat directions diffuse: 15.9
// of its standard deviations) while the energy of the 44 directions judged
// is stationary (0.39): the gate is the latter, so equilibrium-sgld is
// judged (and agrees, 1.05 [1.01, 1.08]); the whole-loss drift is a detail
// of the claim. The file was written under the earlier rule (whole-loss
// gate in its regime list): Claims judges afresh from the typed numbers.
func TestClaimsRealOutput(t *testing.T) {
	r := readTestReport(t)
	if !(float64(r.Summary.LossDriftSGLD) > 10) || !(math.Abs(float64(r.Summary.EnergyDriftSGLD)) < 0.5) {
		t.Fatalf("fixture: SGLD loss drift %v, energy drift %v", r.Summary.LossDriftSGLD, r.Summary.EnergyDriftSGLD)
	}
	cl := r.Claims("x/equilibrium.json")
	for _, id := range []string{"equilibrium-sgd", "equilibrium-sgld"} {
		c := claimByID(t, cl, id)
		if c.Verdict != report.Agrees {
			t.Errorf("%s: %s (%s); want agrees", id, c.Verdict, c.Reason)
		}
		var gated, detail bool
		for _, g := range c.Regime {
			if strings.Contains(g.Name, "energy") && strings.Contains(g.Name, "directions judged") {
				gated = g.OK
			}
			if strings.Contains(g.Name, "whole loss") || strings.Contains(g.Name, "loss drift") {
				t.Errorf("%s: the whole loss is gated: %+v", id, g)
			}
		}
		for _, d := range c.Details {
			detail = detail || strings.Contains(d.Name, "whole loss")
		}
		if !gated || !detail {
			t.Errorf("%s: energy gate passed %v, whole-loss drift among the details %v", id, gated, detail)
		}
	}
}

// TestClaimsEdges: the four verdicts of equilibrium-sgd and -sgld from
// the measured report with one number moved across each edge: the energy
// gate just inside and just outside |drift| ≤ 1 (and NaN), too few
// directions, and the median's interval inside, straddling and outside
// [0.8, 1.25].
func TestClaimsEdges(t *testing.T) {
	type edit func(*Report)
	setSGD := func(lo, med, hi float64) edit {
		return func(r *Report) {
			x := &r.Summary.RatioSGDQuasiStatic
			x.CI95[0], x.Median, x.CI95[1] = Number(lo), Number(med), Number(hi)
		}
	}
	cases := []struct {
		name  string
		edit  edit
		sgd   report.Verdict
		sgld  report.Verdict
		cause string
	}{
		{"as measured", func(*Report) {}, report.Agrees, report.Agrees, ""},
		{"energy drift 0.99", func(r *Report) { r.Summary.EnergyDriftSGD = -0.99 }, report.Agrees, report.Agrees, ""},
		{"energy drift 1.01", func(r *Report) { r.Summary.EnergyDriftSGD = -1.01 }, report.NotTestable, report.Agrees, "energy"},
		{"energy drift NaN", func(r *Report) { r.Summary.EnergyDriftSGLD = Number(math.NaN()) }, report.Agrees, report.NotTestable, "energy"},
		{"whole loss drifts", func(r *Report) { r.Summary.LossDrift, r.Summary.LossDriftSGLD = 40, -40 }, report.Agrees, report.Agrees, ""},
		{"9 directions", func(r *Report) { r.Summary.DirectionsUsed = MinJudged - 1 }, report.NotTestable, report.NotTestable, "equilibrated directions"},
		{"not a minimum", func(r *Report) { r.Minimum.GradNorm = 2e-6 }, report.NotTestable, report.NotTestable, "‖∇L(θ₀)‖"},
		{"straddles 1.25", setSGD(1.1, 1.2, 1.3), report.Inconclusive, report.Agrees, ""},
		{"straddles 0.8", setSGD(0.7, 0.85, 0.9), report.Inconclusive, report.Agrees, ""},
		{"above 1.25", setSGD(1.26, 1.4, 1.5), report.Disagrees, report.Agrees, ""},
		{"below 0.8", setSGD(0.5, 0.6, 0.79), report.Disagrees, report.Agrees, ""},
	}
	for _, tc := range cases {
		r := readTestReport(t)
		tc.edit(r)
		cl := r.Claims("x/equilibrium.json")
		// The page's own check of the judging rules (report.Build), on the
		// edited file (without its figure).
		r.Files = nil
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, JSONFile), b, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := report.Build([]string{dir}, "v", []report.ClaimsFunc{Claims}); err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
		for i, want := range []report.Verdict{tc.sgd, tc.sgld} {
			c := cl[i]
			if c.Verdict != want {
				t.Errorf("%s: %s %s (%s), want %s", tc.name, c.ID, c.Verdict, c.Reason, want)
			}
			if want == report.NotTestable && !strings.Contains(c.Reason, tc.cause) {
				t.Errorf("%s: %s reason %q does not name %q", tc.name, c.ID, c.Reason, tc.cause)
			}
		}
	}
}

// TestClaimsCost: the wall and CPU seconds equilibrium.json records are
// read back into every claim's source (the report page's cost table).
func TestClaimsCost(t *testing.T) {
	r := readTestReport(t)
	r.Seconds = map[string]float64{"total": 12.5}
	r.CPUSeconds = 23.75
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"cpu_seconds":23.75`) {
		t.Fatalf("equilibrium.json without cpu_seconds: %.200s", b)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, JSONFile), b, 0o644); err != nil {
		t.Fatal(err)
	}
	cl, err := Claims(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cl {
		if len(c.Sources) != 1 || c.Sources[0].WallSeconds != 12.5 || c.Sources[0].CPUSeconds != 23.75 {
			t.Errorf("%s: sources %+v", c.ID, c.Sources)
		}
	}
}
