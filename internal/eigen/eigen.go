package eigen

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	lapackgonum "gonum.org/v1/gonum/lapack/gonum"
	"gonum.org/v1/gonum/mat"
)

// Tol is the tolerance of Top's check of its eigenpairs that the callers
// use: ‖Au − λu‖ ≤ Tol·max|λ| and |UᵀU − I| ≤ Tol.
const Tol = 1e-9

// Result holds all eigenvalues of a symmetric matrix in descending order
// and unit eigenvectors (as columns) for the first k of them.
type Result struct {
	// Values are all n eigenvalues, descending.
	Values []float64
	// Vectors is n×k, column j the unit eigenvector of Values[j]; nil when
	// k = 0.
	Vectors *mat.Dense
	// Method names the path taken: inverse iteration, or dsyev when its
	// check failed.
	Method string
	// MaxResidual is max ‖Au − λu‖ over the k pairs.
	MaxResidual float64
}

// Top computes all eigenvalues of the symmetric matrix a and unit
// eigenvectors for the largest ones; want(values) returns how many vectors
// are needed, given all eigenvalues in descending order.
//
// Method (Golub & Van Loan, Matrix Computations, 4th ed., §8.3 and §8.2.2;
// the path of LAPACK's dsyevx): Householder reduction A = Q T Qᵀ (dsytrd,
// dorgtr); the eigenvalues of the tridiagonal T by the Pal–Walker–Kahan
// QL/QR iteration (dsterf); for the k wanted ones, inverse iteration on T
// with partial pivoting, the eigenvectors of nearly equal eigenvalues
// (within 10⁻³‖T‖) re-orthogonalised against each other by modified
// Gram–Schmidt, as in LAPACK's dstein; finally u = Q z. Every pair is
// then checked on A itself: ‖Au − λu‖ ≤ tol·max|λ| and |UᵀU − I| ≤ tol
// (the callers use Tol).
// When the check fails the complete dense eigensolver (dsyev) is used
// instead, so the result is always verified or exact.
//
// The complete eigensolver spends most of its time applying the QR
// rotations to all n eigenvectors; this path costs O(n³) only in the
// reduction and the final product, about four times less at n = 1,242.
func Top(a *mat.SymDense, want func(values []float64) int, tol float64) (*Result, error) {
	n := a.SymmetricDim()
	if n == 0 {
		return nil, errors.New("empty matrix")
	}
	var impl lapackgonum.Implementation
	raw := a.RawSymmetric()
	q := make([]float64, n*n)
	for i := 0; i < n; i++ {
		copy(q[i*n+i:(i+1)*n], raw.Data[i*raw.Stride+i:i*raw.Stride+n])
		for j := i + 1; j < n; j++ {
			q[j*n+i] = q[i*n+j] // dsytrdUpper needs both triangles
		}
	}
	d := make([]float64, n)
	e := make([]float64, max(0, n-1))
	tau := make([]float64, max(0, n-1))
	work := make([]float64, 1)
	dsytrdUpper(n, q, d, e, tau)
	td, te := slices.Clone(d), slices.Clone(e)
	if !impl.Dsterf(n, d, slices.Clone(e)) {
		return nil, errors.New("the tridiagonal eigenvalue iteration did not converge")
	}
	values := make([]float64, n)
	for i := range d {
		values[i] = d[n-1-i]
	}
	k := min(n, max(0, want(values)))
	res := &Result{Values: values, Method: "dense: dsytrd, dsterf, inverse iteration (dstein)"}
	if k == 0 {
		return res, nil
	}
	impl.Dorgtr(blas.Upper, n, q, n, tau, work, -1)
	work = make([]float64, max(1, int(work[0])))
	impl.Dorgtr(blas.Upper, n, q, n, tau, work, len(work))

	z := tridiagonalVectors(td, te, values[:k])
	u := mat.NewDense(n, k, nil)
	blas64.Gemm(blas.NoTrans, blas.NoTrans, 1, blas64.General{Rows: n, Cols: n, Stride: n, Data: q}, z.RawMatrix(), 0, u.RawMatrix())
	res.Vectors = u
	scale := max(math.Abs(values[0]), math.Abs(values[n-1]), math.SmallestNonzeroFloat64)
	if r, ok := checkEigenpairs(a, values[:k], u, scale, tol); ok {
		res.MaxResidual = r
		return res, nil
	}
	// Fallback: the complete eigensolver.
	var es mat.EigenSym
	if !es.Factorize(a, true) {
		return nil, errors.New("the dense eigensolver did not converge")
	}
	asc := es.Values(nil)
	var all mat.Dense
	es.VectorsTo(&all)
	for i := range asc {
		values[i] = asc[n-1-i]
	}
	k = min(n, max(1, want(values)))
	u = mat.NewDense(n, k, nil)
	for r := 0; r < n; r++ {
		src, dst := all.RawRowView(r), u.RawRowView(r)
		for j := 0; j < k; j++ {
			dst[j] = src[n-1-j]
		}
	}
	res.Vectors = u
	res.Method = "dense dsyev (inverse iteration failed its check)"
	res.MaxResidual, _ = checkEigenpairs(a, values[:k], res.Vectors, scale, tol)
	return res, nil
}

