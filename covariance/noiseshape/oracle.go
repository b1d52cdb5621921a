package noiseshape

import (
	"fmt"

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

// PerSampleGradients stores in G (len(idx)×P, row-major) the gradient of
// each sample's own loss (model.MLP.PerSampleGradients), for the
// per-sample skewness and kurtosis behind the central-limit prediction.
func (o *ModelOracle) PerSampleGradients(G []float64, idx []int) error {
	b := o.m.Gather(o.data, idx, model.Batch{})
	return o.m.PerSampleGradients(o.theta, b, G, 1)
}

// ParamName returns the PyTorch name of parameter j with its index inside
// its tensor, e.g. "fc1.weight[3,17]" (row = output unit, column = input)
// or "fc2.bias[4]".
func (o *ModelOracle) ParamName(j int) string {
	lo := o.m.Layout
	for l := 0; l < lo.NumLayers(); l++ {
		in, out := lo.Layers[l], lo.Layers[l+1]
		if w := j - lo.WOff[l]; w >= 0 && w < in*out {
			return fmt.Sprintf("fc%d.weight[%d,%d]", l+1, w/in, w%in)
		}
		if b := j - lo.BOff[l]; b >= 0 && b < out {
			return fmt.Sprintf("fc%d.bias[%d]", l+1, b)
		}
	}
	return fmt.Sprintf("θ[%d]", j)
}

// ThetaOracle is implemented by a GradientOracle that gives its parameters
// θ (length P, not to be modified), for the gradient of a weight-decay
// penalty (Options.WeightDecay).
type ThetaOracle interface {
	Theta() []float64
}

// Theta returns the oracle's θ (its own copy; not to be modified).
func (o *ModelOracle) Theta() []float64 { return o.theta }
