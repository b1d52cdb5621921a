package eigen

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/sgn-project/sgn/internal/synthtest"
	"gonum.org/v1/gonum/blas"
	lapackgonum "gonum.org/v1/gonum/lapack/gonum"
	"gonum.org/v1/gonum/mat"
)

// symWithSpectrum returns Q diag(λ) Qᵀ for a random orthogonal Q.
func symWithSpectrum(lambda []float64, seed uint64) *mat.SymDense {
	return synthtest.WithSpectrum(rand.New(rand.NewPCG(seed, 7)), lambda)
}

// Top finds known spectra exactly, including repeated and zero
// eigenvalues, a diagonal matrix (reducible tridiagonal form) and the
// identity (one cluster), and its vectors pass the residual and
// orthogonality checks on the fast path.
func TestTopKnownSpectra(t *testing.T) {
	clustered := []float64{4, 2, 0.3, 0.3, 0.3, 0.3, 0.3, 0.1, 1e-3, 1e-3 + 1e-12, 1e-4, 0, 0, 0, -0.05, -1}
	for i := 0; i < 44; i++ {
		clustered = append(clustered, 0.5*math.Sin(float64(i)))
	}
	diag := mat.NewSymDense(6, nil)
	for i, v := range []float64{3, -1, 2, 2, 0, 5} {
		diag.SetSym(i, i, v)
	}
	eye := mat.NewSymDense(9, nil)
	for i := 0; i < 9; i++ {
		eye.SetSym(i, i, 1)
	}
	cases := []struct {
		name string
		a    *mat.SymDense
		want []float64
	}{
		{"clustered", symWithSpectrum(clustered, 3), clustered},
		{"diagonal", diag, []float64{3, -1, 2, 2, 0, 5}},
		{"identity", eye, []float64{1, 1, 1, 1, 1, 1, 1, 1, 1}},
		{"1×1", mat.NewSymDense(1, []float64{-2}), []float64{-2}},
	}
	for _, c := range cases {
		n := c.a.SymmetricDim()
		sorted := slices.Clone(c.want)
		slices.Sort(sorted)
		slices.Reverse(sorted)
		for _, k := range []int{n, n / 2, 0} {
			res, err := Top(c.a, func([]float64) int { return k }, Tol)
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			scale := max(math.Abs(sorted[0]), math.Abs(sorted[n-1]))
			for i, v := range res.Values {
				if math.Abs(v-sorted[i]) > 1e-13*scale {
					t.Errorf("%s: eigenvalue %d = %v, want %v", c.name, i, v, sorted[i])
				}
			}
			if k == 0 {
				if res.Vectors != nil {
					t.Errorf("%s: k = 0 but vectors returned", c.name)
				}
				continue
			}
			if strings.Contains(res.Method, "dsyev") {
				t.Errorf("%s k=%d: the fast path failed its check (%s)", c.name, k, res.Method)
			}
			r, ok := checkEigenpairs(c.a, res.Values[:k], res.Vectors, scale, 1e-12)
			if !ok || r > 1e-12*scale || res.MaxResidual != r {
				t.Errorf("%s k=%d: residual %.3g (reported %.3g), check %v", c.name, k, r, res.MaxResidual, ok)
			}
			var g mat.Dense
			g.Mul(res.Vectors.T(), res.Vectors)
			for i := 0; i < k; i++ {
				for j := 0; j < k; j++ {
					want := 0.0
					if i == j {
						want = 1
					}
					if d := math.Abs(g.At(i, j) - want); d > 1e-12 {
						t.Fatalf("%s k=%d: (UᵀU)[%d][%d] = %v", c.name, k, i, j, g.At(i, j))
					}
				}
			}
		}
	}
}

