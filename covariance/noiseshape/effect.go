package noiseshape

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/mat"

	"github.com/sgn-project/sgn/internal/seed"
	"github.com/sgn-project/sgn/internal/stats"
	"github.com/sgn-project/sgn/internal/workgroup"
)

// Defaults of the effect-size options.
const (
	// DefaultDirections is the default Options.Directions.
	DefaultDirections = 100
	// DefaultPrincipal is the default Options.Principal.
	DefaultPrincipal = 10
	// DefaultBootstrap is the default Options.Bootstrap.
	DefaultBootstrap = 200
	// ReferenceReplicates is the number of simulated normal samples of the
	// Gaussian reference (stats.GaussianShapeReference).
	ReferenceReplicates = 1000
	// perSampleWords bounds the per-sample gradient block of one worker
	// (chunk·P values).
	perSampleWords = 1 << 19
)

// Effect summarises the departure from normality of many samples of one
// view across minibatches — one sample per coordinate or per direction,
// N values each — by effect sizes (stats.Shape), not by p-values: the
// medians over the samples of |g₁|, g₂ and the KS distance to the fitted
// normal, each with a 95% bootstrap interval over the minibatches (see
// stats.CentredInterval), and beside them the
// central-limit prediction. A minibatch mean of B per-sample gradients
// drawn independently has skewness γ/√B and excess kurtosis κ/B exactly,
// γ and κ those of the per-sample gradients over the data (cumulants of
// independent terms add); Predicted* are the medians of |γ|/√B and κ/B
// over the same samples, PerSample* the medians of |γ| and κ.
type Effect struct {
	Samples                int        `json:"samples"`
	N                      int        `json:"n"`
	MedianAbsSkewness      float64    `json:"median_abs_skewness"`
	MedianAbsSkewnessCI    [2]float64 `json:"median_abs_skewness_ci95"`
	MedianExcessKurtosis   float64    `json:"median_excess_kurtosis"`
	MedianExcessKurtosisCI [2]float64 `json:"median_excess_kurtosis_ci95"`
	MedianKS               float64    `json:"median_ks"`
	// MedianKSCI is the interval of MedianKS; nil for the coordinates,
	// whose bootstrap is of the moments only.
	MedianKSCI                    *[2]float64 `json:"median_ks_ci95,omitempty"`
	PredictedMedianAbsSkewness    float64     `json:"predicted_median_abs_skewness"`
	PredictedMedianExcessKurtosis float64     `json:"predicted_median_excess_kurtosis"`
	PerSampleMedianAbsSkewness    float64     `json:"per_sample_median_abs_skewness"`
	PerSampleMedianExcessKurtosis float64     `json:"per_sample_median_excess_kurtosis"`
}

// Reference is the Gaussian reference of the effect sizes: the medians of
// |g₁|, g₂ and the KS distance for normal samples of the same size N
// (seeded simulation, Simulation), the values an exactly normal noise
// would give.
type Reference struct {
	N              int                   `json:"n"`
	AbsSkewness    float64               `json:"abs_skewness"`
	ExcessKurtosis float64               `json:"excess_kurtosis"`
	KS             float64               `json:"ks"`
	Simulation     *stats.ShapeReference `json:"simulation"`
}

// PrincipalDirection is one of the noise's top principal directions and
// the shape of the noise along it.
type PrincipalDirection struct {
	// Variance is the direction's eigenvalue of the noise covariance over
	// the first half of the minibatches (where it was found).
	Variance float64 `json:"variance"`
	stats.Shape
	// PerSample* are the per-sample gradients' skewness and excess
	// kurtosis along the direction, Predicted* the central-limit values
	// γ/√B and κ/B.
	PerSampleSkewness       float64 `json:"per_sample_skewness"`
	PerSampleExcessKurtosis float64 `json:"per_sample_excess_kurtosis"`
	PredictedSkewness       float64 `json:"predicted_skewness"`
	PredictedExcessKurtosis float64 `json:"predicted_excess_kurtosis"`
	direction               []float64
}

