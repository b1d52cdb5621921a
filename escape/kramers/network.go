package kramers

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sync"
	"time"

	"gonum.org/v1/gonum/floats"

	"github.com/sgn-project/sgn/data"
	"github.com/sgn-project/sgn/escape"
	"github.com/sgn-project/sgn/internal/atomicfile"
	"github.com/sgn-project/sgn/internal/normal"
	"github.com/sgn-project/sgn/model"
	"github.com/sgn-project/sgn/model/replica"
	"github.com/sgn-project/sgn/train/minimum"
)

// Minimizer names: how the network's θ₀ is found.
const (
	// MinimizerLBFGS is L-BFGS followed by Newton–CG on the exact
	// Hessian-vector products, to ‖∇L‖ ≤ grad_tol (see minimize).
	MinimizerLBFGS = "lbfgs"
	// MinimizerGD is fixed-step full-batch gradient descent θ ← θ − η_GD·∇L
	// until ‖∇L‖ ≤ grad_tol or gd_max_steps steps.
	MinimizerGD = "gd"
)

// NetworkSpec is the network landscape of a sweep: an MLP on the first
// First training images of MNIST (average-pooled Pool×Pool), trained from
// its seeded initialisation to a minimum θ₀ by Minimizer. That θ₀ is the
// start of every run. The preparation depends only on the spec, so every
// shard of a sweep prepares the same θ₀ bit for bit.
//
// JSON (defaults in brackets):
//
//	"network": {
//	  "layers": [49, 16, 10],   // widths, input (28/pool)² first, 10 classes last
//	  "activation": "tanh",     // or "relu"
//	  "init_seed": 1,           // seed of the initialisation [0]
//	  "start": "out/equilibrium/minimum.safetensors", // or start from a checkpoint [""]
//	  "pool": 4, "first": 500,  // MNIST train, first N images, pooled
//	  "weight_decay": 1e-3,     // λ of the L2 penalty (λ/2)‖θ‖² in L [0]
//	  "minimizer": "lbfgs",     // L-BFGS then Newton–CG ["lbfgs"], or "gd"
//	  "grad_tol": 1e-6,         // target ‖∇L‖ [1e-6; gd 1e-4]
//	  "max_iterations": 10000,  // lbfgs: L-BFGS iterations at most
//	  "gd_eta": 0.5, "gd_max_steps": 20000, // gd only
//	  "check_every": 10         // loss criterion: full-batch loss every this many steps
//	}
type NetworkSpec struct {
	Layers     []int            `json:"layers"`
	Activation model.Activation `json:"activation"`
	InitSeed   uint64           `json:"init_seed"`
	// Start, when not empty, is a checkpoint (model.SaveCheckpoint's
	// layout: a trained model.safetensors, or the minimum.safetensors of
	// sgn minimum) whose θ the minimiser starts from instead of the seeded
	// initialisation; its layers, activation and pool must be the spec's.
	// From sgn minimum's checkpoint with the same weight decay and images
	// the minimiser stops at once: the runs start at that true minimum.
	Start string `json:"start,omitempty"`
	Pool  int    `json:"pool"`
	First int    `json:"first"`
	// WeightDecay is λ ≥ 0 of the landscape L(θ) = CE(θ) + (λ/2)‖θ‖², CE
	// the mean cross-entropy. Without it a network that fits its data
	// perfectly has no minimum: CE → 0 only as ‖θ‖ → ∞.
	WeightDecay float64 `json:"weight_decay,omitempty"`
	// Minimizer is MinimizerLBFGS or MinimizerGD.
	Minimizer     string  `json:"minimizer"`
	GradTol       float64 `json:"grad_tol"`
	MaxIterations int     `json:"max_iterations,omitempty"`
	GDEta         float64 `json:"gd_eta,omitempty"`
	GDMaxSteps    int     `json:"gd_max_steps,omitempty"`
	// CheckEvery is the granularity of the loss criterion: the full-batch
	// loss is evaluated after every CheckEvery-th step (and after the last
	// step), so a recorded escape step is the first such step at which
	// L ≥ L(θ₀) + δ; the true first passage lies in the CheckEvery steps
	// before it. The distance criterion is checked after every step.
	CheckEvery int `json:"check_every"`
}

