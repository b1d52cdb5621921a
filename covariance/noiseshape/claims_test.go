package noiseshape

import (
	"encoding/json"
	"os"
	"path/filepath"

	"testing"

	"github.com/sgn-project/sgn/internal/report"
	"github.com/sgn-project/sgn/internal/stats"
)

// claimAnalysis returns an Analysis of one batch size whose effect sizes
// are the given per-coordinate excess kurtosis (with interval) beside a
// Gaussian reference of 1000 values, everything else Gaussian.
func claimAnalysis(t *testing.T, kurt float64, ci [2]float64, grad float64, pooledAlpha float64) *Analysis {
	t.Helper()
	sim, err := stats.GaussianShapeReference(1000, 200, 1)
	if err != nil {
		t.Fatal(err)
	}
	ref := &Reference{N: 1000, AbsSkewness: sim.AbsSkewness.Median, ExcessKurtosis: sim.ExcessKurtosis.Median, KS: sim.KS.Median, Simulation: sim}
	gauss := func() *Effect {
		ks := [2]float64{ref.KS - 0.002, ref.KS + 0.002}
		return &Effect{Samples: 100, N: 1000, MedianAbsSkewness: ref.AbsSkewness, MedianAbsSkewnessCI: [2]float64{ref.AbsSkewness - 0.01, ref.AbsSkewness + 0.01},
			MedianExcessKurtosis: 0, MedianExcessKurtosisCI: [2]float64{-0.1, 0.1}, MedianKS: ref.KS, MedianKSCI: &ks}
	}
	c := gauss()
	c.MedianExcessKurtosis, c.MedianExcessKurtosisCI = kurt, ci
	alpha := pooledAlpha
	two := 2.0
	return &Analysis{Minibatches: 1000, Seed: 1, GradNorm: grad, WeightDecay: 1e-3, Batches: []AtBatch{{BatchSize: 64,
		AcrossParams:      AcrossParamsView{Pooled: &SampleStats{TailIndex: &alpha}, ReferencePooled: &SampleStats{TailIndex: &two}},
		AcrossMinibatches: AcrossMinibatchesView{EffectSize: &EffectSizes{Coordinates: c, RandomDirections: gauss(), GaussianReference: ref}}}}}
}

// judge writes the analysis as noise.json and returns its two claims.
func judge(t *testing.T, a *Analysis) (gauss, pooled report.Claim) {
	t.Helper()
	dir := t.TempDir()
	r := &Report{Version: "test", Checkpoint: "minimum.safetensors", Analysis: a}
	r.Model.Metrics = map[string]float64{"weight_decay": 1e-3}
	if err := writeJSONOnly(r, dir); err != nil {
		t.Fatal(err)
	}
	cs, err := Claims(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 2 || cs[0].ID != "noise-gaussian-b64" || cs[1].ID != "noise-pooled-heavy-b64" {
		t.Fatalf("claims %+v", cs)
	}
	return cs[0], cs[1]
}

func TestClaimsRules(t *testing.T) {
	for _, c := range []struct {
		name        string
		kurt        float64
		ci          [2]float64
		grad, alpha float64
		gauss, pool report.Verdict
	}{
		{"near-Gaussian, pooled heavy", 0.3, [2]float64{0.2, 0.4}, 1e-7, 1.2, report.Agrees, report.Agrees},
		{"heavy per coordinate", 2.4, [2]float64{2.2, 2.6}, 1e-7, 1.2, report.Disagrees, report.Disagrees},
		{"interval straddles the margin", 0.95, [2]float64{0.8, 1.1}, 1e-7, 1.2, report.Inconclusive, report.Inconclusive},
		{"pooled not heavy", 0.3, [2]float64{0.2, 0.4}, 1e-7, 1.95, report.Agrees, report.Disagrees},
		{"not at a minimum", 0.3, [2]float64{0.2, 0.4}, 0.2, 1.2, report.NotTestable, report.NotTestable},
	} {
		g, p := judge(t, claimAnalysis(t, c.kurt, c.ci, c.grad, c.alpha))
		if g.Verdict != c.gauss || p.Verdict != c.pool {
			t.Errorf("%s: verdicts %s, %s; want %s, %s (reason %q)", c.name, g.Verdict, p.Verdict, c.gauss, c.pool, g.Reason)
		}
		if c.gauss == report.NotTestable && g.Reason == "" {
			t.Errorf("%s: no reason", c.name)
		}
	}
}

func TestClaimsUnmeasured(t *testing.T) {
	cs, err := Claims(t.TempDir())
	if err != nil || len(cs) != 6 || cs[0].Verdict != report.Inconclusive || cs[0].Produce == "" {
		t.Errorf("claims without noise.json: %+v, %v", cs, err)
	}
}

// writeJSONOnly writes r as dir/noise.json without the figures (the
// synthetic analyses of the rule tests hold no samples).
func writeJSONOnly(r *Report, dir string) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, ReportFile), b, 0o644)
}
