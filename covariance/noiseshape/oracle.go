package noiseshape

import (
	"github.com/sgn-project/sgn/model"
)

// ModelOracle is the GradientOracle of a real network at fixed parameters
// θ over a fixed set of samples: MeanGradient runs one batched forward and
// backward pass (model.MLP.Evaluate) over the gathered minibatch. It is
// safe for concurrent use: each call has its own buffers and θ is only
// read.
type ModelOracle struct {
	m     *model.MLP
	theta []float64
	data  model.Batch
}

// NewModelOracle returns the oracle of m at its current θ (copied) over
// data.
func NewModelOracle(m *model.MLP, data model.Batch) *ModelOracle {
	return &ModelOracle{m: m, theta: append([]float64(nil), m.Theta...), data: data}
}

// Dim returns P.
func (o *ModelOracle) Dim() int { return o.m.NumParams() }

// NumSamples returns N.
func (o *ModelOracle) NumSamples() int { return o.data.N() }

// MeanGradient stores in dst the gradient of the mean loss over the
// samples idx (repeats allowed).
func (o *ModelOracle) MeanGradient(dst []float64, idx []int) error {
	b := o.m.Gather(o.data, idx, model.Batch{})
	_, err := o.m.Evaluate(o.theta, b, dst, 1)
	return err
}
