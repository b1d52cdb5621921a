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
	g1, _, err := sampleShape(x, 3, "skewness")
	return g1, err
}

// sampleShape returns g₁ and g₂ of x (CountedMoments), or zeros and an
// error prefixed by what when x has fewer than least values, a value that
// is not finite, or no spread.
func sampleShape(x []float64, least int, what string) (g1, g2 float64, err error) {
	if len(x) < least {
		return 0, 0, fmt.Errorf("%s: %d values, need at least %d", what, len(x), least)
	}
	if err := CheckFinite(x); err != nil {
		return 0, 0, fmt.Errorf("%s: %w", what, err)
	}
	_, g1, g2, err = CountedMoments(x, nil)
	if err != nil {
		return 0, 0, fmt.Errorf("%s: %w", what, err)
	}
	return g1, g2, nil
}
