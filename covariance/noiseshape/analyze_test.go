package noiseshape

import (
	"bytes"
	"cmp"
	"encoding/csv"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/sgn-project/sgn/internal/stats"
)

// tableOracle is an exact synthetic oracle: sample i has the per-sample
// gradient row i of g (N×P, row-major), and MeanGradient averages rows.
type tableOracle struct {
	n, p int
	g    []float64
	fail func(idx []int) error // optional injected failure
}

func (o *tableOracle) Dim() int        { return o.p }
func (o *tableOracle) NumSamples() int { return o.n }

func (o *tableOracle) MeanGradient(dst []float64, idx []int) error {
	if o.fail != nil {
		if err := o.fail(idx); err != nil {
			return err
		}
	}
	clear(dst)
	for _, i := range idx {
		row := o.g[i*o.p : (i+1)*o.p]
		for j, v := range row {
			dst[j] += v
		}
	}
	for j := range dst {
		dst[j] /= float64(len(idx))
	}
	return nil
}

// leastSquaresOracle returns the per-sample gradients of the linear
// least-squares loss ½(xᵢᵀθ − yᵢ)² at θ: gᵢ = xᵢ(xᵢᵀθ − yᵢ), with
// xᵢⱼ ~ N(0, sⱼ²) for per-coordinate scales s (so the coordinates' noise
// scales differ as in a network) and yᵢ = xᵢᵀθ* + N(0, 1).
func leastSquaresOracle(n int, scales []float64, seed uint64) *tableOracle {
	p := len(scales)
	r := rand.New(rand.NewPCG(seed, 7))
	theta, star := make([]float64, p), make([]float64, p)
	for j := range p {
		star[j] = r.NormFloat64() / float64(p)
		theta[j] = star[j] + 0.1*r.NormFloat64()/float64(p)
	}
	o := &tableOracle{n: n, p: p, g: make([]float64, n*p)}
	x := make([]float64, p)
	for i := range n {
		var pred, truth float64
		for j := range p {
			x[j] = scales[j] * r.NormFloat64()
			pred += x[j] * theta[j]
			truth += x[j] * star[j]
		}
		res := pred - (truth + r.NormFloat64())
		for j := range p {
			o.g[i*p+j] = x[j] * res
		}
	}
	return o
}

// exactMoments returns ḡ and Σ = (1/N)Σᵢ gᵢgᵢᵀ − ḡḡᵀ of a table oracle.
func exactMoments(o *tableOracle) (gbar []float64, sigma [][]float64) {
	gbar = make([]float64, o.p)
	for i := range o.n {
		for j := range o.p {
			gbar[j] += o.g[i*o.p+j] / float64(o.n)
		}
	}
	sigma = make([][]float64, o.p)
	for a := range o.p {
		sigma[a] = make([]float64, o.p)
		for b := range o.p {
			var s float64
			for i := range o.n {
				s += (o.g[i*o.p+a] - gbar[a]) * (o.g[i*o.p+b] - gbar[b])
			}
			sigma[a][b] = s / float64(o.n)
		}
	}
	return gbar, sigma
}

