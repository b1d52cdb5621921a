package firstpassage

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
	got := Diffusion(grad, diff, lo, a, xf, 100000)
	if math.Abs(got-want) > 1e-9*want {
		t.Fatalf("T = %.15g, want %.15g", got, want)
	}
}

// With a constant D the state-dependent form is the constant-D quadrature
// Potential (the double well L = (x² − 1)², ΔL/D = 6).
func TestMeanFirstPassageDiffusionConstantD(t *testing.T) {
	grad := func(x float64) float64 { return 4 * x * (x*x - 1) }
	loss := func(x float64) float64 { return (x*x - 1) * (x*x - 1) }
	const d = 1.0 / 6
	want := Potential(loss, -2, -1, 0.5, d, 200000)
	got := Diffusion(grad, func(float64) float64 { return d }, -2, -1, 0.5, 200000)
	if math.Abs(got-want) > 1e-6*want {
		t.Fatalf("T = %.12g, want %.12g", got, want)
	}
}

// On the double well L = (x² − 1)² the SGD diffusion's D = η|L″|/(2B) vanishes at the inflection point
// between the minimum and the col, where the drift points back: the
// continuous process never crosses it. With a floor on D it does.
func TestMeanFirstPassageDiffusionVanishingNoise(t *testing.T) {
	grad := func(x float64) float64 { return 4 * x * (x*x - 1) }
	curv := func(x float64) float64 { return 12*x*x - 4 }
	const eta, b = 0.05, 2.0
	abs := func(x float64) float64 { return eta * math.Abs(curv(x)) / (2 * b) }
	if got := Diffusion(grad, abs, -2, -1, 0.5, 100000); !math.IsInf(got, 1) {
		t.Fatalf("|H| noise: T = %g, want +Inf", got)
	}
	floor := func(x float64) float64 { return abs(x) + 0.1*eta*8/(2*b) }
	if got := Diffusion(grad, floor, -2, -1, 0.5, 100000); math.IsInf(got, 0) || !(got > 0) {
		t.Fatalf("floored noise: T = %g, want a finite positive time", got)
	}
}

func TestChainRejectsBadInput(t *testing.T) {
	step := func(x float64) (float64, float64) { return x, 0.1 }
	for _, c := range []Chain{
		{Lo: 0, Hi: 1, LoAbsorbing: true},
		{Step: step, Lo: 1, Hi: 0, LoAbsorbing: true},
		{Step: step, Lo: math.Inf(-1), Hi: 0, HiAbsorbing: true},
		{Step: step, Lo: 0, Hi: 1},
	} {
		if _, err := ChainMean(c, 0.5, 100); err == nil {
			t.Errorf("%+v: no error", c)
		}
	}
	if _, err := ChainMean(Chain{Step: step, Lo: 0, Hi: 1, HiAbsorbing: true}, 2, 100); err == nil {
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

// Mean first-passage times with closed forms: free diffusion from a
// reflecting wall, T = (xf − lo)²/(2D); constant drift towards the wall,
// L = c·x, T = (1/c)[(D/c)(e^{c·xf/D} − 1) − xf] for a = lo = 0.
func TestPotential(t *testing.T) {
	const d = 0.7
	free := Potential(func(float64) float64 { return 0 }, 0, 0, 1.5, d, 100000)
	if want := 1.5 * 1.5 / (2 * d); math.Abs(free-want) > 1e-8*want {
		t.Errorf("free diffusion T = %.10g, want %.10g", free, want)
	}
	const c, xf = 2.0, 1.0
	lin := Potential(func(x float64) float64 { return c * x }, 0, 0, xf, d, 200000)
	if want := ((d/c)*(math.Exp(c*xf/d)-1) - xf) / c; math.Abs(lin-want) > 1e-8*want {
		t.Errorf("linear potential T = %.10g, want %.10g", lin, want)
	}
	// Starting inside: T(a) = T(lo→xf) − T(lo→a) for free diffusion.
	in := Potential(func(float64) float64 { return 0 }, 0, 0.5, 1.5, d, 100000)
	if want := (1.5*1.5 - 0.5*0.5) / (2 * d); math.Abs(in-want) > 1e-8*want {
		t.Errorf("free diffusion from inside T = %.10g, want %.10g", in, want)
	}
}
