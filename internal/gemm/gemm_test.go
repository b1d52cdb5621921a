package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// testCase is one Dgemm call: shapes, transposes, strides, α and β.
type testCase struct {
	tA, tB        blas.Transpose
	m, n, k       int
	lda, ldb, ldc int
	alpha, beta   float64
}

func (tc testCase) String() string {
	return fmt.Sprintf("%c%c m=%d n=%d k=%d lda=%d ldb=%d ldc=%d α=%g β=%g",
		tc.tA, tc.tB, tc.m, tc.n, tc.k, tc.lda, tc.ldb, tc.ldc, tc.alpha, tc.beta)
}

// operands returns random A, B and C for tc (with NaN in the unused
// stride padding so that reading it would show).
func (tc testCase) operands(r *rand.Rand) (a, b, c []float64) {
	ar, ac := tc.m, tc.k
	if tc.tA != blas.NoTrans {
		ar, ac = tc.k, tc.m
	}
	br, bc := tc.k, tc.n
	if tc.tB != blas.NoTrans {
		br, bc = tc.n, tc.k
	}
	fill := func(rows, cols, ld int) []float64 {
		x := make([]float64, max(rows*ld, 1))
		for i := range x {
			if i%ld < cols {
				x[i] = 2*r.Float64() - 1
			} else {
				x[i] = math.NaN()
			}
		}
		return x
	}
	return fill(ar, ac, tc.lda), fill(br, bc, tc.ldb), fill(tc.m, tc.n, tc.ldc)
}

func at(x []float64, ld int, trans bool, i, j int) float64 {
	if trans {
		return x[j*ld+i]
	}
	return x[i*ld+j]
}

// check runs tc with kernel kern and compares with gonum's Dgemm: each
// element within 1e-12 of |α|·Σ_p|a_ip||b_pj| + |β||c_ij| (the scale of the
// sum), the stride padding of C untouched, and a second call bit-identical.
func check(t *testing.T, kern *microKernel, tc testCase, r *rand.Rand) {
	t.Helper()
	a, b, c0 := tc.operands(r)
	want := append([]float64(nil), c0...)
	got := append([]float64(nil), c0...)
	if tc.beta == 0 {
		for i := range got {
			if i%tc.ldc < tc.n {
				got[i] = math.NaN() // β = 0 must not read C
			}
		}
	}
	again := append([]float64(nil), got...)
	gonum.Implementation{}.Dgemm(tc.tA, tc.tB, tc.m, tc.n, tc.k, tc.alpha, a, tc.lda, b, tc.ldb, tc.beta, want, tc.ldc)
	dgemm(kern, tc.tA, tc.tB, tc.m, tc.n, tc.k, tc.alpha, a, tc.lda, b, tc.ldb, tc.beta, got, tc.ldc)
	dgemm(kern, tc.tA, tc.tB, tc.m, tc.n, tc.k, tc.alpha, a, tc.lda, b, tc.ldb, tc.beta, again, tc.ldc)
	aT, bT := tc.tA != blas.NoTrans, tc.tB != blas.NoTrans
	for i := 0; i < tc.m; i++ {
		for j := 0; j < tc.ldc; j++ {
			idx := i*tc.ldc + j
			if j >= tc.n {
				if !math.IsNaN(got[idx]) {
					t.Fatalf("%v (%s): C[%d] past column n was written", tc, kern.name, idx)
				}
				continue
			}
			scale := math.Abs(tc.beta * c0[idx])
			for p := 0; p < tc.k; p++ {
				scale += math.Abs(tc.alpha * at(a, tc.lda, aT, i, p) * at(b, tc.ldb, bT, p, j))
			}
			if d := math.Abs(got[idx] - want[idx]); !(d <= 1e-12*scale) {
				t.Fatalf("%v (%s): C[%d,%d] = %v, gonum %v (difference %g, scale %g)", tc, kern.name, i, j, got[idx], want[idx], d, scale)
			}
			if math.Float64bits(got[idx]) != math.Float64bits(again[idx]) {
				t.Fatalf("%v (%s): C[%d,%d] differs between two identical calls", tc, kern.name, i, j)
			}
		}
	}
}

func transposes() []blas.Transpose { return []blas.Transpose{blas.NoTrans, blas.Trans} }

