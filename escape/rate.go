package escape

import (
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// CensoredRate returns the maximum-likelihood escape rate escaped/exposure
// and its exact 95% confidence interval (see Estimate). The upper bound is
// finite also when nothing escaped; everything is NaN when exposure ≤ 0.
func CensoredRate(escaped int, exposure float64) (rate, lo, hi float64) {
	if !(exposure > 0) {
		return math.NaN(), math.NaN(), math.NaN()
	}
	d := float64(escaped)
	rate = d / exposure
	if escaped > 0 {
		lo = distuv.ChiSquared{K: 2 * d}.Quantile(0.025) / (2 * exposure)
	}
	hi = distuv.ChiSquared{K: 2*d + 2}.Quantile(0.975) / (2 * exposure)
	return rate, lo, hi
}
