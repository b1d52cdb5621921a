package hessian

import (
	"testing"

	"github.com/sgn-project/sgn/internal/memtest"
)

// diagOp is diag(1, 2, …, n): its products allocate nothing, so what a
// method allocates is its own.
type diagOp int

func (d diagOp) Dim() int { return int(d) }
func (d diagOp) MulVec(dst, v []float64) {
	for i := range dst {
		dst[i] = float64(i+1) * v[i]
	}
}

// TestMemoryBoundsMatchTheAllocations: on an operator large enough for the
// vectors of length n to dominate, what Lanczos, SLQ and Hutchinson really
// allocate (TotalAlloc, every allocation counted, so at least their peak) is
// within the bound and at least 90% of it: the bounds are upper and tight.
func TestMemoryBoundsMatchTheAllocations(t *testing.T) {
	const n = 100_000
	op := diagOp(n)
	check := func(name string, bound, got float64) {
		t.Helper()
		if got > bound || got < 0.9*bound {
			t.Errorf("%s: allocated %.0f bytes, bound %.0f (ratio %.3f): want 0.9 ≤ ratio ≤ 1", name, got, bound, got/bound)
		}
	}
	// Lanczos runs to MaxIter, where it checks its Ritz values for the
	// first and only time: the tolerance cannot be met.
	lo := LanczosOptions{MaxIter: 60, Tol: 1e-300, Seed: 1}
	for _, k := range [][2]int{{5, 0}, {10, 3}} {
		bound, err := LanczosBytes(n, k[0], k[1], lo)
		if err != nil {
			t.Fatal(err)
		}
		var sp *Spectrum
		got := float64(memtest.Allocated(func() { sp, err = Lanczos(op, k[0], k[1], lo) }))
		if err != nil || sp.Iterations != lo.MaxIter {
			t.Fatalf("Lanczos: %v, %d iterations", err, sp.Iterations)
		}
		check("Lanczos", bound, got)
	}
	if _, err := LanczosBytes(n, n+1, 0, lo); err == nil {
		t.Errorf("LanczosBytes accepted kTop > n")
	}
	// The default basis is counted: k = 1000 on n = 10⁸ keeps 2k+20 = 2,020
	// vectors (more than DefaultBasisBytes holds), with the 2k Ritz vectors
	// and their products and 6 more, 3.2 TB; with MaxBasis equal to the
	// default MaxIter, 10k, 8 TB.
	if b, _ := LanczosBytes(100_000_000, 1000, 0, LanczosOptions{}); b < 8*4026e8 || b > 8*4027e8 {
		t.Errorf("LanczosBytes(10⁸, 1000) = %g, want 8·4,026·10⁸ and a little", b)
	}
	if b, _ := LanczosBytes(100_000_000, 1000, 0, LanczosOptions{MaxBasis: 10_000}); b < 8e12 {
		t.Errorf("LanczosBytes(10⁸, 1000, MaxBasis 10⁴) = %g, want ≥ 8e12", b)
	}

	so := SLQOptions{NumRuns: 2, Steps: 50, Seed: 1}
	got := float64(memtest.Allocated(func() { _, _ = SLQ(op, so) }))
	// Runs are sequential: what SLQ allocates in all is about NumRuns times
	// its peak, which the bound counts once.
	check("SLQ (one run)", SLQBytes(n, so), got/float64(so.NumRuns))

	// Full on n = 1,500: the matrix and two blocks of 64 columns; apply
	// adds two vectors per block for an operator without MulMat (garbage at
	// once, so not in the bound of what Full holds).
	fo := diagOp(1500)
	got = float64(memtest.Allocated(func() { _, _, _ = Full(fo, 0, nil) }))
	check("Full", FullAssemblyBytes(1500, 0)+8*2*1500*24+fixedBytes, got)

	ho := HutchinsonOptions{MinSamples: 10, MaxSamples: 10, Seed: 1}
	got = float64(memtest.Allocated(func() { _, _ = Hutchinson(op, ho) }))
	check("Hutchinson", HutchinsonBytes(n, ho, false), got)
}
