package stats

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

// This file holds the univariate statistics of the noise analysis: the
// tail-index estimator of Mohammadi, Mohammadpour and Ogata (2015) as used by
// Simsekli, Sagun and Gurbuzbalaban (2019), the Gaussian maximum-likelihood
// fit, the Kolmogorov–Smirnov test (fully specified null, and Lilliefors'
// composite normal null) and the Anderson–Darling test of normality with
// estimated mean and variance. Every routine copies its input; none modifies
// the caller's slice.

// GaussianFit is the maximum-likelihood normal fit N(Mean, Sigma²) of a
// sample: Mean = (1/n)Σxᵢ and Sigma² = (1/n)Σ(xᵢ − Mean)² (divisor n, not
// n − 1).
type GaussianFit struct {
	Mean  float64 `json:"mean"`
	Sigma float64 `json:"sigma"`
}

// FitGaussian returns the maximum-likelihood normal fit of x (see
// GaussianFit), computed in two passes. It needs at least two finite values.
func FitGaussian(x []float64) (GaussianFit, error) {
	if len(x) < 2 {
		return GaussianFit{}, fmt.Errorf("gaussian fit: %d values, need at least 2", len(x))
	}
	if err := CheckFinite(x); err != nil {
		return GaussianFit{}, fmt.Errorf("gaussian fit: %w", err)
	}
	m, v := MeanVar(x)
	return GaussianFit{Mean: m, Sigma: math.Sqrt(v * float64(len(x)-1) / float64(len(x)))}, nil
}

// TestResult is the outcome of a goodness-of-fit test: the test statistic
// and its p-value (the probability under the null of a statistic at least as
// large).
type TestResult struct {
	Statistic float64 `json:"statistic"`
	PValue    float64 `json:"p_value"`
}

// TailIndex estimates the tail index α of a symmetric α-stable sample by the
// estimator of Mohammadi, Mohammadpour and Ogata (2015, "On estimating the
// tail index and the spectral measure of multivariate α-stable
// distributions", Metrika 78(5), 549–561, Corollary 2.4), the estimator Simsekli,
// Sagun and Gurbuzbalaban (2019, "A tail-index analysis of stochastic
// gradient noise in deep neural networks", ICML) apply to gradient noise.
//
// With K₁ = ⌊√n⌋ and K₂ = ⌊n/K₁⌋ it uses the first K = K₁K₂ values X₁…X_K,
// forms the K₂ block sums Yᵢ = Σ_{j=1}^{K₁} X_{(i−1)K₁+j} of consecutive
// values, and returns α̂ from
//
//	1/α̂ = ( (1/K₂)Σᵢ log|Yᵢ| − (1/K)Σⱼ log|Xⱼ| ) / log K₁,
//
// which rests on Y =ᵈ K₁^{1/α}X for i.i.d. SαS variables. The estimate of
// 1/α is unbiased for an SαS sample; it can fall below 1/2 (α̂ > 2) or be
// negative by chance, and α̂ is then clipped to 2, the largest tail index of
// a stable law (so α̂ ∈ (0, 2]). The data must be centred at zero and
// symmetric (the caller centres them); the order of the values matters only
// through which values share a block.
//
// Values exactly 0 carry no scale information and would make log|X| = −∞;
// they are dropped before forming blocks, as in the public re-implementation
// of Simsekli et al.'s estimator (X = X[X.nonzero()]). TailIndex needs at
// least 4 non-zero values (K₁ ≥ 2) and returns an error for non-finite input.
func TailIndex(x []float64) (float64, error) {
	if err := CheckFinite(x); err != nil {
		return 0, fmt.Errorf("tail index: %w", err)
	}
	nz := 0
	for _, v := range x {
		if v != 0 {
			nz++
		}
	}
	if nz < 4 {
		return 0, fmt.Errorf("tail index: %d non-zero values, need at least 4", nz)
	}
	k1 := int(math.Floor(math.Sqrt(float64(nz))))
	for (k1+1)*(k1+1) <= nz { // guard the floating-point square root
		k1++
	}
	for k1*k1 > nz {
		k1--
	}
	k2 := nz / k1
	k := k1 * k2
	var sumLogX, sumLogY, block float64
	used, inBlock := 0, 0
	for _, v := range x {
		if v == 0 {
			continue
		}
		if used == k {
			break
		}
		sumLogX += math.Log(math.Abs(v))
		block += v
		used++
		inBlock++
		if inBlock == k1 {
			if block == 0 {
				// A block sum of exactly zero has probability zero for a
				// continuous law; count it at the smallest positive scale
				// instead of −∞.
				block = math.SmallestNonzeroFloat64
			}
			sumLogY += math.Log(math.Abs(block))
			block, inBlock = 0, 0
		}
	}
	inv := (sumLogY/float64(k2) - sumLogX/float64(k)) / math.Log(float64(k1))
	if inv <= 1/MaxTailIndex {
		return MaxTailIndex, nil
	}
	return 1 / inv, nil
}