// normalize fills in the defaults.
func (s *NetworkSpec) normalize() {
	if len(s.Layers) == 0 {
		s.Layers = []int{49, 16, 10}
	}
	if s.Activation == "" {
		s.Activation = model.Tanh
	}
	if s.Pool == 0 {
		s.Pool = 4
	}
	if s.First == 0 {
		s.First = 500
	}
	if s.Minimizer == "" {
		s.Minimizer = MinimizerLBFGS
	}
	switch s.Minimizer {
	case MinimizerLBFGS:
		if s.MaxIterations == 0 {
			s.MaxIterations = 10000
		}
		if s.GradTol == 0 {
			s.GradTol = 1e-6
		}
	case MinimizerGD:
		if s.GDEta == 0 {
			s.GDEta = 0.5
		}
		if s.GDMaxSteps == 0 {
			s.GDMaxSteps = 20000
		}
		if s.GradTol == 0 {
			s.GradTol = 1e-4
		}
	}
	if s.CheckEvery == 0 {
		s.CheckEvery = 10
	}
}

// validate checks a normalized spec.
func (s *NetworkSpec) validate() error {
	if err := (model.Config{Layers: s.Layers, Activation: s.Activation}).Validate(); err != nil {
		return fmt.Errorf("network %w", err)
	}
	if s.Pool != 1 && s.Pool != 2 && s.Pool != 4 {
		return escape.FieldErrorf("network", "pool", "%d: want 1, 2 or 4", s.Pool)
	}
	if side := 28 / s.Pool; s.Layers[0] != side*side {
		return escape.FieldErrorf("network", "layers", "%v: the input width must be (28/p)² = %d for pooling p = %d", s.Layers, side*side, s.Pool)
	}
	if c := s.Layers[len(s.Layers)-1]; c != 10 {
		return escape.FieldErrorf("network", "layers", "%v: the output width must be 10 (MNIST classes), not %d", s.Layers, c)
	}
	if !(s.WeightDecay >= 0) || math.IsInf(s.WeightDecay, 0) {
		return escape.FieldErrorf("network", "weight_decay", "%v: want a non-negative number", s.WeightDecay)
	}
	if s.First < 1 || s.First > data.TrainSize {
		return escape.FieldErrorf("network", "first", "%d: want 1..%d training images", s.First, data.TrainSize)
	}
	switch s.Minimizer {
	case MinimizerLBFGS:
		if s.GDEta != 0 || s.GDMaxSteps != 0 {
			return fmt.Errorf("network gd_eta and gd_max_steps apply to minimizer %q only, not %q", MinimizerGD, s.Minimizer)
		}
		if s.MaxIterations < 1 {
			return escape.FieldErrorf("network", "max_iterations", "%d: want a positive integer", s.MaxIterations)
		}
	case MinimizerGD:
		if s.MaxIterations != 0 {
			return fmt.Errorf("network max_iterations applies to minimizer %q only, not %q", MinimizerLBFGS, s.Minimizer)
		}
		if !(s.GDEta > 0) || math.IsInf(s.GDEta, 0) {
			return escape.FieldErrorf("network", "gd_eta", "%v: want a positive number", s.GDEta)
		}
		if s.GDMaxSteps < 0 {
			return escape.FieldErrorf("network", "gd_max_steps", "%d: want a non-negative integer", s.GDMaxSteps)
		}
	default:
		return escape.FieldErrorf("network", "minimizer", "%q: want %q or %q", s.Minimizer, MinimizerLBFGS, MinimizerGD)
	}
	if !(s.GradTol > 0) || math.IsInf(s.GradTol, 0) {
		return escape.FieldErrorf("network", "grad_tol", "%v: want a positive number", s.GradTol)
	}
	if s.CheckEvery < 1 {
		return escape.FieldErrorf("network", "check_every", "%d: want a positive integer", s.CheckEvery)
	}
	return nil
}

