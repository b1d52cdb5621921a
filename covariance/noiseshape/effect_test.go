package noiseshape

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/sgn-project/sgn/internal/stats"
)

// iidOracle returns a table oracle whose N per-sample gradients have P
// independent coordinates drawn from draw, from the PCG stream (seed, 1).
func iidOracle(n, p int, seed uint64, draw func(r *rand.Rand) float64) *tableOracle {
	return drawnOracle(n, p, rand.New(rand.NewPCG(seed, 1)), draw)
}

// drawnOracle returns a table oracle of N per-sample gradients of P
// coordinates, each drawn from draw with r in turn.
func drawnOracle(n, p int, r *rand.Rand, draw func(r *rand.Rand) float64) *tableOracle {
	o := &tableOracle{n: n, p: p, g: make([]float64, n*p)}
	for i := range o.g {
		o.g[i] = draw(r)
	}
	return o
}

// exactColumnShape returns the skewness and excess kurtosis of column j of
// the oracle's table over its N rows (the population of the minibatch
// draws).
func exactColumnShape(o *tableOracle, j int) (g1, g2 float64) {
	col := make([]float64, o.n)
	for i := range o.n {
		col[i] = o.g[i*o.p+j]
	}
	g1, _ = stats.Skewness(col)
	g2, _ = stats.ExcessKurtosis(col)
	return g1, g2
}

