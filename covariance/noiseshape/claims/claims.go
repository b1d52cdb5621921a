package claims

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"path/filepath"

	"github.com/sgn-project/sgn/covariance/noiseshape"
	"github.com/sgn-project/sgn/internal/report"
	"github.com/sgn-project/sgn/internal/stats"
)

// Margins of "near-Gaussian" for the Gaussian-noise assumption of Xie,
// Sato & Sugiyama (2021): the band around the Gaussian reference of the
// same size within which an effect size counts as Gaussian. A gamma
// law of shape 64 has skewness 0.25; the logistic law, close to normal to
// the eye, has excess kurtosis 1.2; a KS distance of 0.02 is two
// percentage points of probability anywhere on the distribution function.
// The reference itself shrinks like 1/√M, so with more minibatches the
// bands tend to the margins and the measured medians to the noise's own
// values: a verdict away from a band's edge does not change with M.
const (
	MarginAbsSkewness    = 0.25
	MarginExcessKurtosis = 1.0
	MarginKS             = 0.02
	// MarginTailIndex is how far below the tail index of a Gaussian sample
	// of the same size the pooled α̂ must lie to count as heavy-tailed.
	MarginTailIndex = 0.3
)

// Finite-variance claim, Xie, Sato & Sugiyama (2021) against the α-stable
// view of Simsekli et al. (2019), by the tail index of Mohammadi et al.
// (2015): an α-stable noise keeps its tail index at every batch size (a
// sum of SαS variables is SαS with the same α), so the gap between a
// Gaussian sample's α̂ and the per-coordinate α̂ stays; the central limit
// closes it. Over a batch-size range of at least
// MinBatchRange the claim predicts that at most MaxGapRatio of the gap at
// the smallest B is left at the largest; a gap below MinTailGap at the
// smallest B has nothing to follow.
const (
	MaxGapRatio   = 0.5
	MinBatchRange = 16
	MinTailGap    = 0.3
	// normalQ3 is the upper quartile of the standard normal law.
	normalQ3 = 0.6744897501960817
)

// Claim ids; the batch size follows the per-B ones ("noise-gaussian-b64"),
// and every id ends in "-trained" when the point is not a minimum written
// by sgn minimum.
const (
	ClaimGaussian       = "noise-gaussian"
	ClaimPooled         = "noise-pooled-heavy"
	ClaimFiniteVariance = "noise-finite-variance"
)

const (
	statementGaussian       = "Across minibatches the stochastic gradient noise at batch size B is Gaussian (Xie, Sato & Sugiyama 2021): its skewness, excess kurtosis and KS distance to the fitted normal are those of a Gaussian sample of the same size, per coordinate and along random and principal directions."
	statementPooled         = "Pooled across parameters, as Simsekli, Sagun & Gürbüzbalaban (2019) pool it, the minibatch noise looks heavy-tailed: the tail index α̂ of the pooled coordinates is well below a Gaussian sample's."
	statementFiniteVariance = "The heavy tail is the pooling's, not the noise's (Xie, Sato & Sugiyama 2021 against Simsekli et al. 2019's α-stable view): per coordinate across minibatches the same estimator's α̂ approaches a Gaussian sample's as B grows, as a finite-variance noise's does by the central limit, where an α-stable noise keeps its α at every B."
	produceNoise            = "make minimum && bin/sgn noise --checkpoint out/equilibrium/minimum.safetensors --first 2000 --batch-size 16,64,256 --out out/noise-minimum"
	reachMinibatches        = "more minibatches (--minibatches)"
)

// paperBatchSizes are the batch sizes make paper measures, the ids of the
// unmeasured claims.
var paperBatchSizes = []int{16, 64, 256}

