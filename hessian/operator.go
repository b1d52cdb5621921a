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
