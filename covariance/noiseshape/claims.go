package noiseshape

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"

	"github.com/sgn-project/sgn/internal/report"
)

// Margins of "near-Gaussian": the band around the Gaussian reference of
// the same size within which an effect size counts as Gaussian. A gamma
// law of shape 64 has skewness 0.25; the logistic law, close to normal to
// the eye, has excess kurtosis 1.2; a KS distance of 0.02 is two
// percentage points of probability anywhere on the distribution function.
const (
	MarginAbsSkewness    = 0.25
	MarginExcessKurtosis = 1.0
	MarginKS             = 0.02
	// MarginTailIndex is how far below the tail index of a Gaussian sample
	// of the same size the pooled α̂ must lie to count as heavy-tailed.
	MarginTailIndex = 0.3
	// MinimumGradNorm is the regime check "at a minimum": ‖∇L‖ ≤ 1e-5 for
	// the loss the point minimises (CE + (λ/2)‖θ‖² for a minimum written by
	// sgn minimum), ten times the minimiser's tolerance.
	MinimumGradNorm = 1e-5
)

// Claim id prefixes; the batch size follows ("noise-gaussian-b64"), and
// "-trained" when the point is not a minimum written by sgn minimum.
const (
	ClaimGaussian = "noise-gaussian"
	ClaimPooled   = "noise-pooled-heavy"
)

const (
	statementGaussian = "Across minibatches the stochastic gradient noise at batch size B is Gaussian (Xie, Sato & Sugiyama 2021): its skewness, excess kurtosis and KS distance to the fitted normal are those of a Gaussian sample of the same size, per coordinate and along random and principal directions."
	statementPooled   = "Heavy tails appear only when the noise is pooled across parameters (Simsekli et al. 2019's view): pooled, its tail index is well below 2, while across minibatches it is near-Gaussian."
	produceNoise      = "make minimum && bin/sgn noise --checkpoint out/equilibrium/minimum.safetensors --first 2000 --batch-size 16,64,256 --out out/noise-minimum"
	reachMinimum      = "measure at the true minimum: sgn minimum, then sgn noise --checkpoint minimum.safetensors (make paper does both)"
)

// paperBatchSizes are the batch sizes make paper measures, the ids of the
// unmeasured claims.
var paperBatchSizes = []int{16, 64, 256}

