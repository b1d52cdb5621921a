package stats

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// This file holds effect sizes of a sample's departure from normality —
// how far from Gaussian, not whether a test rejects — and the reference a
// Gaussian sample of the same size gives for each.

// Shape holds three effect sizes of a sample's departure from the normal
// law: the skewness g₁ = m₃/m₂^{3/2} and the excess kurtosis
// g₂ = m₄/m₂² − 3 (Joanes and Gill 1998, "Comparing measures of sample
// skewness and kurtosis", The Statistician 47(1), 183–189; SciPy's
// stats.skew and stats.kurtosis with bias=True), both 0 for the normal
// law, and the Kolmogorov–Smirnov distance KS = sup|Fₙ(x) − Φ((x − x̄)/s)|
// to the normal fitted by mean and sample standard deviation s (divisor
// n − 1), Lilliefors' (1967) statistic, read as a distance between
// distribution functions.
type Shape struct {
	Skewness       float64 `json:"skewness"`
	ExcessKurtosis float64 `json:"excess_kurtosis"`
	KS             float64 `json:"ks"`
}

// ExcessKurtosis returns the sample excess kurtosis g₂ = m₄/m₂² − 3 of x,
// m_k = (1/n)Σ(xᵢ − x̄)^k (Joanes and Gill 1998, their g₂): 0 for the
// normal law, 3 for the Laplace law, 6/k for the gamma law of shape k.
// It needs at least 4 finite values, not all equal.
func ExcessKurtosis(x []float64) (float64, error) {
	_, g2, err := sampleShape(x, 4, "excess kurtosis")
	return g2, err
}

// CountedMoments returns the mean, the skewness g₁ = m₃/m₂^{3/2} and the
// excess kurtosis g₂ = m₄/m₂² − 3 (Joanes and Gill 1998) of the sample in
// which x[i] is counted counts[i] times (once each if counts is nil): a
// bootstrap resample's moments without building it. x must be finite; a
// sample without spread is an error.
func CountedMoments(x []float64, counts []int32) (mean, g1, g2 float64, err error) {
	var n float64
	for i, v := range x {
		c := 1.0
		if counts != nil {
			c = float64(counts[i])
		}
		n += c
		mean += c * v
	}
	mean /= n
	var m2, m3, m4 float64
	for i, v := range x {
		c := 1.0
		if counts != nil {
			c = float64(counts[i])
		}
		d := v - mean
		d2 := d * d
		m2 += c * d2
		m3 += c * d2 * d
		m4 += c * d2 * d2
	}
	m2, m3, m4 = m2/n, m3/n, m4/n
	if !(m2 > 0) {
		return mean, 0, 0, errors.New("constant sample")
	}
	return mean, m3 / math.Pow(m2, 1.5), m4/(m2*m2) - 3, nil
}

// ShapeSorted returns the Shape of the finite sample s, sorted in
// ascending order (not checked), in which value s[i] is counted counts[i]
// times (counts nil: once each). With counts it is the Shape of the sample
// with those repeats — a bootstrap resample, in one pass over the sorted
// values and without sorting again. It needs a total count of at least 5
// and a sample that is not constant.
func ShapeSorted(s []float64, counts []int32) (Shape, error) {
	if counts != nil && len(counts) != len(s) {
		return Shape{}, fmt.Errorf("shape: %d counts for %d values", len(counts), len(s))
	}
	n := len(s)
	if counts != nil {
		n = 0
		for _, c := range counts {
			if c < 0 {
				return Shape{}, fmt.Errorf("shape: negative count %d", c)
			}
			n += int(c)
		}
	}
	if n < 5 {
		return Shape{}, fmt.Errorf("shape: %d values, need at least 5", n)
	}
	mean, g1, g2, err := CountedMoments(s, counts)
	if err != nil {
		return Shape{}, fmt.Errorf("shape: %w", err)
	}
	// The sample standard deviation (divisor n − 1), as Lilliefors uses.
	nf := float64(n)
	var ss float64
	for i, v := range s {
		c := 1.0
		if counts != nil {
			c = float64(counts[i])
		}
		ss += c * (v - mean) * (v - mean)
	}
	sd := math.Sqrt(ss / (nf - 1))
	var d float64
	cum := 0
	for i, v := range s {
		c := 1
		if counts != nil {
			c = int(counts[i])
		}
		if c == 0 {
			continue
		}
		f := normCDF((v - mean) / sd)
		d = math.Max(d, math.Max(float64(cum+c)/nf-f, f-float64(cum)/nf))
		cum += c
	}
	return Shape{Skewness: g1, ExcessKurtosis: g2, KS: d}, nil
}

// ShapeOf is ShapeSorted for an unsorted finite sample x (copied).
func ShapeOf(x []float64) (Shape, error) {
	if err := CheckFinite(x); err != nil {
		return Shape{}, fmt.Errorf("shape: %w", err)
	}
	return ShapeSorted(Sorted(x), nil)
}

// GaussianSkewnessSD is the exact standard deviation of the sample
// skewness g₁ of n independent normal values,
// √(6(n − 2)/((n + 1)(n + 3))) (Pearson 1931; Joanes and Gill 1998, eq. 4).
func GaussianSkewnessSD(n int) float64 {
	nf := float64(n)
	return math.Sqrt(6 * (nf - 2) / ((nf + 1) * (nf + 3)))
}