// Claims judges the noise-shape claims from dir/noise.json (written by sgn
// noise), at every batch size B: whether the noise is Gaussian across
// minibatches (Xie, Sato & Sugiyama 2021; the central-limit value κ/B
// shown beside as the reference), and whether it looks heavy-tailed when
// pooled across parameters (Simsekli et al. 2019); and over the batch
// sizes whether that heavy tail is the pooling's or the noise's (finite
// variance against α-stable). None of these statements speaks of a
// minimum: the point is named in each claim (the minimum of sgn minimum,
// or "-trained" for another checkpoint) and both are judged, with ‖∇L‖
// shown beside. Regime checks are only what each claim assumes: enough
// minibatches that a Gaussian sample's own spread stays inside each
// margin, a range of batch sizes. The central-limit identity g₂ = κ/B is
// not a claim of its own: for minibatches drawn from the same N samples
// whose κ is measured it holds exactly, so no measurement could refute it. Without the file it returns the claims of make paper's
// batch sizes unmeasured; a file that cannot be read is an error naming it.
func Claims(dir string) ([]report.Claim, error) {
	r, err := noiseshape.Read(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return unmeasured(), nil
	}
	if err != nil {
		return nil, err
	}
	p := newPoint(dir, r)
	var out []report.Claim
	for i := range r.Analysis.Batches {
		b := &r.Analysis.Batches[i]
		e := b.AcrossMinibatches.EffectSize
		if e == nil || e.Coordinates == nil || e.RandomDirections == nil || e.GaussianReference == nil {
			continue
		}
		out = append(out, p.gaussian(b, e), p.pooled(b))
	}
	if c, ok := p.finiteVariance(r.Analysis.Batches); ok {
		out = append(out, c)
	}
	return out, nil
}

// unmeasured returns the claims of make paper's batch sizes, unmeasured.
func unmeasured() []report.Claim {
	var out []report.Claim
	file := noiseshape.ReportFile + " at the minimum"
	for _, b := range paperBatchSizes {
		out = append(out,
			report.Unmeasured(fmt.Sprintf("%s-b%d", ClaimGaussian, b), report.NoiseShape, statementGaussian, file, produceNoise),
			report.Unmeasured(fmt.Sprintf("%s-b%d", ClaimPooled, b), report.NoiseShape, statementPooled, file, produceNoise))
	}
	return append(out, report.Unmeasured(ClaimFiniteVariance, report.NoiseShape, statementFiniteVariance, file, produceNoise))
}

// point is what every claim of one noise.json shares: the point measured
// and where the numbers come from.
type point struct {
	a                   *noiseshape.Analysis
	suffix, at          string
	src                 report.Source
	figGauss, figPanels string
	gradNorm            report.Quantity
}

func newPoint(dir string, r *noiseshape.Report) point {
	a := r.Analysis
	p := point{a: a, suffix: "-trained", at: "the trained checkpoint " + r.Checkpoint,
		src: report.Source{Path: filepath.Join(dir, noiseshape.ReportFile), Version: r.Version, Seeds: map[string]uint64{"seed": a.Seed},
			WallSeconds: r.WallSeconds, CPUSeconds: r.CPUSeconds},
		figGauss: report.FigureBeside(dir, noiseshape.VsBatchBase+".svg"), figPanels: report.FigureBeside(dir, noiseshape.PanelsBase+".svg")}
	loss := "CE"
	if decay := r.Model.Metrics["weight_decay"]; decay > 0 {
		p.suffix, p.at = "", fmt.Sprintf("the minimum θ₀ of CE + (λ/2)‖θ‖², λ = %g (%s)", decay, r.Checkpoint)
		loss = "CE + (λ/2)‖θ‖²"
	}
	p.gradNorm = report.Quantity{Name: "‖∇L‖ of " + loss + " over the selection (where the noise was measured; the claim assumes no minimum)", Value: a.GradNorm}
	return p
}

