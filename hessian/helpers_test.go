package hessian

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/sgn-project/sgn/internal/synthtest"
	"gonum.org/v1/gonum/mat"
)

// vecOnly hides MulMat, so that code paths for plain Operators are tested.
type vecOnly struct{ op Operator }

func (v vecOnly) Dim() int                { return v.op.Dim() }
func (v vecOnly) MulVec(dst, x []float64) { v.op.MulVec(dst, x) }

// randSym returns a random symmetric matrix with N(0,1) entries.
func randSym(n int, seed uint64) *mat.SymDense {
	rng := rand.New(rand.NewPCG(seed, 1))
	a := mat.NewSymDense(n, nil)
	for i := range n {
		for j := i; j < n; j++ {
			a.SetSym(i, j, rng.NormFloat64())
		}
	}
	return a
}

// withSpectrum returns Q·diag(vals)·Qᵀ for a random orthogonal Q (the Q
// factor of a Gaussian matrix).
func withSpectrum(vals []float64, seed uint64) *mat.SymDense {
	return synthtest.WithSpectrum(rand.New(rand.NewPCG(seed, 2)), vals)
}

// exactEigen returns the exact eigen-decomposition of a (values ascending).
func exactEigen(t *testing.T, a *mat.SymDense) ([]float64, *mat.Dense) {
	t.Helper()
	var es mat.EigenSym
	if !es.Factorize(a, true) {
		t.Fatal("EigenSym failed")
	}
	var u mat.Dense
	es.VectorsTo(&u)
	return es.Values(nil), &u
}

// normInf returns max |λ| of a spectrum.
func normInf(vals []float64) float64 {
	return math.Max(math.Abs(slices.Min(vals)), math.Abs(slices.Max(vals)))
}

// spread returns n values evenly spaced from lo to hi.
func spread(n int, lo, hi float64) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = lo + (hi-lo)*float64(i)/float64(n-1)
	}
	return v
}
