package selection

import (
	"fmt"
	"math"

	"github.com/sgn-project/sgn/escape"
)

// Prediction is what theory says about one point; rates are per unit time
// t = η·steps. Fields that do not apply are nil.
type Prediction struct {
	// Sharp and Flat are the curvatures of the two valleys (exact Hessians
	// at the minima and the col).
	Sharp escape.Curvature `json:"curvature_sharp"`
	Flat  escape.Curvature `json:"curvature_flat"`
	// Theorem 1 (SGLD): rates γ₁ = γ(a₁→a₂), γ₂ = γ(a₂→a₁) and the
	// occupancy ratio γ₁/γ₂ = √(det H(a₁)/det H(a₂))·exp((ΔL₂ − ΔL₁)/D).
	RateSharpToFlat *float64 `json:"predicted_rate_sharp_to_flat,omitempty"`
	RateFlatToSharp *float64 `json:"predicted_rate_flat_to_sharp,omitempty"`
	Ratio           *float64 `json:"predicted_occupancy_ratio,omitempty"`
	// Theorem 2 (SGD kinds) at s = 0 and s = 1: for s ∈ (0, 1) the rates
	// and the log ratio lie between these.
	RateSharpToFlatS0 *float64 `json:"predicted_rate_sharp_to_flat_s0,omitempty"`
	RateSharpToFlatS1 *float64 `json:"predicted_rate_sharp_to_flat_s1,omitempty"`
	RateFlatToSharpS0 *float64 `json:"predicted_rate_flat_to_sharp_s0,omitempty"`
	RateFlatToSharpS1 *float64 `json:"predicted_rate_flat_to_sharp_s1,omitempty"`
	RatioS0           *float64 `json:"predicted_occupancy_ratio_s0,omitempty"`
	RatioS1           *float64 `json:"predicted_occupancy_ratio_s1,omitempty"`
	// Exact is P(flat)/P(sharp) of the stationary density of the
	// continuous-time process in 1-D (see ExactRatio1D); nil in n-D and for
	// sgd-diffusion-abs-h, whose noise vanishes at the inflection points.
	Exact *float64 `json:"predicted_occupancy_ratio_exact,omitempty"`
}

// Predict returns the theory for p.
func Predict(p Point) (*Prediction, error) {
	tw, err := escape.NewTwoWell(p.Landscape)
	if err != nil {
		return nil, err
	}
	cs, err := escape.ValleyCurvature(tw, tw.Valley(0))
	if err != nil {
		return nil, fmt.Errorf("sharp valley: %w", err)
	}
	cf, err := escape.ValleyCurvature(tw, tw.Valley(1))
	if err != nil {
		return nil, fmt.Errorf("flat valley: %w", err)
	}
	pr := &Prediction{Sharp: cs, Flat: cf}
	switch {
	case usesTemperature(p.Dynamics):
		// Theorem 1: γᵢ = (|H_be|/2π)·√(det H(aᵢ)/(−det H_b))·exp(−ΔLᵢ/D).
		n1 := escape.Theorem1NegLogRate(cs, p.Temperature)
		n2 := escape.Theorem1NegLogRate(cf, p.Temperature)
		pr.RateSharpToFlat, pr.RateFlatToSharp = escape.Finite(math.Exp(-n1)), escape.Finite(math.Exp(-n2))
		pr.Ratio = escape.Finite(math.Exp(n2 - n1))
	case usesBatch(p.Dynamics):
		// Theorem 2: γᵢ = (|H_be|/2π)·exp[−(2BΔLᵢ/η)(s/hᵢ + (1 − s)/|H_be|)].
		for _, s := range []float64{0, 1} {
			n1 := escape.Theorem2NegLogRate(cs, p.Eta, p.BatchSize, s)
			n2 := escape.Theorem2NegLogRate(cf, p.Eta, p.BatchSize, s)
			r1, r2, q := escape.Finite(math.Exp(-n1)), escape.Finite(math.Exp(-n2)), escape.Finite(math.Exp(n2-n1))
			if s == 0 {
				pr.RateSharpToFlatS0, pr.RateFlatToSharpS0, pr.RatioS0 = r1, r2, q
			} else {
				pr.RateSharpToFlatS1, pr.RateFlatToSharpS1, pr.RatioS1 = r1, r2, q
			}
		}
	}
	if tw.Dim() == 1 && p.Dynamics != SGDDiffusionAbsH {
		pr.Exact = escape.Finite(ExactRatio1D(tw, p))
	}
	return pr, nil
}