// MaxTailIndex is the largest tail index of a stable law, α = 2 (the
// Gaussian), where TailIndex clips its estimate: α̂ = MaxTailIndex exactly
// when the estimate of 1/α fell at or below 1/2 (for 1/α̂ above 1/2, 1/(1/α̂)
// rounds below 2), so a caller tells a clipped α̂ by equality.
const MaxTailIndex = 2.0

// KolmogorovQ returns Q(λ) = P(K > λ) for Kolmogorov's limiting distribution
// of √n·D_n, Q(λ) = 2Σ_{k≥1}(−1)^{k−1}exp(−2k²λ²) (Kolmogorov 1933). For
// λ < 1.18 it sums the equivalent theta-function series
// 1 − (√(2π)/λ)Σ_{k≥1}exp(−(2k−1)²π²/(8λ²)), which converges fast there.
func KolmogorovQ(lambda float64) float64 {
	switch {
	case math.IsNaN(lambda):
		return math.NaN()
	case lambda <= 0.04:
		return 1
	case lambda < 1.18:
		y := math.Exp(-math.Pi * math.Pi / (8 * lambda * lambda))
		y8 := math.Pow(y, 8)
		// (2k−1)² = 1, 9, 25, 49: exponents 1, 9, 25, 49 = y·(1 + y⁸ + y²⁴ + y⁴⁸).
		s := y * (1 + y8*(1+y8*y8*(1+y8*y8*y8)))
		return clamp01(1 - math.Sqrt(2*math.Pi)/lambda*s)
	}
	var s float64
	sign := 1.0
	for k := 1; k <= 100; k++ {
		t := math.Exp(-2 * float64(k*k) * lambda * lambda)
		s += sign * t
		if t < 1e-17 {
			break
		}
		sign = -sign
	}
	return clamp01(2 * s)
}

// KolmogorovSmirnov tests the sample x against the fully specified
// continuous distribution function cdf: it returns the two-sided statistic
// D = sup|Fₙ(x) − F(x)| and its p-value Q((√n + 0.12 + 0.11/√n)·D), the
// Kolmogorov limit with Stephens' (1970, JRSS B 32, 115–122) small-sample
// modification, accurate to a few per cent of p for n ≥ 5. It is the right
// null only when F was not estimated from x; for a normal fitted to x use
// Lilliefors.
func KolmogorovSmirnov(x []float64, cdf func(float64) float64) (TestResult, error) {
	if len(x) < 1 {
		return TestResult{}, errors.New("kolmogorov-smirnov: empty sample")
	}
	if err := CheckFinite(x); err != nil {
		return TestResult{}, fmt.Errorf("kolmogorov-smirnov: %w", err)
	}
	s := Sorted(x)
	d := ksStatisticSorted(s, cdf)
	sn := math.Sqrt(float64(len(s)))
	return TestResult{Statistic: d, PValue: KolmogorovQ((sn + 0.12 + 0.11/sn) * d)}, nil
}

// ksStatisticSorted returns sup|Fₙ − F| for a sorted sample s:
// max over i of max(i/n − F(sᵢ), F(sᵢ) − (i−1)/n) with i = 1…n.
func ksStatisticSorted(s []float64, cdf func(float64) float64) float64 {
	n := float64(len(s))
	var d float64
	for i, v := range s {
		f := cdf(v)
		d = math.Max(d, math.Max(float64(i+1)/n-f, f-float64(i)/n))
	}
	return d
}

