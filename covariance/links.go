package covariance

import (
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat"

	"github.com/sgn-project/sgn/internal/stats"
)

// BootstrapResamples is the number of resamples of the percentile
// bootstrap over the compared eigendirections (Efron & Tibshirani, "An
// Introduction to the Bootstrap", 1993, Section 13.3) that gives the 95%
// intervals of a Comparison's medians and Pearson r.
const BootstrapResamples = 2000

// Intervals are the 95% percentile-bootstrap intervals of a Comparison:
// the points (eigendirections in the window with cᵢ > 0) are resampled
// with replacement Resamples times with a PCG generator of seed Seed, and
// each statistic recomputed on every resample; the interval is its 2.5%
// and 97.5% quantiles. A larger set of directions narrows the intervals
// about the same values, so a verdict judged by them does not hinge on the
// directions that happen to lie in the window.
type Intervals struct {
	Method    string `json:"method"`
	Resamples int    `json:"resamples"`
	Seed      uint64 `json:"seed"`
	// MedianRatio is the interval of the median cᵢ/(λᵢ/B), PearsonR that
	// of Pearson's r of log cᵢ and log λᵢ/B (nil with fewer than
	// MinFitPoints points).
	MedianRatio [2]float64  `json:"median_ratio_ci95"`
	PearsonR    *[2]float64 `json:"pearson_r_ci95,omitempty"`
	// EmpiricalOverFisher and FisherOverHessian are the intervals of the
	// medians of the Fisher links (nil without fᵢ).
	EmpiricalOverFisher *[2]float64 `json:"median_empirical_over_fisher_ci95,omitempty"`
	FisherOverHessian   *[2]float64 `json:"median_fisher_over_hessian_ci95,omitempty"`
}

// FisherLinks splits C ≈ H/B into its two links along H's eigendirections
// (Xie, Sato & Sugiyama, ICLR 2021, Section 2): the noise covariance is the
// empirical Fisher over B, C = (F_emp − ḡḡᵀ)/B, which equals the model
// Fisher F (labels drawn from the model's own prediction) when the data's
// labels are distributed as the model predicts; and F is the Gauss–Newton
// part of H, which equals H where the residual curvature vanishes. With
// fᵢ = uᵢᵀFuᵢ: cᵢ/(λᵢ/B) = (cᵢB/fᵢ)·(fᵢ/λᵢ). At an interpolating minimum
// of cross-entropy the per-sample gradients of the true labels scale like
// the residual ε, their second moment F_emp like ε², while F and H scale
// like ε, so cᵢB/fᵢ ≪ 1 there even when fᵢ ≈ λᵢ.
type FisherLinks struct {
	// Points is the number of points with fᵢ > 0 the medians are over.
	Points int `json:"points"`
	// MedianEmpiricalOverFisher is the median of cᵢB/fᵢ = uᵢᵀΣuᵢ/uᵢᵀFuᵢ
	// (empirical against model Fisher); MedianFisherOverHessian the median
	// of fᵢ/λᵢ (Fisher against Hessian).
	MedianEmpiricalOverFisher float64 `json:"median_empirical_over_fisher"`
	MedianFisherOverHessian   float64 `json:"median_fisher_over_hessian"`
}

// addFisher sets the points' fᵢ/B (F, aligned with X and Y) and the Fisher
// links from fisher, uᵢᵀFuᵢ for the eigenpairs of lambda (nil: unknown).
func (c *Comparison) addFisher(lambda []float64, sigma mat.Symmetric, fisher []float64) {
	if fisher == nil {
		return
	}
	B := float64(c.BatchSize)
	var eo, fh []float64
	for _, i := range c.Index {
		if sigma.At(i, i) <= 0 {
			continue
		}
		c.F = append(c.F, fisher[i]/B)
		if fisher[i] > 0 {
			eo = append(eo, sigma.At(i, i)/fisher[i])
			fh = append(fh, fisher[i]/lambda[i])
		}
	}
	if len(eo) == 0 {
		return
	}
	c.Fisher = &FisherLinks{Points: len(eo), MedianEmpiricalOverFisher: stats.Median(eo), MedianFisherOverHessian: stats.Median(fh)}
}

// bootstrap sets c.Intervals: the percentile-bootstrap intervals of the
// median ratio, Pearson r and the Fisher links over the points, with
// BootstrapResamples resamples of a PCG generator seeded by seed.
func (c *Comparison) bootstrap(seed uint64) {
	n := len(c.X)
	if n == 0 {
		return
	}
	rng := rand.New(rand.NewPCG(seed, 0x626f6f74)) // "boot"
	lx, ly := make([]float64, n), make([]float64, n)
	for i := range n {
		lx[i], ly[i] = math.Log10(c.X[i]), math.Log10(c.Y[i])
	}
	withF := c.Fisher != nil && len(c.F) == n
	R := BootstrapResamples
	med, r, eo, fh := make([]float64, R), make([]float64, R), make([]float64, R), make([]float64, R)
	idx := make([]int, n)
	rat, bx, by := make([]float64, n), make([]float64, n), make([]float64, n)
	var e, f []float64
	for k := range R {
		for j := range idx {
			idx[j] = rng.IntN(n)
		}
		e, f = e[:0], f[:0]
		for j, i := range idx {
			rat[j] = c.Y[i] / c.X[i]
			bx[j], by[j] = lx[i], ly[i]
			if withF && c.F[i] > 0 {
				e = append(e, c.Y[i]/c.F[i])
				f = append(f, c.F[i]/c.X[i])
			}
		}
		med[k] = stats.Median(rat)
		r[k] = pearson(bx, by)
		if withF {
			eo[k], fh[k] = math.NaN(), math.NaN()
			if len(e) > 0 {
				eo[k], fh[k] = stats.Median(e), stats.Median(f)
			}
		}
	}
	iv := &Intervals{Method: "percentile bootstrap over the compared eigendirections", Resamples: R, Seed: seed, MedianRatio: percentile95(med)}
	if n >= MinFitPoints {
		p := percentile95(r)
		iv.PearsonR = &p
	}
	if withF {
		a, b := percentile95(eo), percentile95(fh)
		iv.EmpiricalOverFisher, iv.FisherOverHessian = &a, &b
	}
	c.Intervals = iv
}

// pearson is Pearson's r of x and y, 0 when either is constant (a
// resample of one repeated point).
func pearson(x, y []float64) float64 {
	if slices.Min(x) == slices.Max(x) || slices.Min(y) == slices.Max(y) {
		return 0
	}
	return stat.Correlation(x, y, nil)
}

// percentile95 returns the 2.5% and 97.5% quantiles of x (NaN values left
// out; NaN when none is left), by the rule of stats.QuantileSorted.
func percentile95(x []float64) [2]float64 {
	s := make([]float64, 0, len(x))
	for _, v := range x {
		if !math.IsNaN(v) {
			s = append(s, v)
		}
	}
	if len(s) == 0 {
		return [2]float64{math.NaN(), math.NaN()}
	}
	slices.Sort(s)
	return [2]float64{stats.QuantileSorted(s, 0.025), stats.QuantileSorted(s, 0.975)}
}
