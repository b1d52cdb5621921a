package escape

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
	"sync"
	"time"

	"github.com/sgn-project/sgn/data"
	"github.com/sgn-project/sgn/hessian"
	"github.com/sgn-project/sgn/model"
	"gonum.org/v1/gonum/floats"
)

// Dynamics names of the network landscape (besides SGLD and GD).
const (
	// SGD is true minibatch SGD: θ ← θ − η·g_B(θ), g_B the mean gradient of
	// B samples drawn uniformly with replacement.
	SGD = "sgd"
	// SGDGaussian is the control of SGD with its noise replaced by a
	// Gaussian of the measured covariance: θ ← θ − η·(∇L(θ) + ξ),
	// ξ ~ N(0, C₀/B), C₀ the per-sample gradient covariance at the minimum.
	SGDGaussian = "sgd-gaussian"
)

// NetworkSpec is the network landscape of a sweep: an MLP on the first
// First training images of MNIST (average-pooled Pool×Pool), trained from
// its seeded initialisation by full-batch gradient descent with step GDEta
// until ‖∇L‖ ≤ GradTol or GDMaxSteps steps. That minimum θ₀ is the start of
// every run. The preparation depends only on the spec, so every shard of a
// sweep prepares the same θ₀ bit for bit.
//
// JSON (defaults in brackets):
//
//	"network": {
//	  "layers": [49, 16, 10],   // widths, input (28/pool)² first, 10 classes last
//	  "activation": "tanh",     // or "relu"
//	  "init_seed": 1,           // seed of the initialisation [0]
//	  "pool": 4, "first": 500,  // MNIST train, first N images, pooled
//	  "gd_eta": 0.5, "gd_max_steps": 20000, "grad_tol": 1e-4,
//	  "check_every": 10         // loss criterion: full-batch loss every this many steps
//	}
type NetworkSpec struct {
	Layers     []int            `json:"layers"`
	Activation model.Activation `json:"activation"`
	InitSeed   uint64           `json:"init_seed"`
	Pool       int              `json:"pool"`
	First      int              `json:"first"`
	GDEta      float64          `json:"gd_eta"`
	GDMaxSteps int              `json:"gd_max_steps"`
	GradTol    float64          `json:"grad_tol"`
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
	if s.GDEta == 0 {
		s.GDEta = 0.5
	}
	if s.GDMaxSteps == 0 {
		s.GDMaxSteps = 20000
	}
	if s.GradTol == 0 {
		s.GradTol = 1e-4
	}
	if s.CheckEvery == 0 {
		s.CheckEvery = 10
	}
}

