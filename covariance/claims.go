package covariance

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"

	"github.com/sgn-project/sgn/internal/report"
)

// Regime of C ≈ H/B: "near a minimum" (Xie et al. 2021, Section 2) is
// measured as ‖∇L‖ ≤ MinimumGradNorm and λmin(∇²L) ≥ 0 for the loss L the
// point minimises (CE + (λ/2)‖θ‖² for a minimum written by sgn minimum).
// The bound is ten times the minimiser's tolerance (1e-6), for the
// round-off of another summation order over the same images.
const MinimumGradNorm = 1e-5

// Claim ids of the covariance experiment.
const (
	// ClaimMinimum is C ≈ H/B judged at the minimum θ₀ (the checkpoint
	// written by sgn minimum).
	ClaimMinimum = "cvh-minimum"
	// ClaimTrained is the same claim judged at a trained checkpoint, a
	// second labelled point (usually outside the regime: not a minimum).
	ClaimTrained = "cvh-trained"
	// ClaimRandom is that at a random initialisation C departs from H/B.
	ClaimRandom = "cvh-random-departs"
)

const (
	statementCvH = "Near a minimum the covariance of the stochastic gradient noise is the Hessian over the batch size: C(θ) ≈ H(θ)/B."
	statementRnd = "C ≈ H/B is a property of minima: at a random initialisation, far from any minimum, C departs from H/B (the median cᵢ/(λᵢ/B) is off by more than the factor allowed near a minimum)."
	produceMin   = "make minimum && bin/sgn covariance --checkpoint out/equilibrium/minimum.safetensors --first 2000 --batch-size 64 --out out/cvh-minimum"
	produceTrain = "make figure"
	reachMinimum = "measure at the true minimum: sgn minimum, then sgn covariance --checkpoint minimum.safetensors over the same images (make paper does both)"
)

