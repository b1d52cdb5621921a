package hessian

import (
	"strconv"
	"testing"

	"github.com/sgn-project/sgn/internal/memtest"
)

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
