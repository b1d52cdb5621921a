package escape

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"gonum.org/v1/gonum/mat"

	"github.com/sgn-project/sgn/internal/normal"
)

// Dynamics names a dynamics of the runs: one update rule, one row of the
// table dynamicsTable.
type Dynamics string

// The dynamics.
const (
	// SGLD is θ ← θ − η∇L + √(2ηD)·ξ, ξ ~ N(0, I).
	SGLD Dynamics = "sgld"
	// SGDDiffusion is θ ← θ − η∇L + η·(|H(θ)|/B)^½·ξ: Gaussian noise with
	// covariance η²·C(θ), C = |H(θ)|/B (analytic landscapes).
	SGDDiffusion Dynamics = "sgd-diffusion"
	// GD is θ ← θ − η∇L, the noiseless control.
	GD Dynamics = "gd"
	// SGD is true minibatch SGD: θ ← θ − η·g_B(θ), g_B the mean gradient of
	// B samples drawn uniformly with replacement (networks and the finite
	// sum FiniteSum).
	SGD Dynamics = "sgd"
	// SGDGaussian is the control of SGD with its noise replaced by a
	// Gaussian of the measured covariance: θ ← θ − η·(∇L(θ) + ξ),
	// ξ ~ N(0, C₀/B), C₀ the per-sample gradient covariance at the minimum
	// (networks).
	SGDGaussian Dynamics = "sgd-gaussian"
	// SGDDiffusionFiniteSum is the Gaussian diffusion of minibatch SGD on
	// the finite sum FiniteSum: θ ← θ − η∇L + (η/√B)·Σⱼ ξⱼ∇φⱼ(θ), noise
	// covariance η²·S(θ)/B, the covariance minibatch SGD on the finite sum
	// has (S = H at the minima, |H| at the col, S > 0 everywhere). Unlike
	// SGDDiffusion's |H|/B it does not vanish where H is singular.
	SGDDiffusionFiniteSum Dynamics = "sgd-diffusion-finite-sum"
	// SGDDiffusionAbsH is θ ← θ − η∇L + η·(|H(θ)|/B)^½·ξ on the two-well
	// (TwoWell): its noise vanishes at the inflection points between each
	// minimum and the col, which a continuous process with small η/B
	// cannot cross (see the package documentation).
	SGDDiffusionAbsH Dynamics = "sgd-diffusion-abs-h"
)

// Landscape kinds a dynamics runs on (dynamicsInfo.on).
const (
	onAnalytic = 1 << iota // analytic landscapes (AnalyticSimulator)
	onNetwork              // MLPs on MNIST (escape/kramers)
	onTwoWell              // the two-well and its finite sum (escape/selection)
)

// dynamicsInfo is one row of the dynamics table.
type dynamicsInfo struct {
	name Dynamics
	// batch and temperature say whether the batch size B and the
	// temperature D apply.
	batch, temperature bool
	// on is the set of landscape kinds it runs on.
	on int
	// step is its step on the analytic landscapes (nil when it does not run
	// there): it moves x given g = ∇L(x) (see walker). noiseless marks a
	// step without noise, whose runs stop at a floating-point fixed point
	// or 2-cycle.
	step      func(w *walker, x, g []float64)
	noiseless bool
	// network is its step on a network landscape (nil when it does not
	// run there): it moves φ given θ = √k·φ (see NetworkStepper).
	network func(w *networkWalker, theta, phi, grad []float64)
	// twoWell is its step on the two-well and its finite sum (nil when it
	// does not run there): it moves x given g = ∇L(x) (see TwoWellStepper).
	// samples marks a dynamics whose B counts drawn samples, a whole number
	// there.
	twoWell func(w *twoWellWalker, x []float64) error
	samples bool
}

// dynamicsTable is the one table of the dynamics. Adding a dynamics: a row
// here with its step on each landscape kind it runs on (analytic, network,
// two-well); its prediction, if any, in AnalyticPrediction. The 1-D
// loops (analyticSim.run1D, and Simulator.run1D in escape/selection) are
// specialisations for speed: a dynamics without a case there runs the
// n-D loop, which takes the row's step.
var dynamicsTable = []dynamicsInfo{
	{name: SGLD, temperature: true, on: onAnalytic | onNetwork | onTwoWell, step: stepSGLD, network: networkSGLD, twoWell: twoWellSGLD},
	{name: SGDDiffusion, batch: true, on: onAnalytic, step: stepSGDDiffusion},
	{name: GD, on: onAnalytic | onNetwork, step: stepGD, noiseless: true, network: networkGD},
	{name: SGD, batch: true, samples: true, on: onNetwork | onTwoWell, network: networkSGD, twoWell: twoWellSGD},
	{name: SGDGaussian, batch: true, on: onNetwork, network: networkSGDGaussian},
	{name: SGDDiffusionFiniteSum, batch: true, on: onTwoWell | onAnalytic, step: stepSGDDiffusionFiniteSum, twoWell: twoWellFiniteSum},
	{name: SGDDiffusionAbsH, batch: true, on: onTwoWell, twoWell: twoWellAbsH},
}

// info returns d's row of the table, or nil for an unknown name.
func (d Dynamics) info() *dynamicsInfo {
	for i := range dynamicsTable {
		if dynamicsTable[i].name == d {
			return &dynamicsTable[i]
		}
	}
	return nil
}

// UsesBatch reports whether the batch size B applies to d.
func (d Dynamics) UsesBatch() bool { i := d.info(); return i != nil && i.batch }

