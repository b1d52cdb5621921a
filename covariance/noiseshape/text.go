package noiseshape

import (
	"fmt"
	"io"

	"github.com/sgn-project/sgn/internal/atomicfile"
	"github.com/sgn-project/sgn/internal/stats"
)

// RemoveOutputs removes an earlier run's files (noise.json, the CSVs and
// the figures) from dir, so that a run stopped half-way never leaves a mix
// of two, and returns the names removed.
func RemoveOutputs(dir string) ([]string, error) {
	return atomicfile.RemoveStale(dir, ReportFile, SummaryCSVFile, CoordsCSVFile, PanelsBase+".png", PanelsBase+".svg",
		VsBatchBase+".png", VsBatchBase+".svg")
}

// WriteText writes the summary of sgn noise: per B, the pooled tail index
// across parameters (Simsekli et al. 2019) and the effect sizes across
// minibatches (Xie et al. 2021) beside the Gaussian reference and the
// central-limit prediction κ/B; then the files of r.
func (r *Report) WriteText(w io.Writer) error {
	a := r.Analysis
	fmt.Fprintf(w, "P = %d, N = %d, %d minibatches per B, ‖ḡ‖ = %.4g\n", a.Params, a.Samples, a.Minibatches, a.FullGradientNorm)
	fmt.Fprintf(w, "%6s  %-12s  %-34s  %-44s\n", "B", "pooled α̂", "per coordinate: median g₂ (κ/B)", "random directions: |g₁|, g₂, KS (Gaussian KS)")
	capped := false
	for _, b := range a.Batches {
		ap := "n/a"
		if p := b.AcrossParams.Pooled; p != nil && p.TailIndex != nil {
			ap = fmt.Sprintf("%.2f", *p.TailIndex)
			if p.TailIndexCapped != nil && *p.TailIndexCapped {
				ap, capped = ap+" capped", true
			}
		}
		co, rd := "n/a", "n/a"
		if e := b.AcrossMinibatches.EffectSize; e != nil {
			if c := e.Coordinates; c != nil {
				co = fmt.Sprintf("%.3g [%.3g, %.3g] (%.3g)", c.MedianExcessKurtosis, c.MedianExcessKurtosisCI[0], c.MedianExcessKurtosisCI[1], c.PredictedMedianExcessKurtosis)
			}
			if d := e.RandomDirections; d != nil && e.GaussianReference != nil {
				rd = fmt.Sprintf("%.3f, %.3f, %.4f (%.4f)", d.MedianAbsSkewness, d.MedianExcessKurtosis, d.MedianKS, e.GaussianReference.KS)
			}
		}
		fmt.Fprintf(w, "%6d  %-12s  %-34s  %-44s\n", b.BatchSize, ap, co, rd)
	}
	if capped {
		fmt.Fprintf(w, "capped: α̂ hit its cap %g (the estimate of 1/α fell at or below 1/2 and was clipped): a bound, not a measurement\n", stats.MaxTailIndex)
	}
	f := r.Files
	_, err := fmt.Fprintf(w, "files: %s, %s, %s, %s.png/.svg, %s.png/.svg\n", f["json"], f["csv"], f["coords_csv"], f["panels"], f["vs_b"])
	return err
}