// TestDgemmEdges: every dimension in {0, 1, mr±1, nr±1, blocking edges}
// with every transpose, α and β ∈ {0, 1, other}, padded strides.
func TestDgemmEdges(t *testing.T) {
	ks := kernels()
	if len(ks) == 0 {
		t.Skip("no assembly kernel on this processor: Dgemm is gonum's")
	}
	r := rand.New(rand.NewPCG(1, 2))
	for _, kern := range ks {
		dims := []int{0, 1, 2, kern.mr - 1, kern.mr + 1, kern.nr - 1, kern.nr + 1, 2*kern.nr + 3}
		for _, tA := range transposes() {
			for _, tB := range transposes() {
				for _, m := range dims {
					for _, n := range dims {
						for _, k := range []int{0, 1, 3, 17} {
							ab := [][2]float64{{1, 0}, {0, 1}, {-0.7, 1.3}, {1, 1}, {2.5, 0}, {0, 0}}[(m+n+k)%6]
							tc := testCase{tA: tA, tB: tB, m: m, n: n, k: k, alpha: ab[0], beta: ab[1]}
							tc.lda, tc.ldb, tc.ldc = ld(tA, m, k, r), ld(tB, k, n, r), max(n, 1)+r.IntN(3)
							check(t, &kern, tc, r)
						}
					}
				}
			}
		}
	}
}

// ld returns a leading dimension for op(X) rows×cols: the minimum plus 0–2.
func ld(tr blas.Transpose, rows, cols int, r *rand.Rand) int {
	if tr != blas.NoTrans {
		return max(rows, 1) + r.IntN(3)
	}
	return max(cols, 1) + r.IntN(3)
}

// TestDgemmRandom: random shapes across the cache-blocking boundaries
// (k past blockK, m past blockM) and the training shapes.
func TestDgemmRandom(t *testing.T) {
	ks := kernels()
	if len(ks) == 0 {
		t.Skip("no assembly kernel on this processor: Dgemm is gonum's")
	}
	r := rand.New(rand.NewPCG(3, 4))
	alphas := []float64{0, 1, -1.7}
	betas := []float64{0, 1, 0.3}
	for _, kern := range ks {
		for it := 0; it < 24; it++ {
			tc := testCase{
				tA: transposes()[it%2], tB: transposes()[it/2%2],
				m: 1 + r.IntN(300), n: 1 + r.IntN(120), k: 1 + r.IntN(600),
				alpha: alphas[it%3], beta: betas[it/3%3],
			}
			tc.lda, tc.ldb, tc.ldc = ld(tc.tA, tc.m, tc.k, r), ld(tc.tB, tc.k, tc.n, r), tc.n+r.IntN(3)
			check(t, &kern, tc, r)
		}
		for _, tc := range []testCase{
			{tA: blas.NoTrans, tB: blas.Trans, m: 128, n: 100, k: 784},   // z = a·Wᵀ
			{tA: blas.Trans, tB: blas.NoTrans, m: 100, n: 784, k: 128},   // ∇W = δᵀ a
			{tA: blas.NoTrans, tB: blas.NoTrans, m: 128, n: 784, k: 100}, // δ W
			{tA: blas.NoTrans, tB: blas.NoTrans, m: 100, n: 128, k: 784}, // W aᵀ
		} {
			tc.lda, tc.ldb, tc.ldc = ld(tc.tA, tc.m, tc.k, r), ld(tc.tB, tc.k, tc.n, r), tc.n
			tc.alpha, tc.beta = 1, 0.5
			check(t, &kern, tc, r)
		}
	}
}

// TestDgemmPanics: the arguments are checked as gonum's are.
func TestDgemmPanics(t *testing.T) {
	for _, f := range []func(){
		func() {
			Implementation{}.Dgemm('x', blas.NoTrans, 1, 1, 1, 1, []float64{1}, 1, []float64{1}, 1, 0, []float64{1}, 1)
		},
		func() {
			Implementation{}.Dgemm(blas.NoTrans, blas.NoTrans, 2, 2, 2, 1, []float64{1, 2, 3}, 2, make([]float64, 4), 2, 0, make([]float64, 4), 2)
		},
		func() {
			Implementation{}.Dgemm(blas.NoTrans, blas.NoTrans, 2, 2, 2, 1, make([]float64, 4), 1, make([]float64, 4), 2, 0, make([]float64, 4), 2)
		},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Error("bad arguments did not panic")
				}
			}()
			f()
		}()
	}
}

