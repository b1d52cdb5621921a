package hessian

import "gonum.org/v1/gonum/mat"

// Dense is a BlockOperator backed by an explicit symmetric matrix. Tests and
// analytic landscapes use it; products run through gonum's BLAS (dsymv,
// dsymm).
type Dense struct {
	a *mat.SymDense
}

// NewDense returns the operator v ↦ A·v. A is used, not copied: later changes
// to A show in the products.
func NewDense(a *mat.SymDense) *Dense { return &Dense{a: a} }

// Dim returns n, the order of A.
func (d *Dense) Dim() int { return d.a.SymmetricDim() }

// MulVec stores A·v in dst; both have length Dim().
func (d *Dense) MulVec(dst, v []float64) {
	n := d.Dim()
	mat.NewVecDense(n, dst).MulVec(d.a, mat.NewVecDense(n, v))
}

// MulMat stores A·V in dst; V and dst are Dim()×k.
func (d *Dense) MulMat(dst, v *mat.Dense) { dst.Mul(d.a, v) }