// claim starts a claim of this point.
func (p point) claim(id string, b int, statement, fig string) report.Claim {
	at := p.at
	if b > 0 {
		id, at = fmt.Sprintf("%s-b%d", id, b), fmt.Sprintf("%s, B = %d", p.at, b)
	}
	return report.Claim{ID: id + p.suffix, Conclusion: report.NoiseShape, Statement: statement, At: at,
		Figure: fig, Sources: []report.Source{p.src}}
}

// gaussian judges noise-gaussian at one batch size.
func (p point) gaussian(b *noiseshape.AtBatch, e *noiseshape.EffectSizes) report.Claim {
	g := p.claim(ClaimGaussian, b.BatchSize, statementGaussian, p.figGauss)
	g.Regime = resolution(e)
	g.Effects = gaussianEffects(e)
	g.Details = append(gaussianDetails(e), p.gradNorm)
	g.Rule = fmt.Sprintf("by effect size, per coordinate and along random and principal directions (median over them, 95%% bootstrap interval over the minibatches), against the band around a Gaussian sample of the same size M: |g₁| ≤ ref + %g, |g₂ − ref| ≤ %g, KS ≤ ref + %g (ref → 0 as M grows, the bands to the margins). Agrees when every interval lies within its band, disagrees when one lies wholly outside, inconclusive when one straddles; not-testable when M is so small that a Gaussian sample's own spread (97.5%% point − median) exceeds a margin. Each moment effect's reference is its central-limit value (|γ|/√B or κ/B of the per-sample gradients over the N samples), which the median tends to as M grows: a disagreement at that value is the noise's own shape at this B, not the test's. Anderson–Darling and KS p-values are in noise.json as a footnote: with many minibatches they reject departures far smaller than these margins.",
		MarginAbsSkewness, MarginExcessKurtosis, MarginKS)
	g.Judge()
	c, rd := e.Coordinates, e.RandomDirections
	g.Finding = fmt.Sprintf("At B = %d per coordinate the median |skewness| is %.3g [%.3g, %.3g] (central limit |γ|/√B: %.3g) and the median excess kurtosis %.3g [%.3g, %.3g] (central limit κ/B: %.3g, the per-sample gradients' κ being %.3g); along random directions the excess kurtosis is %.3g (central limit: %.3g) and the KS distance %.3g against %.3g for a Gaussian sample of %d. %s",
		b.BatchSize, c.MedianAbsSkewness, c.MedianAbsSkewnessCI[0], c.MedianAbsSkewnessCI[1], c.PredictedMedianAbsSkewness,
		c.MedianExcessKurtosis, c.MedianExcessKurtosisCI[0], c.MedianExcessKurtosisCI[1], c.PredictedMedianExcessKurtosis, c.PerSampleMedianExcessKurtosis,
		rd.MedianExcessKurtosis, rd.PredictedMedianExcessKurtosis, rd.MedianKS, e.GaussianReference.KS, e.GaussianReference.N, limit(e, b.BatchSize))
	return g
}

