package covariance

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat"

	"github.com/sgn-project/sgn/internal/stats"
)

// The paper's window of Hessian eigenvalues compared with the noise
// covariance: 1e-4 < λ < 0.5 (Xie et al. 2021, Fig. 2).
const (
	DefaultLambdaMin = 1e-4
	DefaultLambdaMax = 0.5
)

// NumTopRatios is the number of largest eigenvalues whose ratio c/(λ/B) a
// Comparison reports.
const NumTopRatios = 10

// MinFitPoints is the smallest number of points (with c > 0) for which a
// Comparison fits the log–log line.
const MinFitPoints = 3

// FewPoints is the number of points in the window below which a Comparison
// carries a warning.
const FewPoints = 10

// Agreement thresholds of the verdict: the measurement agrees with C = H/B
// when the log–log slope is within SlopeTolerance of 1, Pearson's r of the
// logs is at least MinPearsonR and the median ratio c/(λ/B) lies within a
// factor RatioFactor of 1.
const (
	SlopeTolerance = 0.2
	MinPearsonR    = 0.9
	RatioFactor    = 2.0
)

// Window is the open interval (Min, Max) of Hessian eigenvalues λ compared.
type Window struct {
	Min float64 `json:"lambda_min"`
	Max float64 `json:"lambda_max"`
}

// Validate checks that 0 ≤ Min < Max < ∞.
func (w Window) Validate() error {
	if !(w.Min >= 0) || !(w.Max > w.Min) || math.IsInf(w.Max, 0) {
		return fmt.Errorf("eigenvalue window (%g, %g): want 0 ≤ Min < Max, both finite", w.Min, w.Max)
	}
	return nil
}

// Contains reports whether Min < x < Max.
func (w Window) Contains(x float64) bool { return x > w.Min && x < w.Max }

// LogLogFit is the least-squares line log₁₀ y = Intercept + Slope·log₁₀ x
// through N points, and Pearson's correlation R of the two logs.
// SlopeStdErr is the slope's standard error √(Σ residual²/(N − 2)/Σ(log₁₀ x −
// mean)²) and SlopeCI95 its 95% interval, Slope ± t(0.975, N − 2)·SlopeStdErr
// (ordinary least squares with independent Gaussian residuals; Student's t),
// both from stats.FitLine.
// Decades is the span of the fitted x, log₁₀(max x/min x): a slope fitted
// over less than a decade says little about a power law.
type LogLogFit struct {
	Slope       float64    `json:"loglog_slope"`
	Intercept   float64    `json:"loglog_intercept"`
	R           float64    `json:"pearson_r"`
	N           int        `json:"fit_points"`
	SlopeStdErr float64    `json:"slope_stderr"`
	SlopeCI95   [2]float64 `json:"slope_ci95"`
	Decades     float64    `json:"fit_decades"`
}

// MinFitDecades is the span of λ/B below which a Comparison warns that its
// slope says little.
const MinFitDecades = 1.0

// FitLogLog fits log₁₀ y on log₁₀ x by ordinary least squares
// (stats.FitLine) and returns the line and Pearson's r of the logs. It needs at least MinFitPoints
// points, all positive and finite, and x not all equal.
func FitLogLog(x, y []float64) (LogLogFit, error) {
	if len(x) != len(y) {
		return LogLogFit{}, fmt.Errorf("covariance: FitLogLog with %d x and %d y", len(x), len(y))
	}
	if len(x) < MinFitPoints {
		return LogLogFit{}, fmt.Errorf("covariance: %d points: a log–log fit needs at least %d", len(x), MinFitPoints)
	}
	lx, ly := make([]float64, len(x)), make([]float64, len(y))
	for i := range x {
		if !(x[i] > 0) || !(y[i] > 0) || math.IsInf(x[i], 0) || math.IsInf(y[i], 0) {
			return LogLogFit{}, fmt.Errorf("covariance: point (%g, %g): a log–log fit needs positive finite values", x[i], y[i])
		}
		lx[i], ly[i] = math.Log10(x[i]), math.Log10(y[i])
	}
	if slices.Min(lx) == slices.Max(lx) {
		return LogLogFit{}, errors.New("covariance: all x are equal: the log–log slope is undefined")
	}
	line, err := stats.FitLine(lx, ly)
	if err != nil {
		return LogLogFit{}, fmt.Errorf("covariance: %w", err)
	}
	a, b := line.Intercept, line.Slope
	r := stat.Correlation(lx, ly, nil)
	if slices.Min(ly) == slices.Max(ly) {
		r = 0
	}
	f := LogLogFit{Slope: b, Intercept: a, R: r, N: len(x), Decades: slices.Max(lx) - slices.Min(lx)}
	// MinFitPoints ≥ 3 points: stats.FitLine gives the slope's standard
	// error and interval (the same ordinary least squares, Student's t
	// with N − 2 degrees of freedom).
	if line.SlopeStdErr == nil || line.SlopeCI == nil {
		return LogLogFit{}, fmt.Errorf("covariance: %d points: no slope interval", len(x))
	}
	f.SlopeStdErr, f.SlopeCI95 = *line.SlopeStdErr, *line.SlopeCI
	return f, nil
}

