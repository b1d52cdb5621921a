package covariance

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"path/filepath"
	"slices"
	"strings"

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
	// ClaimMinimum is the level of C ≈ H/B judged at the minimum θ₀ (the
	// checkpoint written by sgn minimum).
	ClaimMinimum = "cvh-minimum"
	// ClaimShapeMinimum is its shape, C ∝ H, at the same θ₀.
	ClaimShapeMinimum = "cvh-shape-minimum"
	// ClaimTrained and ClaimShapeTrained are the same two claims judged at
	// a trained checkpoint, a second labelled point (usually outside the
	// regime: not a minimum).
	ClaimTrained      = "cvh-trained"
	ClaimShapeTrained = "cvh-shape-trained"
	// ClaimRandom is that at a random initialisation C departs from H/B.
	ClaimRandom = "cvh-random-departs"
)

const (
	statementCvH   = "Near a minimum the covariance of the stochastic gradient noise is the Hessian over the batch size: C(θ) ≈ H(θ)/B."
	statementShape = "Near a minimum the noise covariance is proportional to the Hessian along its eigendirections, C ∝ H: cᵢ = uᵢᵀCuᵢ grows as λᵢ (log-log slope 1, tight correlation)."
	statementRnd   = "C ≈ H/B is a property of minima: at a random initialisation, far from any minimum, C departs from H/B (the median cᵢ/(λᵢ/B) is off by more than the factor allowed near a minimum)."
	produceMin     = "make minimum && bin/sgn covariance --checkpoint out/equilibrium/minimum.safetensors --first 2000 --batch-size 64 --out out/cvh-minimum"
	produceTrain   = "make figure"
	reachMinimum   = "measure at the true minimum: sgn minimum, then sgn covariance --checkpoint minimum.safetensors over the same images (make paper does both)"
	reachLabels    = "a minimum that does not interpolate its images, where the labels are as noisy as the model predicts: more images per parameter (--first in sgn minimum and sgn covariance); a larger weight decay in sgn minimum also raises cᵢB/fᵢ but moves θ₀ away from a minimum of the cross-entropy, so that fᵢ/λᵢ (F ≈ H) falls. At an interpolating minimum of cross-entropy the per-sample gradients of the true labels scale like the residual ε, their second moment F_emp like ε², while F and H scale like ε, so cᵢB/fᵢ → 0"
	reachFisher    = "measure fᵢ = uᵢᵀFuᵢ: rerun sgn covariance (this file has no Fisher links)"
	bootstrapRule  = "95% intervals of medians and r by a percentile bootstrap over the compared eigendirections (2,000 resamples, seed derived from the Lanczos seed and B), of the slope by least squares (Student's t)"
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
			report.Unmeasured(ClaimShapeMinimum, report.NoiseCovariance, statementShape, "covariance.json at the minimum", produceMin),
			report.Unmeasured(ClaimRandom, report.NoiseCovariance, statementRnd, FileName, produceTrain),
		}, nil
	}
	if err != nil {
		return nil, err
	}
	src := report.Source{Path: path, Version: r.Version, Command: r.Command, DataDigest: r.Data.MNIST,
		Seeds:       map[string]uint64{"random_model": r.Seeds.RandomModel, "lanczos": r.Seeds.Lanczos},
		WallSeconds: r.Seconds["total"], CPUSeconds: r.CPUSeconds}
	figure := report.FigureBeside(dir, "cvh.svg")
	level, shape := r.pointClaims(src, figure)
	return []report.Claim{level, shape, r.randomClaim(src, figure)}, nil
}

// fitOf returns the log-log slope and Pearson r of a model's first batch
// size, NaN when there was no fit.
func fitOf(m *ModelReport) (slope, r float64) {
	if m.LogLogSlope == nil || m.PearsonR == nil {
		return math.NaN(), math.NaN()
	}
	return *m.LogLogSlope, *m.PearsonR
}