// Lilliefors is the Kolmogorov–Smirnov test of normality with mean and
// variance estimated from x (Lilliefors 1967, JASA 62, 399–402): the
// statistic is D = sup|Fₙ(x) − Φ((x − x̄)/s)| with the sample standard
// deviation s (divisor n − 1), and the null distribution is Lilliefors',
// not Kolmogorov's (estimating the parameters makes D stochastically
// smaller, so Kolmogorov's p-values would be far too large). The p-value is
// LillieforsPValue. It needs n ≥ 5 and a sample that is not constant.
func Lilliefors(x []float64) (TestResult, error) {
	if len(x) < 5 {
		return TestResult{}, fmt.Errorf("lilliefors: %d values, need at least 5", len(x))
	}
	if err := CheckFinite(x); err != nil {
		return TestResult{}, fmt.Errorf("lilliefors: %w", err)
	}
	return LillieforsSorted(Sorted(x))
}

// LillieforsSorted is Lilliefors for a finite sample s already sorted in
// ascending order (not checked), without the copy and the sort.
func LillieforsSorted(s []float64) (TestResult, error) {
	if len(s) < 5 {
		return TestResult{}, fmt.Errorf("lilliefors: %d values, need at least 5", len(s))
	}
	m, v := MeanVar(s)
	if !(v > 0) {
		return TestResult{}, errors.New("lilliefors: constant sample")
	}
	sd := math.Sqrt(v)
	d := ksStatisticSorted(s, func(x float64) float64 { return normCDF((x - m) / sd) })
	return TestResult{Statistic: d, PValue: LillieforsPValue(d, len(s))}, nil
}

// LillieforsPValue returns the p-value of the Lilliefors statistic d for a
// sample of size n, by the analytic approximation of Dallal and Wilkinson
// (1986, "An analytic approximation to the distribution of Lilliefors's test
// statistic for normality", The American Statistician 40(4), 294–296):
//
//	p = exp(−7.01256·K²(m + 2.78019) + 2.99587·K√(m + 2.78019)
//	        − 0.122119 + 0.974598/√m + 1.67997/m),
//
// with (K, m) = (d, n) for n ≤ 100 and (d·(n/100)^0.49, 100) above. Dallal
// and Wilkinson give it for p ≤ 0.1; above 0.1 the p-value comes from
// Stephens' (1974, JASA 69, 730–737) modified statistic
// D* = d(√n − 0.01 + 0.85/√n) through the piecewise quartic fits used by R's
// nortest::lillie.test. The result is clamped to [0, 1].
func LillieforsPValue(d float64, n int) float64 {
	if n < 1 || math.IsNaN(d) {
		return math.NaN()
	}
	kd, nd := d, float64(n)
	if n > 100 {
		kd = d * math.Pow(float64(n)/100, 0.49)
		nd = 100
	}
	p := math.Exp(-7.01256*kd*kd*(nd+2.78019) + 2.99587*kd*math.Sqrt(nd+2.78019) -
		0.122119 + 0.974598/math.Sqrt(nd) + 1.67997/nd)
	if p <= 0.1 {
		return clamp01(p)
	}
	sn := math.Sqrt(float64(n))
	k := (sn - 0.01 + 0.85/sn) * d
	switch {
	case k <= 0.302:
		p = 1
	case k <= 0.5:
		p = 2.76773 - 19.828315*k + 80.709644*k*k - 138.55152*k*k*k + 81.218052*k*k*k*k
	case k <= 0.9:
		p = -4.901232 + 40.662806*k - 97.490286*k*k + 94.029866*k*k*k - 32.355711*k*k*k*k
	case k <= 1.31:
		p = 6.198765 - 19.558097*k + 23.186922*k*k - 12.234627*k*k*k + 2.423045*k*k*k*k
	default:
		p = 0
	}
	return clamp01(p)
}