// ImpliedS solves Theorem 2 for s given a measured occupancy ratio: the
// predicted log ratio is linear in s, log r(s) = log r(0) + s·(log r(1) −
// log r(0)). NaN when it does not depend on s or the prediction is absent.
func (pr *Prediction) ImpliedS(ratio float64) float64 {
	if pr == nil || pr.RatioS0 == nil || pr.RatioS1 == nil {
		return math.NaN()
	}
	l0, l1 := math.Log(*pr.RatioS0), math.Log(*pr.RatioS1)
	if l1 == l0 {
		return math.NaN()
	}
	return (math.Log(ratio) - l0) / (l1 - l0)
}

// Theorem2Slopes returns the slopes of Theorem 2's log P(flat)/P(sharp)
// against B/η at s = 0 and s = 1:
// 2·[ΔL₂(s/h₂ + (1−s)/|h_b|) − ΔL₁(s/h₁ + (1−s)/|h_b|)] (the intercept is 0).
func Theorem2Slopes(cs, cf escape.Curvature) (s0, s1 float64) {
	hb := math.Abs(cs.HBe)
	s0 = 2 * (cf.Barrier/hb - cs.Barrier/hb)
	s1 = 2 * (cf.Barrier/cf.HAe - cs.Barrier/cs.HAe)
	return
}

// Theorem2PathSlope returns the slope of Theorem 2's log P(flat)/P(sharp)
// against B/η when each valley has its own path factor, sSharp for the
// sharp valley and sFlat for the flat one (Xie, Sato & Sugiyama, ICLR
// 2021, Theorem 2, applied to each escape):
// 2·[ΔL₂(s₂/h₂ + (1−s₂)/|h_b|) − ΔL₁(s₁/h₁ + (1−s₁)/|h_b|)]. With
// s₁ = s₂ = s it is the slope of Theorem2Slopes at that s.
func Theorem2PathSlope(cs, cf escape.Curvature, sSharp, sFlat float64) float64 {
	hb := math.Abs(cs.HBe)
	e := func(c escape.Curvature, s float64) float64 { return c.Barrier * (s/c.HAe + (1-s)/hb) }
	return 2 * (e(cf, sFlat) - e(cs, sSharp))
}

// Theorem1Line returns Theorem 1's log P(flat)/P(sharp) against 1/D: slope
// ΔL₁ − ΔL₂ and intercept ½·log(det H(a₁)/det H(a₂)).
func Theorem1Line(cs, cf escape.Curvature) (slope, intercept float64) {
	// LogDetRatio = log(−det H_b/det H_a), so
	// log det H(a₁) − log det H(a₂) = LogDetRatio(flat) − LogDetRatio(sharp).
	return cs.Barrier - cf.Barrier, (cf.LogDetRatio - cs.LogDetRatio) / 2
}

