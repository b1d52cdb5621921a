package stats

import "fmt"

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
	_, g1, _, err := CountedMoments(x, nil)
	if err != nil {
		return 0, fmt.Errorf("skewness: %w", err)
	}
	return g1, nil
}
