package hessian

import (
	"cmp"
	"math"
	"slices"
	"strconv"
	"testing"

	"github.com/sgn-project/sgn/internal/memtest"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// checkPairs compares the computed pairs with the exact decomposition
// (vals ascending, columns of u): relative error ≤ 1e-8 on every value,
// |⟨v, u⟩| ≥ 1 − 1e-6 for values whose gap to the rest of the spectrum is at
// least gapMin·‖A‖, unit vectors, and residuals recomputed here that agree
// with the reported ones and meet tol.
func checkPairs(t *testing.T, name string, a *mat.SymDense, vals []float64, u *mat.Dense,
	got []float64, vecs *mat.Dense, res []float64, idx []int, tol, gapMin float64) {
	t.Helper()
	n := len(vals)
	norm := normInf(vals)
	for c, i := range idx {
		if d := math.Abs(got[c] - vals[i]); d > 1e-8*math.Abs(vals[i]) && d > 1e-12*norm {
			t.Errorf("%s: eigenvalue %d = %.15g, want %.15g", name, c, got[c], vals[i])
		}
		v := mat.Col(nil, c, vecs)
		if d := math.Abs(floats.Norm(v, 2) - 1); d > 1e-12 {
			t.Errorf("%s: vector %d has norm 1%+g", name, c, d)
		}
		var av mat.VecDense
		av.MulVec(a, mat.NewVecDense(n, v))
		av.AddScaledVec(&av, -got[c], mat.NewVecDense(n, v))
		r := mat.Norm(&av, 2)
		if math.Abs(r-res[c]) > 1e-13*norm {
			t.Errorf("%s: residual %d reported %g, recomputed %g", name, c, res[c], r)
		}
		if r > tol*norm {
			t.Errorf("%s: residual %d = %g > %g", name, c, r, tol*norm)
		}
		gap := math.Inf(1)
		for j, l := range vals {
			if j != i {
				gap = math.Min(gap, math.Abs(l-vals[i]))
			}
		}
		if gap >= gapMin*norm {
			dot := math.Abs(floats.Dot(v, mat.Col(nil, i, u)))
			if dot < 1-1e-6 {
				t.Errorf("%s: vector %d: |<v,u>| = %.12f, want ≥ 1-1e-6 (gap %g)", name, c, dot, gap)
			}
		}
	}
}

// topIdx and bottomIdx index the k largest (descending) and k smallest
// (ascending) of n ascending values.
func topIdx(n, k int) []int {
	idx := make([]int, k)
	for i := range idx {
		idx[i] = n - 1 - i
	}
	return idx
}

func bottomIdx(k int) []int {
	idx := make([]int, k)
	for i := range idx {
		idx[i] = i
	}
	return idx
}

func TestLanczosRandom(t *testing.T) {
	const tol = 1e-10
	for _, c := range []struct {
		n, kTop, kBottom int
		block            bool
	}{{50, 5, 5, true}, {137, 8, 3, false}, {300, 10, 10, true}} {
		a := randSym(c.n, uint64(c.n))
		vals, u := exactEigen(t, a)
		var op Operator = NewDense(a)
		if !c.block {
			op = vecOnly{op}
		}
		sp, err := Lanczos(op, c.kTop, c.kBottom, LanczosOptions{Seed: 7, Tol: tol})
		if err != nil {
			t.Fatal(err)
		}
		if !sp.Converged {
			t.Errorf("n=%d: not converged after %d iterations", c.n, sp.Iterations)
		}
		if !slices.IsSortedFunc(sp.Top, func(x, y float64) int { return -cmp.Compare(x, y) }) || !slices.IsSorted(sp.Bottom) {
			t.Errorf("n=%d: order: top %v bottom %v", c.n, sp.Top, sp.Bottom)
		}
		name := "random n=" + strconv.Itoa(c.n)
		checkPairs(t, name+" top", a, vals, u, sp.Top, sp.TopVectors, sp.TopResiduals, topIdx(c.n, c.kTop), tol, 1e-4)
		checkPairs(t, name+" bottom", a, vals, u, sp.Bottom, sp.BottomVectors, sp.BottomResiduals, bottomIdx(c.kBottom), tol, 1e-4)
	}
}

func TestLanczosKnownSpectra(t *testing.T) {
	const tol = 1e-10
	cases := []struct {
		name             string
		vals             []float64
		kTop, kBottom    int
		gapMin           float64
		iterationsBelowN bool
	}{
		// A cluster of four at the top, 1e-3 apart, above a bulk in [−1, 1].
		{"clustered", append(spread(146, -1, 1), 5, 5.001, 5.002, 5.003), 4, 2, 1e-4, true},
		// Mostly negative spectrum: the bottom is large and negative.
		{"negative", append(spread(118, -2, 0.5), -9, -8.5, -8), 3, 3, 1e-4, true},
		// Rank 5 of 100: top 6 includes the zero eigenvalue.
		{"rank-deficient", append(make([]float64, 95), 3, 2, 1, -1, -2), 6, 2, 0.5, true},
	}
	for _, c := range cases {
		a := withSpectrum(c.vals, 11)
		vals, u := exactEigen(t, a)
		sp, err := Lanczos(NewDense(a), c.kTop, c.kBottom, LanczosOptions{Seed: 3, Tol: tol})
		if err != nil {
			t.Fatal(err)
		}
		if !sp.Converged || c.iterationsBelowN && sp.Iterations >= len(c.vals) {
			t.Errorf("%s: converged %v after %d iterations (n = %d)", c.name, sp.Converged, sp.Iterations, len(c.vals))
		}
		checkPairs(t, c.name+" top", a, vals, u, sp.Top, sp.TopVectors, sp.TopResiduals, topIdx(len(vals), c.kTop), tol, c.gapMin)
		checkPairs(t, c.name+" bottom", a, vals, u, sp.Bottom, sp.BottomVectors, sp.BottomResiduals, bottomIdx(c.kBottom), tol, c.gapMin)
	}
}

func TestLanczosRepeated(t *testing.T) {
	// 4 with multiplicity 3 above distinct values in [−1, 1].
	vals := make([]float64, 200)
	for i := range 197 {
		vals[i] = -1 + 2*float64(i)/196
	}
	vals[197], vals[198], vals[199] = 4, 4, 4
	a := withSpectrum(vals, 5)
	norm := 4.0

	// Stopped early: 4 is found and every pair is a true eigenpair.
	sp, err := Lanczos(NewDense(a), 3, 0, LanczosOptions{Seed: 1, Tol: 1e-10})
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(sp.Top[0]-4) > 1e-8*4 {
		t.Errorf("largest eigenvalue %.15g, want 4", sp.Top[0])
	}
	for c, l := range sp.Top {
		if sp.TopResiduals[c] > 1e-10*norm {
			t.Errorf("pair %d (%g): residual %g", c, l, sp.TopResiduals[c])
		}
		if d := math.Abs(l - vals[nearest(vals, l)]); d > 1e-8*norm {
			t.Errorf("pair %d: %.15g is %g from the spectrum", c, l, d)
		}
	}

	// Grown to n (a tolerance no residual meets): the multiplicity shows.
	sp, err = Lanczos(NewDense(a), 3, 0, LanczosOptions{Seed: 1, Tol: 1e-300})
	if err != nil {
		t.Fatal(err)
	}
	if sp.Iterations != 200 || !sp.Converged {
		t.Errorf("iterations %d converged %v, want 200 true", sp.Iterations, sp.Converged)
	}
	for c, l := range sp.Top {
		if math.Abs(l-4) > 1e-10*norm {
			t.Errorf("eigenvalue %d = %.15g, want 4", c, l)
		}
	}
	// The three vectors span the eigenspace: ‖Uᵀ V‖_F² = 3 for U its basis.
	_, u := exactEigen(t, a)
	var p mat.Dense
	p.Mul(u.Slice(0, 200, 197, 200).T(), sp.TopVectors)
	if f := mat.Norm(&p, 2); math.Abs(f*f-3) > 1e-8 {
		t.Errorf("‖UᵀV‖²_F = %.12f, want 3", f*f)
	}
}

func nearest(vals []float64, x float64) int {
	best := 0
	for i, v := range vals {
		if math.Abs(v-x) < math.Abs(vals[best]-x) {
			best = i
		}
	}
	return best
}

func TestLanczosExactAtN(t *testing.T) {
	const n = 40
	a := randSym(n, 9)
	vals, _ := exactEigen(t, a)
	sp, err := Lanczos(vecOnly{NewDense(a)}, n, n, LanczosOptions{Seed: 2, MaxIter: 1000, Tol: 1e-300})
	if err != nil {
		t.Fatal(err)
	}
	if sp.Iterations != n || !sp.Converged {
		t.Fatalf("iterations %d converged %v, want %d true", sp.Iterations, sp.Converged, n)
	}
	norm := normInf(vals)
	for i := range n {
		if d := math.Abs(sp.Bottom[i] - vals[i]); d > 1e-12*norm {
			t.Errorf("bottom %d: %.15g, want %.15g", i, sp.Bottom[i], vals[i])
		}
		if d := math.Abs(sp.Top[i] - vals[n-1-i]); d > 1e-12*norm {
			t.Errorf("top %d: %.15g, want %.15g", i, sp.Top[i], vals[n-1-i])
		}
		if sp.TopResiduals[i] > 1e-12*norm || sp.BottomResiduals[i] > 1e-12*norm {
			t.Errorf("pair %d: residuals %g %g", i, sp.TopResiduals[i], sp.BottomResiduals[i])
		}
	}
}

func TestLanczosZero(t *testing.T) {
	sp, err := Lanczos(NewDense(mat.NewSymDense(10, nil)), 2, 1, LanczosOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(sp.Top, []float64{0, 0}) || !slices.Equal(sp.Bottom, []float64{0}) || !sp.Converged {
		t.Errorf("zero matrix: top %v bottom %v converged %v", sp.Top, sp.Bottom, sp.Converged)
	}
}

func TestLanczosDeterministic(t *testing.T) {
	op := NewDense(randSym(80, 4))
	var calls int
	o := LanczosOptions{Seed: 42, Progress: func(iter, maxIter int) { calls++ }}
	a, err := Lanczos(op, 3, 2, o)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Lanczos(op, 3, 2, o)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(a.Top, b.Top) || !slices.Equal(a.Bottom, b.Bottom) || !mat.Equal(a.TopVectors, b.TopVectors) {
		t.Error("same seed, different results")
	}
	if calls != a.Iterations+b.Iterations {
		t.Errorf("progress called %d times for %d iterations", calls, a.Iterations+b.Iterations)
	}
}

func TestLanczosErrors(t *testing.T) {
	op := NewDense(randSym(10, 1))
	for _, c := range []struct {
		name          string
		kTop, kBottom int
		o             LanczosOptions
	}{
		{"kTop > n", 11, 0, LanczosOptions{}},
		{"kBottom > n", 0, 11, LanczosOptions{}},
		{"kTop < 0", -1, 0, LanczosOptions{}},
		{"kBottom < 0", 0, -1, LanczosOptions{}},
		{"MaxIter < 0", 1, 1, LanczosOptions{MaxIter: -1}},
		{"MaxIter < k", 5, 1, LanczosOptions{MaxIter: 4}},
		{"Tol < 0", 1, 1, LanczosOptions{Tol: -1}},
	} {
		if _, err := Lanczos(op, c.kTop, c.kBottom, c.o); err == nil {
			t.Errorf("%s: no error", c.name)
		}
	}
	if _, err := Lanczos(nil, 1, 1, LanczosOptions{}); err == nil {
		t.Error("nil operator: no error")
	}
}

// BenchmarkLanczosTop20 finds the 20 largest eigenpairs of a 2000×2000
// Gaussian symmetric matrix to the default tolerance: a hard case, the edge of
// the semicircle has close eigenvalues (≈ 320 iterations).
func BenchmarkLanczosTop20(b *testing.B) {
	op := NewDense(randSym(2000, 5))
	for b.Loop() {
		sp, err := Lanczos(op, 20, 0, LanczosOptions{Seed: 1, MaxIter: 600})
		if err != nil || !sp.Converged {
			b.Fatalf("err %v, converged %v", err, sp.Converged)
		}
		b.ReportMetric(float64(sp.Iterations), "iterations")
	}
}

// TestLanczosRestarted checks the thick-restarted Lanczos method against the
// dense eigendecomposition: bases far smaller than the products needed, so
// that the basis is restarted several times, on random matrices, a
// clustered top and a mostly negative spectrum, to the tolerance of the
// unrestarted method.
func TestLanczosRestarted(t *testing.T) {
	const tol = 1e-10
	cases := []struct {
		name             string
		vals             []float64 // nil: a random symmetric matrix of order n
		n, kTop, kBottom int
		basis            int
		gapMin           float64
	}{
		{"random top", nil, 300, 10, 0, 30, 1e-4},
		{"random both", nil, 200, 5, 5, 26, 1e-4},
		{"clustered", append(spread(246, -1, 1), 5, 5.001, 5.002, 5.003), 250, 4, 2, 20, 1e-4},
		{"negative", append(spread(218, -2, 0.5), -9, -8.5, -8), 221, 0, 3, 12, 1e-4},
	}
	for _, c := range cases {
		a := randSym(c.n, uint64(c.n))
		if c.vals != nil {
			a = withSpectrum(c.vals, 11)
		}
		vals, u := exactEigen(t, a)
		sp, err := Lanczos(NewDense(a), c.kTop, c.kBottom, LanczosOptions{Seed: 5, Tol: tol, MaxBasis: c.basis, MaxIter: 20 * c.n})
		if err != nil {
			t.Fatal(err)
		}
		if !sp.Converged || sp.Restarts == 0 {
			t.Errorf("%s: converged %v after %d products and %d restarts", c.name, sp.Converged, sp.Iterations, sp.Restarts)
		}
		name := c.name + " n=" + strconv.Itoa(c.n)
		checkPairs(t, name+" top", a, vals, u, sp.Top, sp.TopVectors, sp.TopResiduals, topIdx(c.n, c.kTop), tol, c.gapMin)
		checkPairs(t, name+" bottom", a, vals, u, sp.Bottom, sp.BottomVectors, sp.BottomResiduals, bottomIdx(c.kBottom), tol, c.gapMin)
		t.Logf("%s: %d products, %d restarts", name, sp.Iterations, sp.Restarts)
	}
}

// TestLanczosBasisBound checks that the restarted basis holds at most
// MaxBasis+1 vectors: the peak of the live heap stays under LanczosBytes
// with the same MaxBasis, far below what the unrestarted basis of as many
// products would take.
func TestLanczosBasisBound(t *testing.T) {
	const n = 100_000
	d := make(diagonal, n)
	for i := range d {
		d[i] = float64(i%97) / 97
	}
	o := LanczosOptions{Seed: 1, MaxBasis: 16, MaxIter: 120, Tol: 1e-300}
	bound, err := LanczosBytes(n, 3, 0, o)
	if err != nil {
		t.Fatal(err)
	}
	var sp *Spectrum
	got := float64(memtest.PeakLive(func() { sp, err = Lanczos(d, 3, 0, o) }))
	if err != nil || sp.Iterations != o.MaxIter || sp.Restarts == 0 {
		t.Fatalf("Lanczos: %v, %d products, %d restarts", err, sp.Iterations, sp.Restarts)
	}
	if got > bound {
		t.Errorf("peak live heap %.0f bytes, bound %.0f", got, bound)
	}
	if full := 8 * float64(n) * float64(o.MaxIter); got > full/4 {
		t.Errorf("peak live heap %.0f bytes, not far below the %.0f of an unrestarted basis", got, full)
	}
	t.Logf("peak %.0f bytes, bound %.0f, unrestarted basis %d bytes", got, bound, 8*n*o.MaxIter)
}

// diagonal is the operator diag(d), cheap at any n.
type diagonal []float64

func (d diagonal) Dim() int { return len(d) }
func (d diagonal) MulVec(dst, v []float64) {
	for i, x := range d {
		dst[i] = x * v[i]
	}
}

// TestLanczosMaxProducts: the total Progress reports is LanczosMaxProducts,
// four times the default cap when the basis is restarted, and the products
// reported never exceed it, on a restarted run that uses them all.
func TestLanczosMaxProducts(t *testing.T) {
	for _, c := range []struct {
		n    int
		o    LanczosOptions
		want int
	}{
		{1000, LanczosOptions{}, 300},                         // the default basis holds the run
		{1000, LanczosOptions{MaxBasis: 50}, 1200},            // restarted: four times the default
		{1000, LanczosOptions{MaxBasis: 50, MaxIter: 70}, 70}, // a cap given is the cap
		{200, LanczosOptions{}, 200},                          // the default cap is at most n
		{1 << 20, LanczosOptions{}, 1200},                     // 256 MiB holds 32 vectors of 2^20
	} {
		got, err := LanczosMaxProducts(c.n, 4, 0, c.o)
		if err != nil || got != c.want {
			t.Errorf("n = %d, %+v: %d products (%v), want %d", c.n, c.o, got, err, c.want)
		}
	}
	d := make(diagonal, 500)
	for i := range d {
		d[i] = float64(i%97) / 97
	}
	o := LanczosOptions{Seed: 1, MaxBasis: 16, Tol: 1e-300}
	want, err := LanczosMaxProducts(len(d), 3, 0, o)
	if err != nil {
		t.Fatal(err)
	}
	last := 0
	o.Progress = func(done, total int) {
		if total != want || done > total || done != last+1 {
			t.Fatalf("progress %d of %d after %d, want at most %d", done, total, last, want)
		}
		last = done
	}
	sp, err := Lanczos(d, 3, 0, o)
	if err != nil || sp.Restarts == 0 || last != want {
		t.Fatalf("Lanczos: %v, %d restarts, progress reached %d of %d", err, sp.Restarts, last, want)
	}
}