// Claims judges the claims of C against H/B from dir/covariance.json
// (Xie et al. 2021, Section 2): C ≈ H/B at the pretrained model, as
// ClaimMinimum when it is a minimum written by sgn minimum (its weight
// decay recorded) and as ClaimTrained otherwise, and ClaimRandom at the
// random model. Without the file it returns the claims unmeasured; a file
// that cannot be read is an error naming it.
func Claims(dir string) ([]report.Claim, error) {
	path := filepath.Join(dir, FileName)
	r, err := Read(path)
	if errors.Is(err, fs.ErrNotExist) {
		return []report.Claim{
			report.Unmeasured(ClaimMinimum, report.NoiseCovariance, statementCvH, "covariance.json at the minimum", produceMin),
			report.Unmeasured(ClaimRandom, report.NoiseCovariance, statementRnd, FileName, produceTrain),
		}, nil
	}
	if err != nil {
		return nil, err
	}
	src := report.Source{Path: path, Version: r.Version, Command: r.Command, DataDigest: r.Data.MNIST,
		Seeds:       map[string]uint64{"random_model": r.Seeds.RandomModel, "lanczos": r.Seeds.Lanczos},
		WallSeconds: r.Seconds["total"]}
	figure := ""
	if p := filepath.Join(dir, "cvh.svg"); fileExists(p) {
		figure = p
	}
	pre, rnd := r.pointClaim(src, figure), r.randomClaim(src, figure)
	return []report.Claim{pre, rnd}, nil
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

// fitOf returns the log-log slope and Pearson r of a model's first batch
// size, NaN when there was no fit.
func fitOf(m *ModelReport) (slope, r float64) {
	if m.LogLogSlope == nil || m.PearsonR == nil {
		return math.NaN(), math.NaN()
	}
	return *m.LogLogSlope, *m.PearsonR
}

// pointClaim judges C ≈ H/B at the pretrained model.
func (r *Report) pointClaim(src report.Source, figure string) report.Claim {
	m := r.Models.Pretrained
	th := r.Thresholds
	c := report.Claim{ID: ClaimTrained, Conclusion: report.NoiseCovariance, Statement: statementCvH,
		At: "the trained checkpoint " + m.Source, Figure: figure, Sources: []report.Source{src}}
	grad, lmin, decay := math.NaN(), math.NaN(), 0.0
	if s := m.Analysis.Stationarity; s != nil {
		grad, decay = s.GradNorm, s.WeightDecay
		if s.LambdaMin != nil {
			lmin = *s.LambdaMin
		}
	}
	loss := "CE"
	if decay > 0 {
		c.ID = ClaimMinimum
		c.At = fmt.Sprintf("the minimum θ₀ of CE + (λ/2)‖θ‖², λ = %g (%s)", decay, m.Source)
		loss = "CE + (λ/2)‖θ‖²"
	}
	c.Regime = []report.RegimeCheck{
		report.AtMost("‖∇L‖ of "+loss+" over the analysed images", grad, MinimumGradNorm).WithReach(reachMinimum),
		report.AtLeast("λmin of ∇²("+loss+")", lmin, 0).WithReach(reachMinimum + "; λmin needs --mode full"),
	}
	slope, pr := fitOf(m)
	slopeIv := report.Point(slope)
	if m.SlopeCI95 != nil {
		slopeIv = report.Interval{Lo: m.SlopeCI95[0], Hi: m.SlopeCI95[1]}
	}
	decades := math.NaN()
	if m.FitDecades != nil {
		decades = *m.FitDecades
	}
	c.Regime = append(c.Regime, report.AtLeast("decades of λᵢ/B the fit spans", decades, MinFitDecades).
		WithReach("widen the eigenvalue window (--lambda-min, --lambda-max) or compare more eigendirections (--mode full)"))
	c.Effects = []report.Effect{
		{Name: "log-log slope of cᵢ on λᵢ/B (95% interval)", Value: slope, Interval: slopeIv,
			Prediction: report.Interval{Lo: 1 - th.SlopeTolerance, Hi: 1 + th.SlopeTolerance}},
		{Name: "Pearson r of log cᵢ and log λᵢ/B", Value: pr, Interval: report.Point(pr),
			Prediction: report.Interval{Lo: th.MinPearsonR, Hi: 1}},
		{Name: "median cᵢ/(λᵢ/B)", Value: m.MedianRatio, Interval: report.Point(m.MedianRatio),
			Prediction: report.Interval{Lo: 1 / th.RatioFactor, Hi: th.RatioFactor}},
	}
	c.Details = modelDetails(m)
	c.Rule = fmt.Sprintf("at a minimum (‖∇L‖ ≤ %g, λmin ≥ 0) and over at least a decade of λ/B, else not-testable; C = H/B agrees when the log-log slope's 95%% interval lies within %g of 1, Pearson r ≥ %g and the median ratio within a factor %g of 1 (cᵢ = uᵢᵀCuᵢ over H's eigenvectors uᵢ with λᵢ in the window, B = %d)",
		MinimumGradNorm, th.SlopeTolerance, th.MinPearsonR, th.RatioFactor, m.BatchSize)
	c.Rule += "; disagrees when one of them lies wholly outside its band, inconclusive when the slope's interval straddles an end"
	c.Judge()
	c.Finding = fmt.Sprintf("At %s (‖∇L‖ = %.2g) the points follow C = H/B with slope %.3g (r %.3g); the median ratio %.3g says how far they lie from the line.",
		c.At, grad, slope, pr, m.MedianRatio)
	return c
}

// randomClaim judges that C departs from H/B at the random model.
func (r *Report) randomClaim(src report.Source, figure string) report.Claim {
	m := r.Models.Random
	th := r.Thresholds
	c := report.Claim{ID: ClaimRandom, Conclusion: report.NoiseCovariance, Statement: statementRnd,
		At: "a random initialisation " + m.Source, Figure: figure, Sources: []report.Source{src}}
	grad := math.NaN()
	if s := m.Analysis.Stationarity; s != nil {
		grad = s.GradNorm
	}
	c.Regime = []report.RegimeCheck{report.AtLeast("‖∇L‖ over the analysed images (far from a minimum)", grad, MinimumGradNorm).
		WithReach("a random initialisation is away from a minimum by construction")}
	dev := math.Abs(math.Log2(m.MedianRatio))
	c.Effects = []report.Effect{{Name: "|log₂ median cᵢ/(λᵢ/B)|", Value: dev, Interval: report.Point(dev),
		Prediction: report.Above(math.Log2(th.RatioFactor))}}
	c.Details = modelDetails(m)
	c.Rule = fmt.Sprintf("agrees when at the random model the median cᵢ/(λᵢ/B) lies outside a factor %g of 1 (|log₂| > %g), the band within which C = H/B holds near a minimum", th.RatioFactor, math.Log2(th.RatioFactor))
	c.Judge()
	slope, pr := fitOf(m)
	c.Finding = fmt.Sprintf("At a random initialisation: median ratio %.3g, slope %.3g, r %.3g.", m.MedianRatio, slope, pr)
	return c
}

// modelDetails are the further numbers of a model shown beside its claim.
func modelDetails(m *ModelReport) []report.Quantity {
	q := []report.Quantity{{Name: "eigendirections compared", Value: float64(m.Selected)},
		{Name: "loss", Value: m.Loss}, {Name: "tr Σ", Value: m.TraceSigma}}
	if m.RelFrobenius != nil {
		q = append(q, report.Quantity{Name: "‖C − H/B‖/‖H/B‖", Value: *m.RelFrobenius})
	}
	if m.BSimple != nil {
		q = append(q, report.Quantity{Name: "B_simple = tr Σ/‖ḡ‖²", Value: *m.BSimple})
	}
	return q
}