// TestEffectSizesCentralLimit: per-sample gradients with centred
// exponential coordinates (γ = 2, κ = 6). The central-limit prediction is
// exact — the minibatch mean of B draws with replacement has excess
// kurtosis κⱼ/B, κⱼ the kurtosis of column j over the N rows — and the
// measured medians over coordinates lie within their bootstrap intervals
// of it. (At B = 1 or 2 they would not: g₂ of a law with κ of several
// units is biased down by O(1/M), the eighth moment's share.)
func TestEffectSizesCentralLimit(t *testing.T) {
	o := iidOracle(3000, 24, 3, func(r *rand.Rand) float64 { return r.ExpFloat64() - 1 })
	rep, err := Analyze(o, Options{BatchSizes: []int{8, 32}, Minibatches: 1000, Seed: 5, Workers: 2, Directions: 20, Principal: 3}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var g1s, g2s []float64
	for j := range o.p {
		g1, g2 := exactColumnShape(o, j)
		g1s, g2s = append(g1s, math.Abs(g1)), append(g2s, g2)
	}
	slices.Sort(g1s)
	slices.Sort(g2s)
	for _, at := range rep.Batches {
		b := float64(at.BatchSize)
		c := at.AcrossMinibatches.EffectSize.Coordinates
		wantK, wantS := stats.QuantileSorted(g2s, 0.5)/b, stats.QuantileSorted(g1s, 0.5)/math.Sqrt(b)
		if math.Abs(c.PredictedMedianExcessKurtosis-wantK) > 1e-9 || math.Abs(c.PredictedMedianAbsSkewness-wantS) > 1e-9 {
			t.Errorf("B = %g: predicted median κ/B %v, |γ|/√B %v; want %v, %v", b, c.PredictedMedianExcessKurtosis, c.PredictedMedianAbsSkewness, wantK, wantS)
		}
		t.Logf("B = %g: median g₂ %.3f %v (κ/B %.3f), median |g₁| %.3f %v (|γ|/√B %.3f)", b, c.MedianExcessKurtosis, c.MedianExcessKurtosisCI, wantK,
			c.MedianAbsSkewness, c.MedianAbsSkewnessCI, wantS)
		if wantK < c.MedianExcessKurtosisCI[0] || wantK > c.MedianExcessKurtosisCI[1] {
			t.Errorf("B = %g: κ/B = %.3f outside the interval %v of the median g₂ %.3f", b, wantK, c.MedianExcessKurtosisCI, c.MedianExcessKurtosis)
		}
		if wantS < c.MedianAbsSkewnessCI[0] || wantS > c.MedianAbsSkewnessCI[1] {
			t.Errorf("B = %g: |γ|/√B = %.3f outside the interval %v of the median |g₁| %.3f", b, wantS, c.MedianAbsSkewnessCI, c.MedianAbsSkewness)
		}
		for _, cs := range at.coordShapes {
			g1, g2 := exactColumnShape(o, cs.Param)
			if math.Abs(cs.PerSampleSkewness-g1) > 1e-9 || math.Abs(cs.PerSampleExcessKurtosis-g2) > 1e-9 {
				t.Fatalf("coordinate %d: per-sample γ, κ = %v, %v; want %v, %v", cs.Param, cs.PerSampleSkewness, cs.PerSampleExcessKurtosis, g1, g2)
			}
		}
		// Along a random direction v of independent coordinates of equal
		// law the per-sample kurtosis is κ·Σvⱼ⁴ (cumulants of a weighted
		// sum), so it lies between κ/P and κ; the measured one follows κᵥ/B.
		rd := at.AcrossMinibatches.EffectSize.RandomDirections
		if rd.PerSampleMedianExcessKurtosis < 6.0/24*0.5 || rd.PerSampleMedianExcessKurtosis > 6 {
			t.Errorf("B = %g: per-sample kurtosis along random directions %v", b, rd.PerSampleMedianExcessKurtosis)
		}
		if p := rd.PredictedMedianExcessKurtosis; p < rd.MedianExcessKurtosisCI[0] || p > rd.MedianExcessKurtosisCI[1] {
			t.Errorf("B = %g: random directions: κ/B = %.3f outside %v", b, p, rd.MedianExcessKurtosisCI)
		}
	}
}

// TestEffectSizesGaussianNoiseMatchesReference: Gaussian per-sample
// gradients give Gaussian minibatch noise; the effect sizes along every
// view sit at the Gaussian reference of the same size, within their
// intervals.
func TestEffectSizesGaussianNoiseMatchesReference(t *testing.T) {
	o := iidOracle(4000, 30, 4, func(r *rand.Rand) float64 { return r.NormFloat64() })
	rep, err := Analyze(o, Options{BatchSizes: []int{4}, Minibatches: 1000, Seed: 6, Workers: 3, Directions: 30, Principal: 4}, nil)
	if err != nil {
		t.Fatal(err)
	}
	e := rep.Batches[0].AcrossMinibatches.EffectSize
	for _, c := range []struct {
		name string
		eff  *Effect
		ref  *Reference
	}{{"coordinates", e.Coordinates, e.GaussianReference}, {"random directions", e.RandomDirections, e.GaussianReference},
		{"principal directions", e.PrincipalDirections, e.GaussianReferencePrincipal}} {
		t.Logf("%s: |g₁| %.4f %v (ref %.4f), g₂ %.4f %v (ref %.4f), KS %.4f %v (ref %.4f)", c.name,
			c.eff.MedianAbsSkewness, c.eff.MedianAbsSkewnessCI, c.ref.AbsSkewness, c.eff.MedianExcessKurtosis, c.eff.MedianExcessKurtosisCI, c.ref.ExcessKurtosis,
			c.eff.MedianKS, c.eff.MedianKSCI, c.ref.KS)
		if c.ref.AbsSkewness < c.eff.MedianAbsSkewnessCI[0] || c.ref.AbsSkewness > c.eff.MedianAbsSkewnessCI[1] ||
			c.ref.ExcessKurtosis < c.eff.MedianExcessKurtosisCI[0] || c.ref.ExcessKurtosis > c.eff.MedianExcessKurtosisCI[1] {
			t.Errorf("%s: the Gaussian reference lies outside the intervals", c.name)
		}
		if ci := c.eff.MedianKSCI; ci != nil && (c.ref.KS < ci[0] || c.ref.KS > ci[1]) {
			t.Errorf("%s: the reference KS %.4f lies outside %v", c.name, c.ref.KS, *ci)
		}
	}
	if e.GaussianReference.N != 1000 || e.GaussianReferencePrincipal.N != 500 || len(e.Principal) != 4 {
		t.Errorf("reference sizes %d, %d; %d principal directions", e.GaussianReference.N, e.GaussianReferencePrincipal.N, len(e.Principal))
	}
}

// TestPrincipalDirectionFindsTheDominantDirection: per-sample gradients
// aᵢu + small isotropic noise with Laplace aᵢ (κ = 3): the top principal
// direction is u, and the per-sample kurtosis along it is that of aᵢu + ε.
func TestPrincipalDirectionFindsTheDominantDirection(t *testing.T) {
	const n, p = 3000, 40
	r := rand.New(rand.NewPCG(9, 9))
	u := make([]float64, p)
	for j := range u {
		u[j] = r.NormFloat64()
	}
	var nn float64
	for _, v := range u {
		nn += v * v
	}
	for j := range u {
		u[j] /= math.Sqrt(nn)
	}
	o := &tableOracle{n: n, p: p, g: make([]float64, n*p)}
	for i := range n {
		a := r.ExpFloat64()
		if r.IntN(2) == 0 {
			a = -a
		}
		for j := range p {
			o.g[i*p+j] = 5*a*u[j] + 0.1*r.NormFloat64()
		}
	}
	rep, err := Analyze(o, Options{BatchSizes: []int{1}, Minibatches: 400, Seed: 2, Workers: 2, Directions: 10, Principal: 2}, nil)
	if err != nil {
		t.Fatal(err)
	}
	pd := rep.Batches[0].AcrossMinibatches.EffectSize.Principal[0]
	var dot float64
	for j := range u {
		dot += pd.direction[j] * u[j]
	}
	// The exact per-sample shape along the found direction v.
	proj := make([]float64, n)
	for i := range n {
		for j := range p {
			proj[i] += pd.direction[j] * o.g[i*p+j]
		}
	}
	g2, _ := stats.ExcessKurtosis(proj)
	if math.Abs(dot) < 0.999 || math.Abs(pd.PerSampleExcessKurtosis-g2) > 1e-9 || math.Abs(pd.PredictedExcessKurtosis-g2) > 1e-9 {
		t.Errorf("|v·u| = %.5f, per-sample κ %v predicted %v; want ≈ 1, %v", math.Abs(dot), pd.PerSampleExcessKurtosis, pd.PredictedExcessKurtosis, g2)
	}
	if pd.ExcessKurtosis < 1.5 {
		t.Errorf("measured g₂ along the Laplace direction at B = 1: %v, want near 3", pd.ExcessKurtosis)
	}
}