// ExactRatio1D returns P(θ ≥ 0)/P(θ < 0) under the stationary density of
// the continuous-time (Itô) diffusion dx = −f'(x)dt + √(2D(x))dW that the
// dynamics of p approximates, with D(x) = D for sgld and
// D(x) = η·σ(x)²/(2B) for minibatch sgd on the finite sum and its
// Gaussian diffusion sgd-diffusion-finite-sum (σ² = the per-sample gradient variance,
// FiniteSum): p(x) ∝ exp(−Ψ(x))/D(x),
// Ψ(x) = ∫₀ˣ f'(u)/D(u) du (zero-flux solution of the Fokker–Planck
// equation; Gardiner, Handbook of Stochastic Methods, §5.2.2). Computed by
// the trapezoidal rule on 2·10⁵ intervals over the range where
// Ψ − min Ψ < 60. It is the limit η → 0 at fixed D (sgld) or fixed B/η
// (sgd) that the simulations approach; it differs from Theorem 1 by
// O(D/ΔL) and from Theorem 2 in its prefactor (hᵢ/2π instead of
// |h_b|/2π in 1-D, so log P(flat)/P(sharp) gains log k).
func ExactRatio1D(tw *escape.TwoWell, p Point) float64 {
	diff := func(x float64) float64 { return p.Temperature }
	if p.Dynamics == SGD || p.Dynamics == SGDDiffusionFiniteSum {
		diff = func(x float64) float64 {
			s := tw.NoiseScale(x)
			return p.Eta * s * s / (2 * p.BatchSize)
		}
	} else if p.Dynamics != SGLD {
		return math.NaN()
	}
	drift := func(x float64) float64 { _, g, _ := tw.Along(x); return g / diff(x) }
	// Extend the range beyond each minimum until Ψ has risen by 60 from it.
	const n = 200_000
	edge := func(a float64) float64 {
		step := a / 8
		x, psi := a, 0.0
		for i := 0; i < 400 && psi < 60; i++ {
			psi += integrate(drift, x, x+step, 64)
			x += step
		}
		return x
	}
	a1, a2 := tw.Minima()
	lo, hi := edge(a1), edge(a2)
	// Ψ on a grid over [lo, hi] (cumulative trapezoid), then the density
	// exp(−(Ψ − min Ψ))/D summed on each side of the col.
	h := (hi - lo) / n
	psi := make([]float64, n+1)
	prev := drift(lo)
	minPsi := 0.0
	for i := 1; i <= n; i++ {
		d := drift(lo + float64(i)*h)
		psi[i] = psi[i-1] + h/2*(prev+d)
		prev = d
		minPsi = math.Min(minPsi, psi[i])
	}
	w := make([]float64, n+1)
	for i, v := range psi {
		w[i] = math.Exp(-(v - minPsi)) / diff(lo+float64(i)*h)
	}
	// Trapezoids cell by cell; the cell holding the col is split at 0.
	var left, right float64
	for i := range n {
		c := h / 2 * (w[i] + w[i+1])
		x0, x1 := lo+float64(i)*h, lo+float64(i+1)*h
		switch {
		case x1 <= 0:
			left += c
		case x0 >= 0:
			right += c
		default:
			f := -x0 / h
			left += f * c
			right += (1 - f) * c
		}
	}
	return right / left
}

// PathS returns, for each valley of a 1-D landscape, the s of Theorem 2
// that the finite-sum noise gives exactly in the continuous-time limit:
// the exponent of the rate out of valley i is (2B/η)·Iᵢ with
// Iᵢ = ∫ |f'|/σ² from aᵢ to the col, and Iᵢ = ΔLᵢ(sᵢ/hᵢ + (1 − sᵢ)/|h_b|)
// defines sᵢ (Simpson's rule on 20,000 intervals). sᵢ ∈ (0, 1) because
// σ² lies between hᵢ and |h_b| on the path. NaN in n-D or when hᵢ = |h_b|.
func PathS(tw *escape.TwoWell) (sharp, flat float64) {
	if tw.Dim() != 1 {
		return math.NaN(), math.NaN()
	}
	s := [2]float64{}
	h := [2]float64{tw.Spec().Sharpness * tw.Spec().HFlat, tw.Spec().HFlat}
	dl := [2]float64{tw.Spec().Barrier, tw.Spec().BarrierFlat}
	a1, a2 := tw.Minima()
	a := [2]float64{a1, a2}
	hb, _, _ := tw.Quartic(0)
	for i := range 2 {
		in := math.Abs(integrate(func(x float64) float64 {
			_, g, _ := tw.Along(x)
			n := tw.NoiseScale(x)
			return g / (n * n)
		}, a[i], 0, 20000))
		s[i] = (in/dl[i] - 1/hb) / (1/h[i] - 1/hb)
	}
	return s[0], s[1]
}

// integrate is the composite Simpson rule of f on [a, b] with n intervals.
func integrate(f func(float64) float64, a, b float64, n int) float64 {
	h := (b - a) / float64(n)
	s := f(a) + f(b)
	for i := 1; i < n; i++ {
		w := 2.0
		if i%2 == 1 {
			w = 4
		}
		s += w * f(a+float64(i)*h)
	}
	return s * h / 3
}
