package minimum

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/sgn-project/sgn/data"
	"github.com/sgn-project/sgn/hessian"
	"github.com/sgn-project/sgn/internal/atomicfile"
	"github.com/sgn-project/sgn/model"
	"gonum.org/v1/gonum/floats"
)

// Names of the files Write puts in its folder.
const (
	// CheckpointFile holds θ₀ in the layout of model.SaveCheckpoint
	// (PyTorch nn.Linear names, the architecture under metadata "config"):
	// every command that takes --checkpoint reads it.
	CheckpointFile = "minimum.safetensors"
	// JSONFile is the Report.
	JSONFile = "minimum.json"
)

// Defaults of Settings.
const (
	DefaultGradTol       = 1e-6
	DefaultMaxIterations = 10000
	// DefaultDecay is the weight decay of the figure network's minimum
	// (49-16-16-10 tanh on the first 2,000 training images): large enough
	// that the regularised loss has a minimum near the trained weights
	// (without it the network separates the images and CE has none),
	// small enough that the cross-entropy term dominates the curvature of
	// the top eigendirections.
	DefaultDecay = 1e-3
)

// Settings configure Find.
type Settings struct {
	// Decay is the weight decay λ > 0 of L(θ) = CE(θ) + (λ/2)‖θ‖².
	Decay float64 `json:"weight_decay"`
	// GradTol is the target ‖∇L‖₂ (0: DefaultGradTol).
	GradTol float64 `json:"grad_tol"`
	// MaxIterations caps the L-BFGS iterations (0: DefaultMaxIterations).
	MaxIterations int `json:"max_iterations"`
	// Seed seeds the Lanczos start vector of the curvature check.
	Seed uint64 `json:"seed"`
	// Workers parallelises the passes; results do not depend on it.
	Workers int `json:"-"`
}

// FieldError is a bad value of a Settings field, named by its JSON name.
type FieldError struct {
	Field, Detail string
}

// Error returns "<field> <detail>".
func (e *FieldError) Error() string { return e.Field + " " + e.Detail }

// Option returns the option's name in snake case and what is wrong with
// its value, for a caller that names the option its own way (a command's
// flag).
func (e *FieldError) Option() (field, detail string) { return e.Field, e.Detail }

// Validate checks the settings as Find does before any work: λ positive
// and finite, GradTol and MaxIterations not negative (0: their defaults).
// It returns a *FieldError naming the field.
func (s Settings) Validate() error {
	_, err := s.normalized()
	return err
}

// normalized fills the defaults and validates.
func (s Settings) normalized() (Settings, error) {
	if s.GradTol == 0 {
		s.GradTol = DefaultGradTol
	}
	if s.MaxIterations == 0 {
		s.MaxIterations = DefaultMaxIterations
	}
	s.Workers = max(s.Workers, 1)
	switch {
	case !(s.Decay > 0) || math.IsInf(s.Decay, 0):
		return s, &FieldError{"weight_decay", fmt.Sprintf("%v: want a positive number (without it a network that separates its images has no minimum)", s.Decay)}
	case !(s.GradTol > 0) || math.IsInf(s.GradTol, 0):
		return s, &FieldError{"grad_tol", fmt.Sprintf("%v: want a positive number", s.GradTol)}
	case s.MaxIterations < 0:
		return s, &FieldError{"max_iterations", fmt.Sprintf("%d: want a positive number", s.MaxIterations)}
	}
	return s, nil
}

// Point is the loss and its gradient at one θ.
type Point struct {
	// Loss is L = CE + (λ/2)‖θ‖², CrossEntropy its CE part, Accuracy the
	// fraction of the images classified correctly.
	Loss         float64 `json:"loss"`
	CrossEntropy float64 `json:"cross_entropy"`
	Accuracy     float64 `json:"accuracy"`
	// GradNorm is ‖∇L‖₂ and GradNormCE ‖∇CE‖₂ (at a minimum of L,
	// ∇CE = −λθ).
	GradNorm   float64 `json:"grad_norm"`
	GradNormCE float64 `json:"grad_norm_ce"`
	// ThetaNorm is ‖θ‖₂.
	ThetaNorm float64 `json:"theta_norm"`
}

