package hessian

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
)

// LanczosOptions configures Lanczos. The zero value gives the defaults.
type LanczosOptions struct {
	// Seed seeds the random start vector (PCG stream 0).
	Seed uint64
	// MaxIter caps the Krylov dimension, which is the number of operator
	// products of the iteration (the residual check adds kTop+kBottom more
	// per check that passes). The basis takes 8·MaxIter·n bytes.
	// 0 means min(n, max(300, 10·max(kTop, kBottom))); larger than n means n.
	MaxIter int
	// Tol is the relative residual asked of every requested pair:
	// ‖Av − λv‖ ≤ Tol·max|λ|, max|λ| estimated by the extreme Ritz values.
	// 0 means 1e-6.
	Tol float64
	// Progress, if not nil, is called after each Lanczos step.
	Progress func(iter, maxIter int)
}

// Spectrum holds extreme eigenpairs of an operator.
type Spectrum struct {
	Top    []float64 // largest eigenvalues, descending
	Bottom []float64 // smallest eigenvalues, ascending
	// TopVectors and BottomVectors hold the unit eigenvectors as columns
	// (n×kTop, n×kBottom), in the order of Top and Bottom; nil when k = 0.
	TopVectors, BottomVectors *mat.Dense
	// TopResiduals and BottomResiduals are ‖Av − λv‖ of each pair, computed
	// with the operator.
	TopResiduals, BottomResiduals []float64
	// Iterations is the Krylov dimension reached.
	Iterations int
	// Converged reports that every residual is ≤ Tol·max|λ| or that the
	// Krylov space is all of R^n (the pairs are then exact up to rounding).
	Converged bool
}

// Lanczos computes the kTop largest and kBottom smallest eigenpairs of the
// symmetric operator op by the Lanczos method with full reorthogonalisation
// (Paige 1971; Golub & Van Loan, Matrix Computations, 4th ed., §10.1 and
// §10.3.1), the Krylov counterpart of PyHessian's power iteration
// (Yao et al. 2020, pyhessian/hessian.py, eigenvalues).
//
// Strategy: the Krylov space grows; it is never restarted. The first check
// comes at dimension min(n, max(3k+20, 60)), k = max(kTop, kBottom), then
// every max(10, k) steps. At a check the Ritz pairs of T_m are computed
// (dsteqr); when the Lanczos residual estimates β_m|s_mi| of all requested
// pairs are ≤ Tol·max|θ|, the Ritz vectors are formed and their residuals
// ‖Ay − θy‖ computed with the operator, and if those pass too the iteration
// stops. It also stops at MaxIter (Converged false) and at dimension n, where
// T_n is similar to A and the pairs are exact. If the Krylov space becomes
// invariant (breakdown) the process continues from a random vector orthogonal
// to it, so repeated eigenvalues and null spaces are eventually found.
// Before that a single start vector sees one copy of a repeated eigenvalue:
// the value is found, its multiplicity only when the space grows to cover it.
//
// It returns an error when kTop or kBottom is outside 0..n, MaxIter or Tol is
// negative, or MaxIter is smaller than max(kTop, kBottom).
func Lanczos(op Operator, kTop, kBottom int, o LanczosOptions) (*Spectrum, error) {
	n, k, maxIter, tol, err := lanczosLimits(op, kTop, kBottom, o)
	if err != nil {
		return nil, err
	}
	if k == 0 {
		return &Spectrum{Converged: true}, nil
	}

	rng := rand.New(rand.NewPCG(o.Seed, 0))
	v := make([]float64, n)
	for i := range v {
		v[i] = rng.NormFloat64()
	}
	kr, err := newKrylov(op, v, rng)
	if err != nil {
		return nil, fmt.Errorf("hessian.Lanczos: %w", err)
	}
	check := min(maxIter, max(3*k+20, 60))
	for {
		if err := kr.step(); err != nil {
			return nil, fmt.Errorf("hessian.Lanczos: %w", err)
		}
		m := kr.m()
		if o.Progress != nil {
			o.Progress(m, maxIter)
		}
		if m < check {
			continue
		}
		theta, s, err := kr.ritz()
		if err != nil {
			return nil, fmt.Errorf("hessian.Lanczos: %w", err)
		}
		top, bottom := make([]int, kTop), make([]int, kBottom)
		for i := range top {
			top[i] = m - 1 - i
		}
		for i := range bottom {
			bottom[i] = i
		}
		bound := tol * math.Max(math.Abs(theta[0]), math.Abs(theta[m-1]))
		exact := m == n
		estimated := true
		for _, i := range append(top, bottom...) {
			if math.Abs(kr.beta[m-1]*s[(m-1)*m+i]) > bound {
				estimated = false
			}
		}
		if exact || estimated || m == maxIter {
			sp := &Spectrum{Iterations: m}
			sp.Top, sp.TopVectors, sp.TopResiduals = ritzPairs(kr, theta, s, top)
			sp.Bottom, sp.BottomVectors, sp.BottomResiduals = ritzPairs(kr, theta, s, bottom)
			sp.Converged = exact
			if !exact {
				sp.Converged = floatsMax(sp.TopResiduals) <= bound && floatsMax(sp.BottomResiduals) <= bound
			}
			if sp.Converged || m == maxIter {
				return sp, nil
			}
		}
		check = min(maxIter, m+max(10, k))
	}
}

