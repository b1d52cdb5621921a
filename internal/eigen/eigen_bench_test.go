package eigen

import (
	"testing"

	"gonum.org/v1/gonum/mat"
)

// BenchmarkTop1242 is the eigen step of `make figure` (P = 1,242,
// vectors for the top half), the path covariance.Analyze takes.
func BenchmarkTop1242(b *testing.B) {
	a := randomSym(1242, 1)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Top(a, func([]float64) int { return 640 }, Tol); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEigenSym1242 is gonum's complete eigensolver (dsyev) on the same
// matrix, for comparison.
func BenchmarkEigenSym1242(b *testing.B) {
	a := randomSym(1242, 1)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var es mat.EigenSym
		if !es.Factorize(a, true) {
			b.Fatal("no convergence")
		}
	}
}
