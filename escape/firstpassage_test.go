package escape

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// The hat weights integrate every linear function exactly: Σⱼ w[j] = P(lo ≤
// X ≤ hi) and Σⱼ w[j]·xⱼ = E[X·1{lo ≤ X ≤ hi}], both in closed form.
func TestHatWeightsReproduceLinearFunctions(t *testing.T) {
	const lo, hi, n = -1.0, 2.0, 37
	h := (hi - lo) / n
	w := make([]float64, n+1)
	for _, c := range []struct{ mu, sd float64 }{{0.3, 0.2}, {-0.9, 0.05}, {1.95, 0.3}, {0.5, 1e-4}, {0.5, 3}, {0.123, 0}} {
		hatWeights(w, c.mu, c.sd, lo, h, n)
		var mass, mean float64
		for j, v := range w {
			if v < -1e-15 {
				t.Fatalf("mu %g sd %g: negative weight %g at node %d", c.mu, c.sd, v, j)
			}
			mass += v
			mean += v * (lo + float64(j)*h)
		}
		pa, pb := normalCDF(lo, c.mu, c.sd), normalCDF(hi, c.mu, c.sd)
		wantMass := pb - pa
		wantMean := c.mu * wantMass
		if c.sd > 0 {
			g := func(u float64) float64 {
				z := (u - c.mu) / c.sd
				return c.sd * math.Exp(-z*z/2) / math.Sqrt(2*math.Pi)
			}
			wantMean += g(lo) - g(hi)
		}
		if math.Abs(mass-wantMass) > 1e-13 || math.Abs(mean-wantMean) > 1e-13 {
			t.Errorf("mu %g sd %g: mass %.15g mean %.15g, want %.15g %.15g", c.mu, c.sd, mass, mean, wantMass, wantMean)
		}
	}
}

// A pure diffusion (L' = 0) with D(x) = 1 + x, reflecting at lo = 0, from
// a = 0.5 to xf = 1: T = ∫_a^xf ln((1 + y)/(1 + lo)) dy in closed form.
func TestMeanFirstPassageDiffusionExact(t *testing.T) {
	grad := func(float64) float64 { return 0 }
	diff := func(x float64) float64 { return 1 + x }
	const lo, a, xf = 0.0, 0.5, 1.0
	prim := func(y float64) float64 { return (1+y)*math.Log(1+y) - y }
	want := prim(xf) - prim(a) - (xf-a)*math.Log(1+lo)
	got := MeanFirstPassageDiffusion1D(grad, diff, lo, a, xf, 100000)
	if math.Abs(got-want) > 1e-9*want {
		t.Fatalf("T = %.15g, want %.15g", got, want)
	}
}

// With a constant D the state-dependent form is the constant-D quadrature
// MeanFirstPassage1D (the double well, ΔL/D = 6).
func TestMeanFirstPassageDiffusionConstantD(t *testing.T) {
	an, err := NewLandscape(LandscapeSpec{Name: DoubleWellName, Barrier: 1, Dim: 1}, 1)
	if err != nil {
		t.Fatal(err)
	}
	c := an.cubic
	grad := func(x float64) float64 { return c[0] + x*(c[1]+x*(c[2]+x*c[3])) }
	loss := func(x float64) float64 { return an.Loss([]float64{x}) }
	const d = 1.0 / 6
	want := MeanFirstPassage1D(loss, -2, -1, 0.5, d, 200000)
	got := MeanFirstPassageDiffusion1D(grad, func(float64) float64 { return d }, -2, -1, 0.5, 200000)
	if math.Abs(got-want) > 1e-6*want {
		t.Fatalf("T = %.12g, want %.12g", got, want)
	}
}

// The SGD diffusion's D = η|L″|/(2B) vanishes at the inflection point
// between the minimum and the col, where the drift points back: the
// continuous process never crosses it. With a floor on D it does.
func TestMeanFirstPassageDiffusionVanishingNoise(t *testing.T) {
	an, err := NewLandscape(LandscapeSpec{Name: DoubleWellName, Barrier: 1, Dim: 1}, 1)
	if err != nil {
		t.Fatal(err)
	}
	c := an.cubic
	grad := func(x float64) float64 { return c[0] + x*(c[1]+x*(c[2]+x*c[3])) }
	curv := func(x float64) float64 { return c[1] + x*(2*c[2]+x*3*c[3]) }
	const eta, b = 0.05, 2.0
	abs := func(x float64) float64 { return eta * math.Abs(curv(x)) / (2 * b) }
	if got := MeanFirstPassageDiffusion1D(grad, abs, -2, -1, 0.5, 100000); !math.IsInf(got, 1) {
		t.Fatalf("|H| noise: T = %g, want +Inf", got)
	}
	floor := func(x float64) float64 { return abs(x) + 0.1*eta*8/(2*b) }
	if got := MeanFirstPassageDiffusion1D(grad, floor, -2, -1, 0.5, 100000); math.IsInf(got, 0) || !(got > 0) {
		t.Fatalf("floored noise: T = %g, want a finite positive time", got)
	}
}

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

func TestChainRejectsBadInput(t *testing.T) {
	step := func(x float64) (float64, float64) { return x, 0.1 }
	for _, c := range []Chain1D{
		{Lo: 0, Hi: 1, LoAbsorbing: true},
		{Step: step, Lo: 1, Hi: 0, LoAbsorbing: true},
		{Step: step, Lo: math.Inf(-1), Hi: 0, HiAbsorbing: true},
		{Step: step, Lo: 0, Hi: 1},
	} {
		if _, err := ChainMeanFirstPassage(c, 0.5, 100); err == nil {
			t.Errorf("%+v: no error", c)
		}
	}
	if _, err := ChainMeanFirstPassage(Chain1D{Step: step, Lo: 0, Hi: 1, HiAbsorbing: true}, 2, 100); err == nil {
		t.Error("start outside the domain: no error")
	}
}

// The banded elimination equals gonum's LU solve on a banded M-matrix
// I − W (W ≥ 0, row sums < 1) with a dense-looking random band.
func TestSolveBandedMatchesLU(t *testing.T) {
	const n, bl, bu = 300, 7, 11
	rng := rand.New(rand.NewPCG(3, 4))
	a := mat.NewDense(n, n, nil)
	b := make([]float64, n)
	for i := 0; i < n; i++ {
		var w []float64
		var js []int
		sum := 0.0
		for j := max(0, i-bl); j <= min(n-1, i+bu); j++ {
			v := rng.Float64()
			w, js = append(w, v), append(js, j)
			sum += v
		}
		scale := (0.5 + 0.49*rng.Float64()) / sum
		for k, j := range js {
			a.Set(i, j, -w[k]*scale)
		}
		a.Set(i, i, a.At(i, i)+1)
		b[i] = rng.NormFloat64()
	}
	var want mat.VecDense
	if err := want.SolveVec(a, mat.NewVecDense(n, append([]float64(nil), b...))); err != nil {
		t.Fatal(err)
	}
	got, err := solveBanded(mat.DenseCopyOf(a), b)
	if err != nil {
		t.Fatal(err)
	}
	for i := range got {
		if math.Abs(got[i]-want.AtVec(i)) > 1e-12*(1+math.Abs(want.AtVec(i))) {
			t.Fatalf("x[%d] = %.17g, LU %.17g", i, got[i], want.AtVec(i))
		}
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
