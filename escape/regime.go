package escape

import "math"

// The regime Kramers' theory (and with it Theorems 1 and 2 of Xie, Sato &
// Sugiyama, ICLR 2021) assumes: escapes are rare events out of a valley in
// quasi-equilibrium, so the escape time is exponential (memoryless), its
// coefficient of variation is 1, and the barrier is many temperatures high;
// and, for a continuous-time theorem, the finite step has converged.

// EscapeTimeCV returns the coefficient of variation (standard deviation over
// mean) of the escape steps of the runs that escaped, and how many escaped. An
// exponential escape time has CV 1 (a geometric one √(1 − 1/mean)); a
// drift-like exit, where every run takes about the same time, has CV well
// below 1. Censored runs are left out, which biases the CV low when many are
// censored: read it together with the escaped fraction. NaN with fewer than
// two escapes.
func EscapeTimeCV(outcomes []Outcome) (cv float64, escaped int) {
	var steps []float64
	for _, o := range outcomes {
		if o.Escaped {
			steps = append(steps, float64(o.Step))
		}
	}
	if len(steps) < 2 {
		return math.NaN(), len(steps)
	}
	var mean float64
	for _, s := range steps {
		mean += s
	}
	mean /= float64(len(steps))
	var ss float64
	for _, s := range steps {
		ss += (s - mean) * (s - mean)
	}
	sd := math.Sqrt(ss / float64(len(steps)-1))
	return sd / mean, len(steps)
}

// Temperature returns the temperature T of the dynamics of p at a minimum
// with curvature hA along the escape direction: the diffusion coefficient of
// the noise there, D for SGLD and η·hA/(2B) for SGD's diffusion (C = H/B).
// NaN for a dynamics without noise or one whose noise is not set by p.
func Temperature(p Point, hA float64) float64 {
	switch {
	case p.Dynamics.UsesTemperature():
		return p.Temperature
	case p.Dynamics.UsesBatch() && p.BatchSize > 0:
		return p.Eta * hA / (2 * p.BatchSize)
	}
	return math.NaN()
}

// StepConvergence1D compares the exact escape rate per unit time of p's
// finite-step chain (ExactChainSteps1D) at η with the same at η/2 — for a
// dynamics with a batch size at equal B/η, so that the continuous-time limit
// the theorems describe is the same — and returns rate(η)/rate(η/2). A
// continuous-time theorem applies to the runs when the ratio is near 1
// (the step has converged). ok is false where ExactChainSteps1D has no
// answer.
func StepConvergence1D(an *Analytic, p Point, n int) (ratio float64, ok bool, err error) {
	s1, ok, err := ExactChainSteps1D(an, p, n)
	if !ok || err != nil {
		return math.NaN(), ok, err
	}
	q := p
	q.Eta = p.Eta / 2
	if p.Dynamics.UsesBatch() {
		q.BatchSize = p.BatchSize / 2
	}
	s2, ok, err := ExactChainSteps1D(an, q, n)
	if !ok || err != nil {
		return math.NaN(), ok, err
	}
	// rate per unit time = 1/(η·steps).
	return (q.Eta * s2) / (p.Eta * s1), true, nil
}
