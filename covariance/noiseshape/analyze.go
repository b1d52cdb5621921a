package noiseshape

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"

	"github.com/sgn-project/sgn/internal/seed"
	"github.com/sgn-project/sgn/internal/stats"
	"github.com/sgn-project/sgn/internal/workgroup"
)

// GradientOracle gives minibatch gradients of a model at a fixed θ.
//
// Dim is P, the number of parameters, and NumSamples is N, the size of the
// data selection. MeanGradient stores in dst (length P) the gradient of the
// mean loss over the samples idx (indices in [0, N), repeats allowed, each
// repeat counted). It must not retain dst or idx. Analyze calls
// MeanGradient from Options.Workers goroutines at once: an oracle that
// is not safe for concurrent use must be run with Workers = 1.
type GradientOracle interface {
	Dim() int        // P, number of parameters
	NumSamples() int // N, size of the data selection
	// MeanGradient stores in dst the gradient of the mean loss over the samples idx (repeats allowed).
	MeanGradient(dst []float64, idx []int) error
}

// Defaults and limits of Options.
const (
	// MinMinibatches is the smallest Options.Minibatches: each
	// coordinate's noise over the minibatches is one sample of that size,
	// and McCulloch's stable fit needs 20 points for its 5% and 95%
	// quantiles to lie inside the sample (the Anderson–Darling p-value needs
	// 8, Lilliefors' 5, the tail index 4).
	MinMinibatches = 20
	// DefaultCoords is the number of coordinates analysed across minibatches
	// when P > AllCoordsLimit and Options.Coords is 0.
	DefaultCoords = 2000
	// AllCoordsLimit is the largest P for which every coordinate is analysed
	// by default.
	AllCoordsLimit = 5000
	// DefaultPoolCap is the default Options.PoolCap, the number of
	// values of the pooled across-parameter sample (16 MB).
	DefaultPoolCap = 2_000_000
	// ConstantTolerance defines a constant coordinate: one whose noise over
	// the minibatches has range max − min ≤ ConstantTolerance·(|ḡⱼ| + max|ξⱼ|).
	// Its per-sample gradients are then equal (an input pixel that is zero in
	// every image, a dead unit) or it was the same in every drawn minibatch,
	// and what remains is rounding: it is counted and left out of both views.
	ConstantTolerance = 1e-9
	// RejectLevel is the level at which a test counts as rejecting.
	RejectLevel = 0.05

	fullGradientChunk = 1024
	maxStreamIndex    = 1 << 29
)

// Options configures Analyze.
type Options struct {
	// BatchSizes are the minibatch sizes B to analyse, each in [1, N],
	// distinct.
	BatchSizes []int
	// Minibatches is the number of minibatches drawn per batch size, at
	// least MinMinibatches.
	Minibatches int
	// Seed seeds every random choice. Minibatch t of batch size B draws its
	// B indices i.i.d. uniformly from [0, N) (with replacement) with
	// rand.NewPCG(Seed, splitmix64(B·2²⁹ + t)); the coordinate subset and the
	// synthetic references use other, disjoint streams. Results therefore
	// do not depend on Workers.
	Seed uint64
	// Workers is the number of goroutines (0: runtime.NumCPU()). They share
	// the minibatches and, afterwards, the per-coordinate statistics.
	Workers int
	// Coords is the number of coordinates analysed across minibatches: 0
	// means all of them when P ≤ AllCoordsLimit and a seeded random subset
	// of DefaultCoords otherwise; a positive value asks for that many (all
	// if ≥ P). The chosen indices are recorded in the report.
	Coords int
	// HistB is the batch size whose samples are kept for the four-panel
	// figure; 0 means the smallest batch size ≥ 16 (Xie et al.'s threshold
	// for Gaussian noise), or the largest if all are smaller.
	HistB int
	// PoolCap bounds the pooled across-parameter sample: all P coordinates
	// of the first max(1, min(Minibatches, ⌊PoolCap/P⌋)) minibatches. 0 means
	// DefaultPoolCap.
	PoolCap int
	// WeightDecay is λ ≥ 0 of the loss CE + (λ/2)‖θ‖² the point minimises
	// (0: the plain cross-entropy), for the regime check ‖∇L‖ (GradNorm).
	// The noise does not depend on it.
	WeightDecay float64
	// Directions is the number of random directions of the effect sizes
	// (0: DefaultDirections), Principal the number of top principal
	// directions (0: DefaultPrincipal, at most ⌊M/2⌋ − 1) and Bootstrap
	// the number of bootstrap resamples of the minibatches behind every
	// interval (0: DefaultBootstrap, at least 40).
	Directions, Principal, Bootstrap int
}

// SampleStats are the statistics of one univariate sample. A statistic that
// cannot be computed (too few values, or a zero interquartile range for the
// stable fit) is omitted and named in Skipped.
type SampleStats struct {
	N int `json:"n"`
	// TailIndex is α̂ of stats.TailIndex (Mohammadi, Mohammadpour and Ogata
	// 2015), in (0, 2], of the sample as it is, in its order, as Simsekli et
	// al. (2019) estimate it: the noise ξ = g_B − ḡ already has mean zero, and
	// re-centring a skewed sample (at its median, say) puts many values next
	// to zero, whose log|x| drags α̂ down.
	TailIndex *float64 `json:"tail_index,omitempty"`
	// TailIndexCapped, given with TailIndex, says α̂ hit its cap
	// stats.MaxTailIndex = 2: the estimate of 1/α fell at or below 1/2 and
	// was clipped, so α̂ = 2 is a bound, not a measurement.
	TailIndexCapped *bool `json:"tail_index_capped,omitempty"`
	// Skewness is the sample skewness g₁ (stats.Skewness): a skewed law is
	// not a symmetric stable law, whatever α̂ says.
	Skewness *float64 `json:"skewness,omitempty"`
	// Gaussian is the maximum-likelihood normal fit.
	Gaussian *stats.GaussianFit `json:"gaussian,omitempty"`
	// Stable is McCulloch's symmetric α-stable fit.
	Stable *stats.StableFit `json:"stable,omitempty"`
	// KS is the Kolmogorov–Smirnov test against the fitted normal with
	// Lilliefors' null (mean and variance estimated) and the
	// Dallal–Wilkinson p-value.
	KS *stats.TestResult `json:"ks_lilliefors,omitempty"`
	// AD is the Anderson–Darling test of normality with estimated mean and
	// variance (D'Agostino and Stephens 1986).
	AD      *stats.ADResult `json:"anderson_darling,omitempty"`
	Skipped []string        `json:"skipped,omitempty"`
}