// checkEigenpairs returns max_j ‖Au_j − λ_j u_j‖ and whether it is at most
// tol·scale with |UᵀU − I| ≤ tol.
func checkEigenpairs(a *mat.SymDense, values []float64, u *mat.Dense, scale, tol float64) (float64, bool) {
	n, k := u.Dims()
	if k == 0 {
		return 0, true
	}
	au := symMul(a, u)
	worst := 0.0
	for j := 0; j < k; j++ {
		var s float64
		for i := 0; i < n; i++ {
			r := au.At(i, j) - values[j]*u.At(i, j)
			s += r * r
		}
		worst = max(worst, math.Sqrt(s))
	}
	var g mat.Dense
	g.Mul(u.T(), u)
	ortho := 0.0
	for i := 0; i < k; i++ {
		for j := 0; j < k; j++ {
			v := g.At(i, j)
			if i == j {
				v--
			}
			ortho = max(ortho, math.Abs(v))
		}
	}
	ok := worst <= tol*scale && ortho <= tol && !math.IsNaN(worst) && !math.IsNaN(ortho)
	return worst, ok
}

// dsytrdUpper reduces the symmetric matrix a (n×n, row-major, lda = n, both
// triangles set) to tridiagonal form QᵀAQ = T, with the outputs of LAPACK's
// dsytrd for uplo = Upper: d, e, tau and the reflectors in the strictly
// upper triangle (Golub & Van Loan, Matrix Computations, §8.3.1; blocked as
// in Dongarra, Hammarling & Sorensen, "Block reduction of matrices to
// condensed forms for eigenvalue computations", 1989). It is gonum's Dsytrd
// with two changes that keep the work in fast kernels: the update of the
// unreduced block, A −= VWᵀ + WVᵀ, runs as two dgemm products over the
// whole square (instead of dsyr2k's axpy loops over its upper triangle), so
// that both triangles stay set, and the panel's products with the unreduced
// block (dsymv in dlatrd) are then plain dgemv products on full rows. The
// strictly lower triangle of a is left with values nothing reads.
func dsytrdUpper(n int, a, d, e, tau []float64) {
	var impl lapackgonum.Implementation
	if n == 0 {
		return
	}
	nb := impl.Ilaenv(1, "DSYTRD", "U", n, -1, -1, -1)
	nx := n
	if 1 < nb && nb < n {
		nx = max(nb, impl.Ilaenv(3, "DSYTRD", "U", n, -1, -1, -1))
	}
	kk := n
	if nx < n {
		w := make([]float64, n*nb)
		x, y := make([]float64, n), make([]float64, n)
		kk = n - ((n-nx+nb-1)/nb)*nb
		for i := n - nb; i >= kk; i -= nb {
			dlatrdUpper(i+nb, nb, a, n, e, tau, w, nb, x, y)
			// A[0:i, 0:i] −= V Wᵀ + W Vᵀ, V = A[0:i, i:i+nb], W = w[0:i, 0:nb].
			av := blas64.General{Rows: i, Cols: nb, Stride: n, Data: a[i:]}
			wv := blas64.General{Rows: i, Cols: nb, Stride: nb, Data: w}
			blk := blas64.General{Rows: i, Cols: i, Stride: n, Data: a}
			blas64.Gemm(blas.NoTrans, blas.Trans, -1, av, wv, 1, blk)
			blas64.Gemm(blas.NoTrans, blas.Trans, -1, wv, av, 1, blk)
			for j := i; j < i+nb; j++ {
				a[(j-1)*n+j] = e[j-1]
				d[j] = a[j*n+j]
			}
		}
	}
	impl.Dsytd2(blas.Upper, kk, a, n, d, e, tau)
}

