package escape

import (
	"errors"
	"fmt"
	"math"

	"github.com/sgn-project/sgn/hessian"
	"github.com/sgn-project/sgn/model"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/optimize"
)

// smoothObjective is a twice-differentiable function f: R^P → R with its
// exact gradient and exact Hessian-vector products.
type smoothObjective interface {
	Dim() int
	// LossGrad returns f(θ) and writes ∇f(θ) into grad.
	LossGrad(theta, grad []float64) (float64, error)
	// Hessian returns ∇²f(θ) as an operator.
	Hessian(theta []float64) (hessian.Operator, error)
}

// minimizeOptions are the settings of minimize.
type minimizeOptions struct {
	// GradTol is the target ‖∇f‖₂.
	GradTol float64
	// MaxIterations caps the L-BFGS iterations; the Newton–CG phase takes
	// at most maxNewton iterations more.
	MaxIterations int
}

// maxNewton caps the Newton–CG iterations: from where L-BFGS stops,
// Newton's method converges quadratically in a few.
const maxNewton = 50

// minimizeStats tells what minimize did.
type minimizeStats struct {
	// LBFGSIterations and LBFGSStatus are those of the L-BFGS phase;
	// NewtonIterations the Newton–CG steps taken after it and
	// HessianProducts the Hessian-vector products of their CG solves.
	LBFGSIterations  int
	LBFGSStatus      string
	NewtonIterations int
	HessianProducts  int
	// Evaluations counts the evaluations of f and ∇f.
	Evaluations int
	// Loss and GradNorm are f and ‖∇f‖₂ at the result.
	Loss, GradNorm float64
	// Converged reports GradNorm ≤ GradTol.
	Converged bool
}

// minimize moves theta (in place) to a stationary point of obj with
// ‖∇f‖₂ ≤ o.GradTol: L-BFGS (Nocedal, "Updating quasi-Newton matrices with
// limited storage", Math. Comp. 1980; gonum's optimize.LBFGS with a
// More–Thuente line search) from theta, then Newton–CG (Nocedal & Wright,
// "Numerical Optimization", 2006, Algorithm 7.1: Newton steps solved by
// conjugate gradients on the exact Hessian-vector products, stopped at the
// relative residual min(½, √‖∇f‖)), which converges superlinearly near a
// minimum. A stationary point may be a saddle: callers check the Hessian.
func minimize(obj smoothObjective, theta []float64, o minimizeOptions) (minimizeStats, error) {
	var st minimizeStats
	n := obj.Dim()
	grad := make([]float64, n)
	// The L-BFGS phase stops when ‖∇f‖∞ ≤ GradTol/√P, which implies
	// ‖∇f‖₂ ≤ GradTol.
	if err := lbfgsPhase(obj, theta, o, &st); err != nil {
		return st, err
	}
	f, err := obj.LossGrad(theta, grad)
	st.Evaluations++
	if err != nil {
		return st, err
	}
	gn := floats.Norm(grad, 2)
	trial := make([]float64, n)
	tgrad := make([]float64, n)
	p := make([]float64, n)
	for gn > o.GradTol && st.NewtonIterations < maxNewton {
		op, err := obj.Hessian(theta)
		if err != nil {
			return st, err
		}
		st.HessianProducts += newtonCG(op, grad, p, math.Min(0.5, math.Sqrt(gn)))
		// Backtrack on ‖∇f‖ until it decreases: near the minimum f changes
		// by O(‖∇f‖²), below the rounding of f, so f cannot judge the step.
		accepted := false
		for alpha := 1.0; alpha > 1e-10; alpha /= 2 {
			for i := range trial {
				trial[i] = theta[i] + alpha*p[i]
			}
			tf, err := obj.LossGrad(trial, tgrad)
			st.Evaluations++
			if err != nil {
				return st, err
			}
			if tn := floats.Norm(tgrad, 2); tn < gn && !math.IsNaN(tf) {
				copy(theta, trial)
				copy(grad, tgrad)
				f, gn, accepted = tf, tn, true
				break
			}
		}
		if !accepted {
			break
		}
		st.NewtonIterations++
	}
	st.Loss, st.GradNorm, st.Converged = f, gn, gn <= o.GradTol
	return st, nil
}