// DrawsSamples reports whether d's batch size B counts drawn samples
// (minibatch SGD), so that B is a whole number.
func (d Dynamics) DrawsSamples() bool { i := d.info(); return i != nil && i.samples }

// UsesTemperature reports whether the SGLD temperature D applies to d.
func (d Dynamics) UsesTemperature() bool { i := d.info(); return i != nil && i.temperature }

// names returns the names of the rows on landscape kind on, in table order.
func names(on int) []string {
	var ns []string
	for _, r := range dynamicsTable {
		if r.on&on != 0 {
			ns = append(ns, string(r.name))
		}
	}
	return ns
}

// DynamicsNames returns the names of the dynamics of analytic landscapes
// (network false) or of networks (network true), in table order.
func DynamicsNames(network bool) []string {
	if network {
		return names(onNetwork)
	}
	return names(onAnalytic)
}

// TwoWellDynamics returns the names of the dynamics of the two-well and
// its finite sum (escape/selection), in table order.
func TwoWellDynamics() []string { return names(onTwoWell) }

// BatchDynamics returns the names of the dynamics of analytic landscapes
// and networks that take a batch size.
func BatchDynamics() []string {
	var ns []string
	for _, r := range dynamicsTable {
		if r.batch && r.on&(onAnalytic|onNetwork) != 0 {
			ns = append(ns, string(r.name))
		}
	}
	return ns
}

// ParseDynamics returns the dynamics named s.
func ParseDynamics(s string) (Dynamics, error) {
	d := Dynamics(s)
	if d.info() == nil {
		return "", fmt.Errorf("unknown dynamics %q: want %s", s, strings.Join(names(onAnalytic|onNetwork), ", "))
	}
	return d, nil
}

// CheckOn returns an error unless d runs on the landscape kind (network or
// analytic).
func (d Dynamics) CheckOn(network bool) error {
	i := d.info()
	switch {
	case i == nil:
		_, err := ParseDynamics(string(d))
		return err
	case network && i.on&onNetwork == 0:
		return fmt.Errorf("dynamics %q: a network landscape takes %s", d, strings.Join(DynamicsNames(true), ", "))
	case !network && i.on&onAnalytic == 0:
		return fmt.Errorf("dynamics %q: an analytic landscape takes %s", d, strings.Join(DynamicsNames(false), ", "))
	}
	return nil
}

// CheckOnTwoWell returns an error unless d runs on the two-well.
func (d Dynamics) CheckOnTwoWell() error {
	if i := d.info(); i == nil || i.on&onTwoWell == 0 {
		return fmt.Errorf("unknown dynamics %q (want %s)", d, strings.Join(TwoWellDynamics(), ", "))
	}
	return nil
}

// walker is what an analytic step sees: the landscape, the step size, B
// and D with the noise scales derived from them, the normals and scratch
// space of one run.
type walker struct {
	an               *Analytic
	eta, batch, temp float64
	// sigLD = √(2ηD) and sigSGD = η/√B.
	sigLD, sigSGD float64
	zig           *normal.Ziggurat
	src           *rand.PCG
	xi, noise     []float64
	sqrtAbsH      func(dst, x, xi []float64) // dst = |H(x)|^½·xi, built on first use
}

// normals fills w.xi with standard normals.
func (w *walker) normals() { w.zig.Fill(w.src, w.xi) }

// absSqrtH stores |H(x)|^½·xi in dst.
func (w *walker) absSqrtH(dst, x, xi []float64) {
	if w.sqrtAbsH == nil {
		an, n := w.an, len(x)
		if an.hessDiag != nil {
			diag := make([]float64, n)
			w.sqrtAbsH = func(dst, x, xi []float64) {
				an.hessDiag(diag, x)
				for i, h := range diag {
					dst[i] = math.Sqrt(math.Abs(h)) * xi[i]
				}
			}
		} else {
			h := mat.NewSymDense(n, nil)
			var r absSqrt
			w.sqrtAbsH = func(dst, x, xi []float64) {
				an.Hessian(h, x)
				r.apply(dst, h, xi)
			}
		}
	}
	w.sqrtAbsH(dst, x, xi)
}

// stepSGLD: θ ← θ − η∇L + √(2ηD)·ξ.
func stepSGLD(w *walker, x, g []float64) {
	w.normals()
	for i := range x {
		x[i] += -w.eta*g[i] + w.sigLD*w.xi[i]
	}
}

// stepSGDDiffusion: θ ← θ − η∇L + η·(|H(θ)|/B)^½·ξ.
func stepSGDDiffusion(w *walker, x, g []float64) {
	w.normals()
	w.absSqrtH(w.noise, x, w.xi)
	for i := range x {
		x[i] += -w.eta*g[i] + w.sigSGD*w.noise[i]
	}
}

// stepSGDDiffusionFiniteSum: θ ← θ − η∇L + (η/√B)·σ(θ)·ξ on a 1-D finite
// sum (Analytic.noiseScale), the Gaussian diffusion of minibatch SGD with
// its exact noise covariance σ(θ)²/B.
func stepSGDDiffusionFiniteSum(w *walker, x, g []float64) {
	w.normals()
	x[0] += -w.eta*g[0] + w.sigSGD*w.an.noiseScale(x[0])*w.xi[0]
}

// stepGD: θ ← θ − η∇L.
func stepGD(w *walker, x, g []float64) {
	for i := range x {
		x[i] -= w.eta * g[i]
	}
}