// limit says what the moment effects of the Gaussian claim tend to with
// unlimited minibatches: the bands tend to the margins and the medians to
// their central-limit values |γ|/√B and κ/B, exact for the N samples the
// minibatches are drawn from; and from which batch size the central limit
// puts every one of them inside its margin (|γ|/√B ≤ margin from B =
// (|γ|/margin)², κ/B ≤ margin from B = κ/margin, γ and κ the per-sample
// medians). A disagreement whose medians sit at their central-limit values
// is the noise's own shape at that B, not the test's: more minibatches
// would not change it.
func limit(e *noiseshape.EffectSizes, b int) string {
	type lim struct {
		name      string
		v, band   float64
		perSample float64 // |γ| or κ of the per-sample gradients
		skew      bool
	}
	c, rd := e.Coordinates, e.RandomDirections
	ls := []lim{{"per coordinate |γ|/√B", c.PredictedMedianAbsSkewness, MarginAbsSkewness, c.PerSampleMedianAbsSkewness, true},
		{"per coordinate κ/B", c.PredictedMedianExcessKurtosis, MarginExcessKurtosis, c.PerSampleMedianExcessKurtosis, false},
		{"along random directions κ/B", rd.PredictedMedianExcessKurtosis, MarginExcessKurtosis, rd.PerSampleMedianExcessKurtosis, false}}
	if pd := e.PrincipalDirections; pd != nil {
		ls = append(ls, lim{"along principal directions κ/B", pd.PredictedMedianExcessKurtosis, MarginExcessKurtosis, pd.PerSampleMedianExcessKurtosis, false})
	}
	var out, worst lim
	bStar := 0.0
	for _, l := range ls {
		if math.IsNaN(l.v) || l.v == 0 {
			return ""
		}
		if math.Abs(l.v)-l.band > math.Abs(out.v)-out.band || out.name == "" {
			out = l
		}
		if math.Abs(l.v)/l.band > math.Abs(worst.v)/worst.band || worst.name == "" {
			worst = l
		}
		need := math.Abs(l.perSample) / l.band
		if l.skew {
			need *= need
		}
		bStar = math.Max(bStar, need)
	}
	from := ""
	if bStar > 0 && !math.IsInf(bStar, 0) && !math.IsNaN(bStar) {
		from = fmt.Sprintf(" The central limit puts every one inside its margin from B ≈ %.3g.", math.Ceil(bStar))
	}
	if math.Abs(out.v) > out.band {
		return fmt.Sprintf("With unlimited minibatches the medians tend to their central-limit values and the bands to the margins: %s = %.3g against %g, still outside: the minibatch noise at B = %d is as far from Gaussian as the central limit puts the mean of %d per-sample gradients, so the disagreement is the noise's and more minibatches would not change it.%s", out.name, out.v, out.band, b, b, from)
	}
	return fmt.Sprintf("With unlimited minibatches the medians tend to their central-limit values and the bands to the margins: every one inside (closest: %s = %.3g against %g).%s", worst.name, worst.v, worst.band, from)
}

// pooled judges noise-pooled-heavy at one batch size.
func (p point) pooled(b *noiseshape.AtBatch) report.Claim {
	g := p.claim(ClaimPooled, b.BatchSize, statementPooled, p.figPanels)
	ap := b.AcrossParams
	alpha, refAlpha := tailIndex(ap.Pooled), tailIndex(ap.ReferencePooled)
	g.Regime = []report.RegimeCheck{}
	g.Effects = []report.Effect{{Name: fmt.Sprintf("tail index α̂ of the pooled noise (all coordinates of %d minibatches)", ap.PooledMinibatches),
		Value: alpha, Interval: report.Point(alpha), Prediction: report.Below(refAlpha - MarginTailIndex),
		Reference: &report.Quantity{Name: "α̂ of a Gaussian sample of the same size", Value: refAlpha}}}
	g.Details = []report.Quantity{{Name: "α̂ of the same pool with each coordinate divided by its own standard deviation", Value: tailIndex(ap.PooledStandardized)}}
	if q := b.AcrossMinibatches.Coordinates; q != nil && q.TailIndex != nil {
		g.Details = append(g.Details, report.Quantity{Name: "median α̂ per coordinate across minibatches", Value: q.TailIndex.Median})
	}
	g.Details = append(g.Details, p.gradNorm)
	g.Rule = fmt.Sprintf("agrees when the pooled α̂ (Mohammadi et al. 2015's estimator, as Simsekli et al. use it) lies more than %g below a Gaussian sample's of the same size, disagrees when it does not; whether that tail is the noise's is %s's question", MarginTailIndex, ClaimFiniteVariance)
	g.Judge()
	g.Finding = fmt.Sprintf("At B = %d the pooled tail index is %.3g (a Gaussian sample: %.3g); with each coordinate standardised it is %.3g.", b.BatchSize, alpha, refAlpha, tailIndex(ap.PooledStandardized))
	return g
}

