package covariance

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"github.com/sgn-project/sgn/hessian"
	"github.com/sgn-project/sgn/internal/eigen"
	"github.com/sgn-project/sgn/internal/seed"
	"github.com/sgn-project/sgn/model"
)

// Mode is how Analyze obtains the eigenbasis of H: ModeAuto, ModeFull or
// ModeMatFree.
type Mode string

// The modes of Analyze.
const (
	// ModeAuto picks ModeFull when P ≤ AutoFullMaxParams, else ModeMatFree.
	ModeAuto Mode = "auto"
	// ModeFull assembles H (P×P) and Σ (P×P), computes all eigenvalues of
	// H and the eigenvectors down to the window's lower end.
	ModeFull Mode = "full"
	// ModeMatFree computes the top-k eigenpairs of H by Lanczos on exact
	// Hessian-vector products and projects Σ on them with G streamed in
	// chunks: memory O(k·P) plus the chunk of G, any P.
	ModeMatFree Mode = "matfree"
)

// AutoFullMaxParams is the largest P that ModeAuto analyses in full. Full
// mode costs about 2 s on one core at P = 1,242 and N = 2,000 (P Hessian
// columns and dense Σ grow as P²N, the tridiagonal reduction as P³) and
// holds four P×P matrices, so at P = 3,000 it takes about half a minute and
// beyond that the matrix-free mode is the practical one.
const AutoFullMaxParams = 3000

// Defaults of Options.
const (
	// DefaultTopK is the number of Lanczos eigenpairs in ModeMatFree.
	DefaultTopK = 100
	// DefaultHeatmapK is the side of the top block of UᵀCU drawn as a heat
	// map.
	DefaultHeatmapK = 20
)

// Options configure Analyze.
type Options struct {
	// BatchSizes are the batch sizes B of C = Σ/B compared with H/B (at
	// least one; each ≥ 1 and ≤ the number of samples).
	BatchSizes []int
	// Window is the open interval of eigenvalues compared. The zero value
	// means (DefaultLambdaMin, DefaultLambdaMax) in ModeFull and, in
	// ModeMatFree, a window derived from the eigenvalues computed
	// (MatFreeWindow), so that the top-k pairs Lanczos found are compared
	// whatever the model's curvature.
	Window Window
	// Mode is ModeAuto (""), ModeFull or ModeMatFree.
	Mode Mode
	// TopK is the number of Lanczos eigenpairs in ModeMatFree (0 means
	// DefaultTopK).
	TopK int
	// HeatmapK is the side of the top block kept for the heat map (0 means
	// DefaultHeatmapK).
	HeatmapK int
	// Seed seeds the Lanczos start vector and, through seed.Derive with
	// the batch size, the bootstrap intervals of each Comparison.
	Seed uint64
	// WeightDecay is λ ≥ 0 of the regularised loss CE + (λ/2)‖θ‖² whose
	// minimum θ is meant to be (Analyze's Stationarity); 0 for the plain
	// cross-entropy. It changes neither C nor the comparison: λθ is common
	// to every per-sample gradient and only shifts H by λI.
	WeightDecay float64
	// MemoryBudget bounds the per-sample gradients (see GradientOptions).
	MemoryBudget int64
	// MaxMemory, when positive, is the most AnalyzePair may hold at its
	// peak (MemoryNeed): options that need more are refused with a
	// *memlimit.Error before anything is allocated for them. 0: no limit.
	MaxMemory int64
	// Workers is the number of goroutines of the gradient and Hessian
	// passes. Results do not depend on it.
	Workers int
	// Progress, if not nil, is called with the stage being worked on and
	// how far it is (done of total units).
	Progress func(stage Stage, done, total int)
}

// progress calls o.Progress if it is set.
func (o *Options) progress(stage Stage, done, total int) {
	if o.Progress != nil {
		o.Progress(stage, done, total)
	}
}

// Stage is a stage of Analyze, as reported to Options.Progress.
type Stage string

