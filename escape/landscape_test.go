package escape

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// testLandscapes covers every landscape shape the package builds.
func testLandscapes() []struct {
	name string
	spec LandscapeSpec
	k    float64
} {
	return []struct {
		name string
		spec LandscapeSpec
		k    float64
	}{
		{"dw-1d", LandscapeSpec{Name: DoubleWellName, Barrier: 1.5}, 2},
		{"dw-3d", LandscapeSpec{Name: DoubleWellName, Barrier: 0.7, Dim: 3, Transverse: []float64{2, 0.5}, ColRatio: 3}, 1.7},
		{"dw-3d-flatcol", LandscapeSpec{Name: DoubleWellName, Barrier: 1, Dim: 3, Transverse: []float64{1}, ColRatio: 0.25}, 0.5},
		{"st-1d", LandscapeSpec{Name: StyblinskiTangName, Barrier: 2}, 3},
		{"st-4d", LandscapeSpec{Name: StyblinskiTangName, Barrier: 1, Dim: 4}, 0.8},
		{"tw-1d", LandscapeSpec{Name: TwoWellName, Barrier: 0.5, TwoWell: &TwoWellSpec{Sharpness: 3, Barrier: 0.5, BarrierFlat: 0.8}}, 2},
		{"tw-3d", LandscapeSpec{Name: TwoWellName, Barrier: 1, Dim: 3, TwoWell: &TwoWellSpec{Dim: 3, HCol: 0.3}}, 0.6},
	}
}

// Gradient and Hessian against central finite differences of the loss and
// the gradient, at random points.
func TestLandscapeDerivatives(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range testLandscapes() {
		an, err := NewLandscape(tc.spec, tc.k)
		if err != nil {
			t.Fatal(err)
		}
		n := an.Dim()
		for trial := 0; trial < 20; trial++ {
			x := make([]float64, n)
			for i := range x {
				x[i] = (2*rng.Float64() - 1) * 3 / math.Sqrt(tc.k)
			}
			g := make([]float64, n)
			an.Grad(g, x)
			h := mat.NewSymDense(n, nil)
			an.Hessian(h, x)
			const eps = 1e-5
			for i := 0; i < n; i++ {
				xp := append([]float64(nil), x...)
				xm := append([]float64(nil), x...)
				xp[i] += eps
				xm[i] -= eps
				fd := (an.Loss(xp) - an.Loss(xm)) / (2 * eps)
				if math.Abs(fd-g[i]) > 1e-6*math.Max(1, math.Abs(g[i])) {
					t.Errorf("%s: ∂L/∂x%d at %v = %g, finite differences %g", tc.name, i, x, g[i], fd)
				}
				gp, gm := make([]float64, n), make([]float64, n)
				an.Grad(gp, xp)
				an.Grad(gm, xm)
				for j := 0; j < n; j++ {
					fd := (gp[j] - gm[j]) / (2 * eps)
					if math.Abs(fd-h.At(i, j)) > 1e-6*math.Max(1, math.Abs(h.At(i, j))) {
						t.Errorf("%s: H[%d,%d] at %v = %g, finite differences %g", tc.name, i, j, x, h.At(i, j), fd)
					}
				}
			}
			if an.hessDiag != nil {
				d := make([]float64, n)
				an.hessDiag(d, x)
				for i := range d {
					if d[i] != h.At(i, i) {
						t.Errorf("%s: diagonal %d: %g, Hessian %g", tc.name, i, d[i], h.At(i, i))
					}
				}
			}
			if an.cubic != nil {
				c := an.cubic
				v := x[0]
				p := c[0] + v*(c[1]+v*(c[2]+v*c[3]))
				if math.Abs(p-g[0]) > 1e-12*math.Max(1, math.Abs(g[0])) {
					t.Errorf("%s: cubic L'(%g) = %g, Grad %g", tc.name, v, p, g[0])
				}
			}
		}
	}
}

