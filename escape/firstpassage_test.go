package escape

import (
	"math"
	"testing"
)

// As η → 0 the SGLD chain's mean escape time, in units of η·steps, tends to
// the continuous diffusion's (ExactRate1D): on the double well at ΔL/D = 4
// the relative gap falls from about 4% at η = 0.04 to below 1% at 0.01.
func TestChainTendsToDiffusion(t *testing.T) {
	an, err := NewLandscape(LandscapeSpec{Name: DoubleWellName, Barrier: 1, Dim: 1}, 1)
	if err != nil {
		t.Fatal(err)
	}
	const d = 0.25
	rate, _ := ExactRate1D(an, Criterion{Kind: CriterionCol}, d)
	gap := func(eta float64) float64 {
		p := dwPoint(SGLD, 1, eta, 0, d, 1<<40)
		steps, ok, err := ExactChainSteps1D(an, p, 2000)
		if err != nil || !ok {
			t.Fatalf("eta %g: %v %v", eta, ok, err)
		}
		return eta*steps*rate - 1
	}
	g1, g2, g3 := gap(0.04), gap(0.02), gap(0.01)
	if !(math.Abs(g2) < math.Abs(g1)/2) || !(math.Abs(g3) < 0.01) || math.Abs(g1) > 0.1 {
		t.Fatalf("relative gaps to the continuous limit %g, %g, %g at η = 0.04, 0.02, 0.01: want shrinking to below 1%%", g1, g2, g3)
	}
}

// The grid converges at second order: the error against a 4× finer grid
// falls about 4× per halving of the step.
func TestChainConvergesInTheGrid(t *testing.T) {
	an, err := NewLandscape(LandscapeSpec{Name: DoubleWellName, Barrier: 1, Dim: 1}, 1)
	if err != nil {
		t.Fatal(err)
	}
	p := dwPoint(SGDDiffusion, 1, 0.1, 2, 0, 1<<40)
	at := func(n int) float64 {
		s, ok, err := ExactChainSteps1D(an, p, n)
		if err != nil || !ok {
			t.Fatalf("n %d: %v %v", n, ok, err)
		}
		return s
	}
	ref := at(1600)
	e1, e2 := math.Abs(at(200)-ref), math.Abs(at(400)-ref)
	if !(e2 < e1/3) || e2 > 1e-3*ref {
		t.Fatalf("errors %g (n = 200), %g (n = 400) against %g: want second-order convergence", e1, e2, ref)
	}
}

// The exact chain time is what the simulator's runs average to: the mean
// escape step of 4000 runs of the 1-D simulator lies within four standard
// errors of ExactChainSteps1D, for SGLD and for the SGD diffusion at a
// large step (where the continuous limit is far off).
func TestChainMatchesSimulation(t *testing.T) {
	for _, p := range []Point{
		dwPoint(SGLD, 1, 0.05, 0, 0.3, 1<<40),
		dwPoint(SGDDiffusion, 1, 0.1, 2, 0, 1<<40),
	} {
		an, err := NewLandscape(p.Landscape, p.Sharpness)
		if err != nil {
			t.Fatal(err)
		}
		want, ok, err := ExactChainSteps1D(an, p, 1500)
		if err != nil || !ok {
			t.Fatal(ok, err)
		}
		sim, err := AnalyticSimulator(p)
		if err != nil {
			t.Fatal(err)
		}
		const runs = 4000
		var sum, sq float64
		for _, r := range simulate(t, sim, 7, runs) {
			if !r.Escaped {
				t.Fatalf("%s: a censored run", p.Dynamics)
			}
			s := float64(r.Step)
			sum += s
			sq += s * s
		}
		mean := sum / runs
		se := math.Sqrt((sq/runs - mean*mean) / runs)
		if math.Abs(mean-want) > 4*se {
			t.Fatalf("%s: simulated mean %g ± %g, exact %g", p.Dynamics, mean, se, want)
		}
		t.Logf("%s: simulated %g ± %g steps, exact %g", p.Dynamics, mean, se, want)
	}
}

func BenchmarkExactChainSteps1D(b *testing.B) {
	an, _ := NewLandscape(LandscapeSpec{Name: DoubleWellName, Barrier: 1, Dim: 1}, 1)
	p := dwPoint(SGDDiffusion, 1, 0.1, 2, 0, 1<<40)
	for b.Loop() {
		if _, _, err := ExactChainSteps1D(an, p, 1500); err != nil {
			b.Fatal(err)
		}
	}
}