// The stages of Analyze, in the order they run. ModeFull runs StageHessian
// and StageEigen, ModeMatFree StageLanczos instead; StageDenseSigma is
// ModeFull's relative Frobenius error.
const (
	StageGradients  Stage = "per-sample gradients"
	StageHessian    Stage = "Hessian"
	StageLanczos    Stage = "Lanczos"
	StageEigen      Stage = "eigendecomposition"
	StageProjection Stage = "projection of Σ"
	StageDenseSigma Stage = "dense Σ"
)

// Share returns the part [from, to) of an analysis' work that the stage
// takes, roughly as long as the stages last in ModeFull at the figure
// preset's size (ModeMatFree's Lanczos takes the Hessian's and the
// eigendecomposition's share); an unknown stage gets the whole [0, 1).
func (s Stage) Share() (from, to float64) {
	switch s {
	case StageGradients:
		return 0, 0.05
	case StageHessian:
		return 0.05, 0.35
	case StageLanczos:
		return 0.05, 0.85
	case StageEigen:
		return 0.35, 0.85
	case StageProjection:
		return 0.85, 0.95
	case StageDenseSigma:
		return 0.95, 1
	default:
		return 0, 1
	}
}

// EigenInfo describes how the eigenbasis of H was obtained.
type EigenInfo struct {
	// Method names the eigensolver: the dense path of ModeFull (see
	// eigen.Top) or "Lanczos" (ModeMatFree).
	Method string `json:"method"`
	// Computed is the number of eigenpairs computed, Analysed the number
	// (the largest ones) on which Σ was projected.
	Computed int `json:"computed"`
	Analysed int `json:"analysed"`
	// LambdaMax and LambdaMin are the extreme computed eigenvalues; Negative
	// counts the computed eigenvalues below zero and InWindow those in the
	// window.
	LambdaMax float64 `json:"lambda_max"`
	LambdaMin float64 `json:"lambda_min"`
	Negative  int     `json:"negative"`
	InWindow  int     `json:"in_window"`
	// Asymmetry is max |Hᵢⱼ − Hⱼᵢ| of the assembled Hessian (ModeFull).
	Asymmetry float64 `json:"assembly_asymmetry,omitempty"`
	// Iterations, Converged and MaxResidual (max ‖Hu − λu‖) report on
	// Lanczos (ModeMatFree).
	Iterations  int     `json:"lanczos_iterations,omitempty"`
	Converged   *bool   `json:"lanczos_converged,omitempty"`
	MaxResidual float64 `json:"max_residual,omitempty"`
}

// Stationarity is the evidence that θ is a minimum of the regularised loss
// L(θ) = CE(θ) + (λ/2)‖θ‖² over the analysed samples, which C ≈ H/B
// assumes (Xie et al. 2021, Section 2: the approximation holds near a
// minimum).
type Stationarity struct {
	// WeightDecay is λ (0: L is the plain cross-entropy).
	WeightDecay float64 `json:"weight_decay"`
	// GradNorm is ‖∇L(θ)‖₂ = ‖ḡ + λθ‖₂.
	GradNorm float64 `json:"grad_norm"`
	// LambdaMin is the smallest eigenvalue of ∇²L = H + λI; nil when the
	// smallest eigenvalue of H was not computed (ModeMatFree computes the
	// top ones only).
	LambdaMin *float64 `json:"lambda_min"`
}

