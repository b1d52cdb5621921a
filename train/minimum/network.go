package minimum

import (
	"github.com/sgn-project/sgn/hessian"
	"github.com/sgn-project/sgn/model"
	"gonum.org/v1/gonum/floats"
)

// Network is the regularised training loss of an MLP on a fixed batch,
// L(θ) = CE(θ) + (λ/2)‖θ‖² with CE the mean softmax cross-entropy and λ
// the weight decay: its gradient by model.MLP.Evaluate, its Hessian
// ∇²CE(θ) + λI by model.MLP.NewHessian (Pearlmutter's exact R-operator,
// Neural Computation 1994) shifted by λ. With λ > 0 the loss is coercive,
// so a minimum exists even where the network separates the batch (then
// CE alone only falls as ‖θ‖ → ∞). Network implements Objective.
type Network struct {
	// Net is the network; its Theta is not read or modified.
	Net *model.MLP
	// Batch is the fixed data the loss is the mean over.
	Batch model.Batch
	// Decay is the weight decay λ ≥ 0.
	Decay float64
	// Workers parallelises the passes; the results do not depend on it.
	Workers int
}

// Dim returns the number of parameters P.
func (o Network) Dim() int { return o.Net.NumParams() }

// LossGrad returns L(θ) and writes ∇L(θ) = ∇CE(θ) + λθ into grad.
func (o Network) LossGrad(theta, grad []float64) (float64, error) {
	ev, err := o.Net.Evaluate(theta, o.Batch, grad, max(o.Workers, 1))
	if o.Decay != 0 {
		floats.AddScaled(grad, o.Decay, theta)
	}
	return ev.Loss + Penalty(o.Decay, theta), err
}

// Hessian returns ∇²L(θ) = ∇²CE(θ) + λI as an operator of exact products.
func (o Network) Hessian(theta []float64) (hessian.Operator, error) {
	h, err := o.Net.NewHessian(theta, o.Batch, max(o.Workers, 1))
	if err != nil || o.Decay == 0 {
		return h, err
	}
	return Shifted{A: h, Sigma: o.Decay}, nil
}

// Penalty returns the weight-decay term (λ/2)‖θ‖², 0 when λ = 0.
func Penalty(decay float64, theta []float64) float64 {
	if decay == 0 {
		return 0
	}
	return decay / 2 * floats.Dot(theta, theta)
}

// Shifted is the operator A + σI: the Hessian of a loss plus (σ/2)‖θ‖².
type Shifted struct {
	A     hessian.Operator
	Sigma float64
}

// Dim returns the dimension of A.
func (s Shifted) Dim() int { return s.A.Dim() }

// MulVec sets dst = (A + σI)·v.
func (s Shifted) MulVec(dst, v []float64) {
	s.A.MulVec(dst, v)
	floats.AddScaled(dst, s.Sigma, v)
}