// DistSummary summarises the statistics of many samples of one view (one
// sample per coordinate, or per minibatch): quartiles over the samples, and
// the fraction of samples whose test rejects normality at RejectLevel. Each
// Quartiles.N counts the samples where that statistic could be computed.
type DistSummary struct {
	Samples          int              `json:"samples"`
	TailIndex        *stats.Quartiles `json:"tail_index,omitempty"`
	Skewness         *stats.Quartiles `json:"skewness,omitempty"`
	StableAlpha      *stats.Quartiles `json:"stable_alpha,omitempty"`
	KSStatistic      *stats.Quartiles `json:"ks_statistic,omitempty"`
	KSPValue         *stats.Quartiles `json:"ks_p_value,omitempty"`
	ADStatistic      *stats.Quartiles `json:"ad_statistic,omitempty"`
	ADPValue         *stats.Quartiles `json:"ad_p_value,omitempty"`
	KSRejectFraction float64          `json:"ks_reject_fraction"`
	ADRejectFraction float64          `json:"ad_reject_fraction"`
}

// AcrossParamsView is Simsekli et al.'s view: the noise of the P
// coordinates of a minibatch as one univariate sample (constant
// coordinates left out, parameter order kept).
type AcrossParamsView struct {
	// OneMinibatch is the sample of minibatch 0.
	OneMinibatch *SampleStats `json:"one_minibatch,omitempty"`
	// PerMinibatch summarises the same statistics computed for each of the
	// PooledMinibatches minibatches separately.
	PerMinibatch *DistSummary `json:"per_minibatch,omitempty"`
	// Pooled is Simsekli et al.'s exact procedure: the coordinates of the
	// first PooledMinibatches minibatches concatenated (minibatch-major) as
	// one sample.
	Pooled            *SampleStats `json:"pooled,omitempty"`
	PooledMinibatches int          `json:"pooled_minibatches"`
	// ReferenceGaussian and ReferenceStable are synthetic samples of the
	// size of OneMinibatch drawn from its Gaussian fit and its SαS fit.
	ReferenceGaussian *SampleStats `json:"reference_gaussian,omitempty"`
	ReferenceStable   *SampleStats `json:"reference_stable,omitempty"`
	// PooledStandardized is the pooled sample restricted to the analysed
	// non-constant coordinates, each divided by its own standard deviation
	// over the minibatches: what is left of Pooled's heavy tail once the
	// coordinates' different scales are no longer mixed.
	// ReferencePooled is a N(0, 1) sample of its size, measured alike.
	PooledStandardized *SampleStats `json:"pooled_standardized,omitempty"`
	ReferencePooled    *SampleStats `json:"reference_pooled,omitempty"`
}

// AcrossMinibatchesView is the view of Xie et al. (2021): each coordinate's noise over
// the Minibatches minibatches, standardised by its own mean and standard
// deviation, as one sample per coordinate.
type AcrossMinibatchesView struct {
	// Coords is the number of coordinates analysed and ConstantCoords the
	// number of them left out as constant.
	Coords         int `json:"coords"`
	ConstantCoords int `json:"constant_coords"`
	// Coordinates summarises the per-coordinate statistics.
	Coordinates *DistSummary `json:"coordinates,omitempty"`
	// TypicalCoord is the parameter index (flat order) of the coordinate with
	// the median Anderson–Darling statistic, and Typical its statistics.
	TypicalCoord int          `json:"typical_coord"`
	Typical      *SampleStats `json:"typical,omitempty"`
	// ReferenceGaussian summarises one N(0, 1) sample of size Minibatches
	// per analysed coordinate, standardised and tested the same way: the
	// rejection fractions under the null. ReferenceStable does the same
	// with one SαS sample per coordinate at that coordinate's fitted α.
	ReferenceGaussian *DistSummary `json:"reference_gaussian,omitempty"`
	ReferenceStable   *DistSummary `json:"reference_stable,omitempty"`
	// EffectSize measures the departure from normality by effect sizes
	// along coordinates, random and principal directions, beside the
	// Gaussian reference and the central-limit prediction. The p-values
	// above are kept as a footnote: with many minibatches a test rejects
	// departures far too small to matter.
	EffectSize *EffectSizes `json:"effect_size,omitempty"`
}

// AtBatch holds the results for one batch size.
type AtBatch struct {
	BatchSize int `json:"batch_size"`
	// ConstantParams counts the coordinates, among all P, whose noise was
	// constant over the minibatches (see ConstantTolerance).
	ConstantParams int `json:"constant_params"`
	// MeanVarianceTimesB is B times the mean over the analysed non-constant
	// coordinates of the sample variance of ξⱼ over the minibatches. If
	// Cov(g_B) = Σ/B it estimates the mean diagonal of Σ, the same for
	// every B.
	MeanVarianceTimesB float64 `json:"mean_variance_times_b"`
	// MeanNoiseNormSquared is the mean over the minibatches of ‖ξ‖² (all P
	// coordinates), which estimates tr C = tr Σ/B: the size of the noise
	// against that of the full gradient, ‖ḡ‖².
	MeanNoiseNormSquared float64               `json:"mean_noise_norm_squared"`
	AcrossParams         AcrossParamsView      `json:"across_params"`
	AcrossMinibatches    AcrossMinibatchesView `json:"across_minibatches"`
	// coordShapes are the per-coordinate effect sizes (the CSV's rows).
	coordShapes []CoordShape
}