// lanczosLimits checks Lanczos' arguments and returns the dimension n,
// k = max(kTop, kBottom), and MaxIter and Tol with their defaults applied.
func lanczosLimits(op Operator, kTop, kBottom int, o LanczosOptions) (n, k, maxIter int, tol float64, err error) {
	if op == nil {
		return 0, 0, 0, 0, errors.New("hessian.Lanczos: nil operator")
	}
	n = op.Dim()
	switch {
	case n < 1:
		return 0, 0, 0, 0, fmt.Errorf("hessian.Lanczos: operator dimension %d, want at least 1", n)
	case kTop < 0 || kTop > n:
		return 0, 0, 0, 0, fmt.Errorf("hessian.Lanczos: kTop = %d, want 0..%d (the operator dimension)", kTop, n)
	case kBottom < 0 || kBottom > n:
		return 0, 0, 0, 0, fmt.Errorf("hessian.Lanczos: kBottom = %d, want 0..%d (the operator dimension)", kBottom, n)
	case o.MaxIter < 0:
		return 0, 0, 0, 0, fmt.Errorf("hessian.Lanczos: MaxIter = %d, want ≥ 0 (0 for the default)", o.MaxIter)
	case o.Tol < 0 || math.IsNaN(o.Tol):
		return 0, 0, 0, 0, fmt.Errorf("hessian.Lanczos: Tol = %v, want ≥ 0 (0 for the default)", o.Tol)
	}
	k = max(kTop, kBottom)
	maxIter = o.MaxIter
	if maxIter == 0 {
		maxIter = max(300, 10*k)
	}
	maxIter = min(maxIter, n)
	if maxIter < k {
		return 0, 0, 0, 0, fmt.Errorf("hessian.Lanczos: MaxIter = %d is smaller than k = %d", o.MaxIter, k)
	}
	tol = o.Tol
	if tol == 0 {
		tol = 1e-6
	}
	return n, k, maxIter, tol, nil
}

// ritzPairs forms the Ritz pairs (θ_i, Q·s_i) for the indices idx and their
// residuals ‖A y − θ y‖ computed with the operator.
func ritzPairs(kr *krylov, theta, s []float64, idx []int) ([]float64, *mat.Dense, []float64) {
	if len(idx) == 0 {
		return nil, nil, nil
	}
	n := len(kr.w)
	vals := make([]float64, len(idx))
	vecs := mat.NewDense(n, len(idx), nil)
	y := make([]float64, n)
	for c, i := range idx {
		vals[c] = theta[i]
		kr.vector(y, s, i)
		vecs.SetCol(c, y)
	}
	ay := mat.NewDense(n, len(idx), nil)
	apply(kr.op, ay, vecs)
	res := make([]float64, len(idx))
	for c := range idx {
		var r2 float64
		for row := range n {
			d := ay.At(row, c) - vals[c]*vecs.At(row, c)
			r2 += d * d
		}
		res[c] = math.Sqrt(r2)
	}
	return vals, vecs, res
}

// floatsMax returns the largest element of x, or 0 when x is empty.
func floatsMax(x []float64) float64 {
	m := 0.0
	for _, v := range x {
		m = math.Max(m, v)
	}
	return m
}
