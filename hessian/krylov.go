package hessian

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/lapack"
	"gonum.org/v1/gonum/lapack/gonum"
)

// breakdown is the relative size of the Lanczos residual, against the
// Gershgorin bound of T, below which the Krylov space counts as invariant.
// Treating such a β as zero moves the eigenvalues of T by at most β.
const breakdown = 1e-10

// krylov is the Lanczos process with full reorthogonalisation (Lanczos 1950;
// Paige 1971; Golub & Van Loan, Matrix Computations, 4th ed., Alg. 10.1.1 with
// the complete reorthogonalisation of §10.3.1, done as classical Gram–Schmidt
// twice). After m steps
//
//	A·Q_m = Q_m·T_m + β_m·q_{m+1}·e_mᵀ,
//
// Q_m = [q_1 … q_m] orthonormal and T_m tridiagonal, α on the diagonal and β
// off it. The basis is stored: m vectors of length n.
//
// After a thick restart (restart; Wu & Simon, SIAM J. Matrix Anal. Appl. 22,
// 2000) the first l basis vectors are Ritz vectors y_i with A·y_i = θ_i·y_i +
// c_i·q_{l+1}: T is then diag(θ) bordered by the couplings c in row and
// column l+1, tridiagonal below, and the relation above still holds.
type krylov struct {
	op    Operator
	q     [][]float64 // q[0..m-1] the basis; q[m], when present, the next vector
	alpha []float64   // diagonal of T
	beta  []float64   // beta[j] couples q[j] and q[j+1]; beta[m-1] is β_m
	coup  []float64   // after a restart: coup[i] couples q[i] and q[len(coup)]
	anorm float64     // Gershgorin bound of T so far, an estimate of ‖A‖
	w, h  []float64   // work space
	spare [][]float64 // vectors freed by a restart, reused by step
	// products counts the operator products of the steps.
	products int

	// rng, when not nil, restarts the process on breakdown with a random
	// vector orthogonal to the basis (β = 0 in T), so that the space grows to
	// R^n; when nil the process stops (exhausted).
	rng       *rand.Rand
	exhausted bool
}

// newKrylov starts a Lanczos process on op from v (not necessarily unit).
func newKrylov(op Operator, v []float64, rng *rand.Rand) (*krylov, error) {
	nrm := floats.Norm(v, 2)
	if nrm == 0 || math.IsNaN(nrm) || math.IsInf(nrm, 0) {
		return nil, fmt.Errorf("lanczos: start vector has norm %v", nrm)
	}
	q := make([]float64, len(v))
	floats.ScaleTo(q, 1/nrm, v)
	return &krylov{op: op, q: [][]float64{q}, w: make([]float64, len(v)), rng: rng}, nil
}

// m returns the number of Lanczos steps taken, the order of T.
func (k *krylov) m() int { return len(k.alpha) }

// step extends the factorisation by one column. It is an error to call it
// when m = n or when the process is exhausted.
func (k *krylov) step() error {
	j, n := len(k.alpha), len(k.w)
	qj := k.q[j]
	k.op.MulVec(k.w, qj)
	k.products++
	a := floats.Dot(qj, k.w)
	floats.AddScaled(k.w, -a, qj)
	prev := 0.0
	switch {
	case j > 0 && j == len(k.coup):
		for i, c := range k.coup {
			prev += math.Abs(c)
			floats.AddScaled(k.w, -c, k.q[i])
		}
	case j > 0:
		prev = k.beta[j-1]
		floats.AddScaled(k.w, -prev, k.q[j-1])
	}
	k.orthogonalise(k.w)
	b := floats.Norm(k.w, 2)
	if math.IsNaN(a) || math.IsNaN(b) || math.IsInf(a, 0) || math.IsInf(b, 0) {
		return fmt.Errorf("lanczos: operator returned a non-finite product at step %d", j+1)
	}
	k.alpha = append(k.alpha, a)
	k.anorm = math.Max(k.anorm, math.Abs(a)+prev+b)
	if j+1 == n {
		k.beta = append(k.beta, b) // rounding-level: w is orthogonal to all of R^n
		return nil
	}
	if b > breakdown*k.anorm {
		k.beta = append(k.beta, b)
		k.q = append(k.q, floats.ScaleTo(k.vec(), 1/b, k.w))
		return nil
	}
	// Breakdown: span(Q) is invariant under A.
	k.beta = append(k.beta, 0)
	if k.rng == nil {
		k.exhausted = true
		return nil
	}
	for range 10 {
		for i := range k.w {
			k.w[i] = k.rng.NormFloat64()
		}
		before := floats.Norm(k.w, 2)
		k.orthogonalise(k.w)
		if b := floats.Norm(k.w, 2); b > 1e-3*before {
			k.q = append(k.q, floats.ScaleTo(k.vec(), 1/b, k.w))
			return nil
		}
	}
	return fmt.Errorf("lanczos: cannot find a new direction orthogonal to the %d-dimensional Krylov basis", len(k.q))
}