// Analysis is the result of Analyze. It marshals to JSON (snake_case
// keys); the samples kept for the figures are not marshalled.
type Analysis struct {
	Params      int    `json:"params"`
	Samples     int    `json:"samples"`
	Minibatches int    `json:"minibatches"`
	Seed        uint64 `json:"seed"`
	BatchSizes  []int  `json:"batch_sizes"`
	HistB       int    `json:"hist_batch_size"`
	PoolCap     int    `json:"pool_cap"`
	// Directions, Principal and Bootstrap are the numbers of random
	// directions, principal directions and bootstrap resamples of the
	// effect sizes.
	Directions int `json:"directions"`
	Principal  int `json:"principal_directions"`
	Bootstrap  int `json:"bootstrap"`
	// CoordsAll is true when every coordinate is analysed across
	// minibatches; otherwise Coords lists the analysed ones (flat parameter
	// indices, ascending).
	// GradNorm is ‖∇L‖ = ‖ḡ + λθ‖ for the WeightDecay λ (‖ḡ‖ when λ = 0
	// or when the oracle does not give θ): how far the point is from a
	// minimum of the loss it minimises.
	GradNorm          float64   `json:"grad_norm"`
	WeightDecay       float64   `json:"weight_decay"`
	CoordsAll         bool      `json:"coords_all"`
	Coords            []int     `json:"coords,omitempty"`
	FullGradientNorm  float64   `json:"full_gradient_norm"`
	ConstantTolerance float64   `json:"constant_tolerance"`
	RejectLevel       float64   `json:"reject_level"`
	Batches           []AtBatch `json:"batches"`
	// Figure holds the samples of batch size HistB that the four-panel
	// figure draws.
	Figure *FigureData `json:"-"`
}

// FigureData are the samples drawn by WritePanels.
type FigureData struct {
	BatchSize int
	// Params is the across-parameter sample of minibatch 0 with its fits;
	// StableRef is the synthetic SαS(ParamsStable) sample of the same size,
	// with its own Gaussian fit. They are empty when the sample was too
	// small to fit.
	Params         []float64
	ParamsGauss    stats.GaussianFit
	ParamsStable   stats.StableFit
	StableRef      []float64
	StableRefGauss stats.GaussianFit
	// Coord is the standardised noise over the minibatches of the typical
	// coordinate CoordIndex (median Anderson–Darling statistic; −1 if none),
	// with its stable fit; GaussRef is that coordinate's N(0, 1) reference
	// sample of the same size, standardised alike. CoordTailIndex and
	// GaussRefTailIndex are their α̂ as the report gives them (on the
	// samples as they are, before standardising; NaN if not computed).
	CoordIndex        int
	CoordName         string
	Coord             []float64
	CoordStable       *stats.StableFit
	CoordTailIndex    float64
	GaussRef          []float64
	GaussRefTailIndex float64
}

// Analyze measures the shape of the stochastic gradient noise of o in
// two views: across parameters (Simsekli, Sagun and Gurbuzbalaban 2019)
// and across minibatches (Xie, Sato and Sugiyama 2021).
//
// It computes the full gradient ḡ over the N samples (in chunks of 1024,
// combined in order), then for each batch size B streams Minibatches
// minibatches drawn with replacement, computing the noise ξ = g_B − ḡ of
// each and keeping only: the per-coordinate range (for the constant test),
// the Minibatches×Coords matrix of the analysed coordinates, and all P
// coordinates of the first PooledMinibatches minibatches. Workers share the
// minibatches; every result lands at its minibatch's own place, so the
// report is bit-identical for any number of workers. After the stream it
// computes the statistics of both views (SampleStats, DistSummary) and the
// synthetic references.
//
// progress, if not nil, is called from the calling goroutine after each
// gradient evaluation with the number done and the total (full-gradient
// chunks plus all minibatches).
func Analyze(o GradientOracle, opt Options, progress func(done, total int)) (*Analysis, error) {
	if o == nil {
		return nil, errors.New("noise: nil gradient oracle")
	}
	p, n := o.Dim(), o.NumSamples()
	if p < 1 {
		return nil, fmt.Errorf("noise: the model has %d parameters, want at least 1", p)
	}
	if n < 1 {
		return nil, fmt.Errorf("noise: the data selection has %d samples, want at least 1", n)
	}
	opt, err := opt.withDefaults(p, n)
	if err != nil {
		return nil, err
	}
	m := opt.Minibatches
	rep := &Analysis{
		Params: p, Samples: n, Minibatches: m, Seed: opt.Seed,
		BatchSizes: slices.Clone(opt.BatchSizes), HistB: opt.HistB, PoolCap: opt.PoolCap,
		Directions: opt.Directions, Principal: opt.Principal, Bootstrap: opt.Bootstrap,
		ConstantTolerance: ConstantTolerance, RejectLevel: RejectLevel,
	}
	coords := chooseCoords(p, opt.Coords, opt.Seed)
	rep.CoordsAll = len(coords) == p
	if !rep.CoordsAll {
		rep.Coords = coords
	}
	chunks := (n + fullGradientChunk - 1) / fullGradientChunk
	total := chunks + len(opt.BatchSizes)*m + (n+perSampleChunk(p)-1)/perSampleChunk(p)
	done := 0
	tick := func() {
		done++
		if progress != nil {
			progress(done, total)
		}
	}

	gbar, err := fullGradient(o, p, n, chunks, opt.Workers, tick)
	if err != nil {
		return nil, err
	}
	var norm float64
	for _, v := range gbar {
		norm += v * v
	}
	rep.FullGradientNorm = math.Sqrt(norm)
	rep.GradNorm, rep.WeightDecay = rep.FullGradientNorm, opt.WeightDecay
	if th, ok := o.(ThetaOracle); ok && opt.WeightDecay > 0 {
		theta := th.Theta()
		var s float64
		for j, g := range gbar {
			d := g + opt.WeightDecay*theta[j]
			s += d * d
		}
		rep.GradNorm = math.Sqrt(s)
	}

	tPool := max(1, min(m, opt.PoolCap/p))
	st := &noiseStream{
		o: o, gbar: gbar, seed: opt.Seed, p: p, n: n, m: m, tPool: tPool,
		coords: coords,
		mat:    make([]float64, len(coords)*m),
		pool:   make([]float64, tPool*p),
		lo:     make([][]float64, opt.Workers),
		hi:     make([][]float64, opt.Workers),
		g:      make([][]float64, opt.Workers),
		idx:    make([][]int, opt.Workers),
		sq:     make([]float64, m),
		dirs:   randomDirections(opt.Directions, len(coords), opt.Seed),
		refs:   map[int]*Reference{},
	}
	for w := range opt.Workers {
		st.lo[w] = make([]float64, p)
		st.hi[w] = make([]float64, p)
		st.g[w] = make([]float64, p)
	}
	for _, b := range opt.BatchSizes {
		res, err := st.run(b, opt, tick)
		if err != nil {
			return nil, err
		}
		if b == opt.HistB {
			rep.Figure = res.fig
		}
		rep.Batches = append(rep.Batches, res.at)
	}
	if err := st.centralLimit(rep, opt.Workers, tick); err != nil {
		return nil, err
	}
	return rep, nil
}