// finiteVariance judges noise-finite-variance over the batch sizes: how
// much of the gap between a Gaussian sample's α̂ and the per-coordinate α̂
// at the smallest B is left at the largest. Each median over the
// coordinates carries the approximate 95% interval of a median from its
// quartiles (medianInterval); the ratio's interval takes the ends of both
// gaps' intervals. It reports false when fewer than two batch sizes have
// both numbers.
func (p point) finiteVariance(batches []noiseshape.AtBatch) (report.Claim, bool) {
	type gap struct {
		b            int
		alpha, gauss float64
		lo, hi       float64 // interval of gauss − alpha
	}
	var gs []gap
	for _, b := range batches {
		am := b.AcrossMinibatches
		if am.Coordinates == nil || am.Coordinates.TailIndex == nil || am.ReferenceGaussian == nil || am.ReferenceGaussian.TailIndex == nil {
			continue
		}
		a, r := am.Coordinates.TailIndex, am.ReferenceGaussian.TailIndex
		ai, ri := medianInterval(*a), medianInterval(*r)
		gs = append(gs, gap{b.BatchSize, a.Median, r.Median, ri.Lo - ai.Hi, ri.Hi - ai.Lo})
	}
	if len(gs) < 2 {
		return report.Claim{}, false
	}
	lo, hi := gs[0], gs[0]
	for _, g := range gs[1:] {
		if g.b < lo.b {
			lo = g
		}
		if g.b > hi.b {
			hi = g
		}
	}
	g := p.claim(ClaimFiniteVariance, 0, statementFiniteVariance, p.figGauss)
	gapLo, gapHi := lo.gauss-lo.alpha, hi.gauss-hi.alpha
	g.Regime = []report.RegimeCheck{
		report.AtLeast("largest over smallest batch size", float64(hi.b)/float64(lo.b), MinBatchRange).
			WithReach(fmt.Sprintf("batch sizes spanning a factor of %d or more (--batch-size)", MinBatchRange)),
		report.AtLeast(fmt.Sprintf("gap between a Gaussian sample's α̂ and the median per-coordinate α̂ at B = %d (lower end of its interval)", lo.b), lo.lo, MinTailGap).
			WithReach("a smaller smallest batch size (--batch-size), where the per-coordinate noise looks heavy-tailed"),
	}
	ratio := gapHi / gapLo
	iv := report.Interval{Lo: math.Max(hi.lo, 0) / lo.hi, Hi: hi.hi / lo.lo}
	g.Effects = []report.Effect{{Name: fmt.Sprintf("gap left at B = %d over the gap at B = %d", hi.b, lo.b), Value: ratio,
		Interval: iv, Prediction: report.Below(MaxGapRatio)}}
	for _, x := range gs {
		g.Details = append(g.Details, report.Quantity{Name: fmt.Sprintf("median α̂ per coordinate at B = %d (a Gaussian sample of the same size: %.3g)", x.b, x.gauss), Value: x.alpha})
	}
	g.Details = append(g.Details, report.Quantity{Name: "the ratio for an α-stable noise (its α̂ the same at every B)", Value: 1}, p.gradNorm)
	g.Rule = fmt.Sprintf("agrees when the interval of the gap left — between a Gaussian sample's α̂ and the median per-coordinate α̂ (Mohammadi et al. 2015's estimator) at the largest B over the same at the smallest — lies below %g, disagrees when it lies above, inconclusive when it straddles; each median's interval is median ± 1.96·√(π/2)·(IQR/1.349)/√n over the n coordinates. Not-testable unless the batch sizes span a factor of %d and the gap at the smallest B is at least %g. At one B this estimator cannot tell the two apart (a minibatch mean of a sparse finite-variance law gives α̂ as low as an α-stable one): how α̂ moves with B does",
		MaxGapRatio, MinBatchRange, MinTailGap)
	g.Judge()
	g.Finding = fmt.Sprintf("The median per-coordinate α̂ goes from %.3g at B = %d to %.3g at B = %d (a Gaussian sample: %.3g, %.3g): %.2g [%.2g, %.2g] of the gap is left.",
		lo.alpha, lo.b, hi.alpha, hi.b, lo.gauss, hi.gauss, ratio, iv.Lo, iv.Hi)
	return g, true
}