// Analysis is the comparison of the gradient-noise covariance C(θ) = Σ/B with
// H(θ)/B for one model on one set of samples.
type Analysis struct {
	Mode       Mode    `json:"mode"`
	NumParams  int     `json:"num_params"`
	NumSamples int     `json:"num_samples"`
	Loss       float64 `json:"loss"`
	Accuracy   float64 `json:"accuracy"`
	// GradNorm is ‖ḡ‖, the norm of the gradient of the mean loss.
	GradNorm float64 `json:"grad_norm"`
	// TraceSigma = tr Σ, TraceFIM = tr FIM, TraceH = tr H (ModeFull).
	TraceSigma float64  `json:"trace_sigma"`
	TraceFIM   float64  `json:"trace_fim"`
	TraceH     *float64 `json:"trace_h,omitempty"`
	// BSimple = tr Σ / ‖ḡ‖² (McCandlish et al. 2018); nil when ḡ = 0.
	BSimple *float64 `json:"b_simple"`
	// RelFrobenius = ‖C − H/B‖_F / ‖H/B‖_F (ModeFull; independent of B).
	RelFrobenius *float64  `json:"rel_frobenius,omitempty"`
	Eigen        EigenInfo `json:"eigen"`
	// Comparisons holds one comparison per batch size, in the order given.
	Comparisons []*Comparison `json:"by_batch_size"`
	// Stationarity is the evidence that θ is a minimum (Analyze only).
	Stationarity *Stationarity `json:"stationarity,omitempty"`
	// Seconds is the wall time of each stage.
	Seconds map[string]float64 `json:"seconds"`
	// Lambda holds the analysed eigenvalues of H in descending order,
	// Sigma = UᵀΣU on their eigenvectors and MeanProj = Uᵀḡ; Fisher holds
	// uᵢᵀFuᵢ for the model Fisher F when the Hessian operator knows it (a
	// network's, see FisherOperator), else nil.
	Lambda   []float64     `json:"-"`
	Sigma    *mat.SymDense `json:"-"`
	MeanProj []float64     `json:"-"`
	Fisher   []float64     `json:"-"`
	// HeatmapK is the side of the top block for the heat map.
	HeatmapK int `json:"heatmap_k"`
	// Window is the eigenvalue window of the comparisons (Options.Window,
	// or the one its zero value stands for); each Comparison records it.
	Window Window `json:"-"`
}

// MatFreeWindow is the window ModeMatFree compares when Options.Window is
// zero: (DefaultLambdaMin, max(DefaultLambdaMax, 2·λ₁)) for the largest
// computed eigenvalue λ₁ — the default window when the top eigenvalues lie
// inside it, else one that holds every computed eigenvalue above
// DefaultLambdaMin.
func MatFreeWindow(lambdaMax float64) Window {
	return Window{Min: DefaultLambdaMin, Max: max(DefaultLambdaMax, 2*lambdaMax)}
}

// window returns the window compared in mode for the computed eigenvalues
// lambda (descending): o.Window, or what its zero value stands for.
func (o *Options) window(mode Mode, lambda []float64) Window {
	switch {
	case o.Window != (Window{}):
		return o.Window
	case mode == ModeMatFree && len(lambda) > 0 && lambda[0] > 0 && !math.IsInf(lambda[0], 0):
		return MatFreeWindow(lambda[0])
	default:
		return Window{Min: DefaultLambdaMin, Max: DefaultLambdaMax}
	}
}

// CheckBatches returns an *OptionError (batch_size) when a batch size is
// larger than the n samples analysed: C = Σ/B needs B ≤ N.
func (o Options) CheckBatches(n int) error {
	for _, b := range o.BatchSizes {
		if b > n {
			return &OptionError{Field: "batch_size", Detail: fmt.Sprintf("%d is larger than the %d samples analysed: C = Σ/B needs B ≤ N", b, n)}
		}
	}
	return nil
}