// dlatrdUpper is LAPACK's dlatrd for uplo = Upper (as gonum's Dlatrd
// computes it): it reduces the last nb columns of the leading n×n block of a
// to tridiagonal form and returns in w (n×nb, stride ldw) the matrix W of
// the update A −= VWᵀ + WVᵀ. The product of the unreduced block with the
// reflector, dsymv in LAPACK, is a dgemv on full rows: a's leading block
// must hold both triangles. x and y are space for n values each.
func dlatrdUpper(n, nb int, a []float64, ld int, e, tau, w []float64, ldw int, x, y []float64) {
	var impl lapackgonum.Implementation
	bi := blas64.Implementation()
	for i := n - 1; i >= n-nb; i-- {
		iw := i - n + nb
		if i < n-1 {
			// Update A(0:i, i).
			bi.Dgemv(blas.NoTrans, i+1, n-i-1, -1, a[i+1:], ld, w[i*ldw+iw+1:], 1, 1, a[i:], ld)
			bi.Dgemv(blas.NoTrans, i+1, n-i-1, -1, w[iw+1:], ldw, a[i*ld+i+1:], 1, 1, a[i:], ld)
		}
		if i == 0 {
			continue
		}
		// The reflector H_i annihilating A(0:i-2, i).
		e[i-1], tau[i-1] = impl.Dlarfg(i, a[(i-1)*ld+i], a[i:], ld)
		a[(i-1)*ld+i] = 1
		// W(0:i-1, iw) = A(0:i, 0:i)·v on full rows.
		for r := 0; r < i; r++ {
			x[r] = a[r*ld+i]
		}
		bi.Dgemv(blas.NoTrans, i, i, 1, a, ld, x[:i], 1, 0, y[:i], 1)
		for r := 0; r < i; r++ {
			w[r*ldw+iw] = y[r]
		}
		if i < n-1 {
			bi.Dgemv(blas.Trans, i, n-i-1, 1, w[iw+1:], ldw, a[i:], ld, 0, w[(i+1)*ldw+iw:], ldw)
			bi.Dgemv(blas.NoTrans, i, n-i-1, -1, a[i+1:], ld, w[(i+1)*ldw+iw:], ldw, 1, w[iw:], ldw)
			bi.Dgemv(blas.Trans, i, n-i-1, 1, a[i+1:], ld, a[i:], ld, 0, w[(i+1)*ldw+iw:], ldw)
			bi.Dgemv(blas.NoTrans, i, n-i-1, -1, w[iw+1:], ldw, w[(i+1)*ldw+iw:], ldw, 1, w[iw:], ldw)
		}
		bi.Dscal(i, tau[i-1], w[iw:], ldw)
		alpha := -0.5 * tau[i-1] * bi.Ddot(i, w[iw:], ldw, a[i:], ld)
		bi.Daxpy(i, alpha, a[i:], ld, w[iw:], ldw)
	}
}