// ADResult is the Anderson–Darling test of normality: the statistic A², the
// modified statistic A*² = A²(1 + 0.75/n + 2.25/n²) and the p-value of A*².
type ADResult struct {
	Statistic float64 `json:"statistic"`
	Modified  float64 `json:"modified"`
	PValue    float64 `json:"p_value"`
	// AtFloor is true when A*² ≥ 10, where PValue is ADPValueFloor, an
	// upper bound, not a value: write it as "< 1e-23".
	AtFloor bool `json:"p_value_at_floor,omitempty"`
}

// ADPValueFloor is the p-value ADNormalPValue gives for A*² ≥ 10, the
// numerical floor of D'Agostino and Stephens' fits: an upper bound.
const ADPValueFloor = 3.7e-24

// AndersonDarlingNormal is the Anderson–Darling test of normality with mean
// and variance estimated from x (Anderson and Darling 1954; D'Agostino and
// Stephens 1986, "Goodness-of-fit techniques", §4.8, case 3):
//
//	A² = −n − (1/n)Σᵢ(2i − 1)[ln Φ(z₍ᵢ₎) + ln(1 − Φ(z₍ₙ₊₁₋ᵢ₎))],
//
// with zᵢ = (xᵢ − x̄)/s, s the sample standard deviation (divisor n − 1),
// the modified statistic A*² = A²(1 + 0.75/n + 2.25/n²) and the p-value of
// ADNormalPValue. The logarithms of Φ are computed without underflow, so
// extreme outliers (a Cauchy sample) give a large finite A². It needs n ≥ 8
// and a sample that is not constant.
func AndersonDarlingNormal(x []float64) (ADResult, error) {
	if len(x) < 8 {
		return ADResult{}, fmt.Errorf("anderson-darling: %d values, need at least 8", len(x))
	}
	if err := CheckFinite(x); err != nil {
		return ADResult{}, fmt.Errorf("anderson-darling: %w", err)
	}
	return AndersonDarlingNormalSorted(Sorted(x))
}

// AndersonDarlingNormalSorted is AndersonDarlingNormal for a finite sample s
// already sorted in ascending order (not checked), without the copy and the
// sort.
func AndersonDarlingNormalSorted(s []float64) (ADResult, error) {
	if len(s) < 8 {
		return ADResult{}, fmt.Errorf("anderson-darling: %d values, need at least 8", len(s))
	}
	m, v := MeanVar(s)
	if !(v > 0) {
		return ADResult{}, errors.New("anderson-darling: constant sample")
	}
	sd := math.Sqrt(v)
	n := len(s)
	var h float64
	for i := range n {
		zi := (s[i] - m) / sd
		zj := (s[n-1-i] - m) / sd
		h += float64(2*i+1) * (normLogCDF(zi) + normLogCDF(-zj))
	}
	nf := float64(n)
	a2 := -nf - h/nf
	a2s := a2 * (1 + 0.75/nf + 2.25/(nf*nf))
	return ADResult{Statistic: a2, Modified: a2s, PValue: ADNormalPValue(a2s), AtFloor: a2s >= 10}, nil
}

// ADNormalPValue returns the p-value of the modified Anderson–Darling
// statistic A*² for normality with estimated mean and variance, by the
// piecewise exponential fits of D'Agostino and Stephens (1986, Table 4.9):
//
//	A*² < 0.2:        1 − exp(−13.436 + 101.14A*² − 223.73A*⁴)
//	0.2 ≤ A*² < 0.34: 1 − exp(−8.318 + 42.796A*² − 59.938A*⁴)
//	0.34 ≤ A*² < 0.6: exp(0.9177 − 4.279A*² − 1.38A*⁴)
//	0.6 ≤ A*² < 10:   exp(1.2937 − 5.709A*² + 0.0186A*⁴)
//
// and, as in R's nortest::ad.test, 3.7e-24 (the value of the last fit at 10,
// an upper bound) for A*² ≥ 10, where the quadratic fit turns back up. The
// result is clamped to [0, 1].
func ADNormalPValue(a2s float64) float64 {
	a := a2s
	var p float64
	switch {
	case math.IsNaN(a):
		return math.NaN()
	case a < 0.2:
		p = 1 - math.Exp(-13.436+101.14*a-223.73*a*a)
	case a < 0.34:
		p = 1 - math.Exp(-8.318+42.796*a-59.938*a*a)
	case a < 0.6:
		p = math.Exp(0.9177 - 4.279*a - 1.38*a*a)
	case a < 10:
		p = math.Exp(1.2937 - 5.709*a + 0.0186*a*a)
	default:
		p = ADPValueFloor
	}
	return clamp01(p)
}