// Report is minimum.json: where θ₀ is, how it was found and the evidence
// that it is a minimum.
type Report struct {
	Version string `json:"version"`
	// Source is the checkpoint the search started from.
	Source string `json:"source,omitempty"`
	// Data is the selection of images the loss is the mean over;
	// Data.MNIST is the digest of the MNIST files and ImagesDigest that of
	// the selected rows (data.Set.Digest).
	Data         data.Selection `json:"data"`
	ImagesDigest string         `json:"images_digest"`
	Settings     Settings       `json:"settings"`
	// Params and Samples are P and N.
	Params  int `json:"params"`
	Samples int `json:"samples"`
	// Start is the checkpoint, Minimum θ₀.
	Start   Point `json:"start"`
	Minimum Point `json:"minimum"`
	// LBFGSIterations … Evaluations say what Minimize did.
	LBFGSIterations  int    `json:"lbfgs_iterations"`
	LBFGSStatus      string `json:"lbfgs_status"`
	NewtonIterations int    `json:"newton_iterations"`
	HessianProducts  int    `json:"newton_hessian_products"`
	Evaluations      int    `json:"gradient_evaluations"`
	// Converged reports ‖∇L(θ₀)‖ ≤ grad_tol.
	Converged bool `json:"converged"`
	// LambdaMin and LambdaMax are the extreme eigenvalues of H(θ₀) =
	// ∇²L(θ₀) = ∇²CE(θ₀) + λI by Lanczos on Pearlmutter's exact
	// R-operator, with the residuals ‖Hv − λv‖ of their eigenvectors and
	// the Krylov dimension used.
	LambdaMin         float64 `json:"lambda_min"`
	LambdaMax         float64 `json:"lambda_max"`
	LambdaMinResidual float64 `json:"lambda_min_residual"`
	LambdaMaxResidual float64 `json:"lambda_max_residual"`
	LanczosIterations int     `json:"lanczos_iterations"`
	// IsMinimum reports Converged and LambdaMin ≥ 0; Verdict says what θ₀
	// is in a sentence.
	IsMinimum bool   `json:"is_minimum"`
	Verdict   string `json:"verdict"`
	// Meaning says what H and C mean at this point.
	Meaning map[string]string `json:"meaning"`
	Seconds float64           `json:"seconds"`
}

// Meaning of H and C at θ₀, written into every Report.
var meaning = map[string]string{
	"loss":     "L(θ) = CE(θ) + (λ/2)‖θ‖², CE the mean softmax cross-entropy over the selected images and λ = settings.weight_decay",
	"H":        "H(θ₀) = ∇²L(θ₀) = ∇²CE(θ₀) + λI, the Hessian of the regularised loss: lambda_min and lambda_max are its eigenvalues (those of ∇²CE are λ smaller)",
	"C":        "C(θ₀) = Σ(θ₀)/B, Σ the covariance of the per-sample gradients over the selected images: the same for CE and for L, since the decay term λθ is common to every sample",
	"gradient": "∇L(θ₀) = ∇CE(θ₀) + λθ₀ ≈ 0; the cross-entropy's own gradient is ∇CE(θ₀) = −λθ₀, of norm minimum.grad_norm_ce",
}

