package hessian

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// TestDecompose: on A = Q diag(−1, 2, 5) Qᵀ with a known rotation Q the
// eigenvalues, trace, max |A_ij|, eigenvectors and extremes are exact.
func TestDecompose(t *testing.T) {
	c, s := 0.6, 0.8 // a rotation in the (1,2) plane
	q := mat.NewDense(3, 3, []float64{c, -s, 0, s, c, 0, 0, 0, 1})
	var a mat.Dense
	a.Product(q, mat.NewDiagDense(3, []float64{-1, 2, 5}), q.T())
	sym := mat.NewSymDense(3, nil)
	for i := 0; i < 3; i++ {
		for j := i; j < 3; j++ {
			sym.SetSym(i, j, a.At(i, j))
		}
	}
	d, err := Decompose(sym, true)
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{-1, 2, 5}
	for i, w := range want {
		if math.Abs(d.Values[i]-w) > 1e-12 {
			t.Errorf("λ_%d = %v, want %v", i, d.Values[i], w)
		}
		// A v = λ v for the returned vector.
		v := d.Vectors.ColView(i)
		var av mat.VecDense
		av.MulVec(sym, v)
		for k := 0; k < 3; k++ {
			if math.Abs(av.AtVec(k)-w*v.AtVec(k)) > 1e-12 {
				t.Errorf("A v_%d ≠ λ v_%d at %d", i, i, k)
			}
		}
	}
	// trace 6; A = [[−1c²+2s², −3cs, 0], …]: max |A_ij| is A_33 = 5.
	if math.Abs(d.Trace-6) > 1e-12 || d.MaxAbs != 5 {
		t.Errorf("trace %v, max |A_ij| %v, want 6 and 5", d.Trace, d.MaxAbs)
	}
	if top, bot := d.Top(2), d.Bottom(1); math.Abs(top[0]-5) > 1e-12 || math.Abs(top[1]-2) > 1e-12 || math.Abs(bot[0]+1) > 1e-12 {
		t.Errorf("Top(2) %v, Bottom(1) %v", top, bot)
	}
	if math.Abs(d.SpectralScale()-5) > 1e-12 {
		t.Errorf("spectral scale %v, want 5", d.SpectralScale())
	}
}

// TestMaxRelErrorAndDefaultSigma: the two formulas on hand-computed cases.
func TestMaxRelErrorAndDefaultSigma(t *testing.T) {
	if e := MaxRelError([]float64{5.5, 2}, []float64{5, 2.25}, 10); e != 0.05 {
		t.Errorf("MaxRelError = %v, want 0.05", e)
	}
	if e := MaxRelError([]float64{1}, []float64{3}, 0); e != 2 {
		t.Errorf("MaxRelError with scale 0 = %v, want 2", e)
	}
	// λmax − λmin = 40 000: σ² = 1e-5·4e4 = 0.4.
	if s := DefaultSigma(&Density{Nodes: []float64{-10000, 0, 30000}}); math.Abs(s-math.Sqrt(0.4)) > 1e-15 {
		t.Errorf("DefaultSigma = %v, want √0.4", s)
	}
	// A spread below 1 uses 1: σ² = 1e-5.
	if s := DefaultSigma(&Density{Nodes: []float64{0.1, 0.2}}); math.Abs(s-math.Sqrt(1e-5)) > 1e-18 {
		t.Errorf("DefaultSigma = %v, want √1e-5", s)
	}
}