// validate checks the options against the number of samples and fills in
// the defaults.
func (o *Options) validate(n int) error {
	if len(o.BatchSizes) == 0 {
		return errors.New("no batch size given")
	}
	for _, b := range o.BatchSizes {
		if b <= 0 {
			return fmt.Errorf("batch size %d: must be positive", b)
		}
	}
	if err := o.CheckBatches(n); err != nil {
		return err
	}
	if o.Window != (Window{}) {
		if err := o.Window.Validate(); err != nil {
			return err
		}
	}
	switch o.Mode {
	case "":
		o.Mode = ModeAuto
	case ModeAuto, ModeFull, ModeMatFree:
	default:
		return fmt.Errorf("mode %q: expected auto, full or matfree", o.Mode)
	}
	if !(o.WeightDecay >= 0) || math.IsInf(o.WeightDecay, 0) {
		return fmt.Errorf("weight decay %v: must be a finite number ≥ 0", o.WeightDecay)
	}
	if o.TopK < 0 {
		return fmt.Errorf("top-k %d: must be positive", o.TopK)
	}
	if o.TopK == 0 {
		o.TopK = DefaultTopK
	}
	if o.HeatmapK < 0 {
		return fmt.Errorf("heat-map size %d: must be positive", o.HeatmapK)
	}
	if o.HeatmapK == 0 {
		o.HeatmapK = DefaultHeatmapK
	}
	o.Workers = max(1, o.Workers)
	return nil
}

// ResolveMode returns the mode Analyze uses for a model of P parameters:
// Mode, or for ModeAuto (and "") ModeFull when P ≤ AutoFullMaxParams, else
// ModeMatFree. An invalid Mode is returned as it is.
func (o Options) ResolveMode(P int) Mode {
	switch o.Mode {
	case "", ModeAuto:
		if P > AutoFullMaxParams {
			return ModeMatFree
		}
		return ModeFull
	default:
		return o.Mode
	}
}

// resolveMode returns the mode used for P parameters. It also checks the
// options that are bounded by P: a heat map of side HeatmapK > P is an
// *OptionError (its block would be the whole P×P matrix UᵀCU and more,
// every eigenvector of H computed for it). The dense matrices of ModeFull
// are bounded by MaxMemory (MemoryNeed), not by a fixed P.
func (o *Options) resolveMode(P int) (Mode, error) {
	if o.HeatmapK > P {
		return "", &OptionError{Field: "heatmap_k", Detail: fmt.Sprintf("%d: want 1..%d (the side of a block of the P×P matrix UᵀCU)", o.HeatmapK, P)}
	}
	return o.ResolveMode(P), nil
}

// OptionError reports an option that does not fit the model. Field is
// the option's name in snake case ("heatmap_k") and Detail its value and
// what is wrong; the message is "<field> <detail>".
type OptionError struct {
	Field, Detail string
}

// Error returns "<field> <detail>".
func (e *OptionError) Error() string { return e.Field + " " + e.Detail }

// Option returns the option's name in snake case and what is wrong with
// its value, for a caller that names the option its own way (a command's
// flag).
func (e *OptionError) Option() (field, detail string) { return e.Field, e.Detail }

// Analyze compares the noise covariance C = Σ/B of model m at its parameters
// m.Theta with H/B, over the samples b, in the eigenbasis of H (Xie et al.
// 2021, Fig. 2): per-sample gradients from one batched backward pass
// (NewGradients), H by the exact R-operator (model.NewHessian), its
// eigenpairs from the assembled H (ModeFull: Householder reduction, QL
// eigenvalues, inverse iteration, every pair checked) or by Lanczos
// (ModeMatFree), Σ projected on them (Gradients.ProjectSigma), then Compare
// for every batch size. ModeFull also reports ‖C − H/B‖_F/‖H/B‖_F and tr H.
//
// Errors name the bad option, or the window and the range of the
// eigenvalues when none falls inside it.
func Analyze(m *model.MLP, b model.Batch, o Options) (*Analysis, error) {
	if m == nil {
		return nil, errors.New("nil model")
	}
	n := b.N()
	if n == 0 {
		return nil, errors.New("no samples")
	}
	if err := o.validate(n); err != nil {
		return nil, err
	}
	if _, err := o.resolveMode(m.NumParams()); err != nil {
		return nil, err
	}
	a0 := time.Now()
	o.progress(StageGradients, 0, 1)
	e, err := m.Evaluate(m.Theta, b, nil, o.Workers)
	if err != nil {
		return nil, err
	}
	g, err := NewGradients(m, m.Theta, b, GradientOptions{MemoryBudget: o.MemoryBudget, Workers: o.Workers})
	if err != nil {
		return nil, err
	}
	gradSeconds := time.Since(a0).Seconds()
	h, err := m.NewHessian(m.Theta, b, o.Workers)
	if err != nil {
		return nil, err
	}
	a, err := AnalyzeOperator(g, h, o)
	if err != nil {
		return nil, err
	}
	a.Loss, a.Accuracy = e.Loss, e.Accuracy
	a.Stationarity = stationarity(g.Mean(), m.Theta, o.WeightDecay, a)
	a.Seconds["gradients"] = math.Round(gradSeconds*1000) / 1000
	return a, nil
}