// medianInterval returns the approximate 95% interval of a median of n
// values from its quartiles: median ± 1.96·√(π/2)·σ/√n, the asymptotic
// standard error of a normal sample's median, with σ = IQR/(2·0.6745)
// (McGill, Tukey & Larsen 1978 notch a box plot alike). With no values it
// is the whole line.
func medianInterval(q stats.Quartiles) report.Interval {
	if q.N < 1 {
		return report.Interval{Lo: math.Inf(-1), Hi: math.Inf(1)}
	}
	h := 1.96 * math.Sqrt(math.Pi/2) * (q.Q3 - q.Q1) / (2 * normalQ3) / math.Sqrt(float64(q.N))
	return report.Interval{Lo: q.Median - h, Hi: q.Median + h}
}

// tailIndex returns s's α̂, NaN when it was not computed.
func tailIndex(s *noiseshape.SampleStats) float64 {
	if s == nil || s.TailIndex == nil {
		return math.NaN()
	}
	return *s.TailIndex
}

// resolution returns the regime checks of the Gaussian claim at one batch
// size: M large enough that a Gaussian sample's own spread (its 97.5%
// point less its median) stays inside each margin.
func resolution(e *noiseshape.EffectSizes) []report.RegimeCheck {
	var checks []report.RegimeCheck
	spread := func(name string, ref *noiseshape.Reference) {
		if ref == nil || ref.Simulation == nil {
			return
		}
		s := ref.Simulation
		for _, c := range []struct {
			what string
			sp   float64
			m    float64
		}{{"|g₁|", s.AbsSkewness.Q975 - s.AbsSkewness.Median, MarginAbsSkewness},
			{"g₂", s.ExcessKurtosis.Q975 - s.ExcessKurtosis.Median, MarginExcessKurtosis},
			{"KS", s.KS.Q975 - s.KS.Median, MarginKS}} {
			checks = append(checks, report.AtMost(fmt.Sprintf("%s spread of a Gaussian sample of %d %s (97.5%% point − median)", c.what, ref.N, name), c.sp, c.m).
				WithReach(reachMinibatches))
		}
	}
	spread("minibatches", e.GaussianReference)
	spread("minibatches (principal directions)", e.GaussianReferencePrincipal)
	return checks
}

// effect builds one judged effect: the median with its interval against
// the band [lo, hi] around the Gaussian reference ref.
func effect(name string, v float64, ci [2]float64, lo, hi float64, ref string, refV float64) report.Effect {
	return report.Effect{Name: name, Value: v, Interval: report.Interval{Lo: ci[0], Hi: ci[1]}, Prediction: report.Interval{Lo: lo, Hi: hi},
		Reference: &report.Quantity{Name: ref, Value: refV}}
}

// withLimit gives a moment effect the central-limit value of the same
// median as its reference, computed independently from the per-sample
// gradients (|γ|/√B or κ/B), with the Gaussian sample's value, the centre
// of the band, named beside; without per-sample gradients (clt NaN or 0)
// the Gaussian sample stays the reference.
func withLimit(e report.Effect, what string, clt float64) report.Effect {
	if math.IsNaN(clt) || math.IsInf(clt, 0) || clt == 0 {
		return e
	}
	e.Reference = &report.Quantity{Name: fmt.Sprintf("central limit %s of the per-sample gradients (%s: %.2g)", what, e.Reference.Name, e.Reference.Value), Value: clt}
	return e
}