// centralLimit computes the per-sample gradients' skewness and excess
// kurtosis along the coordinates, the random directions and every batch
// size's principal directions, and fills in the central-limit predictions
// γ/√B and κ/B beside the measured effect sizes.
func (s *noiseStream) centralLimit(rep *Analysis, workers int, tick func()) error {
	dirs := slices.Clone(s.dirs)
	for _, at := range rep.Batches {
		if e := at.AcrossMinibatches.EffectSize; e != nil {
			for _, pd := range e.Principal {
				dirs = append(dirs, pd.direction)
			}
		}
	}
	mom, err := s.perSampleShape(dirs, workers, tick)
	if err != nil {
		return err
	}
	coordG1, coordG2 := map[int]float64{}, map[int]float64{}
	for c, j := range s.coords {
		coordG1[j], coordG2[j] = stats.MomentShape(mom.coord[c], s.n)
	}
	rg1, rg2 := make([]float64, len(s.dirs)), make([]float64, len(s.dirs))
	for r := range s.dirs {
		rg1[r], rg2[r] = stats.MomentShape(mom.dir[r], s.n)
	}
	next := len(s.dirs)
	for i := range rep.Batches {
		at := &rep.Batches[i]
		b := at.BatchSize
		e := at.AcrossMinibatches.EffectSize
		if e == nil {
			continue
		}
		g1, g2 := make([]float64, len(at.coordShapes)), make([]float64, len(at.coordShapes))
		for k := range at.coordShapes {
			cs := &at.coordShapes[k]
			cs.PerSampleSkewness, cs.PerSampleExcessKurtosis = coordG1[cs.Param], coordG2[cs.Param]
			g1[k], g2[k] = cs.PerSampleSkewness, cs.PerSampleExcessKurtosis
		}
		predict(e.Coordinates, g1, g2, b)
		predict(e.RandomDirections, rg1, rg2, b)
		pg1, pg2 := make([]float64, len(e.Principal)), make([]float64, len(e.Principal))
		for k := range e.Principal {
			pd := &e.Principal[k]
			pd.PerSampleSkewness, pd.PerSampleExcessKurtosis = stats.MomentShape(mom.dir[next], s.n)
			next++
			pd.PredictedSkewness = pd.PerSampleSkewness / math.Sqrt(float64(b))
			pd.PredictedExcessKurtosis = pd.PerSampleExcessKurtosis / float64(b)
			pg1[k], pg2[k] = pd.PerSampleSkewness, pd.PerSampleExcessKurtosis
		}
		predict(e.PrincipalDirections, pg1, pg2, b)
	}
	return nil
}

// OptionError reports a value of Options that is out of range. Field is
// the option in snake case ("batch_sizes", "minibatches", "workers",
// "coords", "pool_cap", "directions", "principal", "bootstrap", "hist_b"),
// Label how the message names it and Detail the value and what is wrong;
// the message is "noise: <label> <detail>".
type OptionError struct {
	Field, Label, Detail string
}

// Error returns "noise: <label> <detail>".
func (e *OptionError) Error() string { return "noise: " + e.Label + " " + e.Detail }

// Option returns the option's name in snake case and what is wrong with
// its value, for a caller that names the option its own way (a command's
// flag).
func (e *OptionError) Option() (field, detail string) { return e.Field, e.Detail }

// Validate checks the options that need no model and no data, as Analyze
// does (batch sizes positive and distinct, at least MinMinibatches, HistB
// among the batch sizes, no negative count), and returns the
// *OptionError of the first that is wrong. Analyze also checks them
// against the model's P and the samples' N.
func (opt Options) Validate() error {
	_, err := opt.withDefaults(math.MaxInt32, math.MaxInt32)
	return err
}

func (opt Options) withDefaults(p, n int) (Options, error) {
	if len(opt.BatchSizes) == 0 {
		return opt, &OptionError{"batch_sizes", "batch sizes", "missing: no batch sizes given; want at least one B with 1 ≤ B ≤ N"}
	}
	opt.BatchSizes = slices.Clone(opt.BatchSizes)
	seen := map[int]bool{}
	for _, b := range opt.BatchSizes {
		switch {
		case b < 1:
			return opt, &OptionError{"batch_sizes", "batch size", fmt.Sprintf("%d: want a positive batch size", b)}
		case b > n:
			return opt, &OptionError{"batch_sizes", "batch size", fmt.Sprintf("%d is larger than the %d samples of the data selection; want B ≤ %d", b, n, n)}
		case b >= maxStreamIndex:
			return opt, &OptionError{"batch_sizes", "batch size", fmt.Sprintf("%d: want B < %d", b, maxStreamIndex)}
		case seen[b]:
			return opt, &OptionError{"batch_sizes", "batch size", fmt.Sprintf("%d given twice", b)}
		}
		seen[b] = true
	}
	if opt.Minibatches < MinMinibatches {
		return opt, &OptionError{"minibatches", "minibatches", fmt.Sprintf("%d: want at least %d (each coordinate's noise over the minibatches is one sample, and the stable fit needs 20 points)", opt.Minibatches, MinMinibatches)}
	}
	if opt.Minibatches >= maxStreamIndex {
		return opt, &OptionError{"minibatches", "minibatches", fmt.Sprintf("%d: want fewer than %d", opt.Minibatches, maxStreamIndex)}
	}
	if opt.Workers < 0 {
		return opt, &OptionError{"workers", "workers", fmt.Sprintf("%d: want a positive number (or 0 for one per CPU)", opt.Workers)}
	}
	opt.Workers = cmp.Or(opt.Workers, runtime.NumCPU())
	switch {
	case opt.Coords < 0:
		return opt, &OptionError{"coords", "coordinates", fmt.Sprintf("%d: want a positive number (or 0 for the default)", opt.Coords)}
	case opt.Coords == 0 && p <= AllCoordsLimit:
		opt.Coords = p
	case opt.Coords == 0:
		opt.Coords = DefaultCoords
	}
	opt.Coords = min(opt.Coords, p)
	if opt.PoolCap < 0 {
		return opt, &OptionError{"pool_cap", "pool cap", fmt.Sprintf("%d: want a positive number of values (or 0 for %d)", opt.PoolCap, DefaultPoolCap)}
	}
	opt.PoolCap = cmp.Or(opt.PoolCap, DefaultPoolCap)
	if !(opt.WeightDecay >= 0) || math.IsInf(opt.WeightDecay, 0) {
		return opt, fmt.Errorf("noise: weight decay %v, want a finite number ≥ 0", opt.WeightDecay)
	}
	switch {
	case opt.Directions < 0:
		return opt, &OptionError{"directions", "random directions", fmt.Sprintf("%d: want a positive number (or 0 for %d)", opt.Directions, DefaultDirections)}
	case opt.Principal < 0:
		return opt, &OptionError{"principal", "principal directions", fmt.Sprintf("%d: want a positive number (or 0 for %d)", opt.Principal, DefaultPrincipal)}
	case opt.Bootstrap < 0 || (opt.Bootstrap > 0 && opt.Bootstrap < 40):
		return opt, &OptionError{"bootstrap", "bootstrap resamples", fmt.Sprintf("%d: want at least 40 (or 0 for %d)", opt.Bootstrap, DefaultBootstrap)}
	}
	opt.Directions = cmp.Or(opt.Directions, DefaultDirections)
	opt.Principal = cmp.Or(opt.Principal, DefaultPrincipal)
	opt.Bootstrap = cmp.Or(opt.Bootstrap, DefaultBootstrap)
	if opt.HistB == 0 {
		sorted := slices.Sorted(slices.Values(opt.BatchSizes))
		opt.HistB = sorted[len(sorted)-1]
		for _, b := range sorted {
			if b >= 16 {
				opt.HistB = b
				break
			}
		}
	} else if !seen[opt.HistB] {
		return opt, &OptionError{"hist_b", "figure batch size", fmt.Sprintf("%d is not among the batch sizes %v", opt.HistB, opt.BatchSizes)}
	}
	return opt, nil
}