// lbfgsPhase runs gonum's L-BFGS from theta and leaves theta at its best
// point. Stops for a failed line search (usual when ‖∇f‖ nears rounding)
// are not errors: the Newton–CG phase goes on from there.
func lbfgsPhase(obj smoothObjective, theta []float64, o minimizeOptions, st *minimizeStats) error {
	n := obj.Dim()
	var cacheX, cacheG []float64
	var cacheF float64
	var evalErr error
	eval := func(x []float64) (float64, []float64) {
		if cacheX != nil && floats.Equal(cacheX, x) {
			return cacheF, cacheG
		}
		g := make([]float64, n)
		f, err := obj.LossGrad(x, g)
		st.Evaluations++
		if err != nil && evalErr == nil {
			evalErr = err
		}
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			f = math.Inf(1)
		}
		cacheX, cacheF, cacheG = append(cacheX[:0], x...), f, g
		return f, g
	}
	prob := optimize.Problem{
		Func: func(x []float64) float64 { f, _ := eval(x); return f },
		Grad: func(dst, x []float64) { _, g := eval(x); copy(dst, g) },
	}
	settings := &optimize.Settings{
		GradientThreshold: o.GradTol / math.Sqrt(float64(n)),
		MajorIterations:   o.MaxIterations,
		Converger:         optimize.NeverTerminate{},
	}
	res, err := optimize.Minimize(prob, theta, settings, &optimize.LBFGS{})
	if evalErr != nil {
		return fmt.Errorf("L-BFGS: %w", evalErr)
	}
	if res == nil {
		return fmt.Errorf("L-BFGS: %w", err)
	}
	st.LBFGSIterations = res.Stats.MajorIterations
	st.LBFGSStatus = res.Status.String()
	if err != nil {
		st.LBFGSStatus += ": " + err.Error()
	}
	if !math.IsInf(res.F, 0) {
		copy(theta, res.X)
	}
	return nil
}

// newtonCG solves H·p = −g approximately by conjugate gradients from p = 0
// until ‖H·p + g‖ ≤ forcing·‖g‖ (Nocedal & Wright, Algorithm 7.1). On a
// direction of non-positive curvature it stops with the current p (with
// −g if that happens at once). It returns the number of products with H.
func newtonCG(h hessian.Operator, g, p []float64, forcing float64) int {
	n := len(g)
	r := make([]float64, n) // residual H·p + g
	d := make([]float64, n)
	hd := make([]float64, n)
	clear(p)
	copy(r, g)
	for i := range d {
		d[i] = -g[i]
	}
	tol := forcing * floats.Norm(g, 2)
	rr := floats.Dot(r, r)
	products := 0
	for j := 0; j < 2*n && math.Sqrt(rr) > tol; j++ {
		h.MulVec(hd, d)
		products++
		dhd := floats.Dot(d, hd)
		if !(dhd > 0) {
			if j == 0 {
				for i := range p {
					p[i] = -g[i]
				}
			}
			return products
		}
		a := rr / dhd
		floats.AddScaled(p, a, d)
		floats.AddScaled(r, a, hd)
		rr1 := floats.Dot(r, r)
		beta := rr1 / rr
		rr = rr1
		for i := range d {
			d[i] = -r[i] + beta*d[i]
		}
	}
	return products
}

// denseLimit is the largest P whose Hessian eigenvalues are computed
// densely (P Hessian-vector products and a P×P symmetric eigensolve);
// above it Lanczos finds the extreme ones.
const denseLimit = 2000