// orthogonalise removes from w its components along the basis vectors q[0..],
// by classical Gram–Schmidt applied twice ("twice is enough": Giraud,
// Langou & Rozložník 2005).
func (k *krylov) orthogonalise(w []float64) {
	if cap(k.h) < len(k.q) {
		k.h = make([]float64, len(k.q), 2*len(k.q))
	}
	h := k.h[:len(k.q)]
	for range 2 {
		for i, qi := range k.q {
			h[i] = floats.Dot(qi, w)
		}
		for i, qi := range k.q {
			floats.AddScaled(w, -h[i], qi)
		}
	}
}

// vec returns a vector of length n, a spare one when a restart freed some.
func (k *krylov) vec() []float64 {
	if l := len(k.spare); l > 0 {
		v := k.spare[l-1]
		k.spare = k.spare[:l-1]
		return v
	}
	return make([]float64, len(k.w))
}

// ritz returns the eigenvalues θ of T_m in ascending order and its
// eigenvectors S (m×m row-major, column i belongs to θ_i), by the implicit
// QL/QR method (LAPACK dsteqr) while T is tridiagonal, by dsyev after a
// restart.
func (k *krylov) ritz() (theta, s []float64, err error) {
	m := k.m()
	if len(k.coup) > 0 {
		s = make([]float64, m*m)
		for i := range m {
			s[i*m+i] = k.alpha[i]
			if i+1 < m {
				s[i*m+i+1] = k.beta[i]
			}
		}
		l := len(k.coup)
		for i, c := range k.coup {
			if l < m {
				s[i*m+l] = c
			}
		}
		theta = make([]float64, m)
		impl := gonum.Implementation{}
		work := []float64{0}
		impl.Dsyev(lapack.EVCompute, blas.Upper, m, s, m, theta, work, -1)
		work = make([]float64, int(work[0]))
		if !impl.Dsyev(lapack.EVCompute, blas.Upper, m, s, m, theta, work, len(work)) {
			return nil, nil, fmt.Errorf("lanczos: symmetric eigensolver did not converge (m = %d)", m)
		}
		return theta, s, nil
	}
	theta = append([]float64(nil), k.alpha...)
	e := append([]float64(nil), k.beta[:m-1]...)
	s = make([]float64, m*m)
	work := make([]float64, max(1, 2*m-2))
	if !(gonum.Implementation{}).Dsteqr(lapack.EVTridiag, m, theta, e, s, m, work) {
		return nil, nil, fmt.Errorf("lanczos: tridiagonal eigensolver did not converge (m = %d)", m)
	}
	return theta, s, nil
}

// restart replaces the basis by the Ritz vectors Q_m·s_i of the columns
// keep of S (ritz's, for the eigenvalues theta) followed by the next
// vector q_{m+1}: a thick restart (Wu & Simon 2000). The Ritz vectors are
// formed in place, a block of rows at a time, so the basis never holds more
// than m+1 vectors. It must not be called when the process is exhausted or
// m = n (there is no next vector).
func (k *krylov) restart(theta, s []float64, keep []int) {
	m, n, l := k.m(), len(k.w), len(keep)
	const rows = 256
	tmp := make([]float64, l*rows)
	for r0 := 0; r0 < n; r0 += rows {
		r1 := min(n, r0+rows)
		w := r1 - r0
		for c, i := range keep {
			y := tmp[c*rows : c*rows+w]
			for r := range y {
				y[r] = 0
			}
			for j := range m {
				floats.AddScaled(y, s[j*m+i], k.q[j][r0:r1])
			}
		}
		for c := range keep {
			copy(k.q[c][r0:r1], tmp[c*rows:c*rows+w])
		}
	}
	bm := k.beta[m-1]
	coup := make([]float64, l)
	alpha := make([]float64, l)
	for c, i := range keep {
		coup[c] = bm * s[(m-1)*m+i]
		alpha[c] = theta[i]
	}
	next := k.q[m]
	k.spare = append(k.spare, k.q[l:m]...)
	k.q = append(k.q[:l], next)
	k.alpha, k.beta, k.coup = alpha, make([]float64, l), coup
}

// vector stores in y the unit Ritz vector Q_m·s_i for column i of S.
func (k *krylov) vector(y, s []float64, i int) {
	m := k.m()
	for r := range y {
		y[r] = 0
	}
	for j := range m {
		floats.AddScaled(y, s[j*m+i], k.q[j])
	}
	floats.Scale(1/floats.Norm(y, 2), y)
}
