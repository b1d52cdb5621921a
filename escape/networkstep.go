package escape

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/floats"

	"github.com/sgn-project/sgn/internal/normal"
)

// NetworkGradients is what the step of a dynamics asks of a network
// landscape (escape/network implements it on its replica engine): the
// mean cross-entropy gradient of a set of samples, and the per-sample
// gradients at the minimum whose covariance C₀ makes the Gaussian control
// of SGD's noise, C₀/B (Xie, Sato & Sugiyama, ICLR 2021, Section 2).
type NetworkGradients interface {
	// Samples returns N, the number of samples of the loss.
	Samples() int
	// Gradient stores in g the mean gradient at θ of the cross-entropy of
	// the samples ids (of all N when ids is nil), without the weight decay.
	Gradient(theta []float64, ids []int, g []float64)
	// Centered returns the N×P matrix, row-major, of the per-sample
	// gradients gᵢ − ḡ at the minimum θ₀ (C₀ = (1/N)·Σᵢ(gᵢ − ḡ)(gᵢ − ḡ)ᵀ).
	Centered() []float64
}

// NetworkStepper is one run of a dynamics on a network landscape: the step
// of its row of the table with the run's random numbers. A run at
// sharpness k moves φ = θ/√k, the coordinates in which the loss L(√k·φ)
// has Hessian k·H (see escape/network's Factory).
type NetworkStepper struct {
	w    networkWalker
	step func(w *networkWalker, theta, phi, grad []float64)
}

// NewNetworkStepper returns the stepper of p.Dynamics (with p's η, B and D)
// on net for one run from seed, at √k = sqrtK on the landscape
// CE + (λ/2)‖θ‖², λ = decay. It does not check p's settings
// (escape/network's CheckPoint does).
func NewNetworkStepper(p Point, net NetworkGradients, sqrtK, decay float64, seed uint64) (*NetworkStepper, error) {
	row := p.Dynamics.info()
	if row == nil || row.network == nil {
		if err := p.Dynamics.CheckOn(true); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("dynamics %q has no network step", p.Dynamics)
	}
	src := rand.NewPCG(seed, PCGStream)
	return &NetworkStepper{step: row.network, w: networkWalker{net: net, eta: p.Eta, temp: p.Temperature,
		batch: int(p.BatchSize), sqrtK: sqrtK, decay: decay, src: src, rng: rand.New(src), zig: normal.NewZiggurat()}}, nil
}

// Step takes one step of φ from θ = √k·φ; grad is scratch space of θ's
// length. The caller then sets θ = √k·φ.
func (s *NetworkStepper) Step(theta, phi, grad []float64) { s.step(&s.w, theta, phi, grad) }

// networkWalker is what a network step sees: the gradients, η, B, D, √k
// and λ, the run's random numbers and scratch space.
type networkWalker struct {
	net                     NetworkGradients
	eta, temp, sqrtK, decay float64
	batch                   int
	src                     *rand.PCG
	rng                     *rand.Rand
	zig                     *normal.Ziggurat
	ids                     []int
	z, idx                  []float64
}

// drift takes the gradient step φ ← φ − η·√k·(grad + λθ) on the loss
// CE + (λ/2)‖θ‖², grad the cross-entropy part of the gradient at θ.
func (w *networkWalker) drift(theta, phi, grad []float64) {
	if w.decay != 0 {
		floats.AddScaled(grad, w.decay, theta)
	}
	step := w.eta * w.sqrtK
	for i, g := range grad {
		phi[i] -= step * g
	}
}

// networkGD: φ ← φ − η·√k·∇L(√k·φ).
func networkGD(w *networkWalker, theta, phi, grad []float64) {
	w.net.Gradient(theta, nil, grad)
	w.drift(theta, phi, grad)
}

// networkSGLD: φ ← φ − η·√k·∇L(√k·φ) + √(2ηD)·ζ, ζ ~ N(0, I).
func networkSGLD(w *networkWalker, theta, phi, grad []float64) {
	networkGD(w, theta, phi, grad)
	if w.z == nil {
		w.z = make([]float64, len(phi))
	}
	w.zig.Fill(w.src, w.z)
	sig := math.Sqrt(2 * w.eta * w.temp)
	for i, v := range w.z {
		phi[i] += sig * v
	}
}

// networkSGD: φ ← φ − η·√k·g_B(√k·φ), g_B the mean gradient of B samples
// drawn uniformly with replacement.
func networkSGD(w *networkWalker, theta, phi, grad []float64) {
	if w.ids == nil {
		w.ids = make([]int, w.batch)
	}
	n := w.net.Samples()
	for j := range w.ids {
		w.ids[j] = w.rng.IntN(n)
	}
	w.net.Gradient(theta, w.ids, grad)
	w.drift(theta, phi, grad)
}

// networkSGDGaussian: φ ← φ − η·√k·(∇L(√k·φ) + ξ), ξ ~ N(0, C₀/B) drawn
// exactly as ξ = Σᵢ zᵢ(gᵢ − ḡ)/√(N·B), z ~ N(0, I_N).
func networkSGDGaussian(w *networkWalker, theta, phi, grad []float64) {
	w.net.Gradient(theta, nil, grad)
	n, P := w.net.Samples(), len(theta)
	if w.z == nil {
		w.z, w.idx = make([]float64, n), make([]float64, P)
	}
	centered := w.net.Centered()
	w.zig.Fill(w.src, w.z)
	clear(w.idx)
	for i, zi := range w.z {
		row := centered[i*P : (i+1)*P]
		for j, v := range row {
			w.idx[j] += zi * v
		}
	}
	c := 1 / math.Sqrt(float64(n)*float64(w.batch))
	for j := range grad {
		grad[j] += c * w.idx[j]
	}
	w.drift(theta, phi, grad)
}
