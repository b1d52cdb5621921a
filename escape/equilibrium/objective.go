package equilibrium

import (
	"fmt"

	"github.com/sgn-project/sgn/hessian"
	"github.com/sgn-project/sgn/model"
	"github.com/sgn-project/sgn/train/minimum"
	"gonum.org/v1/gonum/floats"
)

// Objective is a loss L(θ) = (1/N) Σₙ ℓₙ(θ) over N samples, as the
// dynamics and the analysis need it.
type Objective interface {
	// Dim returns P, the number of parameters.
	Dim() int
	// NumSamples returns N.
	NumSamples() int
	// NewGradient returns a gradient evaluator with its own scratch
	// buffers: one per goroutine.
	NewGradient() Gradient
	// Hessian returns the Hessian of L at theta as a symmetric operator.
	Hessian(theta []float64) (hessian.Operator, error)
	// PerSampleGradients stores in G, (hi−lo)×P row-major, the gradients
	// ∇ℓₙ(theta) of the samples n = lo … hi−1.
	PerSampleGradients(theta []float64, lo, hi int, G []float64) error
}

// Gradient evaluates minibatch and full-batch gradients. It is not safe for
// concurrent use.
type Gradient interface {
	// Grad stores in grad the gradient at theta of the mean loss over the
	// samples idx (repeats count), or over all N samples when idx is nil,
	// and returns that mean loss.
	Grad(theta []float64, idx []int, grad []float64) (float64, error)
}

// Network is the Objective of an MLP (model.MLP, whose Theta is not used)
// on a batch of samples: the mean softmax cross-entropy plus the weight
// decay (λ/2)‖θ‖² (λ = Decay, 0 for none), the loss of which
// minimum.Find finds a true minimum. The decay adds λθ to every gradient,
// per-sample ones included (so C, the covariance of the per-sample
// gradients, does not change) and λI to the Hessian. Gradients run on
// model's allocation-free engine (model.Workspace, model.LossGrad), the
// training engine's passes; the Hessian is model's exact R-operator.
type Network struct {
	Model *model.MLP
	Data  model.Batch
	// Decay is the weight decay λ ≥ 0.
	Decay float64
	// Workers is the number of goroutines of the Hessian and per-sample
	// gradient passes (results do not depend on it).
	Workers int
}

// Dim returns P.
func (n *Network) Dim() int { return n.Model.NumParams() }

// NumSamples returns the number of samples.
func (n *Network) NumSamples() int { return n.Data.N() }

// Hessian returns model's exact Hessian-vector operator at theta.
func (n *Network) Hessian(theta []float64) (hessian.Operator, error) {
	h, err := n.Model.NewHessian(theta, n.Data, max(1, n.Workers))
	if err != nil || n.Decay == 0 {
		return h, err
	}
	return minimum.Shifted{A: h, Sigma: n.Decay}, nil
}

// PerSampleGradients stores ∇ℓₙ(theta), n = lo … hi−1, in G.
func (n *Network) PerSampleGradients(theta []float64, lo, hi int, G []float64) error {
	if lo < 0 || hi > n.Data.N() || lo >= hi {
		return fmt.Errorf("samples %d..%d outside 0..%d", lo, hi, n.Data.N())
	}
	D := n.Model.InputDim()
	b := model.Batch{X: n.Data.X[lo*D : hi*D], Y: n.Data.Y[lo:hi]}
	if err := n.Model.PerSampleGradients(theta, b, G, max(1, n.Workers)); err != nil || n.Decay == 0 {
		return err
	}
	P := len(theta)
	for r := range hi - lo {
		floats.AddScaled(G[r*P:(r+1)*P], n.Decay, theta)
	}
	return nil
}

// NewGradient returns a gradient evaluator on model's Workspace engine.
func (n *Network) NewGradient() Gradient { return &netGradient{net: n} }

// netGradient holds the workspaces of one goroutine: one sized for
// minibatches, created on first use, and one for the full batch.
type netGradient struct {
	net        *Network
	small, all *model.Workspace
	mb         model.Batch
}

func (g *netGradient) Grad(theta []float64, idx []int, grad []float64) (float64, error) {
	loss, err := g.ceGrad(theta, idx, grad)
	if d := g.net.Decay; d != 0 && err == nil {
		floats.AddScaled(grad, d, theta)
		loss += minimum.Penalty(d, theta)
	}
	return loss, err
}

// ceGrad is Grad of the cross-entropy alone.
func (g *netGradient) ceGrad(theta []float64, idx []int, grad []float64) (float64, error) {
	m := g.net.Model
	if idx == nil {
		if g.all == nil {
			g.all = m.NewWorkspace(g.net.Data.N())
		}
		return m.LossGrad(g.all, theta, g.net.Data, grad)
	}
	if g.small == nil || len(idx) > cap(g.mb.Y) {
		g.small = m.NewWorkspace(len(idx))
		g.mb = model.Batch{X: make([]float64, 0, len(idx)*m.InputDim()), Y: make([]int, 0, len(idx))}
	}
	g.mb = m.Gather(g.net.Data, idx, g.mb)
	return m.LossGrad(g.small, theta, g.mb, grad)
}
