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
	// MaxIter caps the operator products of the iteration (the residual
	// check adds kTop+kBottom more per check that passes). 0 means
	// max(300, 10·max(kTop, kBottom)) when the basis holds that many
	// vectors, four times that when it is restarted; without restarts
	// (MaxBasis ≥ MaxIter) larger than n means n.
	MaxIter int
	// MaxBasis caps the vectors of length n the Krylov basis holds
	// (8·MaxBasis·n bytes). When the basis is full and the pairs have not
	// converged, it is thick-restarted (Wu & Simon 2000) from the Ritz
	// vectors of the wanted ends. 0 means the default: as many vectors as
	// MaxIter when they take at most DefaultBasisBytes, else the most that
	// fit in DefaultBasisBytes but at least 2·(kTop+kBottom)+20; capped at n.
	MaxBasis int
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
	// Iterations is the number of operator products of the iteration (the
	// Krylov dimension reached when the basis was never restarted).
	Iterations int
	// Restarts counts the thick restarts of the basis.
	Restarts int
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
// Strategy: the Krylov space grows up to MaxBasis vectors. The first check
// comes at dimension min(MaxBasis, max(3k+20, 60)), k = max(kTop, kBottom),
// then every max(10, k) steps and whenever the basis is full. When it is
// full and the pairs have not converged, the basis is thick-restarted (Wu &
// Simon, SIAM J. Matrix Anal. Appl. 22, 2000): it keeps the Ritz vectors of
// the kTop largest and kBottom smallest Ritz values and about half of the
// free room more from the same ends, and the iteration goes on with full
// reorthogonalisation against the kept vectors, so memory is MaxBasis
// vectors whatever the number of products. A run that converges before the
// basis is full is the plain Lanczos method, bit for bit. At a check the Ritz pairs of T_m are computed
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
	basis := lanczosBasis(n, kTop, kBottom, o)
	maxIter = restartedMaxIter(maxIter, basis, o)

	rng := rand.New(rand.NewPCG(o.Seed, 0))
	v := make([]float64, n)
	for i := range v {
		v[i] = rng.NormFloat64()
	}
	kr, err := newKrylov(op, v, rng)
	if err != nil {
		return nil, fmt.Errorf("hessian.Lanczos: %w", err)
	}
	restarts := 0
	check := min(maxIter, basis, max(3*k+20, 60))
	for {
		if err := kr.step(); err != nil {
			return nil, fmt.Errorf("hessian.Lanczos: %w", err)
		}
		m := kr.m()
		if o.Progress != nil {
			o.Progress(kr.products, maxIter)
		}
		last := kr.products >= maxIter
		if m < check && m < basis && !last {
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
		exact := m == n && restarts == 0
		estimated := true
		for _, i := range append(top, bottom...) {
			if math.Abs(kr.beta[m-1]*s[(m-1)*m+i]) > bound {
				estimated = false
			}
		}
		if exact || estimated || last {
			sp := &Spectrum{Iterations: kr.products, Restarts: restarts}
			sp.Top, sp.TopVectors, sp.TopResiduals = ritzPairs(kr, theta, s, top)
			sp.Bottom, sp.BottomVectors, sp.BottomResiduals = ritzPairs(kr, theta, s, bottom)
			sp.Converged = exact
			if !exact {
				sp.Converged = floatsMax(sp.TopResiduals) <= bound && floatsMax(sp.BottomResiduals) <= bound
			}
			if sp.Converged || last {
				return sp, nil
			}
		}
		if m == basis && !kr.exhausted && m < n {
			kr.restart(theta, s, restartKeep(m, kTop, kBottom))
			restarts++
			m = kr.m()
		}
		check = min(basis, m+max(10, k))
	}
}

// LanczosMaxProducts returns the cap on the operator products of Lanczos
// on an operator of dimension n with these arguments, defaults applied as
// Lanczos applies them (MaxIter's default is four times larger when the
// basis is restarted): the total its Progress reports. It returns Lanczos'
// error for invalid arguments.
func LanczosMaxProducts(n, kTop, kBottom int, o LanczosOptions) (int, error) {
	_, _, maxIter, _, err := lanczosLimits(dimOnly(n), kTop, kBottom, o)
	if err != nil {
		return 0, err
	}
	return restartedMaxIter(maxIter, lanczosBasis(n, kTop, kBottom, o), o), nil
}

// restartedMaxIter returns the product cap of a run whose basis holds
// basis vectors: the default cap is multiplied by four when the basis may
// be restarted.
func restartedMaxIter(maxIter, basis int, o LanczosOptions) int {
	if o.MaxIter == 0 && basis < maxIter {
		return 4 * maxIter
	}
	return maxIter
}

// restartKeep returns the columns of S (Ritz values ascending) that a
// thick restart of an m-vector basis keeps: the kTop largest and kBottom
// smallest and half of the remaining room more, shared between the ends
// that are wanted.
func restartKeep(m, kTop, kBottom int) []int {
	extra := (m - kTop - kBottom) / 2
	et, eb := 0, 0
	switch {
	case kTop > 0 && kBottom > 0:
		et, eb = extra/2, extra-extra/2
	case kTop > 0:
		et = extra
	default:
		eb = extra
	}
	var keep []int
	for i := range kBottom + eb {
		keep = append(keep, i)
	}
	for i := m - kTop - et; i < m; i++ {
		keep = append(keep, i)
	}
	return keep
}

// DefaultBasisBytes is the memory the Krylov basis of Lanczos may take by
// default (LanczosOptions.MaxBasis 0): 256 MiB, 330 vectors at n = 10⁵, 42
// at n = 8·10⁵ (raised to 2·(kTop+kBottom)+20 vectors).
const DefaultBasisBytes = 256 << 20

// lanczosBasis returns the number of basis vectors Lanczos keeps (the
// effective LanczosOptions.MaxBasis) for valid arguments.
func lanczosBasis(n, kTop, kBottom int, o LanczosOptions) int {
	if o.MaxBasis > 0 {
		return min(n, max(o.MaxBasis, kTop+kBottom+2))
	}
	_, _, maxIter, _, _ := lanczosLimits(dimOnly(n), kTop, kBottom, o)
	fit := DefaultBasisBytes / (8 * n)
	if maxIter <= fit {
		return maxIter
	}
	return min(n, max(fit, 2*(kTop+kBottom)+20))
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
	case o.MaxBasis < 0:
		return 0, 0, 0, 0, fmt.Errorf("hessian.Lanczos: MaxBasis = %d, want ≥ 0 (0 for the default)", o.MaxBasis)
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
