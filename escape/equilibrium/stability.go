package equilibrium

import (
	"errors"
	"fmt"
	"math"

	"github.com/sgn-project/sgn/hessian"
)

// StableBound is the bound on η·λmax of gradient descent near a minimum:
// on the quadratic ½λx² the step x ← (1 − ηλ)x contracts iff ηλ < 2, so GD,
// and SGD and SGLD about it, diverge along the top eigendirection when
// η·λmax ≥ 2; the stationary variances of Xie, Sato & Sugiyama (2021,
// Sec. 3), ηcᵢ/(λᵢ(2 − ηλᵢ)) and 2D/(λᵢ(2 − ηλᵢ)), exist only below it.
const StableBound = 2.0

// StabilityError is a step size η with η·λmax ≥ StableBound where the
// dynamics start: Measure refuses it before running any chain.
type StabilityError struct {
	// Eta is η, LambdaMax the largest Hessian eigenvalue measured.
	Eta, LambdaMax float64
	// Descend is the number of gradient-descent steps taken before λmax
	// was measured: 0 when it was measured at the given θ (the checkpoint),
	// so that the refusal follows from the settings and the checkpoint
	// alone.
	Descend int
}

// Error names the setting as the command line does ("eta").
func (e *StabilityError) Error() string {
	where := "at the given θ"
	if e.Descend > 0 {
		where = fmt.Sprintf("at θ₀ after the %d gradient-descent steps", e.Descend)
	}
	return fmt.Sprintf("eta %v: η·λmax = %.4g ≥ %g %s, λmax = %.4g: gradient descent, SGD and SGLD of this step size diverge along the top eigendirection; want η < %g/λmax = %.4g",
		e.Eta, e.Eta*e.LambdaMax, StableBound, where, e.LambdaMax, StableBound, StableBound/e.LambdaMax)
}

// AsUsage returns err as usage("--%v", the StabilityError) when err holds a
// StabilityError measured at the given θ (Descend 0), which the settings
// and the checkpoint decide before anything runs: a command line's usage
// error (usage is, e.g., the command's Usagef). Other errors are returned
// unchanged.
func AsUsage(err error, usage func(format string, args ...any) error) error {
	var se *StabilityError
	if errors.As(err, &se) && se.Descend == 0 {
		return usage("--%v", se)
	}
	return err
}

// checkStable returns a StabilityError when η·λmax ≥ StableBound.
func checkStable(eta, lambdaMax float64, descend int) error {
	if eta*lambdaMax >= StableBound {
		return &StabilityError{Eta: eta, LambdaMax: lambdaMax, Descend: descend}
	}
	return nil
}

// startBasis bounds the Lanczos basis of topEigenvalue: a thick-restarted
// basis of this many vectors finds the top eigenvalue with less memory than
// the top-k eigenbasis that follows.
const startBasis = 32

// topEigenvalue is λmax of the Hessian of obj at theta by Lanczos (the
// top eigenvalue only).
func topEigenvalue(obj Objective, theta []float64, seed uint64, progress Progress) (float64, error) {
	op, err := obj.Hessian(theta)
	if err != nil {
		return 0, fmt.Errorf("Hessian at the given θ: %w", err)
	}
	sp, err := hessian.Lanczos(op, 1, 0, hessian.LanczosOptions{Seed: seed, MaxBasis: min(startBasis, obj.Dim()),
		Progress: func(i, m int) { progress("hessian", i, m) }})
	if err != nil {
		return 0, err
	}
	if len(sp.Top) == 0 || math.IsNaN(sp.Top[0]) || math.IsInf(sp.Top[0], 0) {
		return 0, fmt.Errorf("λmax of the Hessian at the given θ is not finite")
	}
	return sp.Top[0], nil
}

// divergence returns an error naming the first measured number of r that
// is NaN or infinite: a run whose chains left the minimum (η too large for
// the curvature they met, or a diffusion too strong) has no result, and
// Measure writes none. Numbers that do not apply are NaN by design and not
// judged: the predictions along λᵢ ≤ 0, and the summaries that need
// equilibrated directions (medians and ratios: one; slopes: two) when
// there are not enough.
func (r *Report) divergence() error {
	type val struct {
		name string
		v    float64
	}
	m, sm := r.Minimum, r.Summary
	vals := []val{{"‖∇L(θ₀)‖", m.GradNorm}, {"tr C at θ₀", m.TraceC}, {"λmax at θ₀", float64(m.LambdaMax)},
		{"the full-batch loss at the end of SGD", r.LossEnd[SGD]}, {"the full-batch loss at the end of SGLD", r.LossEnd[SGLD]},
		{"E‖θ−θ₀‖² of SGD", r.LowDim.MeanSqSGD}, {"E‖θ−θ₀‖² of SGLD", r.LowDim.MeanSqSGLD}}
	if m.Loss != nil {
		vals = append(vals, val{"the loss at θ₀", float64(*m.Loss)})
	}
	if l, ok := r.LossEnd["gd"]; ok {
		vals = append(vals, val{"the full-batch loss at the end of the gradient-descent path", l})
	}
	for _, d := range r.Directions {
		for _, x := range []val{{"SGD's variance", d.VarSGD}, {"SGLD's variance", d.VarSGLD}, {"SGD's mean", d.MeanSGD}, {"SGLD's mean", d.MeanSGLD},
			{"SGD's detrended variance", d.VarSGDDetrended}, {"SGLD's detrended variance", d.VarSGLDDetrended}} {
			vals = append(vals, val{fmt.Sprintf("%s along direction %d", x.name, d.Index), x.v})
		}
	}
	if sm.DirectionsUsed >= 1 {
		vals = append(vals, val{"the median measured/predicted v of SGD (measured c)", float64(sm.MedianRatioSGDMeasuredC)},
			val{"the median measured/predicted v of SGD (c = λ/B)", float64(sm.MedianRatioSGDHOverB)},
			val{"the median measured/predicted v of SGLD", float64(sm.MedianRatioSGLD)},
			val{"the median measured/quasi-static v of SGD", float64(sm.RatioSGDQuasiStatic.Median)},
			val{"the median measured/quasi-static v of SGLD", float64(sm.RatioSGLDQuasiStatic.Median)},
			val{"the median measured/Lyapunov v of SGD", float64(sm.RatioSGDLyapunov.Median)})
	}
	for _, x := range vals {
		if math.IsNaN(x.v) || math.IsInf(x.v, 0) {
			return fmt.Errorf("the dynamics diverged (η = %v): %s is %v, so there is no result; lower eta", r.Settings.Eta, x.name, x.v)
		}
	}
	return nil
}
