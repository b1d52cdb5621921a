package minimum

import (
	"errors"
	"math"

	"github.com/sgn-project/sgn/hessian"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// DenseLimit is the largest P whose Hessian eigenvalues are computed
// densely (P Hessian-vector products and a P×P symmetric eigensolve);
// above it Lanczos finds the extreme ones.
const DenseLimit = 2000

// Curvature holds the extreme eigenvalues of a Hessian: λmin ≥ 0 (up to
// rounding) at a minimum, λmin < 0 at a saddle.
type Curvature struct {
	// Min and Max are λmin and λmax.
	Min, Max float64
	// MinResidual and MaxResidual are ‖Hv − λv‖ of the eigenpairs,
	// computed with the operator.
	MinResidual, MaxResidual float64
	// Method is "dense" or "lanczos".
	Method string
}

// ErrNoEigen is returned when the dense eigensolver fails.
var ErrNoEigen = errors.New("the symmetric eigendecomposition did not converge")

// ExtremeCurvature returns the extreme eigenvalues of op: from the dense
// matrix (hessian.Full and a symmetric eigendecomposition) when
// P ≤ DenseLimit, by hessian.Lanczos (Lanczos 1950, with full
// reorthogonalisation, residual tolerance 1e-8) otherwise.
func ExtremeCurvature(op hessian.Operator) (Curvature, error) {
	n := op.Dim()
	if n > DenseLimit {
		sp, err := hessian.Lanczos(op, 1, 1, hessian.LanczosOptions{Seed: 1, Tol: 1e-8})
		if err != nil {
			return Curvature{}, err
		}
		return Curvature{Min: sp.Bottom[0], Max: sp.Top[0], MinResidual: sp.BottomResiduals[0], MaxResidual: sp.TopResiduals[0], Method: "lanczos"}, nil
	}
	a, _, err := hessian.Full(op, 0, nil)
	if err != nil {
		return Curvature{}, err
	}
	var eig mat.EigenSym
	if !eig.Factorize(a, true) {
		return Curvature{}, ErrNoEigen
	}
	vals := eig.Values(nil) // ascending
	var vecs mat.Dense
	eig.VectorsTo(&vecs)
	res := func(j int) float64 {
		v := mat.Col(nil, j, &vecs)
		hv := make([]float64, n)
		op.MulVec(hv, v)
		floats.AddScaled(hv, -vals[j], v)
		return floats.Norm(hv, 2)
	}
	return Curvature{Min: vals[0], Max: vals[n-1], MinResidual: res(0), MaxResidual: res(n - 1), Method: "dense"}, nil
}

// IsSaddle reports a Hessian with an eigenvalue below −1e-6·λmax: the
// stationary point is a saddle, not a minimum.
func (c Curvature) IsSaddle() bool { return c.Min < -1e-6*math.Abs(c.Max) }