// stationarity returns the gradient norm of CE + (λ/2)‖θ‖² from the mean
// gradient mean of CE and the smallest eigenvalue of its Hessian when a
// computed all of H's.
func stationarity(mean, theta []float64, decay float64, a *Analysis) *Stationarity {
	g := make([]float64, len(mean))
	copy(g, mean)
	floats.AddScaled(g, decay, theta)
	s := &Stationarity{WeightDecay: decay, GradNorm: floats.Norm(g, 2)}
	if a.Eigen.Computed == a.NumParams {
		l := a.Eigen.LambdaMin + decay
		s.LambdaMin = &l
	}
	return s
}

// bootstrapStream is the coordinate of seed.Derive that separates the
// bootstrap's seeds from the Lanczos start vector's (both from
// Options.Seed).
const bootstrapStream = 0xb007

// ErrEmptyWindow is returned (wrapped) by Analyze and AnalyzeOperator when
// no computed Hessian eigenvalue lies in the window.
var ErrEmptyWindow = errors.New("no Hessian eigenvalue in the window")

// eigenbasis is the part of H's eigendecomposition that the comparison
// uses: eigenvalues in descending order and a way to take the first k
// eigenvectors as columns.
type eigenbasis struct {
	lambda []float64
	vecs   func(k int) *mat.Dense
	dense  *mat.SymDense // the assembled H (ModeFull), else nil
}

// AnalyzeOperator is Analyze for per-sample gradients g and any symmetric
// operator h standing for the Hessian of the mean loss over the same samples
// (an analytic landscape's, a dense matrix's). Loss and Accuracy are left 0.
func AnalyzeOperator(g *Gradients, h hessian.Operator, o Options) (*Analysis, error) {
	if g == nil || h == nil {
		return nil, errors.New("nil gradients or Hessian")
	}
	n, P := g.N(), g.Dim()
	if h.Dim() != P {
		return nil, fmt.Errorf("the Hessian has dimension %d, the gradients %d", h.Dim(), P)
	}
	if err := o.validate(n); err != nil {
		return nil, err
	}
	mode, err := o.resolveMode(P)
	if err != nil {
		return nil, err
	}
	a := &Analysis{Mode: mode, NumParams: P, NumSamples: n, Seconds: map[string]float64{}, HeatmapK: o.HeatmapK}
	t0 := time.Now()
	lap := func(stage string) {
		now := time.Now()
		a.Seconds[stage] = math.Round(now.Sub(t0).Seconds()*1000) / 1000
		t0 = now
	}
	a.TraceSigma, a.TraceFIM = g.TraceSigma(), g.TraceFIM()
	a.GradNorm = floats.Norm(g.Mean(), 2)
	if bs := g.SimpleNoiseScale(); !math.IsInf(bs, 0) && !math.IsNaN(bs) {
		a.BSimple = &bs
	}
	o.progress(StageGradients, 1, 1)
	var eb *eigenbasis
	switch mode {
	case ModeFull:
		eb, err = fullEigenbasis(h, o, a, lap)
	case ModeMatFree:
		eb, err = lanczosEigenbasis(h, o, a)
		lap("lanczos")
	default:
		err = fmt.Errorf("mode %q: expected %s or %s", mode, ModeFull, ModeMatFree)
	}
	if err != nil {
		return nil, err
	}
	fo, _ := h.(FisherOperator)
	if err := a.project(g, eb, fo, o); err != nil {
		return nil, err
	}
	lap("projection")
	if eb.dense != nil {
		o.progress(StageDenseSigma, 0, 1)
		s, err := g.Sigma()
		if err != nil {
			return nil, err
		}
		if rf, err := RelFrobenius(s, eb.dense); err == nil {
			a.RelFrobenius = &rf
		}
		o.progress(StageDenseSigma, 1, 1)
		lap("sigma")
	}
	return a, nil
}