// EffectSizes is the across-minibatch view by effect size at one batch
// size: along each coordinate, along random directions (unit vectors
// uniform on the sphere of the analysed coordinates, the same for every
// B) and along the noise's top principal directions. The principal
// directions are the top eigenvectors of the noise covariance over the
// first ⌊M/2⌋ minibatches and the shape is measured on the other M − ⌊M/2⌋
// (directions found on the same minibatches would pick out their
// extremes); GaussianReferencePrincipal is the reference at that size.
type EffectSizes struct {
	Coordinates                *Effect              `json:"coordinates,omitempty"`
	RandomDirections           *Effect              `json:"random_directions,omitempty"`
	PrincipalDirections        *Effect              `json:"principal_directions,omitempty"`
	Principal                  []PrincipalDirection `json:"principal,omitempty"`
	GaussianReference          *Reference           `json:"gaussian_reference,omitempty"`
	GaussianReferencePrincipal *Reference           `json:"gaussian_reference_principal,omitempty"`
	// Bootstrap is the number of bootstrap resamples of the minibatches.
	Bootstrap int `json:"bootstrap"`
}

// CoordShape is the shape of one coordinate's noise over the minibatches
// with the per-sample values and the central-limit prediction; it is
// written to the per-coordinate CSV, not to the JSON.
type CoordShape struct {
	Param int
	// Name is the parameter's tensor and index when the oracle is a
	// ParamNamer ("fc1.weight[3,17]"), "" otherwise.
	Name string
	stats.Shape
	PerSampleSkewness, PerSampleExcessKurtosis float64
}

// newReference simulates the Gaussian reference at size n.
func newReference(n int, s uint64) (*Reference, error) {
	sim, err := stats.GaussianShapeReference(n, ReferenceReplicates, seed.Derive(s, uint64(streamShapeRef)))
	if err != nil {
		return nil, err
	}
	return &Reference{N: n, AbsSkewness: sim.AbsSkewness.Median, ExcessKurtosis: sim.ExcessKurtosis.Median, KS: sim.KS.Median, Simulation: sim}, nil
}

// randomDirections returns r unit vectors of dimension k, uniform on the
// sphere, from their own seeded streams.
func randomDirections(r, k int, s uint64) [][]float64 {
	out := make([][]float64, r)
	for i := range out {
		rng := rand.New(rand.NewPCG(s, streamID(streamDirections, 0, i)))
		v := make([]float64, k)
		var nn float64
		for j := range v {
			v[j] = rng.NormFloat64()
			nn += v[j] * v[j]
		}
		nn = math.Sqrt(nn)
		for j := range v {
			v[j] /= nn
		}
		out[i] = v
	}
	return out
}

// project returns the values v·ξ_t of direction v (over the analysed
// coordinates) for minibatches t in [t0, t1).
func (s *noiseStream) project(v []float64, t0, t1 int) []float64 {
	out := make([]float64, t1-t0)
	for k, vk := range v {
		row := s.mat[k*s.m+t0 : k*s.m+t1]
		for t, x := range row {
			out[t] += vk * x
		}
	}
	return out
}

