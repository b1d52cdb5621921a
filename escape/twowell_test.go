package escape

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"
)

func testSpecs() []TwoWellSpec {
	return []TwoWellSpec{
		{},
		{Sharpness: 4, HFlat: 2, HCol: 0.7, Barrier: 0.3, BarrierFlat: 0.5},
		{Dim: 3, Sharpness: 3, Barrier: 0.8, TransverseSharp: []float64{2, 5}, TransverseFlat: []float64{0.5}, TransverseCol: []float64{1, 3}},
		{Dim: 2},
	}
}

// TestGradHessianFiniteDifferences checks ∇L against central differences of
// L and ∇²L against central differences of ∇L, at random points on both
// sides of the col.
func TestGradHessianFiniteDifferences(t *testing.T) {
	for si, spec := range testSpecs() {
		tw, err := NewTwoWell(spec)
		if err != nil {
			t.Fatal(err)
		}
		n := tw.Dim()
		pts := [][]float64{}
		for _, x0 := range []float64{-1.7, -0.9, -0.31, 0.27, 0.8, 1.6, 2.9} {
			p := make([]float64, n)
			p[0] = x0
			for j := 1; j < n; j++ {
				p[j] = 0.3*float64(j) - 0.2*x0
			}
			pts = append(pts, p)
		}
		g := make([]float64, n)
		gp, gm := make([]float64, n), make([]float64, n)
		h := mat.NewSymDense(n, nil)
		const eps = 1e-5
		for _, p := range pts {
			tw.Grad(g, p)
			tw.Hessian(h, p)
			for i := range n {
				q := append([]float64(nil), p...)
				q[i] = p[i] + eps
				lp := tw.Loss(q)
				tw.Grad(gp, q)
				q[i] = p[i] - eps
				lm := tw.Loss(q)
				tw.Grad(gm, q)
				fd := (lp - lm) / (2 * eps)
				if math.Abs(fd-g[i]) > 1e-7*math.Max(1, math.Abs(g[i])) {
					t.Errorf("spec %d at %v: ∂L/∂θ%d = %.12g, central difference %.12g", si, p, i+1, g[i], fd)
				}
				for j := range n {
					fdh := (gp[j] - gm[j]) / (2 * eps)
					if math.Abs(fdh-h.At(i, j)) > 1e-6*math.Max(1, math.Abs(h.At(i, j))) {
						t.Errorf("spec %d at %v: H[%d][%d] = %.12g, central difference %.12g", si, p, i, j, h.At(i, j), fdh)
					}
				}
			}
		}
	}
}

// TestCriticalPoints checks minima, col, barriers and curvatures where the
// construction states them.
func TestCriticalPoints(t *testing.T) {
	for si, spec := range testSpecs() {
		tw, err := NewTwoWell(spec)
		if err != nil {
			t.Fatal(err)
		}
		s := tw.Spec()
		n := tw.Dim()
		g := make([]float64, n)
		h := mat.NewSymDense(n, nil)
		hb := [3]float64{s.Sharpness * s.HFlat, s.HFlat, -s.HCol}
		for k, p := range [][]float64{tw.Sharp(), tw.Flat(), tw.Col()} {
			tw.Grad(g, p)
			for i, v := range g {
				if math.Abs(v) > 1e-12 {
					t.Errorf("spec %d point %d: gradient[%d] = %g, want 0", si, k, i, v)
				}
			}
			tw.Hessian(h, p)
			if math.Abs(h.At(0, 0)-hb[k]) > 1e-12*math.Abs(hb[k]) {
				t.Errorf("spec %d point %d: H₁₁ = %.15g, want %.15g", si, k, h.At(0, 0), hb[k])
			}
			for j := 1; j < n; j++ {
				want := [][]float64{s.TransverseSharp, s.TransverseFlat, s.TransverseCol}[k][j-1]
				if math.Abs(h.At(j, j)-want) > 1e-12*want {
					t.Errorf("spec %d point %d: H[%d][%d] = %g, want %g", si, k, j, j, h.At(j, j), want)
				}
				if h.At(0, j) != 0 {
					t.Errorf("spec %d point %d: H[0][%d] = %g, want 0", si, k, j, h.At(0, j))
				}
			}
		}
		if d := tw.Loss(tw.Col()) - tw.Loss(tw.Sharp()); math.Abs(d-s.Barrier) > 1e-12 {
			t.Errorf("spec %d: ΔL₁ = %.15g, want %g", si, d, s.Barrier)
		}
		if d := tw.Loss(tw.Col()) - tw.Loss(tw.Flat()); math.Abs(d-s.BarrierFlat) > 1e-12 {
			t.Errorf("spec %d: ΔL₂ = %.15g, want %g", si, d, s.BarrierFlat)
		}
		// No other critical point along θ₁: f' changes sign only at a₁, 0, a₂.
		a1, a2 := tw.Sharp()[0], tw.Flat()[0]
		for x := 3 * a1; x < 3*a2; x += (a2 - a1) / 3001 {
			_, f1, _ := tw.Along(x)
			want := 1.0
			if x < a1 || (x > 0 && x < a2) {
				want = -1
			}
			if math.Abs(x-a1) > 1e-9 && math.Abs(x) > 1e-9 && math.Abs(x-a2) > 1e-9 && math.Copysign(1, f1) != want {
				t.Fatalf("spec %d: f'(%g) = %g has the wrong sign: a critical point besides a₁, b, a₂", si, x, f1)
			}
		}
	}
}

func TestSpecErrors(t *testing.T) {
	for _, s := range []TwoWellSpec{
		{Sharpness: 0.5},
		{HCol: 2},
		{Barrier: -1},
		{Dim: 2, TransverseSharp: []float64{1, 2}},
		{TransverseFlat: []float64{1}},
		{Dim: 2, TransverseCol: []float64{-1}},
	} {
		if _, err := NewTwoWell(s); err == nil {
			t.Errorf("spec %+v: no error", s)
		}
	}
}
