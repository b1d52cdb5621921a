package network

import (
	"fmt"
	"math"

	"github.com/sgn-project/sgn/data"
	"github.com/sgn-project/sgn/escape"
	"github.com/sgn-project/sgn/model"
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

// Spec is the network landscape of a sweep: an MLP on the first
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
//	  "data": "train.npz",      // or the rows of a data file (x, y) instead of MNIST [""]
//	  "weight_decay": 1e-3,     // λ of the L2 penalty (λ/2)‖θ‖² in L [0]
//	  "minimizer": "lbfgs",     // L-BFGS then Newton–CG ["lbfgs"], or "gd"
//	  "grad_tol": 1e-6,         // target ‖∇L‖ [1e-6; gd 1e-4]
//	  "max_iterations": 10000,  // lbfgs: L-BFGS iterations at most
//	  "gd_eta": 0.5, "gd_max_steps": 20000, // gd only
//	  "check_every": 10         // loss criterion: full-batch loss every this many steps
//	}
type Spec struct {
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
	// Data, when not empty, is a data file (the arrays x and y in
	// safetensors or .npz, data.Options.File) whose rows replace MNIST's:
	// Pool is then 0 and First selects its first rows (0: all); the
	// input width and classes are checked against the layers once it is
	// read.
	Data string `json:"data,omitempty"`
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
func (s *Spec) normalize() {
	if len(s.Layers) == 0 {
		s.Layers = []int{49, 16, 10}
	}
	if s.Activation == "" {
		s.Activation = model.Tanh
	}
	if s.Pool == 0 && s.Data == "" {
		s.Pool = 4
	}
	if s.First == 0 && s.Data == "" {
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

// Validate checks a spec with its defaults filled in (Normalized): the
// errors are escape.FieldErrors naming the field of "network".
func (s *Spec) Validate() error {
	if err := (model.Config{Layers: s.Layers, Activation: s.Activation}).Validate(); err != nil {
		return fmt.Errorf("network %w", err)
	}
	if s.Data != "" {
		if s.Pool != 0 {
			return escape.FieldErrorf("network", "pool", "%d: a data file holds its features as they are (want 0 with data)", s.Pool)
		}
		if s.First < 0 {
			return escape.FieldErrorf("network", "first", "%d: want 0 (all rows) or more", s.First)
		}
	} else if s.Pool != 1 && s.Pool != 2 && s.Pool != 4 {
		return escape.FieldErrorf("network", "pool", "%d: want 1, 2 or 4", s.Pool)
	}
	if !(s.WeightDecay >= 0) || math.IsInf(s.WeightDecay, 0) {
		return escape.FieldErrorf("network", "weight_decay", "%v: want a non-negative number", s.WeightDecay)
	}
	if s.Data != "" {
		return s.validateMinimizer()
	}
	if side := 28 / s.Pool; s.Layers[0] != side*side {
		return escape.FieldErrorf("network", "layers", "%v: the input width must be (28/p)² = %d for pooling p = %d", s.Layers, side*side, s.Pool)
	}
	if c := s.Layers[len(s.Layers)-1]; c != 10 {
		return escape.FieldErrorf("network", "layers", "%v: the output width must be 10 (MNIST classes), not %d", s.Layers, c)
	}
	if s.First < 1 || s.First > data.TrainSize {
		return escape.FieldErrorf("network", "first", "%d: want 1..%d training images", s.First, data.TrainSize)
	}
	return s.validateMinimizer()
}

// validateMinimizer checks the minimizer's settings of a normalized spec.
func (s *Spec) validateMinimizer() error {
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

// Normalized returns s with the defaults filled in as the landscape fills
// them (layers 49-16-10 tanh, pool 4, the first 500 images, …).
func (s Spec) Normalized() Spec {
	s.normalize()
	return s
}

// Load loads the rows of a normalized spec: the first First training
// images of MNIST from the folder mnist (empty: data.Load's lookup),
// pooled, or the rows of its data file, and checks that they fit its
// layers (data.CheckFits).
func (s Spec) Load(mnist string) (*data.Set, error) {
	set, err := data.Load(data.Options{Dir: mnist, Split: "train", Pool: s.Pool, First: s.First, File: s.Data})
	if err != nil {
		return nil, fmt.Errorf("network data: %w", err)
	}
	if err := data.CheckFits(set, s.Layers); err != nil {
		return nil, fmt.Errorf("network layers: %w", err)
	}
	return set, nil
}

// Rows returns the number of samples of a normalized spec: First, or for
// a data file the rows it selects, from the file's headers.
func (s Spec) Rows() (int, error) {
	if s.Data == "" {
		return s.First, nil
	}
	info, err := data.InspectFile(s.Data)
	if err != nil {
		return 0, fmt.Errorf("network data: %w", err)
	}
	if s.First > 0 {
		return min(s.First, info.N), nil
	}
	return info.N, nil
}
