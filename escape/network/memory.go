package network

import (
	"fmt"

	"github.com/sgn-project/sgn/escape"
	"github.com/sgn-project/sgn/hessian"
	"github.com/sgn-project/sgn/model"
	"github.com/sgn-project/sgn/model/replica"
	"github.com/sgn-project/sgn/train/minimum"
)

// lbfgsStore is the number of correction pairs gonum's L-BFGS keeps by
// default (optimize.LBFGS.Store 0 means 15).
const lbfgsStore = 15

// MemoryNeed bounds the bytes a run or a sweep of the dynamics dyns
// on the network landscape spec holds at its peak with workers goroutines:
// the samples (First rows of float64 features and a label), then the
// larger of
//
//   - the minimum's preparation: the Hessian operator with its cached
//     passes (model.HessianBytes) and either L-BFGS's 2·15 correction
//     vectors and Newton–CG's vectors, or the extreme curvatures (three
//     dense P×P matrices with the block products when P ≤ 2000, else the
//     Lanczos basis);
//   - the runs: the N×P centred per-sample gradients of sgd-gaussian (one
//     copy for the whole sweep) and, per worker, the MaxBatch runs it
//     steps together (each run's vectors of length P and its N normal
//     numbers), its engine's buffers of one sample, a block of four and a
//     chunk of sixteen, and those of its full losses (replica.LossesBytes).
//
// It is computed in float64, so absurd sizes give a huge number, not an
// overflow.
func MemoryNeed(spec Spec, dyns []escape.Dynamics, workers int) (float64, error) {
	spec.normalize()
	P, err := model.ParamCount(spec.Layers)
	if err != nil {
		return 0, fmt.Errorf("network layers %v: %w", spec.Layers, err)
	}
	workers = max(workers, 1)
	n, err := spec.Rows()
	if err != nil {
		return 0, err
	}
	h, err := model.HessianBytes(spec.Layers, spec.Activation, n, workers)
	if err != nil {
		return 0, err
	}
	p, N := float64(P), float64(n)
	var widths float64
	for _, w := range spec.Layers {
		widths += float64(w)
	}
	curv := 0.0
	if P <= minimum.DenseLimit {
		blk, err := model.HessianBlockBytes(spec.Layers, n, workers)
		if err != nil {
			return 0, err
		}
		curv = 3*8*p*p + blk
	} else {
		if curv, err = hessian.LanczosBytes(P, 1, 1, hessian.LanczosOptions{Tol: 1e-8}); err != nil {
			return 0, err
		}
	}
	prep := h + max(curv, 8*p*(2*lbfgsStore+12))
	// per engine: z, a, δ of one sample, z and a of a block of four, the
	// block's transposed inputs and sums, δ and inputs of a chunk of 16
	runs := float64(workers) * (8*(MaxBatch*(8*p+N)+(3+2*4+2*4+2*16)*widths) + replica.LossesBytes(spec.Layers))
	for _, d := range dyns {
		if d == escape.SGDGaussian {
			runs += 8 * N * (p + 1)
			break
		}
	}
	return 8*N*float64(spec.Layers[0]+1) + max(prep, runs), nil
}