// symMul returns A·U for A symmetric (n×n, upper triangle stored) and U
// n×k, by dgemm on blocks of symMulRows full rows of A unpacked from its
// triangle (gonum's dsymm runs as axpys; the extra space is one block).
func symMul(a *mat.SymDense, u *mat.Dense) *mat.Dense {
	n, k := u.Dims()
	raw, ur := a.RawSymmetric(), u.RawMatrix()
	out := mat.NewDense(n, k, nil)
	or := out.RawMatrix()
	rows := make([]float64, min(n, symMulRows)*n)
	for r0 := 0; r0 < n; r0 += symMulRows {
		r1 := min(n, r0+symMulRows)
		for i := r0; i < r1; i++ {
			row := rows[(i-r0)*n : (i-r0+1)*n]
			for j := 0; j < i; j++ {
				row[j] = raw.Data[j*raw.Stride+i]
			}
			copy(row[i:], raw.Data[i*raw.Stride+i:i*raw.Stride+n])
		}
		blas64.Gemm(blas.NoTrans, blas.NoTrans, 1, blas64.General{Rows: r1 - r0, Cols: n, Stride: n, Data: rows},
			ur, 0, blas64.General{Rows: r1 - r0, Cols: k, Stride: or.Stride, Data: or.Data[r0*or.Stride:]})
	}
	return out
}

// symMulRows is the number of rows of A that symMul unpacks at a time.
const symMulRows = 256

// tridiagonalVectors returns unit eigenvectors (columns, n×k) of the
// symmetric tridiagonal matrix with diagonal d and off-diagonal e for the
// eigenvalues lambda (descending), by inverse iteration as in LAPACK's
// dstein: the shift of an eigenvalue equal to the previous one is moved by
// 10·ε‖T‖ so that the factorisations differ, and the iterates of
// eigenvalues closer than 10⁻³‖T‖ (a cluster) are orthogonalised against
// the cluster's earlier vectors at every step. From a seeded random start,
// until the iterate has converged and then two more steps, at most five.
func tridiagonalVectors(d, e, lambda []float64) *mat.Dense {
	n, k := len(d), len(lambda)
	norm := 0.0 // ‖T‖₁
	for i := 0; i < n; i++ {
		s := math.Abs(d[i])
		if i > 0 {
			s += math.Abs(e[i-1])
		}
		if i < n-1 {
			s += math.Abs(e[i])
		}
		norm = max(norm, s)
	}
	if norm == 0 {
		norm = 1
	}
	eps := math.Nextafter(1, 2) - 1
	ortol := 1e-3 * norm
	pertol := 10 * eps * norm
	// A unit start vector grows by at least this much in one step when the
	// shift is an eigenvalue to working accuracy (dstein: ‖x‖∞ ≥ √(0.1/n)
	// for a right-hand side of 1-norm n‖T‖ε).
	grown := math.Sqrt(0.1/float64(n)) / (float64(n) * norm * eps)
	z := mat.NewDense(n, k, nil)
	f := newTridiagLU(n)
	b := make([]float64, n)
	var cluster [][]float64
	prevShift := math.Inf(1)
	for j, l := range lambda {
		shift := l
		if j > 0 && lambda[j-1]-l <= ortol {
			shift = min(shift, prevShift-pertol)
		} else {
			cluster = cluster[:0]
		}
		prevShift = shift
		f.factor(d, e, shift, eps*norm)
		rng := rand.New(rand.NewPCG(0x7e1d1a90, uint64(j)))
		for i := range b {
			b[i] = 2*rng.Float64() - 1
		}
		// At most five steps; once the iterate has grown enough to be
		// converged (dstein's test), two more.
		extra := -1
		for it := 0; it < 5 && extra < 2; it++ {
			normalize(b)
			scaled := f.solve(b)
			for _, c := range cluster {
				dot := blas64.Dot(vec(b), vec(c))
				blas64.Axpy(-dot, vec(c), vec(b))
			}
			if extra >= 0 {
				extra++
			} else if scaled || math.Abs(b[blas64.Iamax(vec(b))]) >= grown {
				extra = 0
			}
		}
		normalize(b)
		// Sign convention: the largest component is positive.
		if big := blas64.Iamax(vec(b)); b[big] < 0 {
			blas64.Scal(-1, vec(b))
		}
		col := slices.Clone(b)
		cluster = append(cluster, col)
		blas64.Copy(vec(col), blas64.Vector{N: n, Inc: k, Data: z.RawMatrix().Data[j:]})
	}
	return z
}