// extremeCurvature holds the extreme eigenvalues of a Hessian.
type extremeCurvature struct {
	Min, Max float64
	// MinResidual and MaxResidual are ‖Hv − λv‖ of the eigenpairs,
	// computed with the operator.
	MinResidual, MaxResidual float64
	// Method is "dense" or "lanczos".
	Method string
}

// errNoEigen is returned when the dense eigensolver fails.
var errNoEigen = errors.New("the symmetric eigendecomposition did not converge")

// curvature returns the extreme eigenvalues of op: from the dense matrix
// (hessian.Full and a symmetric eigendecomposition) when P ≤ denseLimit,
// by hessian.Lanczos otherwise.
func curvature(op hessian.Operator) (extremeCurvature, error) {
	n := op.Dim()
	if n > denseLimit {
		sp, err := hessian.Lanczos(op, 1, 1, hessian.LanczosOptions{Seed: 1, Tol: 1e-8})
		if err != nil {
			return extremeCurvature{}, err
		}
		return extremeCurvature{Min: sp.Bottom[0], Max: sp.Top[0], MinResidual: sp.BottomResiduals[0], MaxResidual: sp.TopResiduals[0], Method: "lanczos"}, nil
	}
	a, _, err := hessian.Full(op, 0, nil)
	if err != nil {
		return extremeCurvature{}, err
	}
	var eig mat.EigenSym
	if !eig.Factorize(a, true) {
		return extremeCurvature{}, errNoEigen
	}
	vals := eig.Values(nil) // ascending
	var vecs mat.Dense
	eig.VectorsTo(&vecs)
	res := func(j int) float64 {
		v := mat.Col(nil, j, &vecs)
		hv := make([]float64, n)
		op.MulVec(hv, v)
		floats.AddScaled(hv, -vals[j], v)
		return floats.Norm(hv, 2)
	}
	return extremeCurvature{Min: vals[0], Max: vals[n-1], MinResidual: res(0), MaxResidual: res(n - 1), Method: "dense"}, nil
}

// isSaddle reports a Hessian with an eigenvalue below −1e-6·λmax: the
// stationary point is a saddle, not a minimum.
func (c extremeCurvature) isSaddle() bool { return c.Min < -1e-6*math.Abs(c.Max) }

// networkObjective is L(θ) = CE(θ) + (λ/2)‖θ‖² of an MLP on a fixed
// batch, CE the mean cross-entropy and λ the weight decay: gradients by
// model.Evaluate, Hessians by model.NewHessian (Pearlmutter's exact
// R-operator) plus λI.
type networkObjective struct {
	net     *model.MLP
	batch   model.Batch
	decay   float64
	workers int
}

func (o networkObjective) Dim() int { return o.net.NumParams() }

func (o networkObjective) LossGrad(theta, grad []float64) (float64, error) {
	ev, err := o.net.Evaluate(theta, o.batch, grad, o.workers)
	if o.decay != 0 {
		floats.AddScaled(grad, o.decay, theta)
	}
	return ev.Loss + o.penalty(theta), err
}

func (o networkObjective) Hessian(theta []float64) (hessian.Operator, error) {
	h, err := o.net.NewHessian(theta, o.batch, o.workers)
	if err != nil || o.decay == 0 {
		return h, err
	}
	return shifted{h, o.decay}, nil
}

// penalty returns (λ/2)‖θ‖².
func (o networkObjective) penalty(theta []float64) float64 { return penalty(o.decay, theta) }

// penalty returns (λ/2)‖θ‖², 0 when λ = 0.
func penalty(decay float64, theta []float64) float64 {
	if decay == 0 {
		return 0
	}
	return decay / 2 * floats.Dot(theta, theta)
}

// shifted is the operator A + σI.
type shifted struct {
	a     hessian.Operator
	sigma float64
}

func (s shifted) Dim() int { return s.a.Dim() }

func (s shifted) MulVec(dst, v []float64) {
	s.a.MulVec(dst, v)
	floats.AddScaled(dst, s.sigma, v)
}