// principalDirections returns the top q eigenvectors (unit, in the
// analysed coordinates, sign fixed so the largest component is positive)
// of the noise covariance over minibatches [0, m1), with their
// eigenvalues, from the m1×m1 Gram matrix of the centred noise.
func (s *noiseStream) principalDirections(q, m1 int) ([][]float64, []float64, error) {
	k := len(s.coords)
	x := mat.NewDense(m1, k, nil)
	for c := range k {
		row := s.mat[c*s.m : c*s.m+m1]
		var mu float64
		for _, v := range row {
			mu += v
		}
		mu /= float64(m1)
		for t, v := range row {
			x.Set(t, c, v-mu)
		}
	}
	var g mat.SymDense
	g.SymOuterK(1, x)
	var eig mat.EigenSym
	if !eig.Factorize(&g, true) {
		return nil, nil, fmt.Errorf("noise: the eigendecomposition of the %d×%d Gram matrix failed", m1, m1)
	}
	vals := eig.Values(nil)
	var vecs mat.Dense
	eig.VectorsTo(&vecs)
	q = min(q, m1-1)
	dirs, variances := [][]float64{}, []float64{}
	for i := m1 - 1; i >= 0 && len(dirs) < q; i-- {
		if !(vals[i] > 0) {
			break
		}
		u := mat.Col(nil, i, &vecs)
		v := make([]float64, k)
		for c := range k {
			var d float64
			for t := range m1 {
				d += x.At(t, c) * u[t]
			}
			v[c] = d
		}
		var nn float64
		big := 0
		for c, vc := range v {
			nn += vc * vc
			if math.Abs(vc) > math.Abs(v[big]) {
				big = c
			}
		}
		nn = math.Sqrt(nn)
		if v[big] < 0 {
			nn = -nn
		}
		for c := range v {
			v[c] /= nn
		}
		dirs = append(dirs, v)
		variances = append(variances, vals[i]/float64(m1-1))
	}
	return dirs, variances, nil
}

// sortedSample is one sample of a view, sorted, with the permutation that
// sorts it (for bootstrap counts given in minibatch order).
type sortedSample struct {
	vals  []float64
	order []int32
}

func newSortedSample(x []float64) sortedSample {
	order := make([]int32, len(x))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortStableFunc(order, func(a, b int32) int {
		switch {
		case x[a] < x[b]:
			return -1
		case x[a] > x[b]:
			return 1
		}
		return 0
	})
	vals := make([]float64, len(x))
	for i, o := range order {
		vals[i] = x[o]
	}
	return sortedSample{vals: vals, order: order}
}

// shapeWithCounts returns the Shape of the sample resampled with counts
// (in minibatch order); cnt is scratch of the sample's length.
func (ss sortedSample) shapeWithCounts(counts, cnt []int32) (stats.Shape, error) {
	for i, o := range ss.order {
		cnt[i] = counts[o]
	}
	return stats.ShapeSorted(ss.vals, cnt)
}

// bootstrapCounts fills c with the counts of a resample of len(c)
// minibatches drawn with replacement, from stream (kind, b, rep).
func bootstrapCounts(c []int32, s uint64, kind, b, rep int) {
	clear(c)
	rng := rand.New(rand.NewPCG(s, streamID(kind, b, rep)))
	for range c {
		c[rng.IntN(len(c))]++
	}
}

// directionEffect measures the samples (one per direction) and bootstraps
// the medians over them: counts for resample r come from stream
// (kind, b, r).
func directionEffect(samples [][]float64, s uint64, kind, b, boot, workers int) (*Effect, []stats.Shape, error) {
	var sorted []sortedSample
	var shapes []stats.Shape
	for _, x := range samples {
		ss := newSortedSample(x)
		sh, err := stats.ShapeSorted(ss.vals, nil)
		if err != nil {
			continue // a constant projection: nothing to measure
		}
		sorted, shapes = append(sorted, ss), append(shapes, sh)
	}
	if len(sorted) == 0 {
		return nil, nil, nil
	}
	n := len(samples[0])
	e := &Effect{Samples: len(sorted), N: n}
	e.MedianAbsSkewness, e.MedianExcessKurtosis, e.MedianKS = shapeMedians(shapes)
	reps := make([][3]float64, boot)
	scratch := make([][]int32, workers)
	for w := range scratch {
		scratch[w] = make([]int32, 2*n)
	}
	err := workgroup.For("noise worker", boot, workers, func(w, r int) error {
		counts, cnt := scratch[w][:n], scratch[w][n:]
		bootstrapCounts(counts, s, kind, b, r)
		sh := make([]stats.Shape, len(sorted))
		for i := range sorted {
			var err error
			if sh[i], err = sorted[i].shapeWithCounts(counts, cnt); err != nil {
				// A resample of a few distinct values can be constant.
				sh[i] = stats.Shape{ExcessKurtosis: -3}
			}
		}
		a, k, d := shapeMedians(sh)
		reps[r] = [3]float64{a, k, d}
		return nil
	}, nil)
	if err != nil {
		return nil, nil, err
	}
	e.MedianAbsSkewnessCI, e.MedianExcessKurtosisCI = intervalOf(e.MedianAbsSkewness, reps, 0), intervalOf(e.MedianExcessKurtosis, reps, 1)
	ks := intervalOf(e.MedianKS, reps, 2)
	e.MedianKSCI = &ks
	return e, shapes, nil
}