// validate checks a normalized spec.
func (s *NetworkSpec) validate() error {
	if err := (model.Config{Layers: s.Layers, Activation: s.Activation}).Validate(); err != nil {
		return fmt.Errorf("network %v", err)
	}
	if s.Pool != 1 && s.Pool != 2 && s.Pool != 4 {
		return fmt.Errorf("network pool %d: want 1, 2 or 4", s.Pool)
	}
	if side := 28 / s.Pool; s.Layers[0] != side*side {
		return fmt.Errorf("network layers %v: the input width must be (28/pool)² = %d for pool %d", s.Layers, side*side, s.Pool)
	}
	if c := s.Layers[len(s.Layers)-1]; c != 10 {
		return fmt.Errorf("network layers %v: the output width must be 10 (MNIST classes), not %d", s.Layers, c)
	}
	if s.First < 1 || s.First > data.TrainSize {
		return fmt.Errorf("network first %d: want 1..%d training images", s.First, data.TrainSize)
	}
	if !(s.GDEta > 0) || math.IsInf(s.GDEta, 0) {
		return fmt.Errorf("network gd_eta %v: want a positive number", s.GDEta)
	}
	if s.GDMaxSteps < 0 {
		return fmt.Errorf("network gd_max_steps %d: want a non-negative integer", s.GDMaxSteps)
	}
	if !(s.GradTol > 0) || math.IsInf(s.GradTol, 0) {
		return fmt.Errorf("network grad_tol %v: want a positive number", s.GradTol)
	}
	if s.CheckEvery < 1 {
		return fmt.Errorf("network check_every %d: want a positive integer", s.CheckEvery)
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
	if c.Criterion.Kind != CriterionLoss && c.Criterion.Kind != CriterionDistance {
		return fmt.Errorf(`criterion %q: a network landscape needs {"kind":"loss","delta":δ} or {"kind":"distance","radius":r}`, c.Criterion.Kind)
	}
	for _, d := range c.Dynamics {
		switch d {
		case SGD, SGDGaussian, SGLD, GD:
		default:
			return fmt.Errorf("dynamics %q: a network landscape takes %s, %s, %s or %s", d, SGD, SGDGaussian, SGLD, GD)
		}
	}
	for _, b := range c.BatchSize {
		if b != math.Trunc(b) {
			return fmt.Errorf("batch_size %v: a network needs whole numbers of samples", b)
		}
	}
	return nil
}

// Minimum is the prepared start of the network runs.
type Minimum struct {
	Spec NetworkSpec    `json:"spec"`
	Data data.Selection `json:"data"`
	// Params is the number of parameters P.
	Params int `json:"params"`
	// Loss, GradNorm and Accuracy of θ₀ on the data; GDSteps the gradient
	// descent steps taken; Converged reports ‖∇L‖ ≤ GradTol.
	Loss      float64 `json:"loss"`
	GradNorm  float64 `json:"grad_norm"`
	Accuracy  float64 `json:"accuracy"`
	GDSteps   int     `json:"gd_steps"`
	Converged bool    `json:"converged"`
	// HessianTop is λ_max of the Hessian at θ₀ (k = 1), by hessian.Lanczos
	// on model.NewHessian (exact Hessian-vector products); at sharpness k
	// the Hessian in φ is k·H, so λ_max = k·HessianTop. HessianBottom is
	// λ_min (negative when θ₀ is not exactly a minimum).
	HessianTop         float64 `json:"hessian_top"`
	HessianTopResidual float64 `json:"hessian_top_residual"`
	HessianBottom      float64 `json:"hessian_bottom"`
	// Theta is θ₀.
	Theta []float64 `json:"theta"`

	x []float64
	y []int
	// prepareSeconds is the wall time PrepareMinimum took.
	prepareSeconds float64
}

// MinimumFile is the cache of the prepared minimum in a sweep folder.
const MinimumFile = "minimum.json"

// PrepareMinimum loads the data of spec and trains its MLP to a minimum by
// full-batch gradient descent θ ← θ − η_GD·∇L(θ) (gradients by
// model.Evaluate), then computes the extreme Hessian eigenvalues. When
// cacheDir holds a minimum.json of the same spec, its θ₀ and numbers are
// used instead (cacheDir "" disables the cache). workers parallelises
// model.Evaluate and the Hessian; the result does not depend on it.
func PrepareMinimum(spec NetworkSpec, cacheDir string, workers int) (*Minimum, error) {
	start := time.Now()
	spec.normalize()
	if err := spec.validate(); err != nil {
		return nil, err
	}
	set, err := data.Load(data.Options{Split: "train", Pool: spec.Pool, First: spec.First})
	if err != nil {
		return nil, fmt.Errorf("network data: %w", err)
	}
	if workers < 1 {
		workers = 1
	}
	if cacheDir != "" {
		if m, err := readMinimum(filepath.Join(cacheDir, MinimumFile)); err == nil && reflect.DeepEqual(m.Spec, spec) && len(m.Theta) == model.NewLayout(spec.Layers).P {
			m.x, m.y = set.X, set.Y
			m.prepareSeconds = time.Since(start).Seconds()
			return m, nil
		} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
	}
	net, err := model.New(model.Config{Layers: spec.Layers, Activation: spec.Activation, Init: model.InitAuto, Seed: spec.InitSeed})
	if err != nil {
		return nil, err
	}
	b := model.Batch{X: set.X, Y: set.Y}
	theta := net.Theta
	grad := make([]float64, len(theta))
	m := &Minimum{Spec: spec, Data: set.Selected(), Params: len(theta), x: set.X, y: set.Y}
	var ev model.Eval
	for step := 0; ; step++ {
		ev, err = net.Evaluate(theta, b, grad, workers)
		if err != nil {
			return nil, fmt.Errorf("network gradient descent, step %d (gd_eta %g): %v", step, spec.GDEta, err)
		}
		m.GradNorm = floats.Norm(grad, 2)
		m.GDSteps = step
		if m.GradNorm <= spec.GradTol || step == spec.GDMaxSteps {
			break
		}
		for i, g := range grad {
			theta[i] -= spec.GDEta * g
		}
	}
	m.Loss, m.Accuracy = ev.Loss, ev.Accuracy
	m.Converged = m.GradNorm <= spec.GradTol
	m.Theta = append([]float64(nil), theta...)
	h, err := net.NewHessian(m.Theta, b, workers)
	if err != nil {
		return nil, err
	}
	sp, err := hessian.Lanczos(h, 1, 1, hessian.LanczosOptions{Seed: 1, Tol: 1e-8})
	if err != nil {
		return nil, fmt.Errorf("network Hessian: %v", err)
	}
	m.HessianTop, m.HessianTopResidual, m.HessianBottom = sp.Top[0], sp.TopResiduals[0], sp.Bottom[0]
	m.prepareSeconds = time.Since(start).Seconds()
	return m, nil
}

// Write writes m to dir/minimum.json atomically.
func (m *Minimum) Write(dir string) error {
	b, err := canonicalJSON(m)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("cannot create output folder: %v", err)
	}
	return data.WriteBytesAtomic(filepath.Join(dir, MinimumFile), b)
}