// Comparison is the test of C = H/B in the eigenbasis of H for one batch
// size, as the paper draws it (Xie et al. 2021, Fig. 2): for each eigenpair
// (λᵢ, uᵢ) of H, cᵢ = uᵢᵀCuᵢ = uᵢᵀΣuᵢ/B against λᵢ/B, over the eigenvalues in
// the window, plus the off-diagonal part of UᵀCU, which C = H/B makes zero.
type Comparison struct {
	BatchSize int    `json:"batch_size"`
	Window    Window `json:"window"`
	// Selected is the number of eigenvalues in the window (the points).
	Selected int `json:"selected"`
	// NonPositive counts points with cᵢ ≤ 0, left out of the fit and plot.
	NonPositive int `json:"nonpositive_c"`
	// Fit is the least-squares line of log₁₀ cᵢ on log₁₀(λᵢ/B) over the
	// points; nil with fewer than MinFitPoints.
	Fit *LogLogFit `json:"fit"`
	// MedianRatio is the median of cᵢ/(λᵢ/B) over the points.
	MedianRatio float64 `json:"median_ratio"`
	// MedianRatioFIM is the same median with the empirical Fisher,
	// uᵢᵀFIM uᵢ/λᵢ (the un-centred second moment), when known.
	MedianRatioFIM *float64 `json:"median_ratio_fim,omitempty"`
	// TopLambdas are the NumTopRatios largest eigenvalues (in or out of the
	// window) and TopRatios their cᵢ/(λᵢ/B) (0 when λᵢ ≤ 0).
	TopLambdas []float64 `json:"top_lambdas"`
	TopRatios  []float64 `json:"top_ratios"`
	// OffdiagRatio is ‖offdiag(M)‖_F / ‖diag(M)‖_F for M = U_SᵀCU_S over
	// the eigenvectors S in the window (0 when C = H/B).
	OffdiagRatio float64 `json:"offdiag_ratio"`
	// OffdiagMeanCorr is the mean of |Mᵢⱼ|/√(MᵢᵢMⱼⱼ) over i ≠ j in S: the
	// typical correlation of the noise along two eigendirections.
	OffdiagMeanCorr float64 `json:"offdiag_mean_corr"`
	// Fisher holds the two links of C ≈ H/B through the model Fisher,
	// when fᵢ = uᵢᵀFuᵢ is known (Analyze of a network); nil otherwise.
	Fisher *FisherLinks `json:"fisher,omitempty"`
	// Intervals are the bootstrap intervals of the medians and of r, set
	// by Analyze and AnalyzeOperator; nil from Compare alone.
	Intervals *Intervals `json:"intervals,omitempty"`
	// Warnings say what makes the numbers fragile (few points, …).
	Warnings []string `json:"warnings,omitempty"`
	// Index holds the positions (in the descending eigen-order) of the
	// eigenvalues in the window, X = λᵢ/B and Y = cᵢ the coordinates of
	// the points (those with cᵢ > 0) and F their fᵢ/B (nil when unknown).
	Index   []int     `json:"-"`
	X, Y, F []float64 `json:"-"`
}

// Agrees reports whether the comparison supports C = H/B by the thresholds
// SlopeTolerance, MinPearsonR and RatioFactor.
func (c *Comparison) Agrees() bool {
	return c.Fit != nil && math.Abs(c.Fit.Slope-1) <= SlopeTolerance && c.Fit.R >= MinPearsonR &&
		c.MedianRatio >= 1/RatioFactor && c.MedianRatio <= RatioFactor
}

