package network

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"time"

	"gonum.org/v1/gonum/floats"

	"github.com/sgn-project/sgn/data"
	"github.com/sgn-project/sgn/escape"
	"github.com/sgn-project/sgn/internal/atomicfile"
	"github.com/sgn-project/sgn/model"
	"github.com/sgn-project/sgn/model/replica"
	"github.com/sgn-project/sgn/train/minimum"
)

// Minimum is the prepared start of the network runs.
type Minimum struct {
	// Version is the version of the program that wrote minimum.json.
	Version string         `json:"version"`
	Spec    Spec           `json:"spec"`
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

// PrepareSeconds is the wall time PrepareMinimum took (0 for a minimum
// read from a file).
func (m *Minimum) PrepareSeconds() float64 { return m.prepareSeconds }

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
func PrepareMinimum(spec Spec, mnist, cacheDir string, workers int) (*Minimum, error) {
	start := time.Now()
	spec.normalize()
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	set, err := spec.Load(mnist)
	if err != nil {
		return nil, err
	}
	workers = max(workers, 1)
	if cacheDir != "" {
		m, err := ReadMinimum(filepath.Join(cacheDir, MinimumFile))
		switch {
		case err != nil && !errors.Is(err, fs.ErrNotExist):
			return nil, err
		case err != nil, !reflect.DeepEqual(m.Spec, spec), len(m.Theta) != model.NewLayout(spec.Layers).P:
		case m.Data.MNIST != set.Selected().MNIST || m.Data.FileSHA256 != set.Selected().FileSHA256:
			// The same network on other images: the folder's results
			// belong to that minimum, not to one found now.
			return nil, fmt.Errorf("%w: %s holds the minimum of this network on data of SHA-256 %s, not on these (%s); give the same --mnist or data file, or choose another folder",
				ErrOtherImages, filepath.Join(cacheDir, MinimumFile), m.Data.MNIST+m.Data.FileSHA256, set.Selected().MNIST+set.Selected().FileSHA256)
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
func startFrom(net *model.MLP, spec Spec) error {
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

// ReadMinimum reads a minimum.json that Minimum.Write wrote (fs.ErrNotExist
// when it is missing; unknown fields are an error).
func ReadMinimum(path string) (*Minimum, error) {
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

// MinimumSummary is a Minimum without θ₀, with λ_max per sharpness.
type MinimumSummary struct {
	Spec     Spec    `json:"spec"`
	Data     string  `json:"data"`
	Params   int     `json:"params"`
	Loss     float64 `json:"loss"`
	Accuracy float64 `json:"accuracy"`
	MinimumSearch
	Sharpness []SharpnessRow `json:"hessian_top_by_sharpness"`
}

// Summary returns m's numbers with λ_max for each k in ks.
func (m *Minimum) Summary(ks []float64) *MinimumSummary {
	return &MinimumSummary{Spec: m.Spec, Data: m.Data.Description, Params: m.Params, Loss: m.Loss,
		Accuracy: m.Accuracy, MinimumSearch: m.MinimumSearch, Sharpness: m.Sharpness(ks)}
}

// GradientNoiseTrace returns tr Σ(θ₀) = (1/N)·Σᵢ‖gᵢ − ḡ‖², the trace of the
// covariance of one sample's cross-entropy gradient gᵢ over the N samples
// at the minimum (the weight decay adds no noise); the minibatch gradient
// of B samples drawn with replacement has covariance Σ/B. Two passes: the
// mean, then the deviations.
func (m *Minimum) GradientNoiseTrace() (float64, error) {
	e, err := replica.New(m.Spec.Layers, m.Spec.Activation, m.x, m.y)
	if err != nil {
		return 0, err
	}
	n := e.N()
	if n == 0 {
		return 0, errors.New("matched noise: the minimum has no samples")
	}
	P := len(m.Theta)
	g := make([]float64, P)
	mean := make([]float64, P)
	for i := 0; i < n; i++ {
		clear(g)
		e.AddSampleGrad(m.Theta, i, 1, g)
		for j, v := range g {
			mean[j] += v / float64(n)
		}
	}
	var tr float64
	for i := 0; i < n; i++ {
		clear(g)
		e.AddSampleGrad(m.Theta, i, 1, g)
		for j, v := range g {
			d := v - mean[j]
			tr += d * d
		}
	}
	return tr / float64(n), nil
}