// GaussianExcessKurtosisMean is the exact mean of the sample excess
// kurtosis g₂ of n independent normal values, −6/(n + 1) (Pearson 1931;
// Joanes and Gill 1998, eq. 7).
func GaussianExcessKurtosisMean(n int) float64 { return -6 / (float64(n) + 1) }

// GaussianExcessKurtosisSD is the exact standard deviation of g₂ for n
// independent normal values,
// √(24n(n − 2)(n − 3)/((n + 1)²(n + 3)(n + 5))) (Pearson 1931; Joanes and
// Gill 1998, eq. 8).
func GaussianExcessKurtosisSD(n int) float64 {
	nf := float64(n)
	return math.Sqrt(24 * nf * (nf - 2) * (nf - 3) / ((nf + 1) * (nf + 1) * (nf + 3) * (nf + 5)))
}

// Spread summarises the sampling distribution of one statistic over
// simulated samples: its mean, median and central 95% range (type-7
// quantiles, as QuantileSorted).
type Spread struct {
	Mean   float64 `json:"mean"`
	Median float64 `json:"median"`
	Q025   float64 `json:"q025"`
	Q975   float64 `json:"q975"`
}

// spreadOf returns the Spread of the values v (sorted in place).
func spreadOf(v []float64) Spread {
	slices.Sort(v)
	var m float64
	for _, x := range v {
		m += x
	}
	return Spread{Mean: m / float64(len(v)), Median: QuantileSorted(v, 0.5), Q025: QuantileSorted(v, 0.025), Q975: QuantileSorted(v, 0.975)}
}

// ShapeReference is the sampling distribution of the Shape effect sizes
// for a normal sample of size N, by seeded simulation: Replicates samples
// of N independent N(0, 1) values (rand.NewPCG(Seed, N), consecutive
// draws), each measured like data. It is the value an effect size takes
// when the law is exactly normal and only the finite sample departs from
// it. KSResampled is the KS distance of one bootstrap resample of each
// replicate (N draws with replacement): resampling repeats values, and
// the steps of the empirical distribution function that repeats make add
// a bias to a bootstrapped KS distance; KSResampled.Median − KS.Median
// measures it. The exact moments of g₁ and g₂ under normality
// (GaussianSkewnessSD, GaussianExcessKurtosisMean and
// GaussianExcessKurtosisSD) are recorded beside the simulation.
type ShapeReference struct {
	N          int    `json:"n"`
	Replicates int    `json:"replicates"`
	Seed       uint64 `json:"seed"`
	// AbsSkewness, ExcessKurtosis and KS are the spreads of |g₁|, g₂ and
	// the KS distance over the replicates.
	AbsSkewness    Spread `json:"abs_skewness"`
	ExcessKurtosis Spread `json:"excess_kurtosis"`
	KS             Spread `json:"ks"`
	KSResampled    Spread `json:"ks_resampled"`
	// Exact moments under normality.
	SkewnessSDExact         float64 `json:"skewness_sd_exact"`
	ExcessKurtosisMeanExact float64 `json:"excess_kurtosis_mean_exact"`
	ExcessKurtosisSDExact   float64 `json:"excess_kurtosis_sd_exact"`
}

// GaussianShapeReference simulates the ShapeReference of normal samples of
// size n (at least 5) with the given number of replicates (at least 40).
// The result depends on n, replicates and seed only.
func GaussianShapeReference(n, replicates int, seed uint64) (*ShapeReference, error) {
	if n < 5 {
		return nil, fmt.Errorf("gaussian shape reference: sample size %d, need at least 5", n)
	}
	if replicates < 40 {
		return nil, fmt.Errorf("gaussian shape reference: %d replicates, need at least 40", replicates)
	}
	rng := rand.New(rand.NewPCG(seed, uint64(n)))
	x := make([]float64, n)
	counts := make([]int32, n)
	skew, kurt, ks, ksr := make([]float64, replicates), make([]float64, replicates), make([]float64, replicates), make([]float64, replicates)
	for r := range replicates {
		for i := range x {
			x[i] = rng.NormFloat64()
		}
		slices.Sort(x)
		sh, err := ShapeSorted(x, nil)
		if err != nil {
			return nil, fmt.Errorf("gaussian shape reference: %w", err)
		}
		clear(counts)
		for range n {
			counts[rng.IntN(n)]++
		}
		shr, err := ShapeSorted(x, counts)
		if err != nil {
			return nil, fmt.Errorf("gaussian shape reference: %w", err)
		}
		skew[r], kurt[r], ks[r], ksr[r] = math.Abs(sh.Skewness), sh.ExcessKurtosis, sh.KS, shr.KS
	}
	return &ShapeReference{N: n, Replicates: replicates, Seed: seed,
		AbsSkewness: spreadOf(skew), ExcessKurtosis: spreadOf(kurt), KS: spreadOf(ks), KSResampled: spreadOf(ksr),
		SkewnessSDExact: GaussianSkewnessSD(n), ExcessKurtosisMeanExact: GaussianExcessKurtosisMean(n),
		ExcessKurtosisSDExact: GaussianExcessKurtosisSD(n)}, nil
}
