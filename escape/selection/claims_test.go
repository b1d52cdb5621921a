package selection

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sgn-project/sgn/escape"
	"github.com/sgn-project/sgn/internal/atomicfile"
	"github.com/sgn-project/sgn/internal/cputime"
	"github.com/sgn-project/sgn/internal/report"
	"github.com/sgn-project/sgn/internal/stats"
)

// TestClaimsOnARealSweep judges the two-valley claim from the selection.json
// that FitFolder writes for a real (quick) sweep of the builtin two-well.
func TestClaimsOnARealSweep(t *testing.T) {
	full, err := LoadConfig(BuiltinPrefix + "twowell")
	if err != nil {
		t.Fatal(err)
	}
	cfg := Quick(full)
	cfg.BatchSize, cfg.Temperature, cfg.Steps = []float64{2, 4, 6}, []float64{0.01, 0.0075, 0.005}, 200_000
	tmp := t.TempDir()
	start := cputime.Start()
	runs, out := filepath.Join(tmp, "runs"), filepath.Join(tmp, "fit")
	if _, err := Sweep(runs, cfg, Options{Workers: 2}); err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(out, 0o755)
	rep, _, _, err := FitFolder(runs, out, "test", start)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := Claims(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 1 || cs[0].ID != ClaimTwoValley || len(cs[0].Effects) == 0 || len(cs[0].Effects) > len(rep.Fits) {
		t.Fatalf("claims %+v from %d fits", cs, len(rep.Fits))
	}
	// selection.json records the sweep's and the fit's cost since start,
	// and the claim carries it.
	if src := cs[0].Sources[0]; src.WallSeconds != rep.WallSeconds || src.CPUSeconds != rep.CPUSeconds || !(rep.WallSeconds > 0) || !(rep.CPUSeconds > 0) {
		t.Errorf("source cost %v s wall, %v s CPU; report %v, %v", src.WallSeconds, src.CPUSeconds, rep.WallSeconds, rep.CPUSeconds)
	}
	var refs, common, paths int
	for _, e := range cs[0].Effects {
		if e.Reference != nil && strings.Contains(e.Reference.Name, "path s") {
			refs++
		}
	}
	for _, d := range cs[0].Details {
		if strings.Contains(d.Name, "common s (derived") {
			common++
		}
		if strings.HasPrefix(d.Name, "path s of the") {
			paths++
		}
	}
	if refs == 0 || refs != common || paths != 2 {
		t.Errorf("claim %+v: want each SGD slope beside Theorem 2's with each valley's path s, the common s as a derived detail, both path s", cs[0])
	}
	// SGLD's slope is judged against ΔL₁ − ΔL₂ ± the fit's tolerance, with
	// the exact ratios' slope beside it.
	for _, f := range rep.Fits {
		if f.Dynamics != escape.SGLD {
			continue
		}
		for _, e := range cs[0].Effects {
			if !strings.HasPrefix(e.Name, "sgld:") {
				continue
			}
			if f.PredictedSlopeTolerance == nil || !(*f.PredictedSlopeTolerance > 0) || e.Prediction.Hi-*f.PredictedSlope != *f.PredictedSlopeTolerance ||
				*f.PredictedSlope-e.Prediction.Lo != *f.PredictedSlopeTolerance || e.Reference == nil {
				t.Errorf("sgld effect %+v, fit tolerance %v: want the band ΔL₁ − ΔL₂ ± tolerance and the exact slope beside", e, f.PredictedSlopeTolerance)
			}
		}
	}
	if s := cs[0].Sources[0]; s.Seeds["seed"] != cfg.Seed {
		t.Errorf("source %+v: seed %d", s, cfg.Seed)
	}
	if _, err := report.Build([]string{out}, "v", []report.ClaimsFunc{Claims}); err != nil {
		t.Fatal(err)
	}
	cs, err = Claims(tmp)
	if err != nil || cs[0].Produce == "" {
		t.Errorf("a folder without selection.json: %+v, %v", cs, err)
	}
	for _, body := range []string{`null`, `[]`, `{"fits": "x"}`, `{}`} {
		dir := t.TempDir()
		p := filepath.Join(dir, JSONFile)
		os.WriteFile(p, []byte(body), 0o644)
		if _, err := Claims(dir); err == nil || !strings.Contains(err.Error(), p) {
			t.Errorf("selection.json %s: error %v does not name the file", body, err)
		}
	}
}

// TestSGLDBand: an SGLD slope 0.003 [0.002, 0.004] against ΔL₁ − ΔL₂ = 0
// agrees inside a tolerance 0.01 (a point prediction 0 would refute it, as
// any sample large enough to resolve Theorem 1's corrections would), and
// disagrees at 0.03 [0.02, 0.04]; the fit's tolerance is stats.SlopeBound of
// its points with ε = 2 ln 1.25 (at 1/D = 100, 200, 300, equal weights:
// 2 ln 1.25·200/20000).
func TestSGLDBand(t *testing.T) {
	for _, c := range []struct {
		slope, lo, hi float64
		want          report.Verdict
	}{{0.003, 0.002, 0.004, report.Agrees}, {0.03, 0.02, 0.04, report.Disagrees}} {
		zero, tol := 0.0, 0.01
		r := Report{Version: "test", Fits: []Fit{{Dynamics: escape.SGLD, Against: "1/D", N: 3, Slope: &c.slope, SlopeCI: &[2]float64{c.lo, c.hi},
			PredictedSlope: &zero, PredictedSlopeTolerance: &tol}}}
		dir := t.TempDir()
		if err := atomicfile.WriteJSON(filepath.Join(dir, JSONFile), r); err != nil {
			t.Fatal(err)
		}
		cs, err := Claims(dir)
		if err != nil {
			t.Fatal(err)
		}
		if v := cs[0].Effects[0].Verdict; v != c.want {
			t.Errorf("slope %g [%g, %g]: verdict %s, want %s", c.slope, c.lo, c.hi, v, c.want)
		}
	}
	if b, want := stats.SlopeBound([]float64{100, 200, 300}, nil, 2*math.Log(escape.KramersRateFactor)), 2*math.Log(1.25)*200/20000; math.Abs(b-want) > 1e-15 {
		t.Errorf("tolerance %v, want %v", b, want)
	}
}

// TestTheorem2PathSlope: with one s for both valleys the slope is Theorem
// 2's at that s (linear between s = 0 and s = 1); on the builtin two-well
// (h₁ = 2, h₂ = 1, |h_b| = 0.5, ΔL = 0.02) it is 2ΔL·(1.5 s₁ − s₂) by
// hand, and the fits of the SGD kinds carry it at PathS's s.
func TestTheorem2PathSlope(t *testing.T) {
	cfg, err := LoadConfig(BuiltinPrefix + "twowell")
	if err != nil {
		t.Fatal(err)
	}
	pr, err := Predict(Point{Dynamics: SGD, BatchSize: 4, Eta: 0.05, Landscape: cfg.Landscape})
	if err != nil {
		t.Fatal(err)
	}
	s0, s1 := Theorem2Slopes(pr.Sharp, pr.Flat)
	for _, s := range []float64{0, 0.3, 1} {
		if got, want := Theorem2PathSlope(pr.Sharp, pr.Flat, s, s), s0+s*(s1-s0); math.Abs(got-want) > 1e-15 {
			t.Errorf("common s = %v: %v, want %v", s, got, want)
		}
	}
	if got, want := Theorem2PathSlope(pr.Sharp, pr.Flat, 0.7, 0.6), 0.04*(1.5*0.7-0.6); math.Abs(got-want) > 1e-15 {
		t.Errorf("s₁ = 0.7, s₂ = 0.6: %v, want %v", got, want)
	}
	tw, err := escape.NewTwoWell(cfg.Landscape)
	if err != nil {
		t.Fatal(err)
	}
	a, b := PathS(tw)
	rs := []Result{
		{Point: Point{Dynamics: SGD, BatchSize: 2, Eta: 0.05, Landscape: cfg.Landscape}, Prediction: pr,
			Measurement: Measurement{SharpToFlat: 5, FlatToSharp: 5, OccupancyRatio: 2, OccupancyRatioCI: [2]float64{1.8, 2.2}}},
		{Point: Point{Dynamics: SGD, BatchSize: 4, Eta: 0.05, Landscape: cfg.Landscape}, Prediction: pr,
			Measurement: Measurement{SharpToFlat: 5, FlatToSharp: 5, OccupancyRatio: 3, OccupancyRatioCI: [2]float64{2.7, 3.3}}},
	}
	f := FitAll(rs)[0]
	if f.PredictedSlopePathS == nil || math.Abs(*f.PredictedSlopePathS-0.04*(1.5*a-b)) > 1e-15 || !strings.HasPrefix(f.Weighting, "1/σ²") {
		t.Errorf("fit %+v: want the path-s slope %v, weighted", f, 0.04*(1.5*a-b))
	}
}
