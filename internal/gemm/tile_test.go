package gemm

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
)

// TestTileCutsAreBitIdentical: C cut at multiples of mr (rows) or nr
// (columns) into blocks, each computed by its own call, is bit for bit the
// single call's C, for every kernel, transpose, β and shapes with edge
// tiles and several k-blocks.
func TestTileCutsAreBitIdentical(t *testing.T) {
	ks := kernels()
	if len(ks) == 0 {
		t.Skip("no assembly kernel on this processor")
	}
	r := rand.New(rand.NewPCG(7, 11))
	for _, kern := range ks {
		for _, tA := range []blas.Transpose{blas.NoTrans, blas.Trans} {
			for _, tB := range []blas.Transpose{blas.NoTrans, blas.Trans} {
				for _, beta := range []float64{0, 1, 0.5} {
					m, n, k := 3*kern.mr+1+r.IntN(2*kern.mr), 3*kern.nr+1+r.IntN(2*kern.nr), []int{37, 300, 784}[r.IntN(3)]
					tc := testCase{tA: tA, tB: tB, m: m, n: n, k: k, alpha: 0.7, beta: beta}
					tc.lda, tc.ldb, tc.ldc = k+1, n+2, n+3
					if tA != blas.NoTrans {
						tc.lda = m + 1
					}
					if tB != blas.NoTrans {
						tc.ldb = k + 2
					}
					a, b, c0 := tc.operands(r)
					whole := append([]float64(nil), c0...)
					dgemm(&kern, tA, tB, m, n, k, tc.alpha, a, tc.lda, b, tc.ldb, beta, whole, tc.ldc)
					// Rows cut at a multiple of mr, columns at one of nr.
					rows := append([]float64(nil), c0...)
					cutR := (1 + r.IntN(m/kern.mr-1)) * kern.mr
					for _, blk := range [][2]int{{0, cutR}, {cutR, m}} {
						ao := blk[0] * tc.lda
						if tA != blas.NoTrans {
							ao = blk[0]
						}
						dgemm(&kern, tA, tB, blk[1]-blk[0], n, k, tc.alpha, a[ao:], tc.lda, b, tc.ldb, beta, rows[blk[0]*tc.ldc:], tc.ldc)
					}
					cols := append([]float64(nil), c0...)
					cutC := (1 + r.IntN(n/kern.nr-1)) * kern.nr
					for _, blk := range [][2]int{{0, cutC}, {cutC, n}} {
						bo := blk[0]
						if tB != blas.NoTrans {
							bo = blk[0] * tc.ldb
						}
						dgemm(&kern, tA, tB, m, blk[1]-blk[0], k, tc.alpha, a, tc.lda, b[bo:], tc.ldb, beta, cols[blk[0]:], tc.ldc)
					}
					for i := range whole {
						w := math.Float64bits(whole[i])
						if math.Float64bits(rows[i]) != w || math.Float64bits(cols[i]) != w {
							t.Fatalf("%s %v (rows cut at %d, columns at %d): element %d is %v whole, %v by rows, %v by columns",
								kern.name, tc, cutR, cutC, i, whole[i], rows[i], cols[i])
						}
					}
				}
			}
		}
	}
	if mr, nr, ok := Tile(); !ok || mr != ks[0].mr || nr != ks[0].nr {
		t.Errorf("Tile() = %d, %d, %v; the kernel in use is %s (%d×%d)", mr, nr, ok, ks[0].name, ks[0].mr, ks[0].nr)
	}
}
