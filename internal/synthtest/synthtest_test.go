package synthtest

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// WithSpectrum has exactly the spectrum asked for (dense eigendecomposition)
// and Orthogonal is orthogonal; Samples gives labels in range.
func TestWithSpectrumAndSamples(t *testing.T) {
	lambda := []float64{3, -1, 0.5, 0.5, 0, 2e-3}
	a := WithSpectrum(rand.New(rand.NewPCG(4, 1)), lambda)
	var es mat.EigenSym
	if !es.Factorize(a, false) {
		t.Fatal("EigenSym failed")
	}
	want := slices.Clone(lambda)
	slices.Sort(want)
	if d := MaxAbsDiff(es.Values(nil), want); d > 1e-14 {
		t.Errorf("eigenvalues %v, want %v (max difference %g)", es.Values(nil), want, d)
	}
	q := Orthogonal(rand.New(rand.NewPCG(5, 1)), 5)
	var qtq mat.Dense
	qtq.Mul(q.T(), q)
	for i := range 5 {
		for j := range 5 {
			want := 0.0
			if i == j {
				want = 1
			}
			if math.Abs(qtq.At(i, j)-want) > 1e-14 {
				t.Fatalf("QᵀQ[%d,%d] = %v, want %v", i, j, qtq.At(i, j), want)
			}
		}
	}
	x, y := Samples(rand.New(rand.NewPCG(6, 1)), 7, 3, 4, Uniform)
	if len(x) != 21 || len(y) != 7 {
		t.Fatalf("Samples: %d features and %d labels, want 21 and 7", len(x), len(y))
	}
	for _, v := range x {
		if v < 0 || v >= 1 {
			t.Errorf("uniform feature %v outside [0, 1)", v)
		}
	}
	for _, c := range y {
		if c < 0 || c >= 4 {
			t.Errorf("label %d outside [0, 4)", c)
		}
	}
	if MaxAbsDiff([]float64{1, -2, 3}, []float64{1, 2, 2.5}) != 4 {
		t.Error("MaxAbsDiff([1 −2 3], [1 2 2.5]) ≠ 4")
	}
	if RelErr([]float64{1, -2, 3}, []float64{1, 2, 2.5}) != 4.0/2.5 || RelErr([]float64{0.5, -1}, []float64{0, 0}) != 1 {
		t.Error("RelErr: want 4/2.5 for [1 −2 3] against [1 2 2.5] and the absolute error 1 against zeros")
	}
}

// TestSymmetrizeAndEigenvalues: (D + Dᵀ)/2 of a 2×2 matrix entry by entry;
// Eigenvalues gives WithSpectrum's λ back in ascending order, and those of
// [[2, 1], [1, 2]] are exactly 1 and 3.
func TestSymmetrizeAndEigenvalues(t *testing.T) {
	s := Symmetrize(mat.NewDense(2, 2, []float64{1, 2, 4, 3}))
	if s.At(0, 0) != 1 || s.At(0, 1) != 3 || s.At(1, 0) != 3 || s.At(1, 1) != 3 {
		t.Errorf("Symmetrize = %v, want [[1 3] [3 3]]", mat.Formatted(s))
	}
	vals, ok := Eigenvalues(mat.NewSymDense(2, []float64{2, 1, 1, 2}))
	if !ok || MaxAbsDiff(vals, []float64{1, 3}) > 1e-15 {
		t.Errorf("eigenvalues of [[2 1] [1 2]] = %v, %v; want [1 3]", vals, ok)
	}
	lambda := []float64{-2, 5, 0.25, 1e-3}
	vals, ok = Eigenvalues(WithSpectrum(rand.New(rand.NewPCG(9, 1)), lambda))
	want := slices.Clone(lambda)
	slices.Sort(want)
	if !ok || MaxAbsDiff(vals, want) > 1e-14 {
		t.Errorf("eigenvalues %v, want %v", vals, want)
	}
}