// Random stream kinds: every random choice uses rand.NewPCG(seed,
// streamID(kind, b, i)) with its own (kind, b, i).
const (
	streamMinibatch = iota
	streamCoords
	streamRefCoordGauss
	streamRefCoordStable
	streamRefParamsGauss
	streamRefParamsStable
	streamDirections
	streamBootstrap
	streamBootstrapPrincipal
	streamShapeRef
	streamRefPooledGauss
)

// streamID maps (kind, b, i), b and i below 2²⁹, to a PCG stream by
// splitmix64 (Steele, Lea and Flood 2014) of kind·2⁵⁸ + b·2²⁹ + i, a
// bijection, so distinct triples get distinct streams.
func streamID(kind, b, i int) uint64 {
	return seed.SplitMix64(uint64(kind)<<58 | uint64(b)<<29 | uint64(i))
}

// chooseCoords returns all of 0…p−1 when k == p, otherwise k distinct
// indices drawn uniformly with the coordinate stream, ascending.
func chooseCoords(p, k int, seed uint64) []int {
	if k >= p {
		c := make([]int, p)
		for i := range c {
			c[i] = i
		}
		return c
	}
	r := rand.New(rand.NewPCG(seed, streamID(streamCoords, 0, 0)))
	c := r.Perm(p)[:k]
	slices.Sort(c)
	return c
}

// minibatchIndices fills idx with the indices of minibatch t of batch size
// len(idx): i.i.d. uniform on [0, n), from the minibatch's own stream.
func minibatchIndices(idx []int, n int, seed uint64, t int) {
	r := rand.New(rand.NewPCG(seed, streamID(streamMinibatch, len(idx), t)))
	for i := range idx {
		idx[i] = r.IntN(n)
	}
}

// fullGradient returns ḡ = Σ_c (n_c/N)·ḡ_c over chunks c of at most
// fullGradientChunk consecutive samples, combined in chunk order.
func fullGradient(o GradientOracle, p, n, chunks, workers int, tick func()) ([]float64, error) {
	parts := make([][]float64, chunks)
	err := workgroup.For("noise worker", chunks, workers, func(_, c int) error {
		lo, hi := c*fullGradientChunk, min(n, (c+1)*fullGradientChunk)
		idx := make([]int, hi-lo)
		for i := range idx {
			idx[i] = lo + i
		}
		g := make([]float64, p)
		if err := o.MeanGradient(g, idx); err != nil {
			return fmt.Errorf("noise: full gradient over samples %d–%d: %w", lo, hi-1, err)
		}
		parts[c] = g
		return nil
	}, tick)
	if err != nil {
		return nil, err
	}
	gbar := make([]float64, p)
	for c, g := range parts {
		w := float64(min(n, (c+1)*fullGradientChunk)-c*fullGradientChunk) / float64(n)
		for j, v := range g {
			gbar[j] += w * v
		}
	}
	for j, v := range gbar {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("noise: the full gradient has a non-finite value (%v) at parameter %d", v, j)
		}
	}
	return gbar, nil
}

// noiseStream holds the buffers of the minibatch stream, reused across
// batch sizes.
type noiseStream struct {
	o           GradientOracle
	gbar        []float64
	seed        uint64
	p, n, m     int
	tPool       int
	coords      []int
	mat         []float64   // mat[k·m + t] = ξ_t[coords[k]]
	pool        []float64   // pool[t·p + j] = ξ_t[j], t < tPool
	lo, hi      [][]float64 // per-worker running min and max of ξ_j
	g           [][]float64 // per-worker gradient buffer
	idx         [][]int     // per-worker index buffer
	constant    []bool
	constantCnt int
	sq          []float64          // sq[t] = ‖ξ_t‖²
	dirs        [][]float64        // random directions over the analysed coordinates
	refs        map[int]*Reference // Gaussian references by sample size
}

// minibatchNoise computes ξ = g_B − ḡ of minibatch t of batch size len(idx)
// into dst.
func minibatchNoise(o GradientOracle, gbar []float64, seed uint64, t int, idx []int, dst []float64) error {
	minibatchIndices(idx, o.NumSamples(), seed, t)
	if err := o.MeanGradient(dst, idx); err != nil {
		return fmt.Errorf("noise: gradient of minibatch %d of batch size %d: %w", t, len(idx), err)
	}
	for j, v := range dst {
		d := v - gbar[j]
		if math.IsNaN(d) || math.IsInf(d, 0) {
			return fmt.Errorf("noise: the gradient of minibatch %d of batch size %d has a non-finite value (%v) at parameter %d", t, len(idx), v, j)
		}
		dst[j] = d
	}
	return nil
}