// TestMinibatchSamplerMoments is an exact case: with N = 5 samples
// of P = 3 known per-sample gradients, minibatches of B = 4 drawn with
// replacement must give E[g_B] = ḡ and Cov(g_B) = Σ/B. Over T = 40,000
// minibatches each mean and covariance entry must lie within 4.5 Monte
// Carlo standard errors, the errors computed from the draws themselves
// (the standard deviation of ξ_a, respectively of ξ_aξ_b, over √T).
func TestMinibatchSamplerMoments(t *testing.T) {
	o := &tableOracle{n: 5, p: 3, g: []float64{
		1, 0, 2,
		-1, 3, 0.5,
		4, 1, -2,
		0, -2, 1,
		2, 2, 2,
	}}
	gbar, sigma := exactMoments(o)
	const b, T = 4, 40000
	idx := make([]int, b)
	xi := make([]float64, o.p)
	var s1 [3]float64
	var s2, s4 [3][3]float64
	for tt := range T {
		if err := minibatchNoise(o, gbar, 42, tt, idx, xi); err != nil {
			t.Fatal(err)
		}
		for a := range 3 {
			s1[a] += xi[a]
			for c := range 3 {
				s2[a][c] += xi[a] * xi[c]
				s4[a][c] += xi[a] * xi[a] * xi[c] * xi[c]
			}
		}
	}
	for a := range 3 {
		mean := s1[a] / T
		se := math.Sqrt((s2[a][a]/T - mean*mean) / T)
		if math.Abs(mean) > 4.5*se {
			t.Errorf("E[ξ_%d] = %.5f, want 0 ± %.5f (E[g_B] = ḡ)", a, mean, 4.5*se)
		}
		for c := range 3 {
			cov := s2[a][c] / T // E[ξ] = 0 exactly
			se := math.Sqrt((s4[a][c]/T - cov*cov) / T)
			want := sigma[a][c] / b
			if math.Abs(cov-want) > 4.5*se {
				t.Errorf("Cov(g_B)[%d][%d] = %.5f, want Σ/B = %.5f ± %.5f", a, c, cov, want, 4.5*se)
			}
		}
	}
	// The same minibatch index gives the same indices; another does not.
	i1, i2, i3 := make([]int, 8), make([]int, 8), make([]int, 8)
	minibatchIndices(i1, 1000, 9, 3)
	minibatchIndices(i2, 1000, 9, 3)
	minibatchIndices(i3, 1000, 9, 4)
	if !slices.Equal(i1, i2) || slices.Equal(i1, i3) {
		t.Errorf("minibatch indices not reproducible per (seed, B, t): %v %v %v", i1, i2, i3)
	}
}

func TestStreamIDDistinct(t *testing.T) {
	seen := map[uint64]bool{}
	for kind := range 6 {
		for _, b := range []int{0, 1, 2, 16, 1 << 28} {
			for _, i := range []int{0, 1, 2, 999, 1<<29 - 1} {
				id := streamID(kind, b, i)
				if seen[id] {
					t.Fatalf("stream collision at (%d, %d, %d)", kind, b, i)
				}
				seen[id] = true
			}
		}
	}
}

func logScales(p int, seed uint64) []float64 {
	r := rand.New(rand.NewPCG(seed, 1))
	s := make([]float64, p)
	for j := range s {
		s[j] = math.Exp(3 * r.Float64())
	}
	return s
}

func TestAnalyzeNoiseBitIdenticalAcrossWorkers(t *testing.T) {
	o := leastSquaresOracle(300, logScales(120, 3), 5)
	opt := Options{BatchSizes: []int{1, 8, 32}, Minibatches: 60, Seed: 11, Coords: 50, PoolCap: 1000}
	var outs [][]byte
	var figs []*FigureData
	for _, w := range []int{1, 2, 5} {
		opt.Workers = w
		var calls []int
		rep, err := Analyze(o, opt, func(done, total int) { calls = append(calls, done) })
		if err != nil {
			t.Fatal(err)
		}
		if want := 1 + 3*60 + 1; len(calls) != want || calls[len(calls)-1] != want {
			t.Fatalf("progress called %d times, last %v; want %d", len(calls), calls[len(calls)-1:], want)
		}
		b, err := json.Marshal(rep)
		if err != nil {
			t.Fatal(err)
		}
		outs = append(outs, b)
		figs = append(figs, rep.Figure)
	}
	for i := 1; i < len(outs); i++ {
		if !bytes.Equal(outs[0], outs[i]) || !reflect.DeepEqual(figs[0], figs[i]) {
			t.Fatalf("report differs between 1 and %d workers", []int{1, 2, 5}[i])
		}
	}
}

