package sharpness

import (
	"slices"
	"unsafe"

	"github.com/sgn-project/sgn/data"
	"github.com/sgn-project/sgn/hessian"
	"github.com/sgn-project/sgn/internal/sweep"
	"github.com/sgn-project/sgn/model"
)

// MemoryNeed bounds the bytes a sweep of c holds at its peak with workers
// runs at a time: the training and test images (float64 features and a
// label each), a task per run and its record read back by the fit, and per
// concurrent run its model and the larger of its training (θ, the
// gradient, the velocity, the engine's minibatch buffers, the evaluation
// passes) and the measurement of its minimum (see measureBytes). It is computed in float64, so absurd sizes give a huge
// number, not an overflow.
func (c Config) MemoryNeed(workers int) (float64, error) {
	c = c.withDefaults()
	if err := c.Validate(); err != nil {
		return 0, err
	}
	P, err := model.ParamCount(c.Model.Layers)
	if err != nil {
		return 0, err
	}
	ntr, nte := c.TrainFirst, c.TestFirst
	if ntr == 0 {
		ntr = data.TrainSize
	}
	if nte == 0 {
		nte = data.TestSize
	}
	// Data files: their rows, from the headers.
	for _, f := range []struct {
		file string
		n    *int
		sel  int
	}{{c.Data, &ntr, c.TrainFirst}, {c.Test, &nte, c.TestFirst}} {
		if f.file == "" {
			continue
		}
		info, err := data.InspectFile(f.file)
		if err != nil {
			return 0, err
		}
		*f.n = info.N
		if f.sel > 0 {
			*f.n = min(f.sel, info.N)
		}
	}
	var outs float64
	for _, w := range c.Model.Layers[1:] {
		outs += float64(w)
	}
	p := float64(P)
	bmax := float64(slices.Max(c.BatchSizes))
	training := 8 * (12*p + 8*bmax*outs + 3*256*outs)
	meas, err := c.measureBytes(ntr)
	if err != nil {
		return 0, err
	}
	images := 8 * float64(ntr+nte) * float64(c.Model.Layers[0]+1)
	// The sweep's tasks and, for the fit, the records read back.
	runs := float64(len(c.BatchSizes)*len(c.Etas)) * float64(c.Runs)
	book := runs * float64(unsafe.Sizeof(sweep.Task{})+unsafe.Sizeof(sweep.Record[Result]{}))
	return images + book + float64(max(workers, 1))*(8*p+max(training, meas)), nil
}

// measureBytes bounds the bytes measure holds on n training samples: the
// Hessian operator with its cached passes on one worker
// (model.HessianBytes), the Lanczos basis of λmax (hessian.LanczosBytes),
// then the dense Hessian assembled with the block products
// (hessian.FullAssemblyBytes, model.HessianBlockBytes) when P ≤
// ExactTraceMaxParams, else Hutchinson's probes.
func (c Config) measureBytes(n int) (float64, error) {
	c = c.withDefaults()
	layers := c.Model.Layers
	P, err := model.ParamCount(layers)
	if err != nil {
		return 0, err
	}
	h, err := model.HessianBytes(layers, c.Model.Activation, n, 1)
	if err != nil {
		return 0, err
	}
	blk, err := model.HessianBlockBytes(layers, n, 1)
	if err != nil {
		return 0, err
	}
	lz, err := hessian.LanczosBytes(P, 1, 0, hessian.LanczosOptions{})
	if err != nil {
		return 0, err
	}
	trace := hessian.HutchinsonBytes(P, hessian.HutchinsonOptions{Tol: traceTol, MaxSamples: traceMaxSamples}, true) + blk
	if P <= c.ExactTraceMaxParams {
		trace = hessian.FullAssemblyBytes(P, 0) + blk
	}
	return h + max(lz, trace), nil
}