// The valley: critical points where they should be, the barrier as asked,
// and sharpness as the reparametrisation θ → √k·θ.
func TestLandscapeValleyAndSharpness(t *testing.T) {
	for _, tc := range testLandscapes() {
		an, err := NewLandscape(tc.spec, tc.k)
		if err != nil {
			t.Fatal(err)
		}
		one, err := NewLandscape(tc.spec, 1)
		if err != nil {
			t.Fatal(err)
		}
		v := an.Valley
		n := an.Dim()
		g := make([]float64, n)
		for _, pt := range [][]float64{v.Min, v.Col, v.Other} {
			an.Grad(g, pt)
			for i := range g {
				if math.Abs(g[i]) > 1e-12 {
					t.Errorf("%s: gradient at critical point %v is %v", tc.name, pt, g)
				}
			}
		}
		if b := an.Loss(v.Col) - an.Loss(v.Min); math.Abs(b-tc.spec.Barrier) > 1e-12 {
			t.Errorf("%s: barrier %g, want %g", tc.name, b, tc.spec.Barrier)
		}
		// L_k(θ) = L_1(√k θ).
		x := make([]float64, n)
		for i := range x {
			x[i] = 0.3*float64(i) - 0.4
		}
		y := make([]float64, n)
		for i := range x {
			y[i] = math.Sqrt(tc.k) * x[i]
		}
		if a, b := an.Loss(x), one.Loss(y); math.Abs(a-b) > 1e-12*math.Max(1, math.Abs(a)) {
			t.Errorf("%s: L_k(x) = %g, L_1(√k x) = %g", tc.name, a, b)
		}
		ck, _ := ValleyCurvature(an, an.Valley)
		c1, _ := ValleyCurvature(one, one.Valley)
		if math.Abs(ck.HAe-tc.k*c1.HAe) > 1e-9*ck.HAe || math.Abs(ck.HBe-tc.k*c1.HBe) > 1e-9*math.Abs(ck.HBe) {
			t.Errorf("%s: H_ae, H_be at k: %g, %g; at 1: %g, %g", tc.name, ck.HAe, ck.HBe, c1.HAe, c1.HBe)
		}
	}
}

// The double well's Hessians at minimum and col, exactly.
func TestDoubleWellHessians(t *testing.T) {
	const dl, k, rho = 1.3, 2.5, 3.0
	lam := []float64{2, 0.5}
	an, err := NewLandscape(LandscapeSpec{Name: DoubleWellName, Barrier: dl, Dim: 3, Transverse: lam, ColRatio: rho}, k)
	if err != nil {
		t.Fatal(err)
	}
	if an.Valley.Min[0] != -1/math.Sqrt(k) {
		t.Errorf("minimum at %v, want -1/√k", an.Valley.Min)
	}
	h := mat.NewSymDense(3, nil)
	an.Hessian(h, an.Valley.Min)
	want := []float64{8 * k * dl, k * lam[0], k * lam[1]}
	for i := range want {
		for j := range want {
			w := 0.0
			if i == j {
				w = want[i]
			}
			if math.Abs(h.At(i, j)-w) > 1e-12*k*dl {
				t.Errorf("H(a)[%d,%d] = %g, want %g", i, j, h.At(i, j), w)
			}
		}
	}
	an.Hessian(h, an.Valley.Col)
	want = []float64{-4 * k * dl, k * rho * lam[0], k * rho * lam[1]}
	for i := range want {
		if math.Abs(h.At(i, i)-want[i]) > 1e-12*k*dl {
			t.Errorf("H(b)[%d,%d] = %g, want %g", i, i, h.At(i, i), want[i])
		}
	}
	c, err := ValleyCurvature(an, an.Valley)
	if err != nil {
		t.Fatal(err)
	}
	// −det H_b/det H_a = 4kΔL·ρ²/(8kΔL) = ρ²/2.
	if math.Abs(c.LogDetRatio-math.Log(rho*rho/2)) > 1e-12 || math.Abs(c.HAe-8*k*dl) > 1e-12 || math.Abs(c.HBe+4*k*dl) > 1e-12 {
		t.Errorf("curvature %+v, want H_ae %g, H_be %g, log det ratio %g", c, 8*k*dl, -4*k*dl, math.Log(rho*rho/2))
	}
}