type batchResult struct {
	at  AtBatch
	fig *FigureData
}

// run streams the minibatches of batch size b and computes both views.
func (s *noiseStream) run(b int, opt Options, tick func()) (*batchResult, error) {
	for w := range s.lo {
		s.idx[w] = make([]int, b)
		for j := range s.lo[w] {
			s.lo[w][j], s.hi[w][j] = math.Inf(1), math.Inf(-1)
		}
	}
	err := workgroup.For("noise worker", s.m, opt.Workers, func(w, t int) error {
		xi := s.g[w]
		if err := minibatchNoise(s.o, s.gbar, s.seed, t, s.idx[w], xi); err != nil {
			return err
		}
		lo, hi := s.lo[w], s.hi[w] // ξ is finite here, so the builtins suffice
		for j, v := range xi {
			lo[j] = min(lo[j], v)
			hi[j] = max(hi[j], v)
		}
		for k, j := range s.coords {
			s.mat[k*s.m+t] = xi[j]
		}
		var sq float64
		for _, v := range xi {
			sq += v * v
		}
		s.sq[t] = sq
		if t < s.tPool {
			copy(s.pool[t*s.p:(t+1)*s.p], xi)
		}
		return nil
	}, tick)
	if err != nil {
		return nil, err
	}
	s.markConstant()
	res := &batchResult{at: AtBatch{BatchSize: b, ConstantParams: s.constantCnt}}
	if b == opt.HistB {
		res.fig = &FigureData{BatchSize: b, CoordIndex: -1, CoordTailIndex: math.NaN(), GaussRefTailIndex: math.NaN()}
	}
	if err := s.acrossParams(b, opt, &res.at, res.fig); err != nil {
		return nil, err
	}
	if err := s.acrossMinibatches(b, opt, &res.at, res.fig); err != nil {
		return nil, err
	}
	var sq float64
	for _, v := range s.sq {
		sq += v
	}
	res.at.MeanNoiseNormSquared = sq / float64(s.m)
	if err := s.effectSizes(b, opt, &res.at); err != nil {
		return nil, fmt.Errorf("noise: batch size %d, effect sizes: %w", b, err)
	}
	return res, nil
}

// markConstant merges the workers' ranges and applies ConstantTolerance.
func (s *noiseStream) markConstant() {
	if s.constant == nil {
		s.constant = make([]bool, s.p)
	}
	s.constantCnt = 0
	for j := range s.p {
		lo, hi := math.Inf(1), math.Inf(-1)
		for w := range s.lo {
			lo = math.Min(lo, s.lo[w][j])
			hi = math.Max(hi, s.hi[w][j])
		}
		scale := math.Abs(s.gbar[j]) + math.Max(math.Abs(lo), math.Abs(hi))
		s.constant[j] = hi-lo <= ConstantTolerance*scale
		if s.constant[j] {
			s.constantCnt++
		}
	}
}

// paramsSample returns the non-constant coordinates of pooled minibatch t.
func (s *noiseStream) paramsSample(t int) []float64 {
	row := s.pool[t*s.p : (t+1)*s.p]
	out := make([]float64, 0, s.p-s.constantCnt)
	for j, v := range row {
		if !s.constant[j] {
			out = append(out, v)
		}
	}
	return out
}

// acrossParams computes the across-parameter view; fig, if not nil,
// receives the samples of panels (a) and (b).
func (s *noiseStream) acrossParams(b int, opt Options, at *AtBatch, fig *FigureData) error {
	v := &at.AcrossParams
	v.PooledMinibatches = s.tPool
	// Each pooled minibatch as its own sample.
	per := make([]*SampleStats, s.tPool)
	err := workgroup.For("noise worker", s.tPool, opt.Workers, func(_, t int) error {
		st, err := computeSampleStats(s.paramsSample(t))
		per[t] = st
		return err
	}, nil)
	if err != nil {
		return fmt.Errorf("noise: batch size %d, across parameters: %w", b, err)
	}
	v.OneMinibatch = per[0]
	if v.PerMinibatch, err = summarize(per); err != nil {
		return fmt.Errorf("noise: batch size %d, across parameters: %w", b, err)
	}
	pooled := make([]float64, 0, s.tPool*(s.p-s.constantCnt))
	for t := range s.tPool {
		pooled = append(pooled, s.paramsSample(t)...)
	}
	if v.Pooled, err = computeSampleStats(pooled); err != nil {
		return fmt.Errorf("noise: batch size %d, pooled across parameters: %w", b, err)
	}
	if err := s.pooledStandardized(b, v); err != nil {
		return fmt.Errorf("noise: batch size %d, standardised pool: %w", b, err)
	}
	one := v.OneMinibatch
	if one == nil || one.Gaussian == nil || one.Stable == nil {
		return nil // too few non-constant coordinates for references
	}
	size := one.N
	gref := make([]float64, size)
	r := rand.New(rand.NewPCG(s.seed, streamID(streamRefParamsGauss, b, 0)))
	for i := range gref {
		gref[i] = one.Gaussian.Mean + one.Gaussian.Sigma*r.NormFloat64()
	}
	if v.ReferenceGaussian, err = computeSampleStats(gref); err != nil {
		return fmt.Errorf("noise: batch size %d, Gaussian reference: %w", b, err)
	}
	sref := make([]float64, size)
	r = rand.New(rand.NewPCG(s.seed, streamID(streamRefParamsStable, b, 0)))
	if err := stats.SymStableSample(sref, one.Stable.Alpha, one.Stable.Sigma, r); err != nil {
		return fmt.Errorf("noise: batch size %d, stable reference: %w", b, err)
	}
	for i := range sref {
		sref[i] += one.Stable.Location
	}
	if v.ReferenceStable, err = computeSampleStats(sref); err != nil {
		return fmt.Errorf("noise: batch size %d, stable reference: %w", b, err)
	}
	if fig != nil {
		fig.Params, fig.ParamsGauss, fig.ParamsStable = s.paramsSample(0), *one.Gaussian, *one.Stable
		fig.StableRef = sref
		if g := v.ReferenceStable.Gaussian; g != nil {
			fig.StableRefGauss = *g
		}
	}
	return nil
}

