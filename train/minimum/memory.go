package minimum

import (
	"fmt"

	"github.com/sgn-project/sgn/hessian"
	"github.com/sgn-project/sgn/model"
)

// lbfgsStore is the number of correction pairs gonum's L-BFGS keeps by
// default (optimize.LBFGS.Store 0 means 15).
const lbfgsStore = 15

// MemoryNeed bounds the bytes Find holds at its peak for a network of the
// given layers and activation on n samples with workers goroutines: the
// Hessian operator with its cached passes (model.HessianBytes), and the
// larger of L-BFGS's 2·15 correction vectors with Newton–CG's dozen
// vectors of length P, and the Lanczos basis of the check of the extreme
// eigenvalues (hessian.LanczosBytes, one at each end to 1e-8). It is
// computed in float64, so absurd sizes give a huge number, not an
// overflow.
func MemoryNeed(layers []int, act model.Activation, n, workers int) (float64, error) {
	P, err := model.ParamCount(layers)
	if err != nil {
		return 0, fmt.Errorf("network layers %v: %w", layers, err)
	}
	h, err := model.HessianBytes(layers, act, n, max(workers, 1))
	if err != nil {
		return 0, err
	}
	lz, err := hessian.LanczosBytes(P, 1, 1, hessian.LanczosOptions{Tol: 1e-8, MaxIter: P})
	if err != nil {
		return 0, err
	}
	return h + max(lz, 8*float64(P)*(2*lbfgsStore+12)), nil
}
