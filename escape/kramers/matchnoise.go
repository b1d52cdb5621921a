package kramers

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/sgn-project/sgn/escape"
	"github.com/sgn-project/sgn/escape/network"
)

// MatchedNoise is the SGLD temperature whose noise has the power of SGD's at
// the minimum θ₀ (Xie, Sato & Sugiyama, ICLR 2021, Theorems 1 and 2 compare
// SGLD's isotropic white noise with SGD's Hessian-shaped noise at equal
// power): one SGD step adds noise of covariance η²C(θ₀), one SGLD step of
// covariance 2ηD·I, so tr η²C = 2ηD·n gives D = η·tr C/(2n).
type MatchedNoise struct {
	// BatchSize is SGD's B.
	BatchSize float64 `json:"batch_size"`
	// TraceC is tr C(θ₀) in the coordinates the dynamics runs in (φ at
	// sharpness k): sgd-diffusion's |H(a)|/B on an analytic landscape, the
	// minibatch gradient's k·Σ(θ₀)/B on a network (Σ the covariance of one
	// sample's gradient; B samples with replacement).
	TraceC float64 `json:"trace_c"`
	// Dim is the number of coordinates n.
	Dim int `json:"dim"`
	// Temperature is D = η·TraceC/(2·Dim).
	Temperature float64 `json:"temperature"`
}

// ErrMatchNoise is wrapped by the errors of a matched-noise run that is
// not an SGLD run.
var ErrMatchNoise = errors.New("matched noise sets the temperature of sgld")

// matchNoise returns the matched temperature of point p with SGD's batch
// size B: on an analytic landscape from its Hessian at the minimum a, on a
// network (mn not nil) from the per-sample gradients at θ₀.
func matchNoise(p Point, mn *network.Minimum, B float64) (MatchedNoise, error) {
	if p.Dynamics != escape.SGLD {
		return MatchedNoise{}, fmt.Errorf("%w, not of %s", ErrMatchNoise, p.Dynamics)
	}
	if !(B > 0) || math.IsInf(B, 0) {
		return MatchedNoise{}, fmt.Errorf("matched noise: batch size %v, want a positive number", B)
	}
	m := MatchedNoise{BatchSize: B}
	if mn == nil {
		land, err := escape.NewLandscape(p.Landscape, p.Sharpness)
		if err != nil {
			return m, err
		}
		n := land.Dim()
		h := mat.NewSymDense(n, nil)
		land.Hessian(h, land.Valley.Min)
		var eig mat.EigenSym
		if !eig.Factorize(h, false) {
			return m, errors.New("matched noise: the Hessian at the minimum has no eigendecomposition")
		}
		for _, l := range eig.Values(nil) {
			m.TraceC += math.Abs(l) / B
		}
		m.Dim = n
	} else {
		trS, err := mn.GradientNoiseTrace()
		if err != nil {
			return m, err
		}
		m.TraceC, m.Dim = p.Sharpness*trS/B, len(mn.Theta)
	}
	m.Temperature = p.Eta * m.TraceC / (2 * float64(m.Dim))
	return m, nil
}