// intervalOf is the stats.CentredInterval of est from column i of reps.
func intervalOf(est float64, reps [][3]float64, i int) [2]float64 {
	v := make([]float64, len(reps))
	for r := range reps {
		v[r] = reps[r][i]
	}
	return stats.CentredInterval(est, v)
}

// shapeMedians returns the medians of |g₁|, g₂ and KS over shapes.
func shapeMedians(shapes []stats.Shape) (absSkew, kurt, ks float64) {
	a, k, d := make([]float64, len(shapes)), make([]float64, len(shapes)), make([]float64, len(shapes))
	for i, sh := range shapes {
		a[i], k[i], d[i] = math.Abs(sh.Skewness), sh.ExcessKurtosis, sh.KS
	}
	return stats.MedianInPlace(a), stats.MedianInPlace(k), stats.MedianInPlace(d)
}

// coordinateEffect measures each non-constant analysed coordinate over the
// minibatches and bootstraps the medians of |g₁| and g₂ (resample r from
// stream (streamBootstrap, b, r), the same resamples as the random
// directions).
func (s *noiseStream) coordinateEffect(b, boot, workers int) (*Effect, []CoordShape, error) {
	var live []int
	for k, j := range s.coords {
		if !s.constant[j] {
			live = append(live, k)
		}
	}
	if len(live) == 0 {
		return nil, nil, nil
	}
	rows := make([]CoordShape, len(live))
	err := workgroup.For("noise worker", len(live), workers, func(_, i int) error {
		k := live[i]
		sh, err := stats.ShapeOf(s.mat[k*s.m : (k+1)*s.m])
		if err != nil {
			return fmt.Errorf("coordinate %d: %w", s.coords[k], err)
		}
		rows[i] = CoordShape{Param: s.coords[k], Name: s.paramName(s.coords[k]), Shape: sh, PerSampleSkewness: math.NaN(), PerSampleExcessKurtosis: math.NaN()}
		return nil
	}, nil)
	if err != nil {
		return nil, nil, err
	}
	shapes := make([]stats.Shape, len(rows))
	for i := range rows {
		shapes[i] = rows[i].Shape
	}
	e := &Effect{Samples: len(rows), N: s.m}
	e.MedianAbsSkewness, e.MedianExcessKurtosis, e.MedianKS = shapeMedians(shapes)
	reps := make([][3]float64, boot)
	scratch := make([][]int32, workers)
	for w := range scratch {
		scratch[w] = make([]int32, s.m)
	}
	err = workgroup.For("noise worker", boot, workers, func(w, r int) error {
		counts := scratch[w]
		bootstrapCounts(counts, s.seed, streamBootstrap, b, r)
		a, k := make([]float64, len(live)), make([]float64, len(live))
		for i, c := range live {
			_, g1, g2, err := stats.CountedMoments(s.mat[c*s.m:(c+1)*s.m], counts)
			if err != nil {
				// A resample of a few distinct values can be constant.
				g1, g2 = 0, -3
			}
			a[i], k[i] = math.Abs(g1), g2
		}
		reps[r] = [3]float64{stats.MedianInPlace(a), stats.MedianInPlace(k), 0}
		return nil
	}, nil)
	if err != nil {
		return nil, nil, err
	}
	e.MedianAbsSkewnessCI, e.MedianExcessKurtosisCI = intervalOf(e.MedianAbsSkewness, reps, 0), intervalOf(e.MedianExcessKurtosis, reps, 1)
	return e, rows, nil
}