// Quartiles summarises a set of values by its lower quartile, median and
// upper quartile (linear interpolation between order statistics, Hyndman and
// Fan's type 7, the default of R and NumPy) and its size.
type Quartiles struct {
	N      int     `json:"n"`
	Q1     float64 `json:"q1"`
	Median float64 `json:"median"`
	Q3     float64 `json:"q3"`
}

// QuartilesOf returns the quartiles of x, or nil when x is empty. Non-finite
// values are an error.
func QuartilesOf(x []float64) (*Quartiles, error) {
	if len(x) == 0 {
		return nil, nil
	}
	if err := CheckFinite(x); err != nil {
		return nil, fmt.Errorf("quartiles: %w", err)
	}
	s := Sorted(x)
	return &Quartiles{N: len(s), Q1: QuantileSorted(s, 0.25), Median: QuantileSorted(s, 0.5), Q3: QuantileSorted(s, 0.75)}, nil
}

// QuantileSorted returns the p-quantile, 0 ≤ p ≤ 1, of the non-empty sample
// s sorted in ascending order by linear interpolation at position (n − 1)p
// (Hyndman and Fan 1996, type 7, the default of R and NumPy).
func QuantileSorted(s []float64, p float64) float64 {
	h := float64(len(s)-1) * p
	lo := int(math.Floor(h))
	if lo >= len(s)-1 {
		return s[len(s)-1]
	}
	return s[lo] + (h-float64(lo))*(s[lo+1]-s[lo])
}

// normCDF is the standard normal distribution function Φ.
func normCDF(z float64) float64 {
	return 0.5 * math.Erfc(-z/math.Sqrt2)
}

// normLogCDF returns ln Φ(z) without underflow: from erfc for z ≥ −30 and
// from the asymptotic series ln Φ(z) = −z²/2 − ln(−z) − ½ln 2π +
// ln(1 − z⁻² + 3z⁻⁴ − 15z⁻⁶ + 105z⁻⁸) below (Abramowitz and Stegun 26.2.12;
// the truncation error there is below 1e-12).
func normLogCDF(z float64) float64 {
	switch {
	case z >= 0:
		return math.Log1p(-0.5 * math.Erfc(z/math.Sqrt2))
	case z >= -30:
		return math.Log(0.5 * math.Erfc(-z/math.Sqrt2))
	}
	w := 1 / (z * z)
	return -0.5*z*z - math.Log(-z) - 0.5*math.Log(2*math.Pi) + math.Log(1-w*(1-w*(3-w*(15-105*w))))
}

// MeanVar returns the mean and the sample variance (divisor n − 1) of x in
// two passes.
func MeanVar(x []float64) (mean, variance float64) {
	n := float64(len(x))
	for _, v := range x {
		mean += v
	}
	mean /= n
	var ss, c float64
	for _, v := range x {
		d := v - mean
		ss += d * d
		c += d
	}
	if len(x) < 2 {
		return mean, 0
	}
	// Corrected two-pass formula (Chan, Golub and LeVeque 1983).
	return mean, math.Max(0, (ss-c*c/n)/(n-1))
}

// Sorted returns a sorted copy of x (ascending; x is not modified): the
// sample the …Sorted functions take.
func Sorted(x []float64) []float64 {
	s := slices.Clone(x)
	slices.Sort(s)
	return s
}

// CheckFinite returns an error naming the first NaN or infinite value of x,
// nil if every value is finite.
func CheckFinite(x []float64) error {
	for i, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("value %d is %v, want finite values", i, v)
		}
	}
	return nil
}

// clamp01 clamps p to [0, 1].
func clamp01(p float64) float64 {
	return math.Min(1, math.Max(0, p))
}