// Claims judges, from dir/noise.json, for every batch size B, whether the
// noise is Gaussian across minibatches (Xie et al. 2021) and whether heavy
// tails appear only when pooling parameters (Simsekli et al. 2019), by
// effect size against the Gaussian reference and the margins above. The
// regime checks: the point is a minimum (‖∇L‖ ≤ MinimumGradNorm), and M is
// large enough that a Gaussian sample's own spread (its 97.5% point less
// its median) stays inside each margin. Without the file it returns the
// claims of make paper's batch sizes unmeasured; a file that cannot be
// read is an error naming it.
func Claims(dir string) ([]report.Claim, error) {
	r, err := Read(dir)
	if errors.Is(err, fs.ErrNotExist) {
		var out []report.Claim
		for _, b := range paperBatchSizes {
			out = append(out,
				report.Unmeasured(fmt.Sprintf("%s-b%d", ClaimGaussian, b), report.NoiseShape, statementGaussian, ReportFile+" at the minimum", produceNoise),
				report.Unmeasured(fmt.Sprintf("%s-b%d", ClaimPooled, b), report.NoiseShape, statementPooled, ReportFile+" at the minimum", produceNoise))
		}
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, ReportFile)
	a := r.Analysis
	src := report.Source{Path: path, Version: r.Version, Seeds: map[string]uint64{"seed": a.Seed}}
	decay := r.Model.Metrics["weight_decay"]
	suffix, at := "-trained", "the trained checkpoint "+r.Checkpoint
	if decay > 0 {
		suffix, at = "", fmt.Sprintf("the minimum θ₀ of CE + (λ/2)‖θ‖², λ = %g (%s)", decay, r.Checkpoint)
	}
	figGauss, figPanels := beside(dir, VsBatchBase+".svg"), beside(dir, PanelsBase+".svg")
	var out []report.Claim
	for _, b := range a.Batches {
		e := b.AcrossMinibatches.EffectSize
		if e == nil || e.Coordinates == nil || e.RandomDirections == nil || e.GaussianReference == nil {
			continue
		}
		regime := a.regime(e)
		g := report.Claim{ID: fmt.Sprintf("%s-b%d%s", ClaimGaussian, b.BatchSize, suffix), Conclusion: report.NoiseShape,
			Statement: statementGaussian, At: fmt.Sprintf("%s, B = %d", at, b.BatchSize), Figure: figGauss, Sources: []report.Source{src}}
		g.Regime = regime
		g.Effects = gaussianEffects(e)
		g.Details = gaussianDetails(e)
		g.Rule = fmt.Sprintf("near-Gaussian (agrees) when every effect's 95%% bootstrap interval lies within its margin of the Gaussian reference of the same size (|g₁| ≤ ref + %g, |g₂ − ref| ≤ %g, KS ≤ ref + %g); disagrees when one lies wholly outside; inconclusive when one straddles; not-testable off a minimum (‖∇L‖ ≤ %g) or when M is too small for the margins",
			MarginAbsSkewness, MarginExcessKurtosis, MarginKS, MinimumGradNorm)
		g.Judge()
		c, rd := e.Coordinates, e.RandomDirections
		g.Finding = fmt.Sprintf("At B = %d the median excess kurtosis per coordinate is %.3g [%.3g, %.3g] (central limit κ/B: %.3g), along random directions %.3g; the median KS distance along random directions is %.3g against %.3g for a Gaussian sample of %d.",
			b.BatchSize, c.MedianExcessKurtosis, c.MedianExcessKurtosisCI[0], c.MedianExcessKurtosisCI[1], c.PredictedMedianExcessKurtosis,
			rd.MedianExcessKurtosis, rd.MedianKS, e.GaussianReference.KS, e.GaussianReference.N)
		out = append(out, g)

		p := report.Claim{ID: fmt.Sprintf("%s-b%d%s", ClaimPooled, b.BatchSize, suffix), Conclusion: report.NoiseShape,
			Statement: statementPooled, At: g.At, Figure: figPanels, Sources: []report.Source{src}}
		p.Regime = regime
		ap := b.AcrossParams
		pooled, refAlpha := math.NaN(), 2.0
		if ap.Pooled != nil && ap.Pooled.TailIndex != nil {
			pooled = *ap.Pooled.TailIndex
		}
		if ap.ReferencePooled != nil && ap.ReferencePooled.TailIndex != nil {
			refAlpha = *ap.ReferencePooled.TailIndex
		}
		p.Effects = append([]report.Effect{{Name: "tail index α̂ of the pooled noise (all coordinates of the pooled minibatches)", Value: pooled,
			Interval: report.Point(pooled), Prediction: report.Below(refAlpha - MarginTailIndex),
			Reference: &report.Quantity{Name: "α̂ of a Gaussian sample of the same size", Value: refAlpha}}},
			gaussianEffects(e)[1:3]...) // per-coordinate g₂ and random-direction KS: near-Gaussian across minibatches
		if s := ap.PooledStandardized; s != nil && s.TailIndex != nil {
			p.Details = append(p.Details, report.Quantity{Name: "α̂ of the same pool with each coordinate divided by its own standard deviation", Value: *s.TailIndex})
		}
		p.Rule = fmt.Sprintf("agrees when the pooled α̂ lies more than %g below a Gaussian sample's and, across minibatches, the per-coordinate g₂ and the random-direction KS distance are within their margins of the Gaussian reference (as in %s); disagrees when one of these lies wholly on the other side", MarginTailIndex, ClaimGaussian)
		p.Judge()
		p.Finding = fmt.Sprintf("At B = %d the pooled tail index is %.3g (a Gaussian sample: %.3g); across minibatches the median excess kurtosis per coordinate is %.3g.", b.BatchSize, pooled, refAlpha, c.MedianExcessKurtosis)
		out = append(out, p)
	}
	return out, nil
}

// beside returns dir/name if it exists, else "".
func beside(dir, name string) string {
	p := filepath.Join(dir, name)
	if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
		return p
	}
	return ""
}