// validateNetwork checks the parts of a network sweep config.
func (c *Config) validateNetwork() error {
	if c.Landscape.Name != "" || c.Landscape.Barrier != 0 || c.Landscape.Dim != 0 || len(c.Landscape.Transverse) > 0 || c.Landscape.ColRatio != 0 {
		return errors.New(`"network" and "landscape" are exclusive: give one of them`)
	}
	c.Network.normalize()
	if err := c.Network.validate(); err != nil {
		return err
	}
	if c.Criterion.Kind != escape.CriterionLoss && c.Criterion.Kind != escape.CriterionDistance {
		return fmt.Errorf(`criterion %q: a network landscape needs {"kind":"loss","delta":δ} or {"kind":"distance","radius":r}`, c.Criterion.Kind)
	}
	for _, d := range c.Dynamics {
		if err := d.CheckOn(true); err != nil {
			return err
		}
	}
	for _, b := range c.BatchSize {
		if b != math.Trunc(b) {
			return escape.FieldErrorf("", "batch_size", "%v: a network needs whole numbers of samples", b)
		}
	}
	return nil
}

// Minimum is the prepared start of the network runs.
type Minimum struct {
	// Version is the version of the program that wrote minimum.json.
	Version string         `json:"version"`
	Spec    NetworkSpec    `json:"spec"`
	Data    data.Selection `json:"data"`
	// Params is the number of parameters P.
	Params int `json:"params"`
	// Loss is L(θ₀) = CE + (λ/2)‖θ₀‖², CrossEntropy its CE part and
	// Accuracy that of θ₀ on the data.
	Loss         float64 `json:"loss"`
	CrossEntropy float64 `json:"cross_entropy"`
	Accuracy     float64 `json:"accuracy"`
	MinimumSearch
	// Theta is θ₀.
	Theta []float64 `json:"theta"`

	x []float64
	y []int
	// prepareSeconds is the wall time PrepareMinimum took.
	prepareSeconds float64
}

// MinimumSearch is how θ₀ was found and what it is: the optimiser and its
// iterations, the final ‖∇L‖ and the extreme eigenvalues of H(θ₀).
type MinimumSearch struct {
	// Minimizer is the spec's minimizer; Optimizer says it in words.
	Minimizer string `json:"minimizer"`
	Optimizer string `json:"optimizer"`
	// LBFGSIterations and LBFGSStatus are those of L-BFGS,
	// NewtonIterations the Newton–CG steps after it and
	// NewtonHessianProducts the Hessian-vector products of their CG solves
	// (minimizer lbfgs); GDSteps the gradient descent steps (minimizer gd).
	LBFGSIterations       int    `json:"lbfgs_iterations"`
	LBFGSStatus           string `json:"lbfgs_status"`
	NewtonIterations      int    `json:"newton_iterations"`
	NewtonHessianProducts int    `json:"newton_hessian_products"`
	GDSteps               int    `json:"gd_steps"`
	// GradientEvaluations counts the evaluations of L and ∇L.
	GradientEvaluations int `json:"gradient_evaluations"`
	// GradNorm is ‖∇L(θ₀)‖₂; Converged reports GradNorm ≤ grad_tol.
	GradNorm  float64 `json:"grad_norm"`
	Converged bool    `json:"converged"`
	// HessianTop and HessianBottom are λ_max and λ_min of H(θ₀) (k = 1),
	// with the residuals ‖Hv − λv‖ of their eigenvectors, computed with
	// model.NewHessian's exact products; HessianMethod is "dense" (the
	// P×P matrix and its eigendecomposition, P ≤ 2000) or "lanczos". At
	// sharpness k the Hessian in φ is k·H, so λ_max = k·HessianTop.
	HessianMethod         string  `json:"hessian_method"`
	HessianTop            float64 `json:"hessian_top"`
	HessianTopResidual    float64 `json:"hessian_top_residual"`
	HessianBottom         float64 `json:"hessian_bottom"`
	HessianBottomResidual float64 `json:"hessian_bottom_residual"`
	// Saddle reports λ_min < −1e-6·λ_max: θ₀ is a saddle, not a minimum.
	Saddle bool `json:"saddle"`
	// Verdict says in a sentence what θ₀ is.
	Verdict string `json:"verdict"`
}

// MinimumFile is the cache of the prepared minimum in a sweep folder.
const MinimumFile = "minimum.json"

// ErrOtherImages is wrapped by the error of PrepareMinimum when its cache
// folder holds the minimum of the same network prepared on other images: a
// sweep resumed there, or an analysis of its runs, would mix two minima.
var ErrOtherImages = errors.New("the minimum was prepared on other images")

