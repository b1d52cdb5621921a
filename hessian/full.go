package hessian

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// FullBytes returns the memory, in bytes, that Full needs to assemble the
// matrix of an operator of dimension n: the n×n float64 matrix (8n² bytes).
// Full also uses O(n·blockSize) work space, negligible beside it. Callers
// compare it with what they can afford before calling Full.
// The result saturates at math.MaxInt64 for absurd n.
func FullBytes(n int) int64 {
	if n <= 0 {
		return 0
	}
	if n > 1<<29 {
		return math.MaxInt64
	}
	return 8 * int64(n) * int64(n)
}

// Full assembles the matrix of op column by column from the products A·e_j
// with the unit vectors e_j. When op is a BlockOperator it multiplies
// blockSize unit vectors at a time with MulMat, so the work runs as matrix
// products; otherwise it calls MulVec once per column. blockSize < 1 means 64.
//
// It returns the symmetrised matrix (A + Aᵀ)/2 and the largest asymmetry
// max_ij |A_ij − A_ji| of the assembled columns, a check on the operator
// (for a Hessian through the R-operator it is a rounding-level number).
// progress, if not nil, is called with the number of columns done and n.
func Full(op Operator, blockSize int, progress func(done, total int)) (*mat.SymDense, float64, error) {
	if op == nil {
		return nil, 0, errors.New("hessian.Full: nil operator")
	}
	n := op.Dim()
	if n < 1 {
		return nil, 0, fmt.Errorf("hessian.Full: operator dimension %d, want at least 1", n)
	}
	if FullBytes(n) == math.MaxInt64 || FullBytes(n)/8 > math.MaxInt {
		return nil, 0, fmt.Errorf("hessian.Full: a %d×%d matrix does not fit in memory (%d bytes)", n, n, FullBytes(n))
	}
	if blockSize < 1 {
		blockSize = 64
	}
	blockSize = min(blockSize, n)
	// a holds the assembled matrix row-major: a[i*n+j] = (A·e_j)_i.
	a := make([]float64, n*n)
	e := mat.NewDense(n, blockSize, nil)
	ae := mat.NewDense(n, blockSize, nil)
	for j0 := 0; j0 < n; j0 += blockSize {
		b := min(blockSize, n-j0)
		ev := e.Slice(0, n, 0, b).(*mat.Dense)
		av := ae.Slice(0, n, 0, b).(*mat.Dense)
		ev.Zero()
		for c := range b {
			ev.Set(j0+c, c, 1)
		}
		apply(op, av, ev)
		for i := range n {
			copy(a[i*n+j0:i*n+j0+b], av.RawRowView(i)[:b])
		}
		if progress != nil {
			progress(j0+b, n)
		}
	}
	asym := 0.0
	for i := range n {
		for j := i + 1; j < n; j++ {
			u, l := a[i*n+j], a[j*n+i]
			asym = math.Max(asym, math.Abs(u-l))
			a[i*n+j] = (u + l) / 2
			a[j*n+i] = a[i*n+j]
		}
	}
	return mat.NewSymDense(n, a), asym, nil
}

// apply stores op·v in dst (both n×k): one MulMat call when op is a
// BlockOperator, k MulVec calls otherwise.
func apply(op Operator, dst, v *mat.Dense) {
	if b, ok := op.(BlockOperator); ok {
		b.MulMat(dst, v)
		return
	}
	n, k := v.Dims()
	x := make([]float64, n)
	y := make([]float64, n)
	for c := range k {
		mat.Col(x, c, v)
		op.MulVec(y, x)
		dst.SetCol(c, y)
	}
}