// PerSampleOracle is implemented by a GradientOracle that computes the
// gradients of single samples' losses in one pass: it stores in G
// (len(idx)×P, row-major) the gradient of the loss of each sample idx[i].
// It must be safe for concurrent use like MeanGradient. Oracles without it
// are asked for one-sample minibatches.
type PerSampleOracle interface {
	PerSampleGradients(G []float64, idx []int) error
}

// perSampleMoments holds, per coordinate and per direction, the central
// moment sums Σ d², Σ d³, Σ d⁴ of the per-sample gradients about ḡ.
type perSampleMoments struct {
	coord [][3]float64
	dir   [][3]float64
}

// perSampleChunk is the number of samples per block of the per-sample
// pass: it depends on P only, so the sums do not depend on the workers.
func perSampleChunk(p int) int { return max(1, min(1024, perSampleWords/p)) }

// perSampleShape streams the per-sample gradients gᵢ of all N samples and
// returns the central moment sums of gᵢ − ḡ along the analysed coordinates
// and along dirs (over the analysed coordinates), block by block in sample
// order.
func (s *noiseStream) perSampleShape(dirs [][]float64, workers int, tick func()) (*perSampleMoments, error) {
	chunk := perSampleChunk(s.p)
	chunks := (s.n + chunk - 1) / chunk
	k := len(s.coords)
	parts := make([]*perSampleMoments, chunks)
	bufs := make([][]float64, workers)
	ps, hasPS := s.o.(PerSampleOracle)
	err := workgroup.For("noise worker", chunks, workers, func(w, c int) error {
		lo, hi := c*chunk, min(s.n, (c+1)*chunk)
		if bufs[w] == nil {
			bufs[w] = make([]float64, chunk*s.p)
		}
		g := bufs[w][:(hi-lo)*s.p]
		idx := make([]int, hi-lo)
		for i := range idx {
			idx[i] = lo + i
		}
		if hasPS {
			if err := ps.PerSampleGradients(g, idx); err != nil {
				return fmt.Errorf("noise: per-sample gradients of samples %d–%d: %w", lo, hi-1, err)
			}
		} else {
			for i := range idx {
				if err := s.o.MeanGradient(g[i*s.p:(i+1)*s.p], idx[i:i+1]); err != nil {
					return fmt.Errorf("noise: gradient of sample %d: %w", idx[i], err)
				}
			}
		}
		part := &perSampleMoments{coord: make([][3]float64, k), dir: make([][3]float64, len(dirs))}
		d := make([]float64, k)
		for i := range idx {
			row := g[i*s.p : (i+1)*s.p]
			for c, j := range s.coords {
				d[c] = row[j] - s.gbar[j]
				d2 := d[c] * d[c]
				part.coord[c][0] += d2
				part.coord[c][1] += d2 * d[c]
				part.coord[c][2] += d2 * d2
			}
			for r, v := range dirs {
				var x float64
				for c, vc := range v {
					x += vc * d[c]
				}
				x2 := x * x
				part.dir[r][0] += x2
				part.dir[r][1] += x2 * x
				part.dir[r][2] += x2 * x2
			}
		}
		parts[c] = part
		return nil
	}, tick)
	if err != nil {
		return nil, err
	}
	out := &perSampleMoments{coord: make([][3]float64, k), dir: make([][3]float64, len(dirs))}
	for _, p := range parts {
		for c := range out.coord {
			for i := range 3 {
				out.coord[c][i] += p.coord[c][i]
			}
		}
		for r := range out.dir {
			for i := range 3 {
				out.dir[r][i] += p.dir[r][i]
			}
		}
	}
	return out, nil
}