// pointClaims judges C ≈ H/B at the pretrained model: its level (the median
// cᵢ/(λᵢ/B), behind the check that the labels are distributed as the model
// predicts, C ≈ F/B) and its shape (C ∝ H: slope and r).
func (r *Report) pointClaims(src report.Source, figure string) (level, shape report.Claim) {
	m := r.Models.Pretrained
	th := r.Thresholds
	level = report.Claim{ID: ClaimTrained, Conclusion: report.NoiseCovariance, Statement: statementCvH,
		At: "the trained checkpoint " + m.Source, Figure: figure, Sources: []report.Source{src}}
	shape = report.Claim{ID: ClaimShapeTrained, Conclusion: report.NoiseCovariance, Statement: statementShape,
		At: level.At, Figure: figure, Sources: []report.Source{src}}
	grad, lmin, decay := math.NaN(), math.NaN(), 0.0
	if s := m.Analysis.Stationarity; s != nil {
		grad, decay = s.GradNorm, s.WeightDecay
		if s.LambdaMin != nil {
			lmin = *s.LambdaMin
		}
	}
	loss := "CE"
	if decay > 0 {
		level.ID, shape.ID = ClaimMinimum, ClaimShapeMinimum
		level.At = fmt.Sprintf("the minimum θ₀ of CE + (λ/2)‖θ‖², λ = %g (%s)", decay, m.Source)
		shape.At = level.At
		loss = "CE + (λ/2)‖θ‖²"
	}
	atMinimum := []report.RegimeCheck{
		report.AtMost("‖∇L‖ of "+loss+" over the analysed images", grad, MinimumGradNorm).WithReach(reachMinimum),
		report.AtLeast("λmin of ∇²("+loss+")", lmin, 0).WithReach(reachMinimum + "; λmin needs --mode full"),
	}
	var iv Intervals
	if m.Intervals != nil {
		iv = *m.Intervals
	}
	ratioIv := report.IntervalOf(m.MedianRatio, nil)
	if m.Intervals != nil {
		ratioIv = report.IntervalOf(m.MedianRatio, &iv.MedianRatio)
	}

	// Level: C = H/B, gated by C ≈ F/B.
	eo, fh := math.NaN(), math.NaN()
	labels := report.Between("labels distributed as the model predicts: median cᵢB/fᵢ, empirical over model Fisher", eo, 1/th.RatioFactor, th.RatioFactor).WithReach(reachFisher)
	if f := m.Fisher; f != nil {
		eo, fh = f.MedianEmpiricalOverFisher, f.MedianFisherOverHessian
		labels = report.Between(labels.Name, eo, 1/th.RatioFactor, th.RatioFactor).WithReach(reachLabels)
	}
	level.Regime = append(slices.Clone(atMinimum), labels)
	level.Effects = []report.Effect{{Name: "median cᵢ/(λᵢ/B)", Value: m.MedianRatio, Interval: ratioIv,
		Prediction: report.Interval{Lo: 1 / th.RatioFactor, Hi: th.RatioFactor}}}
	if m.Fisher != nil {
		level.Details = append(level.Details,
			report.QuantityWithin("median cᵢB/fᵢ: empirical over model Fisher (fᵢ = uᵢᵀFuᵢ, labels drawn from the model)", eo, iv.EmpiricalOverFisher),
			report.QuantityWithin("median fᵢ/λᵢ: model Fisher (Gauss–Newton) over Hessian", fh, iv.FisherOverHessian))
	}
	level.Details = append(level.Details, modelDetails(m)...)
	level.Rule = fmt.Sprintf("at a minimum (‖∇L‖ ≤ %g, λmin ≥ 0) where the labels are distributed as the model predicts (median cᵢB/fᵢ within a factor %g of 1, so that C ≈ F/B), else not-testable; then C = H/B agrees when the median cᵢ/(λᵢ/B)'s 95%% interval lies within a factor %g of 1, disagrees when it lies wholly outside, inconclusive when it straddles an end (cᵢ = uᵢᵀCuᵢ over H's eigenvectors uᵢ with λᵢ in the window, B = %d; %s)",
		MinimumGradNorm, th.RatioFactor, th.RatioFactor, m.BatchSize, bootstrapRule)
	level.Judge()
	level.Finding = fmt.Sprintf("At %s (‖∇L‖ = %.2g) the median cᵢ/(λᵢ/B) is %.3g %s", level.At, grad, m.MedianRatio, ratioIv)
	if m.Fisher != nil {
		level.Finding += fmt.Sprintf(" = cᵢB/fᵢ %.3g (empirical over model Fisher) × fᵢ/λᵢ %.3g (Fisher over Hessian), medians.", eo, fh)
	} else {
		level.Finding += "; the Fisher links were not measured."
	}

	// Shape: C ∝ H.
	slope, pr := fitOf(m)
	slopeIv := report.Point(slope)
	if m.SlopeCI95 != nil {
		slopeIv = report.Interval{Lo: m.SlopeCI95[0], Hi: m.SlopeCI95[1]}
	}
	decades := math.NaN()
	if m.FitDecades != nil {
		decades = *m.FitDecades
	}
	shape.Regime = append(slices.Clone(atMinimum), report.AtLeast("decades of λᵢ/B the fit spans", decades, MinFitDecades).
		WithReach("widen the eigenvalue window (--lambda-min, --lambda-max) or compare more eigendirections (--mode full)"))
	shape.Effects = []report.Effect{
		{Name: "log-log slope of cᵢ on λᵢ/B", Value: slope, Interval: slopeIv,
			Prediction: report.Interval{Lo: 1 - th.SlopeTolerance, Hi: 1 + th.SlopeTolerance}},
		{Name: "Pearson r of log cᵢ and log λᵢ/B", Value: pr, Interval: report.IntervalOf(pr, iv.PearsonR),
			Prediction: report.Interval{Lo: th.MinPearsonR, Hi: 1}},
	}
	shape.Details = modelDetails(m)
	shape.Rule = fmt.Sprintf("at a minimum (‖∇L‖ ≤ %g, λmin ≥ 0) and over at least a decade of λ/B, else not-testable; C ∝ H agrees when the log-log slope's 95%% interval lies within %g of 1 and Pearson r's above %g, disagrees when one lies wholly outside its band, inconclusive when one straddles an end (B = %d; %s)",
		MinimumGradNorm, th.SlopeTolerance, th.MinPearsonR, m.BatchSize, bootstrapRule)
	shape.Judge()
	shape.Finding = fmt.Sprintf("At %s the points follow C ∝ H with log-log slope %.3g %s and r %.3g %s.", shape.At, slope, slopeIv, pr, report.IntervalOf(pr, iv.PearsonR))
	return level, shape
}