// The eigenpairs agree with gonum's complete eigensolver (LAPACK dsyev,
// gonum/lapack/gonum through mat.EigenSym) on a random matrix: all
// eigenvalues, the top 30 vectors and, asked for all, every vector.
func TestTopMatchesDsyev(t *testing.T) {
	const n = 80
	r := randomMatrix(n, n, 4)
	a := mat.NewSymDense(n, nil)
	for i := 0; i < n; i++ {
		for j := i; j < n; j++ {
			a.SetSym(i, j, r.At(i, j)+r.At(j, i))
		}
	}
	res, err := Top(a, func([]float64) int { return 30 }, Tol)
	if err != nil {
		t.Fatal(err)
	}
	// With tolerance 0 the check fails and the complete solver answers.
	fb, err := Top(a, func([]float64) int { return 30 }, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(fb.Method, "dsyev") || strings.Contains(res.Method, "dsyev") {
		t.Errorf("methods %q (tol 1e-9) and %q (tol 0)", res.Method, fb.Method)
	}
	for i := 0; i < 30; i++ {
		if d := math.Abs(fb.Values[i] - res.Values[i]); d > 1e-12 {
			t.Errorf("fallback eigenvalue %d: %v vs %v", i, fb.Values[i], res.Values[i])
		}
		if dot := mat.Dot(res.Vectors.ColView(i), fb.Vectors.ColView(i)); math.Abs(math.Abs(dot)-1) > 1e-10 {
			t.Errorf("fallback eigenvector %d: |u·v| = %v", i, math.Abs(dot))
		}
	}
	if fb.MaxResidual > 1e-12 {
		t.Errorf("fallback residual %v", fb.MaxResidual)
	}
	var es mat.EigenSym
	es.Factorize(a, true)
	asc := es.Values(nil)
	var v mat.Dense
	es.VectorsTo(&v)
	for i := 0; i < n; i++ {
		if d := math.Abs(res.Values[i] - asc[n-1-i]); d > 1e-12 {
			t.Errorf("eigenvalue %d: %v vs dsyev %v", i, res.Values[i], asc[n-1-i])
		}
	}
	// Every vector (as hessian.Decompose asks for) agrees with dsyev's.
	all, err := Top(a, func([]float64) int { return n }, Tol)
	if err != nil || strings.Contains(all.Method, "dsyev") {
		t.Fatalf("k = n: %v, method %q", err, all.Method)
	}
	for i := 0; i < n; i++ {
		if dot := mat.Dot(all.Vectors.ColView(i), v.ColView(n-1-i)); math.Abs(math.Abs(dot)-1) > 1e-10 {
			t.Errorf("k = n: eigenvector %d: |u·v| = %v, want 1", i, math.Abs(dot))
		}
	}
	for i := 0; i < 30; i++ {
		if d := math.Abs(res.Values[i] - asc[n-1-i]); d > 1e-12 {
			t.Errorf("eigenvalue %d: %v vs dsyev %v", i, res.Values[i], asc[n-1-i])
		}
		// isolated eigenvalues: the vectors agree up to sign
		dot := mat.Dot(res.Vectors.ColView(i), v.ColView(n-1-i))
		if math.Abs(math.Abs(dot)-1) > 1e-10 {
			t.Errorf("eigenvector %d: |u·v| = %v, want 1", i, math.Abs(dot))
		}
	}
}

// The tridiagonal LU with pivoting solves (T − σI)x = b.
func TestTridiagLUSolve(t *testing.T) {
	d := []float64{1e-20, 2, -3, 0.5, 4, 0}
	e := []float64{5, 1e-3, 2, -1, 7}
	sigma := 0.37
	f := newTridiagLU(len(d))
	f.factor(d, e, sigma, 1e-300)
	b := []float64{1, -2, 3, 0.5, 0, 2}
	x := slices.Clone(b)
	f.solve(x)
	for i := range d {
		s := (d[i] - sigma) * x[i]
		if i > 0 {
			s += e[i-1] * x[i-1]
		}
		if i < len(e) {
			s += e[i] * x[i+1]
		}
		if math.Abs(s-b[i]) > 1e-13 {
			t.Errorf("row %d: (T − σI)x = %v, want %v", i, s, b[i])
		}
	}
}

// symMul (blocks of unpacked rows through dgemm) against gonum's dsymm, for
// sizes below, at and across its block of rows, with a U that is a view.
func TestSymMul(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 7))
	for _, n := range []int{1, 5, symMulRows, symMulRows + 45} {
		for _, k := range []int{1, 7} {
			a := mat.NewSymDense(n, nil)
			for i := 0; i < n; i++ {
				for j := i; j < n; j++ {
					a.SetSym(i, j, rng.NormFloat64())
				}
			}
			wide := mat.NewDense(n, k+2, nil)
			for i := 0; i < n; i++ {
				for j := 0; j < k+2; j++ {
					wide.Set(i, j, rng.NormFloat64())
				}
			}
			u := wide.Slice(0, n, 1, 1+k).(*mat.Dense)
			var want mat.Dense
			want.Mul(a, u)
			got := symMul(a, u)
			for i := 0; i < n; i++ {
				for j := 0; j < k; j++ {
					var scale float64
					for c := 0; c < n; c++ {
						scale += math.Abs(a.At(i, c) * u.At(c, j))
					}
					if d := math.Abs(got.At(i, j) - want.At(i, j)); d > 1e-13*scale {
						t.Fatalf("n=%d k=%d: (A·U)[%d,%d] = %v, dsymm %v", n, k, i, j, got.At(i, j), want.At(i, j))
					}
				}
			}
		}
	}
}

// dsytrdUpper (the dsyr2k update as two dgemm products, dsymv as dgemv) against gonum's
// Dsytrd on random symmetric matrices below and above the size where the
// blocked code starts: the same d, e, tau and reflectors up to rounding.
func TestDsytrdUpperMatchesGonum(t *testing.T) {
	var impl lapackgonum.Implementation
	rng := rand.New(rand.NewPCG(5, 9))
	for _, n := range []int{1, 2, 17, 40, 150, 301} {
		a := make([]float64, n*n)
		var amax float64
		for i := 0; i < n; i++ {
			for j := i; j < n; j++ {
				a[i*n+j] = rng.NormFloat64()
				a[j*n+i] = a[i*n+j]
				amax = max(amax, math.Abs(a[i*n+j]))
			}
		}
		b := slices.Clone(a)
		d1, e1, t1 := make([]float64, n), make([]float64, max(0, n-1)), make([]float64, max(0, n-1))
		d2, e2, t2 := make([]float64, n), make([]float64, max(0, n-1)), make([]float64, max(0, n-1))
		work := make([]float64, 1)
		impl.Dsytrd(blas.Upper, n, a, n, d1, e1, t1, work, -1)
		work = make([]float64, max(1, int(work[0])))
		impl.Dsytrd(blas.Upper, n, a, n, d1, e1, t1, work, len(work))
		dsytrdUpper(n, b, d2, e2, t2)
		tol := 1e-12 * amax * float64(n)
		for _, c := range []struct {
			name      string
			got, want []float64
		}{{"d", d2, d1}, {"e", e2, e1}, {"tau", t2, t1}} {
			for i := range c.want {
				if math.Abs(c.got[i]-c.want[i]) > tol {
					t.Fatalf("n=%d: %s[%d] = %v, gonum's Dsytrd %v", n, c.name, i, c.got[i], c.want[i])
				}
			}
		}
		for i := 0; i < n; i++ {
			for j := i; j < n; j++ {
				if math.Abs(b[i*n+j]-a[i*n+j]) > tol {
					t.Fatalf("n=%d: reflector entry (%d,%d) = %v, gonum's Dsytrd %v", n, i, j, b[i*n+j], a[i*n+j])
				}
			}
		}
	}
}