// Compare tests C = H/B in the eigenbasis of H. lambda holds eigenvalues of
// H in descending order, sigma = UᵀΣU the per-sample gradient covariance
// projected on the corresponding unit eigenvectors (k×k, k = len(lambda)),
// and meanProj = Uᵀḡ (may be nil; it gives MedianRatioFIM). With C = Σ/B:
// cᵢ = σᵢᵢ/B is compared with λᵢ/B for the λᵢ inside the window w.
//
// It returns an error for a batch size ≤ 0, mismatched sizes, or an empty
// window; the error names the window and the range of the eigenvalues.
func Compare(lambda []float64, sigma mat.Symmetric, meanProj []float64, batchSize int, w Window) (*Comparison, error) {
	if batchSize <= 0 {
		return nil, fmt.Errorf("batch size %d: must be positive", batchSize)
	}
	if err := w.Validate(); err != nil {
		return nil, err
	}
	k := len(lambda)
	if k == 0 {
		return nil, errors.New("covariance: no eigenvalues to compare")
	}
	if sigma == nil || sigma.SymmetricDim() != k {
		return nil, fmt.Errorf("covariance: projected Σ must be %d×%d (one row per eigenvalue)", k, k)
	}
	if meanProj != nil && len(meanProj) != k {
		return nil, fmt.Errorf("covariance: projected mean has %d entries, want %d", len(meanProj), k)
	}
	for i := 1; i < k; i++ {
		if lambda[i] > lambda[i-1] {
			return nil, errors.New("covariance: eigenvalues must be in descending order")
		}
	}
	B := float64(batchSize)
	c := &Comparison{BatchSize: batchSize, Window: w}
	var ratios, ratiosFIM []float64
	for i, l := range lambda {
		if !w.Contains(l) {
			continue
		}
		c.Selected++
		s := sigma.At(i, i)
		c.Index = append(c.Index, i)
		if s <= 0 {
			c.NonPositive++
			continue
		}
		c.X = append(c.X, l/B)
		c.Y = append(c.Y, s/B)
		ratios = append(ratios, s/l)
		if meanProj != nil {
			ratiosFIM = append(ratiosFIM, (s+meanProj[i]*meanProj[i])/l)
		}
	}
	if c.Selected == 0 {
		return nil, fmt.Errorf("%w (%g, %g): the %d eigenvalues computed lie in [%.4g, %.4g]",
			ErrEmptyWindow, w.Min, w.Max, k, lambda[k-1], lambda[0])
	}
	if len(ratios) > 0 {
		c.MedianRatio = stats.Median(ratios)
	}
	if len(ratiosFIM) > 0 {
		m := stats.Median(ratiosFIM)
		c.MedianRatioFIM = &m
	}
	if len(c.X) >= MinFitPoints {
		if f, err := FitLogLog(c.X, c.Y); err == nil {
			c.Fit = &f
			if f.Decades < MinFitDecades {
				c.Warnings = append(c.Warnings, fmt.Sprintf("the fit spans %.2g decades of λ/B (< %g): its slope says little about C ∝ H", f.Decades, MinFitDecades))
			}
		} else {
			c.Warnings = append(c.Warnings, "no log–log fit: "+err.Error())
		}
	} else {
		c.Warnings = append(c.Warnings, fmt.Sprintf("only %d points with c > 0 in the window: no log–log fit (needs %d)", len(c.X), MinFitPoints))
	}
	if c.Selected < FewPoints {
		c.Warnings = append(c.Warnings, fmt.Sprintf("only %d Hessian eigenvalues in the window (%g, %g): the numbers are fragile", c.Selected, w.Min, w.Max))
	}
	if c.NonPositive > 0 {
		c.Warnings = append(c.Warnings, fmt.Sprintf("%d points have c ≤ 0 and are left out of the fit", c.NonPositive))
	}
	for i := 0; i < min(NumTopRatios, k); i++ {
		c.TopLambdas = append(c.TopLambdas, lambda[i])
		r := 0.0
		if lambda[i] > 0 {
			r = sigma.At(i, i) / lambda[i]
		}
		c.TopRatios = append(c.TopRatios, r)
	}
	c.OffdiagRatio, c.OffdiagMeanCorr = offdiag(sigma, c.Index)
	return c, nil
}

// offdiag returns ‖offdiag(M)‖_F/‖diag(M)‖_F and the mean of
// |Mᵢⱼ|/√(MᵢᵢMⱼⱼ) over i ≠ j, for M the block of m on the indices idx.
func offdiag(m mat.Symmetric, idx []int) (ratio, corr float64) {
	var d2, o2, cs float64
	var cn int
	for a, i := range idx {
		mii := m.At(i, i)
		d2 += mii * mii
		for _, j := range idx[a+1:] {
			v := m.At(i, j)
			o2 += 2 * v * v
			if mjj := m.At(j, j); mii > 0 && mjj > 0 {
				cs += math.Abs(v) / math.Sqrt(mii*mjj)
				cn++
			}
		}
	}
	if d2 > 0 {
		ratio = math.Sqrt(o2 / d2)
	}
	if cn > 0 {
		corr = cs / float64(cn)
	}
	return ratio, corr
}

// RelFrobenius returns ‖C − H/B‖_F / ‖H/B‖_F = ‖Σ − H‖_F / ‖H‖_F (the batch
// size cancels), for dense Σ and H of the same order.
func RelFrobenius(sigma, h mat.Symmetric) (float64, error) {
	n := sigma.SymmetricDim()
	if h.SymmetricDim() != n {
		return 0, fmt.Errorf("covariance: Σ is %d×%d and H is %d×%d", n, n, h.SymmetricDim(), h.SymmetricDim())
	}
	var num, den float64
	for i := 0; i < n; i++ {
		for j := i; j < n; j++ {
			w := 2.0
			if i == j {
				w = 1
			}
			d := sigma.At(i, j) - h.At(i, j)
			num += w * d * d
			den += w * h.At(i, j) * h.At(i, j)
		}
	}
	if den == 0 {
		return 0, errors.New("covariance: H is zero: the relative Frobenius distance is undefined")
	}
	return math.Sqrt(num / den), nil
}