// sampleRow holds the per-sample statistics summarised by DistSummary;
// NaN marks one that could not be computed.
type sampleRow struct {
	tail, skew, alpha, ksD, ksP, adA, adP float64
}

// nanRow returns a sampleRow with every statistic missing.
func nanRow() sampleRow {
	n := math.NaN()
	return sampleRow{n, n, n, n, n, n, n}
}

// coordResult holds the statistics of one coordinate's standardised noise
// over the minibatches and of its two synthetic references.
type coordResult struct {
	constant   bool
	data, refG sampleRow
	refS       *sampleRow
	stable     *stats.StableFit
}

// acrossMinibatches computes the across-minibatch view; fig, if not nil,
// receives the samples of panels (c) and (d).
func (s *noiseStream) acrossMinibatches(b int, opt Options, at *AtBatch, fig *FigureData) error {
	v := &at.AcrossMinibatches
	v.Coords = len(s.coords)
	results, err := s.coordResults(b, opt.Workers)
	if err != nil {
		return fmt.Errorf("noise: batch size %d, across minibatches: %w", b, err)
	}
	var data, refG, refS []sampleRow
	var sumVar float64
	analysed := 0
	for k := range results {
		r := &results[k]
		if r.constant {
			v.ConstantCoords++
			continue
		}
		_, variance := stats.MeanVar(s.mat[k*s.m : (k+1)*s.m])
		sumVar += variance
		analysed++
		data = append(data, r.data)
		refG = append(refG, r.refG)
		if r.refS != nil {
			refS = append(refS, *r.refS)
		}
	}
	if analysed > 0 {
		at.MeanVarianceTimesB = float64(b) * sumVar / float64(analysed)
	}
	if v.Coordinates, err = summarizeStats(data); err != nil {
		return err
	}
	if v.ReferenceGaussian, err = summarizeStats(refG); err != nil {
		return err
	}
	if v.ReferenceStable, err = summarizeStats(refS); err != nil {
		return err
	}
	return s.typicalCoord(b, results, v, fig)
}

// coordResults computes, on workers goroutines, the statistics of every
// analysed coordinate's standardised noise over the minibatches and of its
// two synthetic references (N(0, 1), and SαS at the coordinate's fitted α).
func (s *noiseStream) coordResults(b, workers int) ([]coordResult, error) {
	results := make([]coordResult, len(s.coords))
	scratch := make([][]float64, workers)
	for w := range scratch {
		scratch[w] = make([]float64, 3*s.m)
	}
	err := workgroup.For("noise worker", len(s.coords), workers, func(w, k int) error {
		r := &results[k]
		if s.constant[s.coords[k]] {
			r.constant = true
			return nil
		}
		z, tmp, sorted := scratch[w][:s.m], scratch[w][s.m:2*s.m], scratch[w][2*s.m:]
		x := s.mat[k*s.m : (k+1)*s.m]
		stats.Standardize(z, x)
		r.data, r.stable = coordStats(x, z, sorted)
		// The null reference: N(0, 1), tested alike.
		gaussianRef(tmp, s.seed, b, k)
		stats.Standardize(z, tmp)
		r.refG, _ = coordStats(tmp, z, sorted)
		if r.stable != nil {
			rng := rand.New(rand.NewPCG(s.seed, streamID(streamRefCoordStable, b, k)))
			if err := stats.SymStableSample(tmp, r.stable.Alpha, 1, rng); err != nil {
				return err
			}
			stats.Standardize(z, tmp)
			refS, _ := coordStats(tmp, z, sorted)
			r.refS = &refS
		}
		return nil
	}, nil)
	return results, err
}

// typicalCoord picks the coordinate with the median Anderson–Darling
// statistic, records its statistics in v and, if fig is not nil, its
// standardised noise and Gaussian reference for panels (c) and (d).
func (s *noiseStream) typicalCoord(b int, results []coordResult, v *AcrossMinibatchesView, fig *FigureData) error {
	var order []int
	for k := range results {
		if !results[k].constant && !math.IsNaN(results[k].data.adA) {
			order = append(order, k)
		}
	}
	v.TypicalCoord = -1
	if len(order) == 0 {
		return nil
	}
	slices.SortStableFunc(order, func(a, c int) int {
		switch {
		case results[a].data.adA < results[c].data.adA:
			return -1
		case results[a].data.adA > results[c].data.adA:
			return 1
		default:
			return 0
		}
	})
	k := order[(len(order)-1)/2]
	v.TypicalCoord = s.coords[k]
	x := s.mat[k*s.m : (k+1)*s.m]
	z := make([]float64, s.m)
	stats.Standardize(z, x)
	var err error
	if v.Typical, err = computeSampleStats(z); err != nil {
		return err
	}
	// The tail index as everywhere else: on the noise as it is.
	v.Typical.setTailIndex(results[k].data.tail)
	if fig != nil {
		fig.CoordIndex, fig.Coord, fig.CoordStable = s.coords[k], z, results[k].stable
		fig.CoordName = s.paramName(s.coords[k])
		fig.CoordTailIndex, fig.GaussRefTailIndex = results[k].data.tail, results[k].refG.tail
		g := make([]float64, s.m)
		gaussianRef(g, s.seed, b, k)
		fig.GaussRef = make([]float64, s.m)
		stats.Standardize(fig.GaussRef, g)
	}
	return nil
}

// gaussianRef fills dst with the N(0, 1) reference sample of coordinate k
// (position in the analysed list) at batch size b.
func gaussianRef(dst []float64, seed uint64, b, k int) {
	rng := rand.New(rand.NewPCG(seed, streamID(streamRefCoordGauss, b, k)))
	for i := range dst {
		dst[i] = rng.NormFloat64()
	}
}