// gaussianEffects are the judged effect sizes of the Gaussian claim:
// per-coordinate |g₁| and g₂, random-direction KS and g₂, principal-
// direction KS and g₂. Each moment effect has the central limit's value
// as its reference, the KS distances a Gaussian sample's.
func gaussianEffects(e *noiseshape.EffectSizes) []report.Effect {
	ref := e.GaussianReference
	c, rd := e.Coordinates, e.RandomDirections
	refName := fmt.Sprintf("a Gaussian sample of %d", ref.N)
	out := []report.Effect{
		withLimit(effect("median |skewness| per coordinate", c.MedianAbsSkewness, c.MedianAbsSkewnessCI, 0, ref.AbsSkewness+MarginAbsSkewness, refName, ref.AbsSkewness), "|γ|/√B", c.PredictedMedianAbsSkewness),
		withLimit(effect("median excess kurtosis per coordinate", c.MedianExcessKurtosis, c.MedianExcessKurtosisCI, ref.ExcessKurtosis-MarginExcessKurtosis, ref.ExcessKurtosis+MarginExcessKurtosis, refName, ref.ExcessKurtosis), "κ/B", c.PredictedMedianExcessKurtosis),
		effect("median KS distance along random directions", rd.MedianKS, ciOr(rd.MedianKSCI, rd.MedianKS), 0, ref.KS+MarginKS, refName, ref.KS),
		withLimit(effect("median excess kurtosis along random directions", rd.MedianExcessKurtosis, rd.MedianExcessKurtosisCI, ref.ExcessKurtosis-MarginExcessKurtosis, ref.ExcessKurtosis+MarginExcessKurtosis, refName, ref.ExcessKurtosis), "κ/B", rd.PredictedMedianExcessKurtosis),
	}
	if pd, pr := e.PrincipalDirections, e.GaussianReferencePrincipal; pd != nil && pr != nil {
		prName := fmt.Sprintf("a Gaussian sample of %d", pr.N)
		out = append(out,
			effect("median KS distance along the top principal directions", pd.MedianKS, ciOr(pd.MedianKSCI, pd.MedianKS), 0, pr.KS+MarginKS, prName, pr.KS),
			withLimit(effect("median excess kurtosis along the top principal directions", pd.MedianExcessKurtosis, pd.MedianExcessKurtosisCI, pr.ExcessKurtosis-MarginExcessKurtosis, pr.ExcessKurtosis+MarginExcessKurtosis, prName, pr.ExcessKurtosis), "κ/B", pd.PredictedMedianExcessKurtosis))
	}
	return out
}

func ciOr(ci *[2]float64, v float64) [2]float64 {
	if ci == nil {
		return [2]float64{v, v}
	}
	return *ci
}

// gaussianDetails are further numbers shown beside the Gaussian claim.
func gaussianDetails(e *noiseshape.EffectSizes) []report.Quantity {
	c, rd := e.Coordinates, e.RandomDirections
	out := []report.Quantity{
		{Name: "central-limit value |γ|/√B of the median |skewness| per coordinate (its limit with unlimited minibatches)", Value: c.PredictedMedianAbsSkewness},
		{Name: "central-limit prediction κ/B of the median excess kurtosis per coordinate", Value: c.PredictedMedianExcessKurtosis},
		{Name: "central-limit prediction of the median excess kurtosis along random directions", Value: rd.PredictedMedianExcessKurtosis},
		{Name: "median KS distance per coordinate", Value: c.MedianKS},
		{Name: "median |skewness| along random directions", Value: rd.MedianAbsSkewness},
		{Name: "coordinates analysed", Value: float64(c.Samples)},
		{Name: "random directions", Value: float64(rd.Samples)},
		{Name: "bootstrap resamples", Value: float64(e.Bootstrap)},
	}
	if pd := e.PrincipalDirections; pd != nil {
		out = append(out, report.Quantity{Name: "central-limit prediction of the median excess kurtosis along the principal directions", Value: pd.PredictedMedianExcessKurtosis})
	}
	return out
}