// PrepareMinimum loads the data of spec and trains its MLP to a minimum
// θ₀ with the spec's minimizer (see MinimizerLBFGS, MinimizerGD), then
// computes the extreme Hessian eigenvalues at θ₀ and says whether it is a
// minimum, a saddle or not converged. The images come from the MNIST
// folder mnist (empty: data.Load's lookup). When cacheDir holds a
// minimum.json of the same spec and the same images (their digest), its θ₀
// and numbers are used instead; of the same spec on other images, it is an
// error wrapping ErrOtherImages (cacheDir "" disables the cache). workers parallelises the gradients and the Hessian;
// the result does not depend on it.
func PrepareMinimum(spec NetworkSpec, mnist, cacheDir string, workers int) (*Minimum, error) {
	start := time.Now()
	spec.normalize()
	if err := spec.validate(); err != nil {
		return nil, err
	}
	set, err := data.Load(data.Options{Dir: mnist, Split: "train", Pool: spec.Pool, First: spec.First})
	if err != nil {
		return nil, fmt.Errorf("network data: %w", err)
	}
	workers = max(workers, 1)
	if cacheDir != "" {
		m, err := readMinimum(filepath.Join(cacheDir, MinimumFile))
		switch {
		case err != nil && !errors.Is(err, fs.ErrNotExist):
			return nil, err
		case err != nil, !reflect.DeepEqual(m.Spec, spec), len(m.Theta) != model.NewLayout(spec.Layers).P:
		case m.Data.MNIST != set.Selected().MNIST:
			// The same network on other images: the folder's results
			// belong to that minimum, not to one found now.
			return nil, fmt.Errorf("%w: %s holds the minimum of this network on MNIST files of SHA-256 %s, not on these (%s); give the same --mnist, or choose another folder",
				ErrOtherImages, filepath.Join(cacheDir, MinimumFile), m.Data.MNIST, set.Selected().MNIST)
		default:
			m.x, m.y = set.X, set.Y
			m.prepareSeconds = time.Since(start).Seconds()
			return m, nil
		}
	}
	net, err := model.New(model.Config{Layers: spec.Layers, Activation: spec.Activation, Init: model.InitAuto, Seed: spec.InitSeed})
	if err != nil {
		return nil, err
	}
	if spec.Start != "" {
		if err := startFrom(net, spec); err != nil {
			return nil, err
		}
	}
	obj := minimum.Network{Net: net, Batch: model.Batch{X: set.X, Y: set.Y}, Decay: spec.WeightDecay, Workers: workers}
	m := &Minimum{Spec: spec, Data: set.Selected(), Params: net.NumParams(), x: set.X, y: set.Y}
	m.Theta = append([]float64(nil), net.Theta...)
	if spec.Minimizer == MinimizerGD {
		err = m.descend(obj)
	} else {
		err = m.optimize(obj)
	}
	if err != nil {
		return nil, err
	}
	ev, err := net.Evaluate(m.Theta, obj.Batch, nil, workers)
	if err != nil {
		return nil, err
	}
	m.Loss, m.CrossEntropy, m.Accuracy = ev.Loss+minimum.Penalty(obj.Decay, m.Theta), ev.Loss, ev.Accuracy
	if err := m.classify(obj); err != nil {
		return nil, err
	}
	m.prepareSeconds = time.Since(start).Seconds()
	return m, nil
}

// startFrom replaces net's θ by that of the checkpoint spec.Start, whose
// architecture and pooling must be the spec's (a plain PyTorch state_dict
// takes the spec's activation).
func startFrom(net *model.MLP, spec NetworkSpec) error {
	m, meta, _, err := model.LoadCheckpointOptions(spec.Start, model.LoadOptions{Activation: spec.Activation})
	if err != nil {
		return escape.FieldErrorf("network", "start", "%v", err)
	}
	switch {
	case !slices.Equal(m.Layers, spec.Layers) || m.Activation != spec.Activation:
		return escape.FieldErrorf("network", "start", "%s is a %v %s network, the spec a %v %s one", spec.Start, m.Layers, m.Activation, spec.Layers, spec.Activation)
	case meta.Pool != spec.Pool:
		return escape.FieldErrorf("network", "start", "%s was trained on images pooled by %d, the spec pools by %d", spec.Start, meta.Pool, spec.Pool)
	}
	copy(net.Theta, m.Theta)
	return nil
}

