package escape

import (
	"math"

	"github.com/sgn-project/sgn/escape/firstpassage"
)

// Reference is the exact escape of one 1-D analytic point, computed without
// sampling, to set beside the rate its runs measure (rates per unit time
// t = η·steps). Fields that do not apply are nil.
type Reference struct {
	// ChainRate is the exact rate of the finite-step chain the runs make, at
	// their η (ExactChainSteps1D): the number the measured rate estimates,
	// with no discretisation or low-temperature approximation.
	ChainRate *float64 `json:"exact_chain_rate_per_time,omitempty"`
	// ContinuousRate is the exact rate of the continuous-time diffusion the
	// chain tends to as η → 0 at fixed D (SGLD) or fixed B/η (SGD's
	// diffusion, D(x) = η|L″(x)|/(2B)), by quadrature
	// (firstpassage.Diffusion): the process the theorems describe. It is
	// 0 when the noise vanishes on the path, which the diffusion then never
	// crosses.
	ContinuousRate *float64 `json:"exact_continuous_rate_per_time,omitempty"`
	// StepRatio is the chain's rate at η over its rate at η/2 (B halved with
	// η, so B/η is fixed): near 1 when the step has converged to the
	// continuous-time limit, the regime of a continuous-time theorem.
	StepRatio *float64 `json:"step_ratio,omitempty"`
	// NoiseFloor is min D(x)/D(a) over the path from the minimum a to the
	// col: 1 for SGLD, 0 for SGD's |H| diffusion (D vanishes at the
	// inflection point). Theorem 2 assumes it bounded away from 0.
	NoiseFloor *float64 `json:"noise_floor_on_path,omitempty"`
	// ChainS is Theorem 2's s implied by ChainRate (SGD dynamics): s ∈ (0, 1)
	// when the exact escape lies in Theorem 2's band.
	ChainS *float64 `json:"s_exact_chain,omitempty"`
	// ContinuousS is Theorem 2's s implied by ContinuousRate (SGD dynamics):
	// the path factor of the continuous-time process the theorem describes.
	ContinuousS *float64 `json:"s_exact_continuous,omitempty"`
	// Note says why a field is missing, e.g. an escape time too long for
	// float64 to resolve.
	Note string `json:"note,omitempty"`
}

// referenceGrid is the number of intervals of the exact chain's grid: the
// tests show relative errors below 1e-3 from 400 on.
const referenceGrid = 800

// ExactReference1D returns the exact escape of p (see Reference), or nil
// when p is not a 1-D analytic point with the col criterion under SGLD or
// SGD's diffusion.
func ExactReference1D(p Point) (*Reference, error) {
	if p.Criterion.Kind != CriterionCol || !(p.Dynamics == SGLD || p.Dynamics == SGDDiffusion || p.Dynamics == SGDDiffusionFiniteSum) {
		return nil, nil
	}
	an, err := NewLandscape(p.Landscape, p.Sharpness)
	if err != nil {
		return nil, err
	}
	if an.Dim() != 1 {
		return nil, nil
	}
	grad, _, _, diff, ok := oneD(an, p)
	if !ok {
		return nil, nil
	}
	ref := &Reference{}
	steps, ok, err := ExactChainSteps1D(an, p, referenceGrid)
	switch {
	case !ok && err == nil:
		return nil, nil
	case err != nil:
		// The backward equation is singular to working precision: the mean
		// escape time is beyond about 1e15 steps.
		steps = math.NaN()
		ref.Note = "the exact chain's mean escape time is beyond what float64 resolves (about 1e15 steps): " + err.Error()
	default:
		ref.ChainRate = Finite(1 / (p.Eta * steps))
		if ratio, ok, err := StepConvergence1D(an, p, referenceGrid); err == nil && ok {
			ref.StepRatio = Finite(ratio)
		}
	}
	// Mirror so that the escape is towards +x, as ExactRate1D does.
	m := mirror1D(an)
	sgn, a, b := m.sgn, m.a, m.b
	g := func(x float64) float64 { return sgn * grad(sgn*x) }
	d := func(x float64) float64 { return diff(sgn * x) }
	floor := math.Inf(1)
	const n = 2000
	for i := 0; i <= n; i++ {
		floor = math.Min(floor, d(a+(b-a)*float64(i)/n))
	}
	if firstpassage.Vanishes(d, g, a, b, n) {
		floor = 0
	}
	ref.NoiseFloor = Finite(floor / d(a))
	lo := m.wall(d(a))
	t := firstpassage.Diffusion(g, d, lo, a, m.xf, 400000)
	ref.ContinuousRate = Finite(1 / t)
	if p.Dynamics.UsesBatch() {
		if cv, err := ValleyCurvature(an, an.Valley); err == nil {
			if ref.ChainRate != nil {
				ref.ChainS = Finite(Theorem2S(cv, p.Eta, p.BatchSize, -math.Log(*ref.ChainRate)))
			}
			if t > 0 && !math.IsInf(t, 0) {
				ref.ContinuousS = Finite(Theorem2S(cv, p.Eta, p.BatchSize, math.Log(t)))
			}
		}
	}
	return ref, nil
}