// Find moves the network's θ (the start, e.g. a trained checkpoint) to a
// true minimum θ₀ of L(θ) = CE(θ) + (λ/2)‖θ‖² on batch by Minimize
// (L-BFGS, then Newton–CG on exact Hessian-vector products) to
// ‖∇L‖ ≤ GradTol, then checks it with the extreme eigenvalues of
// H(θ₀) = ∇²CE + λI (hessian.Lanczos on model's exact R-operator). It
// returns θ₀ and the report; net.Theta is not modified. A search that
// does not converge or ends at a saddle is not an error: the report says
// so (Converged, IsMinimum, Verdict).
func Find(net *model.MLP, batch model.Batch, s Settings) ([]float64, *Report, error) {
	start := time.Now()
	s, err := s.normalized()
	if err != nil {
		return nil, nil, err
	}
	obj := Network{Net: net, Batch: batch, Decay: s.Decay, Workers: s.Workers}
	r := &Report{Settings: s, Params: net.NumParams(), Samples: batch.N(), Meaning: meaning, ImagesDigest: ImagesDigest(batch)}
	theta := append([]float64(nil), net.Theta...)
	if r.Start, err = evaluate(obj, theta); err != nil {
		return nil, nil, fmt.Errorf("the start: %w", err)
	}
	st, err := Minimize(obj, theta, Options{GradTol: s.GradTol, MaxIterations: s.MaxIterations})
	if err != nil {
		return nil, nil, err
	}
	r.LBFGSIterations, r.LBFGSStatus, r.NewtonIterations = st.LBFGSIterations, st.LBFGSStatus, st.NewtonIterations
	r.HessianProducts, r.Evaluations, r.Converged = st.HessianProducts, st.Evaluations, st.Converged
	if r.Minimum, err = evaluate(obj, theta); err != nil {
		return nil, nil, err
	}
	op, err := obj.Hessian(theta)
	if err != nil {
		return nil, nil, err
	}
	sp, err := hessian.Lanczos(op, 1, 1, hessian.LanczosOptions{Seed: s.Seed, Tol: 1e-8, MaxIter: op.Dim()})
	if err != nil {
		return nil, nil, fmt.Errorf("the Hessian at θ₀: %w", err)
	}
	r.LambdaMin, r.LambdaMax = sp.Bottom[0], sp.Top[0]
	r.LambdaMinResidual, r.LambdaMaxResidual, r.LanczosIterations = sp.BottomResiduals[0], sp.TopResiduals[0], sp.Iterations
	r.IsMinimum = r.Converged && r.LambdaMin >= 0
	switch {
	case !r.Converged:
		r.Verdict = fmt.Sprintf("not converged: ‖∇L‖ = %.3g > grad_tol %g after %d L-BFGS and %d Newton iterations", r.Minimum.GradNorm, s.GradTol, st.LBFGSIterations, st.NewtonIterations)
	case r.LambdaMin < 0:
		r.Verdict = fmt.Sprintf("a stationary point that is not a minimum: λmin(H) = %.3g < 0", r.LambdaMin)
	default:
		r.Verdict = fmt.Sprintf("a minimum: ‖∇L‖ = %.3g ≤ %g and λmin(H) = %.3g ≥ 0", r.Minimum.GradNorm, s.GradTol, r.LambdaMin)
	}
	r.Seconds = math.Round(time.Since(start).Seconds()*1000) / 1000
	return theta, r, nil
}

// evaluate returns the loss, accuracy and gradient norms at theta.
func evaluate(obj Network, theta []float64) (Point, error) {
	g := make([]float64, len(theta))
	ev, err := obj.Net.Evaluate(theta, obj.Batch, g, max(obj.Workers, 1))
	if err != nil {
		return Point{}, err
	}
	p := Point{CrossEntropy: ev.Loss, Accuracy: ev.Accuracy, GradNormCE: floats.Norm(g, 2), ThetaNorm: floats.Norm(theta, 2)}
	p.Loss = ev.Loss + Penalty(obj.Decay, theta)
	floats.AddScaled(g, obj.Decay, theta)
	p.GradNorm = floats.Norm(g, 2)
	return p, nil
}

// Write writes θ₀ to dir/minimum.safetensors (model.SaveCheckpoint's
// layout; meta, typically the start checkpoint's, gains the report's
// numbers under Metrics and loses any training state) and r to
// dir/minimum.json, each atomically.
func (r *Report) Write(dir string, net *model.MLP, theta []float64, meta model.CheckpointMeta) error {
	if len(theta) != net.NumParams() {
		return fmt.Errorf("θ₀ has %d entries, the network %d parameters", len(theta), net.NumParams())
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("cannot create output folder: %w", err)
	}
	m := *net
	m.Theta = theta
	meta.State = nil
	meta.Version = r.Version
	meta.Metrics = map[string]float64{
		"loss": r.Minimum.Loss, "cross_entropy": r.Minimum.CrossEntropy, "accuracy": r.Minimum.Accuracy,
		"grad_norm": r.Minimum.GradNorm, "weight_decay": r.Settings.Decay,
		"lambda_min": r.LambdaMin, "lambda_max": r.LambdaMax,
	}
	if err := model.SaveCheckpoint(filepath.Join(dir, CheckpointFile), &m, meta); err != nil {
		return err
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteBytes(filepath.Join(dir, JSONFile), append(b, '\n'))
}

// ImagesDigest identifies the images a loss is the mean over: the hex
// SHA-256 of their features (float64, little-endian) followed by their
// labels (int64, little-endian), in order.
func ImagesDigest(b model.Batch) string {
	h := sha256.New()
	var buf [8]byte
	for _, x := range b.X {
		binary.LittleEndian.PutUint64(buf[:], math.Float64bits(x))
		h.Write(buf[:])
	}
	for _, y := range b.Y {
		binary.LittleEndian.PutUint64(buf[:], uint64(int64(y)))
		h.Write(buf[:])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// ReadReport reads a minimum.json.
func ReadReport(path string) (*Report, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r Report
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%s is not a minimum report: %w", path, err)
	}
	if r.Params == 0 {
		return nil, errors.New(path + " is not a minimum report: no params")
	}
	return &r, nil
}
