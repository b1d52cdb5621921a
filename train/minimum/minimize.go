package minimum

import (
	"fmt"
	"math"

	"github.com/sgn-project/sgn/hessian"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/optimize"
)

// Objective is a twice-differentiable function f: R^P → R with its
// exact gradient and exact Hessian-vector products: what Minimize needs.
type Objective interface {
	// Dim returns P.
	Dim() int
	// LossGrad returns f(θ) and writes ∇f(θ) into grad.
	LossGrad(theta, grad []float64) (float64, error)
	// Hessian returns ∇²f(θ) as an operator.
	Hessian(theta []float64) (hessian.Operator, error)
}

// Options are the settings of Minimize.
type Options struct {
	// GradTol is the target ‖∇f‖₂.
	GradTol float64
	// MaxIterations caps the L-BFGS iterations; the Newton–CG phase takes
	// at most MaxNewton iterations more.
	MaxIterations int
}

// MaxNewton caps the Newton–CG iterations of Minimize: from where L-BFGS stops,
// Newton's method converges quadratically in a few.
const MaxNewton = 50

// Stats tells what Minimize did.
type Stats struct {
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

// Minimize moves theta (in place) to a stationary point of obj with
// ‖∇f‖₂ ≤ o.GradTol: L-BFGS (Nocedal, "Updating quasi-Newton matrices with
// limited storage", Math. Comp. 1980; gonum's optimize.LBFGS with a
// More–Thuente line search) from theta, then Newton–CG (Nocedal & Wright,
// "Numerical Optimization", 2006, Algorithm 7.1: Newton steps solved by
// conjugate gradients on the exact Hessian-vector products, stopped at the
// relative residual min(½, √‖∇f‖)), which converges superlinearly near a
// minimum. A stationary point may be a saddle: callers check the Hessian.
func Minimize(obj Objective, theta []float64, o Options) (Stats, error) {
	var st Stats
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
	for gn > o.GradTol && st.NewtonIterations < MaxNewton {
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
func lbfgsPhase(obj Objective, theta []float64, o Options, st *Stats) error {
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