// coordStats computes the per-coordinate statistics of one coordinate's
// noise over the minibatches: the tail index and the skewness of the sample
// x as it is, the stable fit and the tests of its standardised version z
// (sorted is scratch of the same length, overwritten). It returns the stable
// fit too (nil if it failed).
func coordStats(x, z, sorted []float64) (sampleRow, *stats.StableFit) {
	c := nanRow()
	if a, err := stats.TailIndex(x); err == nil {
		c.tail = a
	}
	if g, err := stats.Skewness(x); err == nil {
		c.skew = g
	}
	copy(sorted, z)
	slices.Sort(sorted)
	var fit *stats.StableFit
	if f, err := stats.FitSymStableSorted(sorted); err == nil {
		c.alpha = f.Alpha
		fit = &f
	}
	if r, err := stats.LillieforsSorted(sorted); err == nil {
		c.ksD, c.ksP = r.Statistic, r.PValue
	}
	if r, err := stats.AndersonDarlingNormalSorted(sorted); err == nil {
		c.adA, c.adP = r.Statistic, r.PValue
	}
	return c, fit
}

// summarizeStats turns per-sample statistics into a DistSummary, skipping
// NaN entries per statistic; nil for no samples.
func summarizeStats(rs []sampleRow) (*DistSummary, error) {
	if len(rs) == 0 {
		return nil, nil
	}
	d := &DistSummary{Samples: len(rs)}
	cols := make([][]float64, 7)
	var ksRej, adRej, ksN, adN int
	for _, r := range rs {
		for i, v := range []float64{r.tail, r.skew, r.alpha, r.ksD, r.ksP, r.adA, r.adP} {
			if !math.IsNaN(v) {
				cols[i] = append(cols[i], v)
			}
		}
		if !math.IsNaN(r.ksP) {
			ksN++
			if r.ksP < RejectLevel {
				ksRej++
			}
		}
		if !math.IsNaN(r.adP) {
			adN++
			if r.adP < RejectLevel {
				adRej++
			}
		}
	}
	var err error
	dst := []**stats.Quartiles{&d.TailIndex, &d.Skewness, &d.StableAlpha, &d.KSStatistic, &d.KSPValue, &d.ADStatistic, &d.ADPValue}
	for i, c := range cols {
		if *dst[i], err = stats.QuartilesOf(c); err != nil {
			return nil, err
		}
	}
	if ksN > 0 {
		d.KSRejectFraction = float64(ksRej) / float64(ksN)
	}
	if adN > 0 {
		d.ADRejectFraction = float64(adRej) / float64(adN)
	}
	return d, nil
}

// summarize turns SampleStats (nil entries skipped) into a DistSummary.
func summarize(ss []*SampleStats) (*DistSummary, error) {
	var rs []sampleRow
	for _, s := range ss {
		if s == nil {
			continue
		}
		r := nanRow()
		if s.TailIndex != nil {
			r.tail = *s.TailIndex
		}
		if s.Skewness != nil {
			r.skew = *s.Skewness
		}
		if s.Stable != nil {
			r.alpha = s.Stable.Alpha
		}
		if s.KS != nil {
			r.ksD, r.ksP = s.KS.Statistic, s.KS.PValue
		}
		if s.AD != nil {
			r.adA, r.adP = s.AD.Statistic, s.AD.PValue
		}
		rs = append(rs, r)
	}
	return summarizeStats(rs)
}

// setTailIndex records α̂ = a and whether it hit its cap
// (stats.MaxTailIndex); NaN records none.
func (s *SampleStats) setTailIndex(a float64) {
	if math.IsNaN(a) {
		s.TailIndex, s.TailIndexCapped = nil, nil
		return
	}
	capped := a == stats.MaxTailIndex
	s.TailIndex, s.TailIndexCapped = &a, &capped
}

// computeSampleStats computes every statistic of SampleStats for x (the
// tail index on x as it is, in its given order); nil when x is empty.
// Statistics that x is too small or too degenerate for are listed in
// Skipped.
func computeSampleStats(x []float64) (*SampleStats, error) {
	if len(x) == 0 {
		return nil, nil
	}
	if err := stats.CheckFinite(x); err != nil {
		return nil, err
	}
	s := &SampleStats{N: len(x)}
	sorted := stats.Sorted(x)
	if a, err := stats.TailIndex(x); err == nil {
		s.setTailIndex(a)
	} else {
		s.Skipped = append(s.Skipped, "tail_index: "+err.Error())
	}
	if g, err := stats.Skewness(x); err == nil {
		s.Skewness = &g
	} else {
		s.Skipped = append(s.Skipped, "skewness: "+err.Error())
	}
	if g, err := stats.FitGaussian(x); err == nil {
		s.Gaussian = &g
	} else {
		s.Skipped = append(s.Skipped, "gaussian: "+err.Error())
	}
	if len(x) < 20 {
		s.Skipped = append(s.Skipped, fmt.Sprintf("stable, ks_lilliefors, anderson_darling: %d values, need at least 20", len(x)))
		return s, nil
	}
	if f, err := stats.FitSymStableSorted(sorted); err == nil {
		s.Stable = &f
	} else {
		s.Skipped = append(s.Skipped, err.Error())
	}
	if r, err := stats.LillieforsSorted(sorted); err == nil {
		s.KS = &r
	} else {
		s.Skipped = append(s.Skipped, err.Error())
	}
	if r, err := stats.AndersonDarlingNormalSorted(sorted); err == nil {
		s.AD = &r
	} else {
		s.Skipped = append(s.Skipped, err.Error())
	}
	return s, nil
}

// pooledStandardized measures the pooled sample of the analysed
// non-constant coordinates, each divided by its standard deviation over
// the minibatches, and a N(0, 1) sample of the same size.
func (s *noiseStream) pooledStandardized(b int, v *AcrossParamsView) error {
	var live []int
	var sd []float64
	for k, j := range s.coords {
		if s.constant[j] {
			continue
		}
		_, variance := stats.MeanVar(s.mat[k*s.m : (k+1)*s.m])
		if !(variance > 0) {
			continue
		}
		live = append(live, j)
		sd = append(sd, math.Sqrt(variance))
	}
	if len(live) == 0 {
		return nil
	}
	pool := make([]float64, 0, s.tPool*len(live))
	for t := range s.tPool {
		row := s.pool[t*s.p : (t+1)*s.p]
		for i, j := range live {
			pool = append(pool, row[j]/sd[i])
		}
	}
	var err error
	if v.PooledStandardized, err = computeSampleStats(pool); err != nil {
		return err
	}
	r := rand.New(rand.NewPCG(s.seed, streamID(streamRefPooledGauss, b, 0)))
	for i := range pool {
		pool[i] = r.NormFloat64()
	}
	v.ReferencePooled, err = computeSampleStats(pool)
	return err
}