// vec views x as a BLAS vector.
func vec(x []float64) blas64.Vector { return blas64.Vector{N: len(x), Inc: 1, Data: x} }

// normalize scales x to unit 2-norm (a zero x becomes e₁).
func normalize(x []float64) {
	s := blas64.Nrm2(vec(x))
	if s == 0 || math.IsNaN(s) || math.IsInf(s, 0) {
		clear(x)
		x[0] = 1
		return
	}
	blas64.Scal(1/s, vec(x))
}

// tridiagLU is the LU factorisation with partial pivoting of T − σI for a
// symmetric tridiagonal T (the factorisation of LAPACK's dlagtf): row k of U
// is (u0[k], u1[k], u2[k]) on the diagonal and the two superdiagonals,
// mult[k] the multiplier of elimination step k and swap[k] whether rows k
// and k+1 were exchanged.
type tridiagLU struct {
	u0, u1, u2, mult []float64
	swap             []bool
}

func newTridiagLU(n int) *tridiagLU {
	return &tridiagLU{u0: make([]float64, n), u1: make([]float64, n), u2: make([]float64, n), mult: make([]float64, n), swap: make([]bool, n)}
}

// factor factorises T − σI; pivots smaller than tiny in magnitude are
// replaced by ±tiny, which perturbs T by at most tiny (inverse iteration
// only needs a direction).
func (f *tridiagLU) factor(d, e []float64, sigma, tiny float64) {
	n := len(d)
	off := func(i int) float64 {
		if i >= 0 && i < n-1 {
			return e[i]
		}
		return 0
	}
	p, q := d[0]-sigma, off(0)
	for k := 0; k < n-1; k++ {
		sub, next := e[k], d[k+1]-sigma
		if math.Abs(p) >= math.Abs(sub) {
			f.swap[k] = false
			m := 0.0
			if p != 0 {
				m = sub / p
			}
			f.u0[k], f.u1[k], f.u2[k], f.mult[k] = p, q, 0, m
			p, q = next-m*q, off(k+1)
		} else {
			f.swap[k] = true
			m := p / sub
			f.u0[k], f.u1[k], f.u2[k], f.mult[k] = sub, next, off(k+1), m
			p, q = q-m*next, -m*off(k+1)
		}
	}
	f.u0[n-1], f.u1[n-1], f.u2[n-1] = p, 0, 0
	for k := range n {
		if math.Abs(f.u0[k]) < tiny {
			f.u0[k] = math.Copysign(tiny, f.u0[k])
		}
	}
}

// solve overwrites b with a multiple of (T − σI)⁻¹b, rescaling as it goes
// so that nothing overflows; it reports whether it had to rescale (then the
// multiple is tiny and the solution huge).
func (f *tridiagLU) solve(b []float64) bool {
	scaled := false
	n := len(b)
	for k := 0; k < n-1; k++ {
		if f.swap[k] {
			b[k], b[k+1] = b[k+1], b[k]
		}
		b[k+1] -= f.mult[k] * b[k]
	}
	const big = 1e150
	for k := n - 1; k >= 0; k-- {
		s := b[k]
		if k+1 < n {
			s -= f.u1[k] * b[k+1]
		}
		if k+2 < n {
			s -= f.u2[k] * b[k+2]
		}
		b[k] = s / f.u0[k]
		if math.Abs(b[k]) > big {
			// Scale the solution so far and the right-hand side left alike.
			for i := range b {
				b[i] /= big
			}
			scaled = true
		}
	}
	return scaled
}