// regime returns the regime checks of the noise claims at one batch size.
func (a *Analysis) regime(e *EffectSizes) []report.RegimeCheck {
	loss := "CE"
	if a.WeightDecay > 0 {
		loss = "CE + (λ/2)‖θ‖²"
	}
	checks := []report.RegimeCheck{report.AtMost("‖∇L‖ of "+loss+" over the selection", a.GradNorm, MinimumGradNorm).WithReach(reachMinimum)}
	spread := func(name string, ref *Reference) {
		if ref == nil {
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
				WithReach("more minibatches (--minibatches)"))
		}
	}
	spread("minibatches", e.GaussianReference)
	spread("minibatches (principal directions)", e.GaussianReferencePrincipal)
	return checks
}

// effect builds one judged effect: the median with its interval against
// the band [lo, hi] around the Gaussian reference ref.
func effect(name string, v float64, ci [2]float64, lo, hi float64, ref string, refV float64, clt *float64) report.Effect {
	e := report.Effect{Name: name, Value: v, Interval: report.Interval{Lo: ci[0], Hi: ci[1]}, Prediction: report.Interval{Lo: lo, Hi: hi},
		Reference: &report.Quantity{Name: ref, Value: refV}}
	if clt != nil {
		e.Reference = &report.Quantity{Name: "central-limit prediction κ/B from the per-sample gradients", Value: *clt}
	}
	return e
}

// gaussianEffects are the judged effect sizes of the Gaussian claim:
// per-coordinate |g₁| and g₂, random-direction KS and g₂, principal-
// direction KS and g₂.
func gaussianEffects(e *EffectSizes) []report.Effect {
	ref := e.GaussianReference
	c, rd := e.Coordinates, e.RandomDirections
	refName := fmt.Sprintf("a Gaussian sample of %d", ref.N)
	ck, rk := c.PredictedMedianExcessKurtosis, rd.PredictedMedianExcessKurtosis
	out := []report.Effect{
		effect("median |skewness| per coordinate", c.MedianAbsSkewness, c.MedianAbsSkewnessCI, 0, ref.AbsSkewness+MarginAbsSkewness, refName, ref.AbsSkewness, nil),
		effect("median excess kurtosis per coordinate", c.MedianExcessKurtosis, c.MedianExcessKurtosisCI, ref.ExcessKurtosis-MarginExcessKurtosis, ref.ExcessKurtosis+MarginExcessKurtosis, refName, ref.ExcessKurtosis, &ck),
		effect("median KS distance along random directions", rd.MedianKS, ciOr(rd.MedianKSCI, rd.MedianKS), 0, ref.KS+MarginKS, refName, ref.KS, nil),
		effect("median excess kurtosis along random directions", rd.MedianExcessKurtosis, rd.MedianExcessKurtosisCI, ref.ExcessKurtosis-MarginExcessKurtosis, ref.ExcessKurtosis+MarginExcessKurtosis, refName, ref.ExcessKurtosis, &rk),
	}
	if pd, pr := e.PrincipalDirections, e.GaussianReferencePrincipal; pd != nil && pr != nil {
		pk := pd.PredictedMedianExcessKurtosis
		prName := fmt.Sprintf("a Gaussian sample of %d", pr.N)
		out = append(out,
			effect("median KS distance along the top principal directions", pd.MedianKS, ciOr(pd.MedianKSCI, pd.MedianKS), 0, pr.KS+MarginKS, prName, pr.KS, nil),
			effect("median excess kurtosis along the top principal directions", pd.MedianExcessKurtosis, pd.MedianExcessKurtosisCI, pr.ExcessKurtosis-MarginExcessKurtosis, pr.ExcessKurtosis+MarginExcessKurtosis, prName, pr.ExcessKurtosis, &pk))
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
func gaussianDetails(e *EffectSizes) []report.Quantity {
	c := e.Coordinates
	return []report.Quantity{
		{Name: "median KS distance per coordinate", Value: c.MedianKS},
		{Name: "median per-sample excess kurtosis κ per coordinate", Value: c.PerSampleMedianExcessKurtosis},
		{Name: "median |skewness| along random directions", Value: e.RandomDirections.MedianAbsSkewness},
		{Name: "coordinates analysed", Value: float64(c.Samples)},
		{Name: "random directions", Value: float64(e.RandomDirections.Samples)},
		{Name: "bootstrap resamples", Value: float64(e.Bootstrap)},
	}
}