// TestAnalyzeNoiseMatchesDirectComputation recomputes, outside
// Analyze, the statistics it reports for the across-parameter sample
// of minibatch 0, the pooled sample and the typical coordinate, and the
// full gradient's norm, from the oracle's exact per-sample gradients.
func TestAnalyzeNoiseMatchesDirectComputation(t *testing.T) {
	o := leastSquaresOracle(400, logScales(60, 4), 6)
	// Coordinate 7 constant non-zero, coordinate 30 zero in every sample.
	for i := range o.n {
		o.g[i*o.p+7] = 0.37
		o.g[i*o.p+30] = 0
	}
	const m, b = 40, 16
	rep, err := Analyze(o, Options{BatchSizes: []int{b}, Minibatches: m, Seed: 3, Workers: 2, PoolCap: 60 * 10}, nil)
	if err != nil {
		t.Fatal(err)
	}
	gbar := checkFullGradient(t, o, rep)
	at := rep.Batches[0]
	if at.ConstantParams != 2 || at.AcrossMinibatches.ConstantCoords != 2 || !rep.CoordsAll {
		t.Fatalf("constant params %d, constant coords %d, all %v; want 2, 2, true", at.ConstantParams, at.AcrossMinibatches.ConstantCoords, rep.CoordsAll)
	}
	// Recompute the noise of every minibatch.
	xi := make([][]float64, m)
	idx := make([]int, b)
	for tt := range m {
		xi[tt] = make([]float64, o.p)
		if err := minibatchNoise(o, gbar, 3, tt, idx, xi[tt]); err != nil {
			t.Fatal(err)
		}
	}
	checkAcrossParams(t, at, xi, []int{7, 30})
	_, sigma := exactMoments(o)
	checkTypicalCoordinate(t, at, xi, sigma, b, []int{7, 30})
}

