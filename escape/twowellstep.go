package escape

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"github.com/sgn-project/sgn/internal/normal"
)

// TwoWellStepper is one run of a dynamics on the two-well TwoWell and its
// finite sum FiniteSum (escape/selection, minima selection after Xie, Sato
// & Sugiyama, ICLR 2021): the two-well step of its row of the table with
// the run's random numbers.
type TwoWellStepper struct {
	w    twoWellWalker
	step func(w *twoWellWalker, x []float64) error
}

// NewTwoWellStepper returns the stepper of dynamics d with step size eta,
// batch size batch and temperature temp on tw for one run drawing from src
// through zig. It does not check the settings (escape/selection does).
func NewTwoWellStepper(d Dynamics, tw *TwoWell, eta, batch, temp float64, src *rand.PCG, zig *normal.Ziggurat) (*TwoWellStepper, error) {
	row := d.info()
	if row == nil || row.twoWell == nil {
		if err := d.CheckOnTwoWell(); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("dynamics %q has no two-well step", d)
	}
	n := tw.Dim()
	return &TwoWellStepper{step: row.twoWell, w: twoWellWalker{tw: tw, fs: &FiniteSum{TwoWell: tw}, eta: eta,
		sigLD: math.Sqrt(2 * eta * temp), sigDiff: eta / math.Sqrt(batch), batch: int(batch), src: src, zig: zig,
		g: make([]float64, n), xi: make([]float64, n), w: make([]float64, n),
		h: mat.NewSymDense(n, nil), gr: mat.NewDense(n, n, nil)}}, nil
}

// Step moves x by one step.
func (s *TwoWellStepper) Step(x []float64) error {
	s.w.tw.Grad(s.w.g, x)
	return s.step(&s.w, x)
}

// twoWellWalker is what a two-well step sees: the landscape and its finite
// sum, η, the noise scales √(2ηD) and η/√B, the integer B of minibatch
// SGD, the run's random numbers, g = ∇L(x) and scratch space.
type twoWellWalker struct {
	tw             *TwoWell
	fs             *FiniteSum
	eta            float64
	sigLD, sigDiff float64
	batch          int
	src            *rand.PCG
	zig            *normal.Ziggurat
	g, xi, w       []float64
	h              *mat.SymDense
	gr             *mat.Dense
	abs            absSqrt
}

// twoWellSGLD: θ ← θ − η∇L + √(2ηD)·ξ.
func twoWellSGLD(w *twoWellWalker, x []float64) error {
	w.zig.Fill(w.src, w.xi)
	for i := range x {
		x[i] += -w.eta*w.g[i] + w.sigLD*w.xi[i]
	}
	return nil
}

// twoWellFiniteSum: θ ← θ − η∇L + (η/√B)·Σⱼ ξⱼ∇φⱼ(θ), noise of covariance
// η²·S(θ)/B.
func twoWellFiniteSum(w *twoWellWalker, x []float64) error {
	w.zig.Fill(w.src, w.xi)
	w.fs.NoiseGrads(w.gr, x)
	n := len(x)
	for i := range x {
		t := 0.0
		for j := range n {
			t += w.gr.At(i, j) * w.xi[j]
		}
		x[i] += -w.eta*w.g[i] + w.sigDiff*t
	}
	return nil
}

// twoWellAbsH: θ ← θ − η∇L + η·(|H(θ)|/B)^½·ξ, |H| = V·|Λ|·Vᵀ for
// H = VΛVᵀ.
func twoWellAbsH(w *twoWellWalker, x []float64) error {
	w.zig.Fill(w.src, w.xi)
	w.tw.Hessian(w.h, x)
	if !w.abs.apply(w.w, w.h, w.xi) {
		return errors.New("eigendecomposition of the Hessian failed")
	}
	for i := range x {
		x[i] += -w.eta*w.g[i] + w.sigDiff*w.w[i]
	}
	return nil
}

// twoWellSGD: θ ← θ − η·g_B, g_B = ∇L + Σⱼ s̄ⱼ∇φⱼ with independent batch
// means s̄ⱼ = (2Kⱼ − B)/B of the finite sum's sample signs.
func twoWellSGD(w *twoWellWalker, x []float64) error {
	w.fs.NoiseGrads(w.gr, x)
	n := len(x)
	for j := range n {
		sb := SignMean(w.src, w.batch)
		for i := range n {
			w.g[i] += sb * w.gr.At(i, j)
		}
	}
	for i := range x {
		x[i] -= w.eta * w.g[i]
	}
	return nil
}

// SignMean draws the mean s̄ = (2K − B)/B of B random signs, K ~
// Binomial(B, ½) the number of +1, one random bit per sign (the words of
// src, the last one masked to what is left): the batch mean of the
// finite sum's per-sample noise signs (FiniteSum).
func SignMean(src *rand.PCG, B int) float64 {
	k := 0
	for r := B; r > 0; r -= 64 {
		u := src.Uint64()
		if r < 64 {
			u &= uint64(1)<<r - 1
		}
		k += bits.OnesCount64(u)
	}
	return float64(2*k-B) / float64(B)
}