// optimize moves m.Theta to a minimum by L-BFGS and Newton–CG.
func (m *Minimum) optimize(obj minimum.Network) error {
	st, err := minimum.Minimize(obj, m.Theta, minimum.Options{GradTol: m.Spec.GradTol, MaxIterations: m.Spec.MaxIterations})
	if err != nil {
		return fmt.Errorf("network minimum: %w", err)
	}
	m.Minimizer = MinimizerLBFGS
	m.Optimizer = "L-BFGS (gonum optimize, More–Thuente line search), then Newton–CG on exact Hessian-vector products (R-operator)"
	m.LBFGSIterations, m.LBFGSStatus = st.LBFGSIterations, st.LBFGSStatus
	m.NewtonIterations, m.NewtonHessianProducts = st.NewtonIterations, st.HessianProducts
	m.GradientEvaluations, m.GradNorm, m.Converged = st.Evaluations, st.GradNorm, st.Converged
	return nil
}

// descend moves m.Theta by full-batch gradient descent θ ← θ − η_GD·∇L
// until ‖∇L‖ ≤ grad_tol or gd_max_steps steps.
func (m *Minimum) descend(obj minimum.Network) error {
	grad := make([]float64, len(m.Theta))
	m.Minimizer = MinimizerGD
	m.Optimizer = fmt.Sprintf("full-batch gradient descent with step %g", m.Spec.GDEta)
	for step := 0; ; step++ {
		if _, err := obj.LossGrad(m.Theta, grad); err != nil {
			return fmt.Errorf("network gradient descent, step %d (gd_eta %g): %w", step, m.Spec.GDEta, err)
		}
		m.GradientEvaluations++
		m.GradNorm = floats.Norm(grad, 2)
		m.GDSteps = step
		if m.GradNorm <= m.Spec.GradTol || step == m.Spec.GDMaxSteps {
			break
		}
		floats.AddScaled(m.Theta, -m.Spec.GDEta, grad)
	}
	m.Converged = m.GradNorm <= m.Spec.GradTol
	return nil
}

// classify computes the extreme eigenvalues of H(θ₀) and the verdict.
func (m *Minimum) classify(obj minimum.Network) error {
	h, err := obj.Hessian(m.Theta)
	if err != nil {
		return err
	}
	c, err := minimum.ExtremeCurvature(h)
	if err != nil {
		return fmt.Errorf("network Hessian: %w", err)
	}
	m.HessianMethod = c.Method
	m.HessianTop, m.HessianTopResidual = c.Max, c.MaxResidual
	m.HessianBottom, m.HessianBottomResidual = c.Min, c.MinResidual
	m.Saddle = c.IsSaddle()
	switch {
	case m.Spec.WeightDecay == 0 && m.Accuracy == 1:
		// Scaling the last layer by c > 1 scales every margin: CE falls.
		m.Verdict = "no minimum: the network classifies every sample correctly, so the cross-entropy falls towards 0 only as ‖θ‖ → ∞; give a weight_decay"
	case m.Saddle:
		m.Verdict = fmt.Sprintf("a saddle, not a minimum: λmin(H) = %.3g < −1e-6·λmax(H) = %.3g", c.Min, -1e-6*c.Max)
	case !m.Converged:
		m.Verdict = fmt.Sprintf("not converged: ‖∇L‖ = %.3g > grad_tol %g", m.GradNorm, m.Spec.GradTol)
	default:
		m.Verdict = fmt.Sprintf("a minimum: ‖∇L‖ = %.3g ≤ %g and λmin(H) = %.3g ≥ −1e-6·λmax(H)", m.GradNorm, m.Spec.GradTol, c.Min)
	}
	return nil
}

// Write writes m to dir/minimum.json atomically.
func (m *Minimum) Write(dir string) error {
	b, err := atomicfile.MarshalJSON(m)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("cannot create output folder: %w", err)
	}
	return atomicfile.WriteBytes(filepath.Join(dir, MinimumFile), b)
}

func readMinimum(path string) (*Minimum, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fs.ErrNotExist
		}
		return nil, fmt.Errorf("cannot read %s: %w", path, err)
	}
	var m Minimum
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%s is not a minimum file: %w", path, err)
	}
	return &m, nil
}

// SharpnessRow is the Hessian of the network minimum at one sharpness.
type SharpnessRow struct {
	Sharpness float64 `json:"sharpness"`
	// HessianTop is λ_max of the Hessian in φ, k·λ_max(H(θ₀)).
	HessianTop float64 `json:"hessian_top"`
}

