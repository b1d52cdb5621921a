// Package hessian holds generic curvature algorithms over a symmetric linear
// operator: Lanczos eigenpairs, Hutchinson's trace estimator, stochastic
// Lanczos quadrature (SLQ) spectral densities and full-matrix assembly.
//
// The package knows nothing of neural networks: anything that can multiply a
// vector by a symmetric matrix (a network's Hessian through Pearlmutter's
// R-operator, an analytic landscape's Hessian, a dense matrix) is an Operator.
package hessian

import "gonum.org/v1/gonum/mat"

// Operator is a symmetric linear operator A on R^n, n = Dim().
//
// MulVec stores A·v in dst. Both slices have length Dim(); dst and v do not
// overlap. Implementations must not retain v or dst.
type Operator interface {
	Dim() int
	MulVec(dst, v []float64)
}

// BlockOperator is an Operator that can multiply many vectors at once, which
// lets a caller run the product as matrix products.
//
// MulMat stores A·V in dst, where V is Dim()×k (one direction per column) and
// dst is Dim()×k.
type BlockOperator interface {
	Operator
	MulMat(dst, v *mat.Dense)
}