// fullEigenbasis assembles H and computes its eigenvalues and the
// eigenvectors down to the last eigenvalue in the window (and at least the
// top block and the top ratios), recording tr H and the solver in a.
func fullEigenbasis(h hessian.Operator, o Options, a *Analysis, lap func(string)) (*eigenbasis, error) {
	P := h.Dim()
	H, asym, err := hessian.Full(h, 64, func(done, total int) { o.progress(StageHessian, done, total) })
	if err != nil {
		return nil, err
	}
	lap("hessian")
	o.progress(StageEigen, 0, 1)
	want := func(values []float64) int {
		last := -1
		for i, l := range values {
			if o.window(ModeFull, nil).Contains(l) {
				last = i
			}
		}
		if last < 0 {
			return 0
		}
		return max(last+1, o.HeatmapK, NumTopRatios)
	}
	es, err := eigen.Top(H, want, eigen.Tol)
	if err != nil {
		return nil, err
	}
	a.Eigen = EigenInfo{Method: es.Method, Computed: P, Asymmetry: asym, MaxResidual: es.MaxResidual}
	var tr float64
	for _, l := range es.Values {
		tr += l
	}
	a.TraceH = &tr
	o.progress(StageEigen, 1, 1)
	lap("eigen")
	return &eigenbasis{
		lambda: es.Values,
		vecs:   func(k int) *mat.Dense { return es.Vectors.Slice(0, P, 0, k).(*mat.Dense) },
		dense:  H,
	}, nil
}

// lanczosEigenbasis computes the top-k eigenpairs of h by Lanczos,
// recording the solver's report in a.
func lanczosEigenbasis(h hessian.Operator, o Options, a *Analysis) (*eigenbasis, error) {
	P := h.Dim()
	k := min(o.TopK, P)
	sp, err := hessian.Lanczos(h, k, 0, hessian.LanczosOptions{Seed: o.Seed, Progress: func(it, total int) { o.progress(StageLanczos, it, total) }})
	if err != nil {
		return nil, err
	}
	conv := sp.Converged
	a.Eigen = EigenInfo{Method: "Lanczos", Computed: len(sp.Top), Iterations: sp.Iterations, Converged: &conv, MaxResidual: slices.Max(sp.TopResiduals)}
	return &eigenbasis{
		lambda: sp.Top,
		vecs: func(k int) *mat.Dense {
			if _, c := sp.TopVectors.Dims(); c == k {
				return sp.TopVectors // all of them: no copy of P×k
			}
			return mat.DenseCopyOf(sp.TopVectors.Slice(0, P, 0, k))
		},
	}, nil
}

// FisherOperator is a Hessian operator that also gives the quadratic
// forms uᵀFu of the model Fisher F along the columns of U
// (model.Hessian.FisherForms): the middle link of C ≈ F_emp/B ≈ F/B ≈ H/B
// (Xie, Sato & Sugiyama, ICLR 2021, Section 2).
type FisherOperator interface {
	FisherForms(U *mat.Dense) []float64
}