func readMinimum(path string) (*Minimum, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fs.ErrNotExist
		}
		return nil, fmt.Errorf("cannot read %s: %v", path, err)
	}
	var m Minimum
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%s is not a minimum file: %v", path, err)
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
	base, err := newNetEngine(mn.Spec.Layers, mn.Spec.Activation, mn.x, mn.y)
	var cov []float64
	var covOnce sync.Once
	return func(p Point) (Simulator, error) {
		if err != nil {
			return nil, err
		}
		s, err := newNetworkSim(mn, base, p)
		if err != nil {
			return nil, err
		}
		if p.Dynamics == SGDGaussian {
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
	case SGD, SGDGaussian:
		if !(p.BatchSize >= 1) || p.BatchSize != math.Trunc(p.BatchSize) || math.IsInf(p.BatchSize, 0) {
			return fmt.Errorf("batch size %v: want a whole number ≥ 1", p.BatchSize)
		}
	case SGLD:
		if !(p.Temperature > 0) || math.IsInf(p.Temperature, 0) {
			return fmt.Errorf("temperature (SGLD diffusion D) %v: want a positive number", p.Temperature)
		}
	case GD:
	default:
		return fmt.Errorf("unknown dynamics %q for a network (want %s, %s, %s or %s)", p.Dynamics, SGD, SGDGaussian, SGLD, GD)
	}
	if !(p.Eta > 0) || math.IsInf(p.Eta, 0) {
		return fmt.Errorf("eta %v: want a positive number", p.Eta)
	}
	if !(p.Sharpness > 0) || math.IsInf(p.Sharpness, 0) {
		return fmt.Errorf("sharpness %v: want a positive number", p.Sharpness)
	}
	if p.MaxSteps < 1 {
		return fmt.Errorf("max steps %d: want a positive integer", p.MaxSteps)
	}
	if p.Criterion.Kind != CriterionLoss && p.Criterion.Kind != CriterionDistance {
		return fmt.Errorf("criterion %q: a network needs loss or distance", p.Criterion.Kind)
	}
	return p.Criterion.validate()
}

type networkSim struct {
	base       *netEngine
	engines    sync.Pool
	dyn        string
	eta, s     float64 // η and √k
	batch      int
	temp       float64
	maxSteps   int64
	crit       Criterion
	checkEvery int64
	theta0     []float64 // θ₀
	phi0       []float64 // θ₀/√k
	lossA      float64   // L(√k·φ₀)
	centered   []float64 // sgd-gaussian: N×P rows gᵢ − ḡ at θ₀
	// noReplacement (tests): sgd draws a permutation of all N samples per
	// step instead of B samples with replacement.
	noReplacement bool
}

func newNetworkSim(mn *Minimum, base *netEngine, p Point) (*networkSim, error) {
	if err := CheckNetworkPoint(p); err != nil {
		return nil, err
	}
	ns := &networkSim{base: base, dyn: p.Dynamics, eta: p.Eta, s: math.Sqrt(p.Sharpness), batch: int(p.BatchSize),
		temp: p.Temperature, maxSteps: p.MaxSteps, crit: p.Criterion, checkEvery: int64(mn.Spec.CheckEvery), theta0: mn.Theta}
	ns.engines.New = func() any { return base.clone() }
	ns.phi0 = make([]float64, len(mn.Theta))
	for i, t := range mn.Theta {
		ns.phi0[i] = t / ns.s
	}
	th := make([]float64, len(mn.Theta))
	for i, f := range ns.phi0 {
		th[i] = ns.s * f
	}
	ns.lossA = base.clone().loss(th)
	return ns, nil
}