// Sharpness returns λ_max of the Hessian in φ = θ/√k for each k.
func (m *Minimum) Sharpness(ks []float64) []SharpnessRow {
	out := make([]SharpnessRow, len(ks))
	for i, k := range ks {
		out[i] = SharpnessRow{Sharpness: k, HessianTop: k * m.HessianTop}
	}
	return out
}

// NetworkFactory returns the Factory of the network landscape started at
// mn. Each run of a point with sharpness k simulates, in φ = θ/√k (so that
// the loss L(√k·φ) has Hessian k·H and the same barriers),
//
//	sgd:          φ ← φ − η·√k·g_B(√k·φ)       (B samples with replacement)
//	sgd-gaussian: φ ← φ − η·√k·(∇L(√k·φ) + ξ),  ξ ~ N(0, C₀/B)
//	sgld:         φ ← φ − η·√k·∇L(√k·φ) + √(2ηD)·ζ,  ζ ~ N(0, I)
//	gd:           φ ← φ − η·√k·∇L(√k·φ)
//
// from φ₀ = θ₀/√k, with C₀ = (1/N)Σᵢ(gᵢ − ḡ)(gᵢ − ḡ)ᵀ the covariance of one
// sample's gradient at θ₀ (the covariance of g_B with replacement is
// C₀/B), drawn exactly as ξ = Σᵢ zᵢ(gᵢ − ḡ)/√(N·B), z ~ N(0, I_N). The
// escape criterion is on θ = √k·φ, a set that does not depend on k: loss
// L(θ) ≥ L(θ₀) + δ (checked every CheckEvery steps) or ‖θ − θ₀‖ ≥ r (every
// step).
func NetworkFactory(mn *Minimum) Factory {
	base, err := replica.New(mn.Spec.Layers, mn.Spec.Activation, mn.x, mn.y)
	var cov []float64
	var covOnce sync.Once
	return func(p Point) (escape.Simulator, error) {
		if err != nil {
			return nil, err
		}
		s, err := newNetworkSim(mn, base, p)
		if err != nil {
			return nil, err
		}
		if p.Dynamics == escape.SGDGaussian {
			covOnce.Do(func() { cov = perSampleCentered(base, mn.Theta) })
			s.centered = cov
		}
		return s, nil
	}
}

// CheckNetworkPoint checks that a point can be simulated on a network
// landscape, without preparing the minimum.
func CheckNetworkPoint(p Point) error {
	switch p.Dynamics {
	case escape.SGD, escape.SGDGaussian:
		if !(p.BatchSize >= 1) || p.BatchSize != math.Trunc(p.BatchSize) || math.IsInf(p.BatchSize, 0) {
			return escape.FieldErrorf("", "batch_size", "%v: want a whole number ≥ 1", p.BatchSize)
		}
	case escape.SGLD:
		if !(p.Temperature > 0) || math.IsInf(p.Temperature, 0) {
			return escape.FieldErrorf("", "temperature", "%v (SGLD diffusion D): want a positive number", p.Temperature)
		}
	case escape.GD:
	default:
		if err := p.Dynamics.CheckOn(true); err != nil {
			return err
		}
		return fmt.Errorf("dynamics %q has no network simulator", p.Dynamics)
	}
	if !(p.Eta > 0) || math.IsInf(p.Eta, 0) {
		return escape.FieldErrorf("", "eta", "%v: want a positive number", p.Eta)
	}
	if !(p.Sharpness > 0) || math.IsInf(p.Sharpness, 0) {
		return escape.FieldErrorf("", "sharpness", "%v: want a positive number", p.Sharpness)
	}
	if p.MaxSteps < 1 {
		return escape.FieldErrorf("", "max_steps", "%d: want a positive integer", p.MaxSteps)
	}
	if p.Criterion.Kind != escape.CriterionLoss && p.Criterion.Kind != escape.CriterionDistance {
		return fmt.Errorf("criterion %q: a network needs loss or distance", p.Criterion.Kind)
	}
	return p.Criterion.Validate()
}