// absLog2 returns |log₂ x| and its interval from x's interval iv (which
// contains the minimum 0 when iv straddles 1).
func absLog2(x float64, iv report.Interval) (float64, report.Interval) {
	a, b := math.Abs(math.Log2(iv.Lo)), math.Abs(math.Log2(iv.Hi))
	lo, hi := min(a, b), max(a, b)
	if iv.Lo <= 1 && iv.Hi >= 1 {
		lo = 0
	}
	return math.Abs(math.Log2(x)), report.Interval{Lo: lo, Hi: hi}
}

// randomAt says where the random model's claim is judged: its Source
// ("random initialisation (auto, seed 2)") after "a", or a source that does
// not say so itself after "a random initialisation".
func randomAt(source string) string {
	if strings.HasPrefix(source, "random initialisation") {
		return "a " + source
	}
	return "a random initialisation " + source
}

// randomClaim judges that C departs from H/B at the random model.
func (r *Report) randomClaim(src report.Source, figure string) report.Claim {
	m := r.Models.Random
	th := r.Thresholds
	c := report.Claim{ID: ClaimRandom, Conclusion: report.NoiseCovariance, Statement: statementRnd,
		At: randomAt(m.Source), Figure: figure, Sources: []report.Source{src}}
	grad := math.NaN()
	if s := m.Analysis.Stationarity; s != nil {
		grad = s.GradNorm
	}
	c.Regime = []report.RegimeCheck{report.AtLeast("‖∇L‖ over the analysed images (far from a minimum)", grad, MinimumGradNorm).
		WithReach("a random initialisation is away from a minimum by construction")}
	ratioIv := report.Point(m.MedianRatio)
	if m.Intervals != nil {
		ratioIv = report.IntervalOf(m.MedianRatio, &m.Intervals.MedianRatio)
	}
	dev, devIv := absLog2(m.MedianRatio, ratioIv)
	c.Effects = []report.Effect{{Name: "|log₂ median cᵢ/(λᵢ/B)|", Value: dev, Interval: devIv,
		Prediction: report.Above(math.Log2(th.RatioFactor))}}
	c.Details = modelDetails(m)
	c.Rule = fmt.Sprintf("agrees when at the random model the 95%% interval of the median cᵢ/(λᵢ/B) lies outside a factor %g of 1 (|log₂| > %g), the band within which C = H/B holds near a minimum; disagrees when it lies inside, inconclusive when it straddles (%s)", th.RatioFactor, math.Log2(th.RatioFactor), bootstrapRule)
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
