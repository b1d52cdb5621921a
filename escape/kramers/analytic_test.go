package kramers

import (
	"math"
	"testing"

	"github.com/sgn-project/sgn/escape"
)

func dwPoint(dyn escape.Dynamics, k, eta, b, d float64, maxSteps int64) Point {
	return Point{Point: escape.Point{Dynamics: dyn, Sharpness: k, Eta: eta, BatchSize: b, Temperature: d, MaxSteps: maxSteps,
		Landscape: escape.LandscapeSpec{Name: escape.DoubleWellName, Barrier: 1, Dim: 1}, Criterion: escape.Criterion{Kind: escape.CriterionCol}}}
}

func mustLandscape(t *testing.T, spec escape.LandscapeSpec, k float64) *escape.Analytic {
	t.Helper()
	an, err := escape.NewLandscape(spec, k)
	if err != nil {
		t.Fatal(err)
	}
	return an
}

// SGLD on the 1-D double well escapes at Kramers' rate (Theorem 1) within
// 15% for ΔL/D = 5, 7 and 8, and at the exact rate of the continuous
// process within four standard errors of the estimate (1/√escapes).
// η·L″(a) = 0.016 and 0.032 keep the O(η) bias of the discrete steps to a
// few percent.
func TestSGLDMatchesKramers(t *testing.T) {
	cases := []struct {
		k, eta, d float64
		runs      int
	}{
		{1, 2e-3, 1.0 / 5, 1000},
		{2, 2e-3, 1.0 / 7, 1000},
		{1, 4e-3, 1.0 / 8, 1000},
	}
	for _, c := range cases {
		p := dwPoint(escape.SGLD, c.k, c.eta, 0, c.d, 1<<40)
		r := analyticRate(t, p, 2024, c.runs)
		g, _, _ := r.RatePerTime()
		kramers := math.Sqrt(8*c.k*4*c.k) / (2 * math.Pi) * math.Exp(-1/c.d)
		if math.Abs(*r.Prediction.Rate-kramers) > 1e-12*kramers {
			t.Fatalf("predicted rate %g, want Kramers' %g", *r.Prediction.Rate, kramers)
		}
		exact := *r.Prediction.ExactRate
		se := 1 / math.Sqrt(float64(r.Estimate.Escaped))
		t.Logf("ΔL/D = %.0f, k = %g, η = %g: γ = %.5g per unit time from %d escapes; Kramers %.5g (ratio %.3f), exact %.5g (ratio %.3f)",
			1/c.d, c.k, c.eta, g, r.Estimate.Escaped, kramers, g/kramers, exact, g/exact)
		if r.Estimate.Escaped != c.runs {
			t.Errorf("%d of %d runs escaped", r.Estimate.Escaped, c.runs)
		}
		if math.Abs(g/kramers-1) > 0.15 {
			t.Errorf("ΔL/D = %.0f: measured/Kramers = %.3f, want within 15%%", 1/c.d, g/kramers)
		}
		if math.Abs(g/exact-1) > 4*se {
			t.Errorf("ΔL/D = %.0f: measured/exact = %.3f, want within %.3f", 1/c.d, g/exact, 4*se)
		}
	}
}

// SGLD on n-D double wells (the generic loop). With ρ = 1 the first
// coordinate moves independently of the others, so the exact 1-D rate
// holds (within four standard errors). With ρ = 4 in 2-D the transverse
// mode stiffens fourfold at the col and Theorem 1's prefactor
// √(−det H_b/det H_a) halves the rate; the measurement matches it within
// 15% at ΔL/D = 5, as in 1-D.
func TestSGLDNDMatchesTheorem1(t *testing.T) {
	cases := []struct {
		dim int
		rho float64
	}{{3, 1}, {2, 4}}
	for _, c := range cases {
		p := dwPoint(escape.SGLD, 1, 4e-3, 0, 0.2, 1<<40)
		p.Landscape = escape.LandscapeSpec{Name: escape.DoubleWellName, Barrier: 1, Dim: c.dim, Transverse: []float64{2}, ColRatio: c.rho}
		r := analyticRate(t, p, 99, 800)
		g, _, _ := r.RatePerTime()
		se := 1 / math.Sqrt(float64(r.Estimate.Escaped))
		t.Logf("dim %d, ρ = %g: measured/Theorem 1 = %.3f ± %.3f", c.dim, c.rho, r.Ratio(), se)
		if c.rho == 1 {
			exact, _ := escape.ExactRate1D(mustLandscape(t, escape.LandscapeSpec{Name: escape.DoubleWellName, Barrier: 1}, 1), p.Criterion, p.Temperature)
			if math.Abs(g/exact-1) > 4*se {
				t.Errorf("dim %d: measured/exact 1-D rate = %.3f, want within %.3f", c.dim, g/exact, 4*se)
			}
			continue
		}
		if math.Abs(r.Ratio()-1) > 0.15 {
			t.Errorf("dim %d, ρ = %g: measured/Theorem 1 = %.3f, want within 15%%", c.dim, c.rho, r.Ratio())
		}
	}
}

// analyticRate runs runs escapes of the analytic point p from seed on two
// workers and returns their rate estimate beside the theory's prediction.
func analyticRate(t *testing.T, p Point, seed uint64, runs int) PointRate {
	t.Helper()
	sim, err := AnalyticSimulator(p)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := RunPoint(sim, seed, runs, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	pred, err := AnalyticPrediction(p)
	if err != nil {
		t.Fatal(err)
	}
	return PointRate{Point: p, Estimate: EstimateRate(recs), Prediction: pred}
}
