package stats

import "math"

// stableUpperQuantile returns z with P(X > z) = q for X ~ SαS(α, 1), q < 1/2,
// by safeguarded Newton iteration on stableTail (derivative −density) inside
// a bracket that bisection keeps valid.
func stableUpperQuantile(q, alpha float64) float64 {
	lo, hi := 0.0, 1.0
	for stableTail(hi, alpha) > q {
		lo, hi = hi, 2*hi
	}
	z := 0.5 * (lo + hi)
	for range 200 {
		g := stableTail(z, alpha) - q // decreasing in z
		if g > 0 {
			lo = z
		} else {
			hi = z
		}
		next := z + g/SymStablePDF(z, alpha, 1)
		if !(next > lo && next < hi) {
			next = 0.5 * (lo + hi)
		}
		if math.Abs(next-z) <= 1e-14*z || hi-lo <= 1e-14*hi {
			return next
		}
		z = next
	}
	return z
}
