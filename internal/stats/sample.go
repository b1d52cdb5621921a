package stats

import (
	"math"
	"slices"

	"gonum.org/v1/gonum/stat/distuv"
)

// Standardize stores the z-scores (x − x̄)/σ̂ in dst, with the
// maximum-likelihood σ̂ (divisor n), so that the sample's own Gaussian fit
// is N(0, 1). A constant x gives zeros.
func Standardize(dst, x []float64) {
	m, v := MeanVar(x)
	sd := math.Sqrt(v * float64(len(x)-1) / float64(len(x)))
	for i, xi := range x {
		if sd > 0 {
			dst[i] = (xi - m) / sd
		} else {
			dst[i] = 0
		}
	}
}

// MedianInPlace returns the median of v (QuantileSorted at 1/2) after
// sorting v in place; NaN if v is empty.
func MedianInPlace(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	slices.Sort(v)
	return QuantileSorted(v, 0.5)
}

// CentredInterval returns the 95% interval of a statistic whose point
// estimate is est and whose bootstrap replicates are reps (sorted in
// place): the replicates' 2.5% and 97.5% quantiles less their median, added
// to est. It is the percentile interval (Efron and Tibshirani, An
// Introduction to the Bootstrap, 1993, ch. 13) with the resampling's own
// shift removed, for statistics that resampling moves whatever the law
// (repeated values raise |g₁| and the KS distance), where the plain
// percentile interval can miss its own estimate.
func CentredInterval(est float64, reps []float64) [2]float64 {
	slices.Sort(reps)
	med := QuantileSorted(reps, 0.5)
	return [2]float64{est + QuantileSorted(reps, 0.025) - med, est + QuantileSorted(reps, 0.975) - med}
}

// MomentShape turns the sums of the 2nd, 3rd and 4th powers of n values'
// deviations from their mean into the sample skewness g₁ = m₃/m₂^{3/2}
// and excess kurtosis g₂ = m₄/m₂² − 3 (mᵢ the central moments with divisor
// n); NaN for a zero variance.
func MomentShape(sums [3]float64, n int) (g1, g2 float64) {
	m2, m3, m4 := sums[0]/float64(n), sums[1]/float64(n), sums[2]/float64(n)
	if !(m2 > 0) {
		return math.NaN(), math.NaN()
	}
	return m3 / math.Pow(m2, 1.5), m4/(m2*m2) - 3
}

// MedianCI returns the median of x (Median) and a distribution-free
// confidence interval of level conf for it: the order statistics x₍ₗ₎,
// x₍ᵤ₎ with l the largest and u the smallest rank such that the
// Binomial(n, ½) count below the median falls in [l, u) with probability
// ≥ conf (Conover, "Practical Nonparametric Statistics", 1999, §3.2). With
// too few values for the level the interval is the whole range; NaN for no
// values. x is not modified.
func MedianCI(x []float64, conf float64) (med, lo, hi float64) {
	n := len(x)
	if n == 0 {
		return math.NaN(), math.NaN(), math.NaN()
	}
	med = Median(x)
	s := Sorted(x)
	bin := distuv.Binomial{N: float64(n), P: 0.5}
	// Largest l (1-based) with P(K ≤ l−1) ≤ (1−conf)/2.
	l := 0
	for k := 1; k <= n; k++ {
		if bin.CDF(float64(k-1)) <= (1-conf)/2 {
			l = k
		}
	}
	if l == 0 {
		return med, s[0], s[n-1]
	}
	return med, s[l-1], s[n-l]
}