type networkSim struct {
	base       *replica.Engine
	engines    sync.Pool
	dyn        escape.Dynamics
	eta, s     float64 // η and √k
	decay      float64 // weight decay λ
	batch      int
	temp       float64
	maxSteps   int64
	crit       escape.Criterion
	checkEvery int64
	theta0     []float64 // θ₀
	phi0       []float64 // θ₀/√k
	lossA      float64   // L(√k·φ₀)
	centered   []float64 // sgd-gaussian: N×P rows gᵢ − ḡ at θ₀
	// noReplacement (tests): sgd draws a permutation of all N samples per
	// step instead of B samples with replacement.
	noReplacement bool
}

func newNetworkSim(mn *Minimum, base *replica.Engine, p Point) (*networkSim, error) {
	if err := CheckNetworkPoint(p); err != nil {
		return nil, err
	}
	ns := &networkSim{base: base, dyn: p.Dynamics, eta: p.Eta, s: math.Sqrt(p.Sharpness), batch: int(p.BatchSize),
		temp: p.Temperature, maxSteps: p.MaxSteps, crit: p.Criterion, checkEvery: int64(mn.Spec.CheckEvery), theta0: mn.Theta,
		decay: mn.Spec.WeightDecay}
	ns.engines.New = func() any { return base.Clone() }
	ns.phi0 = make([]float64, len(mn.Theta))
	for i, t := range mn.Theta {
		ns.phi0[i] = t / ns.s
	}
	th := make([]float64, len(mn.Theta))
	for i, f := range ns.phi0 {
		th[i] = ns.s * f
	}
	ns.lossA = base.Clone().Loss(th) + minimum.Penalty(ns.decay, th)
	return ns, nil
}

// perSampleCentered returns the N×P matrix of per-sample gradients at θ
// minus their mean.
func perSampleCentered(e *replica.Engine, theta []float64) []float64 {
	e = e.Clone()
	P := len(theta)
	G := make([]float64, e.N()*P)
	mean := make([]float64, P)
	for i := 0; i < e.N(); i++ {
		g := G[i*P : (i+1)*P]
		e.AddSampleGrad(theta, i, 1, g)
		for j, v := range g {
			mean[j] += v
		}
	}
	for j := range mean {
		mean[j] /= float64(e.N())
	}
	for i := 0; i < e.N(); i++ {
		g := G[i*P : (i+1)*P]
		for j := range g {
			g[j] -= mean[j]
		}
	}
	return G
}

// Run simulates one run (see NetworkFactory).
func (ns *networkSim) Run(seed uint64) (escape.Outcome, error) {
	o, _, err := ns.run(seed)
	return o, err
}

// EscapeDisplacement simulates one run of sim, a Simulator made by
// NetworkFactory(mn), from the given seed exactly as a sweep does (same
// Outcome), and returns θ − θ₀ at the step where the run ended: the escape
// step, or the step limit for a censored run.
func EscapeDisplacement(sim escape.Simulator, mn *Minimum, seed uint64) (escape.Outcome, []float64, error) {
	ns, ok := sim.(*networkSim)
	if !ok {
		return escape.Outcome{}, nil, errors.New("EscapeDisplacement: not a network landscape's simulator")
	}
	o, theta, err := ns.run(seed)
	if err != nil {
		return o, nil, err
	}
	for i, v := range mn.Theta {
		theta[i] -= v
	}
	return o, theta, nil
}