// project counts the eigenvalues (negative, in the window), keeps the
// largest ones down to the window's last (and the top block), projects Σ
// (and F, when fo is not nil) on their eigenvectors and compares C with H/B
// at every batch size, with bootstrap intervals seeded from o.Seed and the
// batch size.
func (a *Analysis) project(g *Gradients, eb *eigenbasis, fo FisherOperator, o Options) error {
	lambda := eb.lambda
	w := o.window(a.Mode, lambda)
	a.Window = w
	a.Eigen.LambdaMax, a.Eigen.LambdaMin = lambda[0], lambda[len(lambda)-1]
	last := -1
	for i, l := range lambda {
		if l < 0 {
			a.Eigen.Negative++
		}
		if w.Contains(l) {
			a.Eigen.InWindow++
			last = i
		}
	}
	if last < 0 {
		return fmt.Errorf("%w (%g, %g): the %d eigenvalues computed lie in [%.4g, %.4g]",
			ErrEmptyWindow, w.Min, w.Max, len(lambda), lambda[len(lambda)-1], lambda[0])
	}
	kb := min(len(lambda), max(last+1, o.HeatmapK, NumTopRatios))
	a.HeatmapK = min(o.HeatmapK, kb)
	a.Eigen.Analysed = kb
	a.Lambda = lambda[:kb:kb]
	o.progress(StageProjection, 0, 1)
	var err error
	U := eb.vecs(kb)
	if a.Sigma, a.MeanProj, err = g.ProjectSigma(U); err != nil {
		return err
	}
	if fo != nil {
		a.Fisher = fo.FisherForms(U)
	}
	o.progress(StageProjection, 1, 1)
	for _, B := range o.BatchSizes {
		c, err := Compare(a.Lambda, a.Sigma, a.MeanProj, B, w)
		if err != nil {
			return err
		}
		c.addFisher(a.Lambda, a.Sigma, a.Fisher)
		c.bootstrap(seed.Derive(o.Seed, bootstrapStream, uint64(B)))
		a.Comparisons = append(a.Comparisons, c)
	}
	return nil
}

// Verdict says in one sentence whether the analysis of a model supports
// C = H/B at the first batch size, by the thresholds of Comparison.Agrees.
func (a *Analysis) Verdict() string {
	c := a.Comparisons[0]
	if c.Fit == nil {
		return fmt.Sprintf("undecided: only %d points in the window, too few for a fit", c.Selected)
	}
	s := fmt.Sprintf("slope %.3f (95%% CI %.3f to %.3f), r %.3f, median ratio %.3f over %d eigenvalues", c.Fit.Slope, c.Fit.SlopeCI95[0], c.Fit.SlopeCI95[1], c.Fit.R, c.MedianRatio, c.Selected)
	if c.Agrees() {
		return "agrees with C = H/B: " + s
	}
	var why []string
	if math.Abs(c.Fit.Slope-1) > SlopeTolerance {
		why = append(why, fmt.Sprintf("slope %.3f is not within %.2f of 1", c.Fit.Slope, SlopeTolerance))
	}
	if c.Fit.R < MinPearsonR {
		why = append(why, fmt.Sprintf("r %.3f < %.2f", c.Fit.R, MinPearsonR))
	}
	if c.MedianRatio < 1/RatioFactor || c.MedianRatio > RatioFactor {
		why = append(why, fmt.Sprintf("median ratio %.3f is off by more than a factor %g", c.MedianRatio, RatioFactor))
	}
	return "disagrees with C = H/B: " + joinAnd(why) + " (" + s + ")"
}

// joinAnd joins "a", "b" and "c" as "a, b and c".
func joinAnd(s []string) string {
	switch len(s) {
	case 0:
		return ""
	case 1:
		return s[0]
	default:
		return strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
	}
}

// ParseMode returns the Mode spelled s ("auto", "full" or "matfree").
func ParseMode(s string) (Mode, error) {
	switch m := Mode(s); m {
	case ModeAuto, ModeFull, ModeMatFree:
		return m, nil
	default:
		return "", fmt.Errorf("mode %q: expected auto, full or matfree", s)
	}
}