func TestLandscapeErrors(t *testing.T) {
	bad := []struct {
		spec LandscapeSpec
		k    float64
	}{
		{LandscapeSpec{Name: "banana", Barrier: 1}, 1},
		{LandscapeSpec{Name: DoubleWellName, Barrier: 0}, 1},
		{LandscapeSpec{Name: DoubleWellName, Barrier: 1}, 0},
		{LandscapeSpec{Name: DoubleWellName, Barrier: 1}, -2},
		{LandscapeSpec{Name: DoubleWellName, Barrier: 1, Dim: 3, Transverse: []float64{1, 2, 3}}, 1},
		{LandscapeSpec{Name: DoubleWellName, Barrier: 1, Dim: 2, ColRatio: -1}, 1},
		{LandscapeSpec{Name: StyblinskiTangName, Barrier: 1, Transverse: []float64{1}}, 1},
		{LandscapeSpec{Name: DoubleWellName, Barrier: 1, Dim: -1}, 1},
		{LandscapeSpec{Name: TwoWellName, Barrier: -1}, 1},
		{LandscapeSpec{Name: DoubleWellName, Barrier: 1, TwoWell: &TwoWellSpec{}}, 1},
		{LandscapeSpec{Name: TwoWellName, Barrier: 2, TwoWell: &TwoWellSpec{Barrier: 1}}, 1},
		{LandscapeSpec{Name: TwoWellName, Dim: 2, TwoWell: &TwoWellSpec{}}, 1},
		{LandscapeSpec{Name: TwoWellName, TwoWell: &TwoWellSpec{Sharpness: 0.5}}, 1},
		{LandscapeSpec{Name: TwoWellName, TwoWell: &TwoWellSpec{}}, 0},
	}
	for _, b := range bad {
		if _, err := NewLandscape(b.spec, b.k); err == nil {
			t.Errorf("NewLandscape(%+v, %g) did not fail", b.spec, b.k)
		}
	}
}

// HessianOperator gives the exact Hessian as a hessian.Operator.
func TestHessianOperator(t *testing.T) {
	an, err := NewLandscape(LandscapeSpec{Name: DoubleWellName, Barrier: 1, Dim: 2, Transverse: []float64{3}}, 2)
	if err != nil {
		t.Fatal(err)
	}
	op := HessianOperator(an, an.Valley.Min)
	dst := make([]float64, 2)
	op.MulVec(dst, []float64{1, 1})
	if op.Dim() != 2 || math.Abs(dst[0]-16) > 1e-12 || math.Abs(dst[1]-6) > 1e-12 {
		t.Errorf("H(a)·(1,1) = %v, want (16, 6)", dst)
	}
}

// The two-well registered as a landscape: SGLD out of its sharp valley at
// sharpness k escapes at Kramers' rate as on the double well (Theorem 1
// from the exact Hessians, within 15% at ΔL₁/D = 5), and a spec with its
// defaults encodes with them filled in.
func TestTwoWellLandscapeEscape(t *testing.T) {
	spec := LandscapeSpec{Name: TwoWellName, TwoWell: &TwoWellSpec{Sharpness: 3, Barrier: 1, BarrierFlat: 2}}
	p := Point{Dynamics: SGLD, Sharpness: 2, Eta: 4e-3, Temperature: 0.2, MaxSteps: 1 << 40, Landscape: spec, Criterion: Criterion{Kind: CriterionCol}}
	sim, err := AnalyticSimulator(p)
	if err != nil {
		t.Fatal(err)
	}
	pred, err := AnalyticPrediction(p)
	if err != nil || pred == nil || pred.Rate == nil {
		t.Fatalf("prediction %+v, %v", pred, err)
	}
	const runs = 400
	var steps float64
	for _, o := range simulate(t, sim, 5, runs) {
		if !o.Escaped {
			t.Fatal("a censored run")
		}
		steps += float64(o.Step)
	}
	rate := runs / (steps * p.Eta) // per unit time t = η·steps
	t.Logf("measured γ = %.4g, Theorem 1 %.4g (ratio %.3f)", rate, *pred.Rate, rate / *pred.Rate)
	if r := rate / *pred.Rate; math.Abs(r-1) > 0.15 {
		t.Errorf("measured/Theorem 1 = %.3f, want within 15%%", r)
	}
	spec.Normalize()
	if spec.Dim != 1 || spec.Barrier != 1 || spec.TwoWell.HFlat != 1 {
		t.Errorf("normalized spec %+v, twowell %+v", spec, *spec.TwoWell)
	}
}