// run simulates one run and also returns the final θ.
func (ns *networkSim) run(seed uint64) (escape.Outcome, []float64, error) {
	e := ns.engines.Get().(*replica.Engine)
	defer ns.engines.Put(e)
	src := rand.NewPCG(seed, escape.PCGStream)
	rng := rand.New(src)
	zig := normal.NewZiggurat()
	P := len(ns.phi0)
	phi := append([]float64(nil), ns.phi0...)
	theta := make([]float64, P)
	grad := make([]float64, P)
	for i, f := range phi {
		theta[i] = ns.s * f
	}
	var idx, z []float64
	var ids []int
	switch ns.dyn {
	case escape.SGD:
		ids = make([]int, ns.batch)
		if ns.noReplacement {
			ids = make([]int, e.N())
		}
	case escape.SGDGaussian:
		z = make([]float64, e.N())
		idx = make([]float64, P)
	case escape.SGLD:
		z = make([]float64, P)
	case escape.GD:
	default:
		return escape.Outcome{}, nil, fmt.Errorf("dynamics %q has no network step", ns.dyn)
	}
	step := ns.eta * ns.s
	r2 := ns.crit.Radius * ns.crit.Radius
	level := ns.lossA + ns.crit.Delta
	for t := int64(1); t <= ns.maxSteps; t++ {
		switch ns.dyn {
		case escape.SGD:
			if ns.noReplacement {
				copy(ids, rng.Perm(e.N()))
			} else {
				for j := range ids {
					ids[j] = rng.IntN(e.N())
				}
			}
			e.LossGrad(theta, ids, grad)
		case escape.SGDGaussian:
			e.LossGrad(theta, nil, grad)
			zig.Fill(src, z)
			clear(idx)
			for i, zi := range z {
				row := ns.centered[i*P : (i+1)*P]
				for j, v := range row {
					idx[j] += zi * v
				}
			}
			c := 1 / math.Sqrt(float64(e.N())*float64(ns.batch))
			for j := range grad {
				grad[j] += c * idx[j]
			}
		case escape.SGLD, escape.GD:
			e.LossGrad(theta, nil, grad)
		default:
			return escape.Outcome{}, theta, fmt.Errorf("dynamics %q has no network step", ns.dyn)
		}
		// The landscape is L = CE + (λ/2)‖θ‖²: its gradient enters the step.
		if ns.decay != 0 {
			floats.AddScaled(grad, ns.decay, theta)
		}
		for i, g := range grad {
			phi[i] -= step * g
		}
		if ns.dyn == escape.SGLD {
			zig.Fill(src, z)
			sig := math.Sqrt(2 * ns.eta * ns.temp)
			for i, v := range z {
				phi[i] += sig * v
			}
		}
		for i, f := range phi {
			theta[i] = ns.s * f
		}
		if o, done, err := ns.escaped(e, t, theta, r2, level); done || err != nil {
			return o, theta, err
		}
	}
	return escape.Outcome{Escaped: false, Step: ns.maxSteps}, theta, nil
}

// escaped checks the criterion after step t: an escape (done), a
// divergence (an error) or neither. r2 is the squared radius of the
// distance criterion and level the loss of the loss criterion.
func (ns *networkSim) escaped(e *replica.Engine, t int64, theta []float64, r2, level float64) (escape.Outcome, bool, error) {
	switch ns.crit.Kind {
	case escape.CriterionDistance:
		var d2 float64
		for i, v := range theta {
			d := v - ns.theta0[i]
			d2 += d * d
		}
		if d2 >= r2 {
			return escape.Outcome{Escaped: true, Step: t}, true, nil
		}
		if math.IsNaN(d2) {
			return escape.Outcome{}, true, escape.DivergedError(t, ns.eta)
		}
	case escape.CriterionLoss:
		if t%ns.checkEvery == 0 || t == ns.maxSteps {
			l := e.Loss(theta) + minimum.Penalty(ns.decay, theta)
			if l >= level {
				return escape.Outcome{Escaped: true, Step: t}, true, nil
			}
			if math.IsNaN(l) {
				return escape.Outcome{}, true, escape.DivergedError(t, ns.eta)
			}
		}
	}
	return escape.Outcome{}, false, nil
}

// NetworkSweep runs a network sweep into dir: it prepares the minimum of
// cfg.Network (cached in dir/minimum.json, which it writes), then runs
// Sweep with NetworkFactory. A folder that holds another sweep is refused
// before anything is written.
func NetworkSweep(dir string, cfg Config, opt SweepOptions) (SweepSummary, *Minimum, error) {
	if err := cfg.Validate(); err != nil {
		return SweepSummary{}, nil, err
	}
	if cfg.Network == nil {
		return SweepSummary{}, nil, errors.New("not a network sweep: the config has no \"network\"")
	}
	for _, p := range cfg.Points() {
		if err := CheckNetworkPoint(p); err != nil {
			return SweepSummary{}, nil, fmt.Errorf("point %d (%s): %w", p.Index, p.Label(), err)
		}
	}
	if err := sweeps.CheckFolder(dir, cfg, opt.Shard); err != nil {
		return SweepSummary{}, nil, err
	}
	mn, err := PrepareMinimum(*cfg.Network, opt.MNIST, dir, opt.Workers)
	if err != nil {
		return SweepSummary{}, nil, err
	}
	mn.Version = opt.Version
	if err := mn.Write(dir); err != nil {
		return SweepSummary{}, nil, err
	}
	sum, err := Sweep(dir, cfg, NetworkFactory(mn), opt)
	return sum, mn, err
}