// predict fills the central-limit predictions of e from the per-sample
// skewness and kurtosis of its samples at batch size b.
func predict(e *Effect, g1, g2 []float64, b int) {
	if e == nil {
		return
	}
	a, k := make([]float64, 0, len(g1)), make([]float64, 0, len(g2))
	for i := range g1 {
		if !math.IsNaN(g1[i]) {
			a = append(a, math.Abs(g1[i]))
			k = append(k, g2[i])
		}
	}
	if len(a) == 0 {
		return
	}
	e.PerSampleMedianAbsSkewness, e.PerSampleMedianExcessKurtosis = stats.MedianInPlace(a), stats.MedianInPlace(k)
	e.PredictedMedianAbsSkewness = e.PerSampleMedianAbsSkewness / math.Sqrt(float64(b))
	e.PredictedMedianExcessKurtosis = e.PerSampleMedianExcessKurtosis / float64(b)
}

// reference returns the Gaussian reference at sample size n, simulated once.
func (s *noiseStream) reference(n int) (*Reference, error) {
	if r, ok := s.refs[n]; ok {
		return r, nil
	}
	r, err := newReference(n, s.seed)
	if err != nil {
		return nil, err
	}
	s.refs[n] = r
	return r, nil
}

// effectSizes measures the across-minibatch view of batch size b by effect
// size into at.AcrossMinibatches.EffectSize (the central-limit
// predictions are filled in later, by centralLimit).
func (s *noiseStream) effectSizes(b int, opt Options, at *AtBatch) error {
	e := &EffectSizes{Bootstrap: opt.Bootstrap}
	var err error
	if e.GaussianReference, err = s.reference(s.m); err != nil {
		return err
	}
	if e.Coordinates, at.coordShapes, err = s.coordinateEffect(b, opt.Bootstrap, opt.Workers); err != nil {
		return err
	}
	if e.Coordinates == nil {
		at.AcrossMinibatches.EffectSize = e // every coordinate constant
		return nil
	}
	proj := make([][]float64, len(s.dirs))
	for r, v := range s.dirs {
		proj[r] = s.project(v, 0, s.m)
	}
	if e.RandomDirections, _, err = directionEffect(proj, s.seed, streamBootstrap, b, opt.Bootstrap, opt.Workers); err != nil {
		return err
	}
	m1 := s.m / 2
	if q := min(opt.Principal, m1-1); q >= 1 && s.m-m1 >= 5 {
		dirs, variances, err := s.principalDirections(q, m1)
		if err != nil {
			return err
		}
		if len(dirs) > 0 {
			if e.GaussianReferencePrincipal, err = s.reference(s.m - m1); err != nil {
				return err
			}
			scores := make([][]float64, len(dirs))
			for i, v := range dirs {
				scores[i] = s.project(v, m1, s.m)
			}
			var shapes []stats.Shape
			e.PrincipalDirections, shapes, err = directionEffect(scores, s.seed, streamBootstrapPrincipal, b, opt.Bootstrap, opt.Workers)
			if err != nil {
				return err
			}
			for i := range dirs {
				e.Principal = append(e.Principal, PrincipalDirection{Variance: variances[i], Shape: shapes[i], direction: dirs[i],
					PerSampleSkewness: math.NaN(), PerSampleExcessKurtosis: math.NaN(), PredictedSkewness: math.NaN(), PredictedExcessKurtosis: math.NaN()})
			}
		}
	}
	at.AcrossMinibatches.EffectSize = e
	return nil
}

// ParamNamer is implemented by a GradientOracle that can name its
// parameters, e.g. "fc1.weight[3,17]": the names go into the
// per-coordinate table and the figure.
type ParamNamer interface {
	ParamName(j int) string
}

// paramName returns the oracle's name of parameter j, or "".
func (s *noiseStream) paramName(j int) string {
	if n, ok := s.o.(ParamNamer); ok {
		return n.ParamName(j)
	}
	return ""
}
