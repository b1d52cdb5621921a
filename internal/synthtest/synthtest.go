// Package synthtest makes the inputs of sgn's known-answer tests from a
// seeded generator: Gaussian matrices, random orthogonal matrices and
// symmetric matrices of a chosen spectrum (the exact eigendecomposition the
// Lanczos, SLQ and dense solvers are checked against), the symmetric part
// and dense spectrum of a central-difference Hessian, labelled synthetic
// samples, and the error measures those tests compare with. It has no
// project imports.
package synthtest

import (
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
)

// Gaussian returns an r×c matrix of independent standard normals drawn from
// rng row by row.
func Gaussian(rng *rand.Rand, r, c int) *mat.Dense {
	m := mat.NewDense(r, c, nil)
	for i := range r {
		for j := range c {
			m.Set(i, j, rng.NormFloat64())
		}
	}
	return m
}

// Orthogonal returns a random n×n orthogonal matrix: the Q factor of the QR
// decomposition of Gaussian(rng, n, n).
func Orthogonal(rng *rand.Rand, n int) *mat.Dense {
	var qr mat.QR
	qr.Factorize(Gaussian(rng, n, n))
	var q mat.Dense
	qr.QTo(&q)
	return &q
}

// WithSpectrum returns Q·diag(λ)·Qᵀ = Σₖ λₖ qₖqₖᵀ for Q = Orthogonal(rng,
// len(λ)): a symmetric matrix whose eigenvalues are exactly λ and whose
// eigenvectors are Q's columns.
func WithSpectrum(rng *rand.Rand, lambda []float64) *mat.SymDense {
	n := len(lambda)
	q := Orthogonal(rng, n)
	a := mat.NewSymDense(n, nil)
	for k := range n {
		a.SymRankOne(a, lambda[k], q.ColView(k))
	}
	return a
}

// Symmetrize returns (D + Dᵀ)/2 of the square matrix d: the symmetric
// Hessian of a central-difference matrix whose columns are differences of
// exact gradients (Nocedal & Wright, Numerical Optimization, 2006, §8.1),
// the answer the Hessian-vector products are checked against.
func Symmetrize(d mat.Matrix) *mat.SymDense {
	n, _ := d.Dims()
	s := mat.NewSymDense(n, nil)
	for i := range n {
		for j := i; j < n; j++ {
			s.SetSym(i, j, (d.At(i, j)+d.At(j, i))/2)
		}
	}
	return s
}

// Eigenvalues returns the eigenvalues of a in ascending order by gonum's
// dense symmetric eigensolver (LAPACK's dsyev), the exact spectrum the
// iterative solvers are checked against; ok is false when it fails.
func Eigenvalues(a mat.Symmetric) (vals []float64, ok bool) {
	var es mat.EigenSym
	if !es.Factorize(a, false) {
		return nil, false
	}
	return es.Values(nil), true
}

// Samples returns n synthetic samples of d features, each drawn by feature
// from rng, then their n labels uniform over c classes, row-major as
// model.Batch holds them.
func Samples(rng *rand.Rand, n, d, c int, feature func(*rand.Rand) float64) (x []float64, y []int) {
	x = make([]float64, n*d)
	for i := range x {
		x[i] = feature(rng)
	}
	y = make([]int, n)
	for i := range y {
		y[i] = rng.IntN(c)
	}
	return x, y
}

// Uniform draws a feature uniform on [0, 1): a feature function for Samples.
func Uniform(rng *rand.Rand) float64 { return rng.Float64() }

// Normal draws a standard normal feature: a feature function for Samples.
func Normal(rng *rand.Rand) float64 { return rng.NormFloat64() }

// MaxAbsDiff is maxᵢ |aᵢ − bᵢ| over the length of a.
func MaxAbsDiff(a, b []float64) float64 {
	d := 0.0
	for i := range a {
		d = math.Max(d, math.Abs(a[i]-b[i]))
	}
	return d
}

// RelErr is maxᵢ |aᵢ − bᵢ| / maxᵢ |bᵢ| (the absolute error when b is zero):
// the largest error relative to the scale of the exact answer b.
func RelErr(a, b []float64) float64 {
	var num, den float64
	for i := range a {
		num = max(num, math.Abs(a[i]-b[i]))
		den = max(den, math.Abs(b[i]))
	}
	if den == 0 {
		return num
	}
	return num / den
}