// TestDgemmInPlaceA: reading A's rows in place (kernel.rows) gives the same
// bits as packing them, as the comment on dgemm says.
func TestDgemmInPlaceA(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, kern := range kernels() {
		if kern.rows == nil {
			continue
		}
		packed := kern
		packed.rows, packed.rowsStore = nil, nil
		for _, tc := range []testCase{
			{tA: blas.NoTrans, tB: blas.Trans, m: 128, n: 100, k: 784, alpha: 1, beta: 1},
			{tA: blas.NoTrans, tB: blas.NoTrans, m: 3*kern.mr + 5, n: 2*kern.nr + 3, k: 300, alpha: -0.7, beta: 0},
			{tA: blas.NoTrans, tB: blas.Trans, m: 200, n: 10, k: 100, alpha: 1, beta: 0.5},
		} {
			tc.lda, tc.ldb, tc.ldc = ld(tc.tA, tc.m, tc.k, r), ld(tc.tB, tc.k, tc.n, r), tc.n+r.IntN(3)
			a, b, c := tc.operands(r)
			got := append([]float64(nil), c...)
			dgemm(&kern, tc.tA, tc.tB, tc.m, tc.n, tc.k, tc.alpha, a, tc.lda, b, tc.ldb, tc.beta, got, tc.ldc)
			dgemm(&packed, tc.tA, tc.tB, tc.m, tc.n, tc.k, tc.alpha, a, tc.lda, b, tc.ldb, tc.beta, c, tc.ldc)
			for i := range c {
				if math.Float64bits(got[i]) != math.Float64bits(c[i]) && !(math.IsNaN(got[i]) && math.IsNaN(c[i])) {
					t.Fatalf("%v (%s): C[%d] = %v in place, %v packed", tc, kern.name, i, got[i], c[i])
				}
			}
		}
	}
}

// TestWorkspaceBytesAllocated: one product from one goroutine grows at
// most the one workspace it is handed, by at most (144 + ⌈n/16⌉·16)·kc +
// 128 float64 (kc ≤ min(256, k)), and WorkspaceBytesAllocated counts every
// workspace allocation (a product
// after the pool was emptied makes TotalAlloc and the count move
// together), for each kernel.
func TestWorkspaceBytesAllocated(t *testing.T) {
	ks := kernels()
	if len(ks) == 0 {
		t.Skip("no assembly kernel on this processor")
	}
	r := rand.New(rand.NewPCG(5, 6))
	for _, kern := range ks {
		for _, sz := range [][3]int{{7, 5, 3}, {40, 300, 49}, {300, 33, 600}, {20, 5000, 300}} {
			m, n, k := sz[0], sz[1], sz[2]
			tc := testCase{tA: blas.NoTrans, tB: blas.Trans, m: m, n: n, k: k, lda: k, ldb: k, ldc: n, alpha: 1}
			a, b, c := tc.operands(r)
			before := WorkspaceBytesAllocated()
			dgemm(&kern, tc.tA, tc.tB, m, n, k, 1, a, tc.lda, b, tc.ldb, 0, c, tc.ldc)
			grew := float64(WorkspaceBytesAllocated() - before)
			kc := float64(min(256, k))
			if most := 8 * ((144+min(4096, float64((n+15)/16*16)))*kc + 128); grew > most {
				t.Errorf("%s %dx%dx%d: workspaces grew by %.0f bytes, want at most %.0f", kern.name, m, n, k, grew, most)
			}
		}
	}
	// Two collections empty the pool (sync.Pool keeps a victim cache for
	// one): the next product's workspace is new and grows, counted.
	runtime.GC()
	runtime.GC()
	tc := testCase{tA: blas.NoTrans, tB: blas.NoTrans, m: 8, n: 4096, k: 1024, lda: 1024, ldb: 4096, ldc: 4096, alpha: 1}
	a, b, c := tc.operands(r)
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	before := WorkspaceBytesAllocated()
	dgemm(&ks[0], tc.tA, tc.tB, tc.m, tc.n, tc.k, 1, a, tc.lda, b, tc.ldb, 0, c, tc.ldc)
	grew := WorkspaceBytesAllocated() - before
	runtime.ReadMemStats(&ms1)
	if total := ms1.TotalAlloc - ms0.TotalAlloc; grew < 8*4096*256 || total < grew {
		t.Errorf("4096 columns, k = 1024: counted %d bytes, TotalAlloc moved %d: want the 8 MiB block of B counted, within TotalAlloc", grew, total)
	}
}
