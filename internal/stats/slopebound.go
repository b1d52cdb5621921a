package stats

import "math"

// SlopeBound returns the largest change that errors of at most eps at every
// point can make in the least-squares slope of a line through abscissae x:
// eps·Σwᵢ|xᵢ − x̄|/Σwᵢ(xᵢ − x̄)², x̄ the weighted mean. The slope is linear
// in the ordinates, so the largest change is at the errors ±eps with the
// signs of xᵢ − x̄. w nil weighs the points equally (FitLine), otherwise as
// FitLineWeighted does. A formula met within a factor e^eps at every point
// (an escape rate within a factor 1.25 of Kramers', Xie, Sato & Sugiyama
// 2021, Theorem 1: eps = ln 1.25) thus allows the fitted slope of −log γ
// against x this far from the formula's: the band of a slope prediction
// that is as accurate as the formula, where a point prediction would be
// refuted by any sample large enough to resolve the formula's own
// corrections. It is NaN when x has fewer than two distinct values of
// positive weight, w is not the length of x or a weight is negative.
func SlopeBound(x, w []float64, eps float64) float64 {
	if w != nil && len(w) != len(x) {
		return math.NaN()
	}
	weight := func(i int) float64 {
		if w == nil {
			return 1
		}
		return w[i]
	}
	var sw, mx float64
	for i := range x {
		if !(weight(i) >= 0) || math.IsInf(weight(i), 0) {
			return math.NaN()
		}
		sw += weight(i)
		mx += weight(i) * x[i]
	}
	if !(sw > 0) {
		return math.NaN()
	}
	mx /= sw
	var sabs, sxx float64
	for i := range x {
		d := x[i] - mx
		sabs += weight(i) * math.Abs(d)
		sxx += weight(i) * d * d
	}
	if !(sxx > 0) {
		return math.NaN()
	}
	return eps * sabs / sxx
}