// perSampleCentered returns the N×P matrix of per-sample gradients at θ
// minus their mean.
func perSampleCentered(e *netEngine, theta []float64) []float64 {
	e = e.clone()
	P := len(theta)
	G := make([]float64, e.n*P)
	mean := make([]float64, P)
	for i := 0; i < e.n; i++ {
		g := G[i*P : (i+1)*P]
		e.forward(theta, i)
		e.backward(theta, i, 1, g)
		for j, v := range g {
			mean[j] += v
		}
	}
	for j := range mean {
		mean[j] /= float64(e.n)
	}
	for i := 0; i < e.n; i++ {
		g := G[i*P : (i+1)*P]
		for j := range g {
			g[j] -= mean[j]
		}
	}
	return G
}

// Run simulates one run (see NetworkFactory).
func (ns *networkSim) Run(seed uint64) (Outcome, error) {
	o, _, err := ns.run(seed)
	return o, err
}

// run simulates one run and also returns the final θ.
func (ns *networkSim) run(seed uint64) (Outcome, []float64, error) {
	e := ns.engines.Get().(*netEngine)
	defer ns.engines.Put(e)
	src := rand.NewPCG(seed, pcgStream)
	rng := rand.New(src)
	zig := NewZiggurat()
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
	case SGD:
		ids = make([]int, ns.batch)
		if ns.noReplacement {
			ids = make([]int, e.n)
		}
	case SGDGaussian:
		z = make([]float64, e.n)
		idx = make([]float64, P)
	case SGLD:
		z = make([]float64, P)
	}
	step := ns.eta * ns.s
	r2 := ns.crit.Radius * ns.crit.Radius
	level := ns.lossA + ns.crit.Delta
	for t := int64(1); t <= ns.maxSteps; t++ {
		switch ns.dyn {
		case SGD:
			if ns.noReplacement {
				copy(ids, rng.Perm(e.n))
			} else {
				for j := range ids {
					ids[j] = rng.IntN(e.n)
				}
			}
			e.lossGrad(theta, ids, grad)
		case SGDGaussian:
			e.lossGrad(theta, nil, grad)
			zig.Fill(src, z)
			clear(idx)
			for i, zi := range z {
				row := ns.centered[i*P : (i+1)*P]
				for j, v := range row {
					idx[j] += zi * v
				}
			}
			c := 1 / math.Sqrt(float64(e.n)*float64(ns.batch))
			for j := range grad {
				grad[j] += c * idx[j]
			}
		default: // SGLD, GD
			e.lossGrad(theta, nil, grad)
		}
		for i, g := range grad {
			phi[i] -= step * g
		}
		if ns.dyn == SGLD {
			zig.Fill(src, z)
			sig := math.Sqrt(2 * ns.eta * ns.temp)
			for i, v := range z {
				phi[i] += sig * v
			}
		}
		for i, f := range phi {
			theta[i] = ns.s * f
		}
		switch ns.crit.Kind {
		case CriterionDistance:
			var d2 float64
			for i, v := range theta {
				d := v - ns.theta0[i]
				d2 += d * d
			}
			if d2 >= r2 {
				return Outcome{Escaped: true, Step: t}, theta, nil
			}
			if math.IsNaN(d2) {
				return Outcome{}, theta, errDiverged(t, ns.eta)
			}
		case CriterionLoss:
			if t%ns.checkEvery == 0 || t == ns.maxSteps {
				l := e.loss(theta)
				if l >= level {
					return Outcome{Escaped: true, Step: t}, theta, nil
				}
				if math.IsNaN(l) {
					return Outcome{}, theta, errDiverged(t, ns.eta)
				}
			}
		}
	}
	return Outcome{Escaped: false, Step: ns.maxSteps}, theta, nil
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
	mn, err := PrepareMinimum(*cfg.Network, dir, opt.Workers)
	if err != nil {
		return SweepSummary{}, nil, err
	}
	if err := mn.Write(dir); err != nil {
		return SweepSummary{}, nil, err
	}
	sum, err := Sweep(dir, cfg, NetworkFactory(mn), opt)
	return sum, mn, err
}
