package stats

import (
	"errors"
	"fmt"
	"math"
)

// Skewness returns the sample skewness of x, the Fisher–Pearson coefficient
//
//	g₁ = m₃ / m₂^{3/2},   m_k = (1/n) Σᵢ (xᵢ − x̄)^k,
//
// (Joanes and Gill 1998, "Comparing measures of sample skewness and
// kurtosis", The Statistician 47(1), 183–189, their g₁; SciPy's
// stats.skew with bias=True). It is 0 for a symmetric law, 2 for the
// exponential, and does not depend on location or scale. It needs at least 3
// finite values, not all equal.
func Skewness(x []float64) (float64, error) {
	if len(x) < 3 {
		return 0, fmt.Errorf("skewness: %d values, need at least 3", len(x))
	}
	if err := CheckFinite(x); err != nil {
		return 0, fmt.Errorf("skewness: %w", err)
	}
	n := float64(len(x))
	var mean float64
	for _, v := range x {
		mean += v
	}
	mean /= n
	var m2, m3 float64
	for _, v := range x {
		d := v - mean
		m2 += d * d
		m3 += d * d * d
	}
	m2 /= n
	m3 /= n
	if !(m2 > 0) {
		return 0, errors.New("skewness: constant sample")
	}
	return m3 / math.Pow(m2, 1.5), nil
}