// checkFullGradient checks the full gradient's norm in rep against the
// exact mean of o's per-sample gradients and returns ḡ as Analyze forms it
// (chunked), equal to the exact mean up to rounding; the minibatch noise
// recomputed from it must give the reported statistics bit for bit.
func checkFullGradient(t *testing.T, o *tableOracle, rep *Analysis) []float64 {
	t.Helper()
	exact, _ := exactMoments(o)
	gbar, err := fullGradient(o, o.p, o.n, 1, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	var norm float64
	for j, v := range gbar {
		norm += v * v
		if math.Abs(v-exact[j]) > 1e-14*(1+math.Abs(exact[j])) {
			t.Errorf("ḡ[%d] = %v, want %v", j, v, exact[j])
		}
	}
	if rep.FullGradientNorm != math.Sqrt(norm) {
		t.Errorf("full gradient norm %v, want %v", rep.FullGradientNorm, math.Sqrt(norm))
	}
	return gbar
}

// checkAcrossParams checks the across-parameter statistics of minibatch 0
// and of the first 10 minibatches pooled against those of the noise rows
// xi without the constant coordinates.
func checkAcrossParams(t *testing.T, at AtBatch, xi [][]float64, constant []int) {
	t.Helper()
	nonConst := func(row []float64) []float64 {
		var out []float64
		for j, v := range row {
			if !slices.Contains(constant, j) {
				out = append(out, v)
			}
		}
		return out
	}
	want, _ := computeSampleStats(nonConst(xi[0]))
	if got := at.AcrossParams.OneMinibatch; !reflect.DeepEqual(got, want) {
		t.Errorf("one-minibatch stats %+v, want %+v", got, want)
	}
	if at.AcrossParams.PooledMinibatches != 10 {
		t.Fatalf("pooled minibatches %d, want PoolCap/P = 10", at.AcrossParams.PooledMinibatches)
	}
	var pooled []float64
	for tt := range 10 {
		pooled = append(pooled, nonConst(xi[tt])...)
	}
	want, _ = computeSampleStats(pooled)
	if got := at.AcrossParams.Pooled; !reflect.DeepEqual(got, want) {
		t.Errorf("pooled stats %+v, want %+v", got, want)
	}
}

// checkTypicalCoordinate checks the typical coordinate, the one with the
// median AD statistic of its standardised noise over the minibatches xi,
// its statistics, and the mean of B·Var(ξⱼ) over the coordinates that are
// not constant, against the noise and against Σⱼⱼ (Cov = Σ/B).
func checkTypicalCoordinate(t *testing.T, at AtBatch, xi [][]float64, sigma [][]float64, b float64, constant []int) {
	t.Helper()
	m := float64(len(xi))
	type ad struct {
		j int
		a float64
	}
	var ads []ad
	column := func(j int) []float64 {
		c := make([]float64, len(xi))
		for tt := range xi {
			c[tt] = xi[tt][j]
		}
		return c
	}
	standardized := func(j int) []float64 {
		z := make([]float64, len(xi))
		stats.Standardize(z, column(j))
		return z
	}
	var sumVar, sumSigma, seSq float64
	for j := range xi[0] {
		if slices.Contains(constant, j) {
			continue
		}
		r, err := stats.AndersonDarlingNormal(standardized(j))
		if err != nil {
			t.Fatal(err)
		}
		ads = append(ads, ad{j, r.Statistic})
		_, v := stats.MeanVar(column(j))
		sumVar += v
		sumSigma += sigma[j][j]
		seSq += 2 * (sigma[j][j] / b) * (sigma[j][j] / b) / (m - 1) // Var of a normal sample variance
	}
	slices.SortStableFunc(ads, func(x, y ad) int { return cmp.Compare(x.a, y.a) })
	typ := ads[(len(ads)-1)/2].j
	if at.AcrossMinibatches.TypicalCoord != typ {
		t.Fatalf("typical coordinate %d, want %d", at.AcrossMinibatches.TypicalCoord, typ)
	}
	// Its statistics are those of its standardised noise, except the tail
	// index, which is taken on the noise as it is.
	want, _ := computeSampleStats(standardized(typ))
	rawTail, err := stats.TailIndex(column(typ))
	if err != nil {
		t.Fatal(err)
	}
	want.TailIndex = &rawTail
	if got := at.AcrossMinibatches.Typical; !reflect.DeepEqual(got, want) {
		t.Errorf("typical stats %+v, want %+v", got, want)
	}
	nc := float64(len(xi[0]) - len(constant))
	if got := at.MeanVarianceTimesB; math.Abs(got-b*sumVar/nc) > 1e-12*got {
		t.Errorf("mean variance × B = %v, want %v", got, b*sumVar/nc)
	}
	// And B·Var(ξⱼ) estimates Σⱼⱼ (Cov = Σ/B), within 5 standard errors.
	if got, se := at.MeanVarianceTimesB, b*math.Sqrt(seSq)/nc; math.Abs(got-sumSigma/nc) > 5*se {
		t.Errorf("mean B·Var(ξⱼ) = %v, want mean Σⱼⱼ = %v ± %v", got, sumSigma/nc, 5*se)
	}
}

// TestAnalyzeNoiseTwoViews runs both views on a least-squares oracle with
// P = 2000 coordinates whose scales s are spread over a factor e⁴ ≈ 55.
// Each coordinate's noise over the minibatches is a mean of 32 gradients
// and close to Gaussian, so across minibatches the median α̂ must exceed
// 1.75 and the rejection fractions stay below 15% (5% is the null rate).
// Across parameters, the coordinates of one minibatch are (given the
// residuals) independent normals with standard deviations ∝ sⱼ, a scale
// mixture that the tail-index estimator reads as heavy-tailed: block sums
// of K₁ of them have variance K₁·mean(s²), so
// 1/α̂ ≈ 1/2 + (½ln mean(s²) − mean(ln s))/ln K₁ — the artefact the paper
// ascribes to Simsekli et al.'s pooling. The median α̂ over the pooled
// minibatches (K₁ = 44) and the pooled α̂ (K₁ = ⌊√(T·P)⌋) must match this
// prediction within ±0.1, and the tests must reject.
func TestAnalyzeNoiseTwoViews(t *testing.T) {
	const p, m = 2000, 100
	r := rand.New(rand.NewPCG(3, 1))
	s := make([]float64, p)
	var ms2, mls float64
	for j := range s {
		s[j] = math.Exp(4 * r.Float64())
		ms2 += s[j] * s[j] / p
		mls += math.Log(s[j]) / p
	}
	predict := func(n int) float64 {
		k1 := math.Floor(math.Sqrt(float64(n)))
		return 1 / (0.5 + (0.5*math.Log(ms2)-mls)/math.Log(k1))
	}
	o := leastSquaresOracle(1000, s, 9)
	rep, err := Analyze(o, Options{BatchSizes: []int{32}, Minibatches: m, Seed: 1, Workers: 2, Coords: 200}, nil)
	if err != nil {
		t.Fatal(err)
	}
	at := rep.Batches[0]
	ap := at.AcrossParams
	pm, pooled := ap.PerMinibatch, ap.Pooled
	c := at.AcrossMinibatches.Coordinates
	t.Logf("across params: median α̂ %.3f (predicted %.3f), pooled α̂ %.3f (predicted %.3f, %d minibatches), KS and AD reject %.2f, %.2f",
		pm.TailIndex.Median, predict(p), *pooled.TailIndex, predict(ap.PooledMinibatches*p), ap.PooledMinibatches, pm.KSRejectFraction, pm.ADRejectFraction)
	t.Logf("across minibatches: median α̂ %.3f, KS rejects %.3f, AD rejects %.3f (Gaussian reference %.3f, %.3f)",
		c.TailIndex.Median, c.KSRejectFraction, c.ADRejectFraction,
		at.AcrossMinibatches.ReferenceGaussian.KSRejectFraction, at.AcrossMinibatches.ReferenceGaussian.ADRejectFraction)
	if math.Abs(pm.TailIndex.Median-predict(p)) > 0.1 || math.Abs(*pooled.TailIndex-predict(ap.PooledMinibatches*p)) > 0.1 ||
		pm.KSRejectFraction < 0.99 || pm.ADRejectFraction < 0.99 {
		t.Errorf("across parameters: median α̂ %.3f, pooled α̂ %.3f, rejections %.2f, %.2f; want the scale-mixture prediction and rejection",
			pm.TailIndex.Median, *pooled.TailIndex, pm.KSRejectFraction, pm.ADRejectFraction)
	}
	if c.TailIndex.Median < 1.75 || c.KSRejectFraction > 0.15 || c.ADRejectFraction > 0.15 {
		t.Errorf("across minibatches: median α̂ %.3f, rejections %.3f, %.3f; want near-Gaussian", c.TailIndex.Median, c.KSRejectFraction, c.ADRejectFraction)
	}
}

func TestAnalyzeNoiseConstantCoordinatesNoNaN(t *testing.T) {
	// Every coordinate constant: nothing to analyse, but a valid report.
	o := &tableOracle{n: 30, p: 4, g: make([]float64, 30*4)}
	for i := range 30 {
		copy(o.g[i*4:], []float64{0, 1.5, -2, 1e-300})
	}
	rep, err := Analyze(o, Options{BatchSizes: []int{1, 30}, Minibatches: 20, Seed: 1, Workers: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, at := range rep.Batches {
		if at.ConstantParams != 4 || at.AcrossMinibatches.ConstantCoords != 4 || at.AcrossParams.OneMinibatch != nil {
			t.Errorf("B = %d: %+v; want 4 constant coordinates and no statistics", at.BatchSize, at)
		}
	}
	if _, err := json.Marshal(rep); err != nil {
		t.Fatalf("report does not marshal: %v", err)
	}
	// A few varying coordinates among constant ones: too few for the
	// across-parameter tests, which are skipped, not NaN.
	o = &tableOracle{n: 50, p: 5, g: make([]float64, 50*5)}
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 50 {
		copy(o.g[i*5:], []float64{r.NormFloat64(), 3, r.NormFloat64(), 0, r.ExpFloat64()})
	}
	rep, err = Analyze(o, Options{BatchSizes: []int{2}, Minibatches: 25, Seed: 1, Workers: 3}, nil)
	if err != nil {
		t.Fatal(err)
	}
	at := rep.Batches[0]
	if at.ConstantParams != 2 || at.AcrossParams.OneMinibatch.N != 3 || at.AcrossParams.OneMinibatch.KS != nil || len(at.AcrossParams.OneMinibatch.Skipped) == 0 {
		t.Errorf("across params %+v, want 3 values, tests skipped", at.AcrossParams.OneMinibatch)
	}
	if at.AcrossMinibatches.Coordinates.Samples != 3 || at.AcrossMinibatches.Coordinates.KSPValue.N != 3 {
		t.Errorf("across minibatches %+v, want 3 coordinates analysed", at.AcrossMinibatches.Coordinates)
	}
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatalf("report does not marshal: %v", err)
	}
	if bytes.Contains(b, []byte("NaN")) || bytes.Contains(b, []byte("Inf")) {
		t.Errorf("report contains NaN or Inf: %s", b)
	}
}

func TestAnalyzeNoiseBadInput(t *testing.T) {
	o := leastSquaresOracle(50, logScales(4, 1), 1)
	good := Options{BatchSizes: []int{4}, Minibatches: 20, Workers: 1}
	for _, c := range []struct {
		name string
		edit func(*Options)
		want string
	}{
		{"B > N", func(p *Options) { p.BatchSizes = []int{4, 51} }, "larger than the 50 samples"},
		{"B = 0", func(p *Options) { p.BatchSizes = []int{0} }, "positive batch size"},
		{"B < 0", func(p *Options) { p.BatchSizes = []int{-3} }, "positive batch size"},
		{"no B", func(p *Options) { p.BatchSizes = nil }, "no batch sizes"},
		{"duplicate B", func(p *Options) { p.BatchSizes = []int{4, 4} }, "twice"},
		{"too few minibatches", func(p *Options) { p.Minibatches = 19 }, "at least 20"},
		{"negative workers", func(p *Options) { p.Workers = -1 }, "workers"},
		{"negative coords", func(p *Options) { p.Coords = -1 }, "coordinates"},
		{"negative pool", func(p *Options) { p.PoolCap = -1 }, "pool cap"},
		{"hist B not analysed", func(p *Options) { p.HistB = 8 }, "not among"},
	} {
		opt := good
		c.edit(&opt)
		_, err := Analyze(o, opt, nil)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
	if _, err := Analyze(nil, good, nil); err == nil {
		t.Error("nil oracle: want an error")
	}
	if _, err := Analyze(&tableOracle{n: 0, p: 3}, good, nil); err == nil {
		t.Error("empty data selection: want an error")
	}
	// Oracle failures and non-finite gradients are reported, not hidden.
	boom := errors.New("boom")
	bad := leastSquaresOracle(50, logScales(4, 1), 1)
	bad.fail = func(idx []int) error {
		if len(idx) == 4 {
			return boom
		}
		return nil
	}
	if _, err := Analyze(bad, good, nil); !errors.Is(err, boom) {
		t.Errorf("oracle failure: error %v, want it wrapped", err)
	}
	nan := leastSquaresOracle(50, logScales(4, 1), 1)
	nan.g[17*4+2] = math.NaN()
	if _, err := Analyze(nan, good, nil); err == nil || !strings.Contains(err.Error(), "non-finite") {
		t.Errorf("NaN gradient: error %v, want a non-finite error", err)
	}
}

func TestNoiseOptionsDefaults(t *testing.T) {
	opt, err := Options{BatchSizes: []int{64, 4, 1}, Minibatches: 20}.withDefaults(80000, 100)
	if err != nil {
		t.Fatal(err)
	}
	if opt.HistB != 64 || opt.Coords != DefaultCoords || opt.PoolCap != DefaultPoolCap || opt.Workers < 1 {
		t.Errorf("defaults %+v", opt)
	}
	opt, _ = Options{BatchSizes: []int{1, 4, 16, 64}, Minibatches: 20}.withDefaults(300, 100)
	if opt.HistB != 16 || opt.Coords != 300 {
		t.Errorf("defaults %+v, want HistB 16 and all 300 coordinates", opt)
	}
	opt, _ = Options{BatchSizes: []int{1, 4}, Minibatches: 20}.withDefaults(300, 100)
	if opt.HistB != 4 {
		t.Errorf("HistB %d, want the largest B when none is ≥ 16", opt.HistB)
	}
	c := chooseCoords(80000, 2000, 5)
	if len(c) != 2000 || !slices.IsSorted(c) || c[0] < 0 || c[1999] >= 80000 || !slices.Equal(c, chooseCoords(80000, 2000, 5)) {
		t.Errorf("chooseCoords: %d indices, sorted %v", len(c), slices.IsSorted(c))
	}
	for i := 1; i < len(c); i++ {
		if c[i] == c[i-1] {
			t.Fatal("chooseCoords repeated an index")
		}
	}
}

func TestWriteNoiseSummaryCSV(t *testing.T) {
	o := leastSquaresOracle(200, logScales(40, 5), 5)
	rep, err := Analyze(o, Options{BatchSizes: []int{2, 8}, Minibatches: 30, Seed: 4, Workers: 2}, nil)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "noise_summary.csv")
	if err := WriteSummaryCSV(rep, path); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rows[0], SummaryHeader()) || len(rows) != 1+2*8 {
		t.Fatalf("%d rows, header %v; want 17 rows", len(rows), rows[0])
	}
	// Row 1: B = 2, one minibatch across parameters.
	one := rep.Batches[0].AcrossParams.OneMinibatch
	if rows[1][0] != "2" || rows[1][1] != "across_params_one_minibatch" || rows[1][3] != strconv.Itoa(one.N) || rows[1][4] != fmtFloat(*one.TailIndex) {
		t.Errorf("row 1 = %v, want B 2, n %d, α̂ %v", rows[1], one.N, *one.TailIndex)
	}
	c := rep.Batches[1].AcrossMinibatches.Coordinates
	row := rows[1+8+5]
	if row[1] != "across_minibatches" || row[4] != fmtFloat(c.TailIndex.Median) || row[10] != fmtFloat(c.KSRejectFraction) {
		t.Errorf("B = 8 across minibatches row = %v", row)
	}
}

// Options out of range are an *OptionError naming the option's field.
func TestOptionErrorNamesTheField(t *testing.T) {
	o := leastSquaresOracle(50, logScales(4, 1), 1)
	for _, c := range []struct {
		edit  func(*Options)
		field string
	}{
		{func(p *Options) { p.Minibatches = 1 << 40 }, "minibatches"},
		{func(p *Options) { p.Minibatches = 3 }, "minibatches"},
		{func(p *Options) { p.BatchSizes = []int{51} }, "batch_sizes"},
		{func(p *Options) { p.Coords = -1 }, "coords"},
		{func(p *Options) { p.PoolCap = -1 }, "pool_cap"},
		{func(p *Options) { p.HistB = 8 }, "hist_b"},
		{func(p *Options) { p.Workers = -1 }, "workers"},
	} {
		opt := Options{BatchSizes: []int{4}, Minibatches: 20, Workers: 1}
		c.edit(&opt)
		_, err := Analyze(o, opt, nil)
		var oe *OptionError
		if !errors.As(err, &oe) || oe.Field != c.field {
			t.Errorf("%s: error %v, want an *OptionError of field %s", c.field, err, c.field)
		} else if f, d := oe.Option(); f != c.field || d != oe.Detail {
			t.Errorf("%s: Option() = %q, %q", c.field, f, d)
		}
		// Validate, without a model or data, finds all but B > N.
		if err := opt.Validate(); c.field == "batch_sizes" && err != nil {
			t.Errorf("B = 51 without data: %v", err)
		} else if c.field != "batch_sizes" && (!errors.As(err, &oe) || oe.Field != c.field) {
			t.Errorf("Validate, %s: %v", c.field, err)
		}
	}
	if err := (Options{BatchSizes: []int{4, 16}, Minibatches: 20, HistB: 16}).Validate(); err != nil {
		t.Errorf("valid options: %v", err)
	}
}
