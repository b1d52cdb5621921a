// Package gemm is a pure-Go (Go assembly, no cgo) DGEMM near the core's
// peak, packaged as a gonum BLAS implementation.
//
// Implementation is gonum's native BLAS with Dgemm replaced by the
// GotoBLAS/BLIS algorithm (K. Goto and R. van de Geijn, "Anatomy of
// high-performance matrix multiplication", ACM TOMS 34(3), 2008): op(B) is
// packed into kc×nc blocks of nr-column panels, op(A) into mc×kc blocks of
// mr-row panels (when A is not transposed the kernel reads its rows in
// place instead: packing them would transpose them), and a register-blocked
// mr×nr micro-kernel written in assembly (AVX-512, or AVX2 with FMA, chosen
// at run time) multiplies the panels. On other processors Dgemm is gonum's.
//
// The result of a call depends only on its arguments and the processor's
// instruction set, never on timing: every element of C is accumulated in
// the same order on every run.
package gemm

import (
	"sync"
	"sync/atomic"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// Implementation is gonum's native BLAS (gonum.org/v1/gonum/blas/gonum) with
// the packed assembly Dgemm. Install it with blas64.Use(gemm.Implementation{})
// and, for Gorgonia, gorgonia.Use(gemm.Implementation{}).
type Implementation struct {
	gonum.Implementation
}

// microKernel is an assembly kernel computing C[0:mr,0:nr] += α·Σ_p a_p b_pᵀ
// over k packed steps (a: mr values per step, b: nr values per step); store
// is the same with C[0:mr,0:nr] = α·Σ_p a_p b_pᵀ (C not read).
type microKernel struct {
	name      string
	mr, nr    int
	fn, store func(k int, a, b, c *float64, ldc int, alpha float64)
	// rows and rowsStore are fn and store reading the mr rows of A in
	// place (a[i·lda + p]) instead of a packed panel; nil: A is packed.
	rows, rowsStore func(k int, a *float64, lda int, b, c *float64, ldc int, alpha float64)
}

// Cache blocking: a kc×nr panel of B stays in L1 while the mr-row panels of
// an mc×kc block of A (in L2) stream past it.
const (
	blockK = 256
	blockM = 144 // rounded down to a multiple of mr
	blockN = 4096
)

// best is the fastest kernel this processor runs (nil: use gonum's Dgemm).
var best = func() *microKernel {
	if ks := kernels(); len(ks) > 0 {
		return &ks[0]
	}
	return nil
}()

// Kernel names the micro-kernel Dgemm uses on this processor: "avx512",
// "avx2", or "gonum" where there is none.
func Kernel() string {
	if best == nil {
		return "gonum"
	}
	return best.name
}

// workspace holds the packed blocks and an edge tile.
type workspace struct {
	a, b, tile []float64
}

var pool = sync.Pool{New: func() any { return new(workspace) }}

// workspaceBytes counts the bytes of every packing block allocated so far
// (WorkspaceBytesAllocated).
var workspaceBytes atomic.Uint64

// WorkspaceBytesAllocated is the number of bytes Dgemm has allocated for its
// pooled packing workspaces since the program started. Which products find
// a workspace of the size they need depends on scheduling (the workspaces
// are kept per processor, and one regrown for a larger product leaves the
// smaller as garbage), so a caller that accounts for its allocations
// exactly (runtime.MemStats.TotalAlloc) subtracts the change of this count
// and bounds the workspaces apart: at most one live workspace per
// goroutine multiplying at once and per processor, each of at most
// (144 + min(4096, ⌈n/16⌉·16))·min(256, k) + 128 float64 for products of
// inner dimension k and n columns of op(B) at most.
func WorkspaceBytesAllocated() uint64 { return workspaceBytes.Load() }

func grow(s []float64, n int) []float64 {
	if cap(s) < n {
		workspaceBytes.Add(8 * uint64(n))
		return make([]float64, n)
	}
	return s[:n]
}

// Dgemm computes C = α·op(A)·op(B) + β·C with op(X) = X or Xᵀ, for
// row-major A (m×k after op), B (k×n after op) and C (m×n) with leading
// dimensions lda, ldb and ldc. Its arguments are checked as gonum's are
// (it panics, as BLAS routines do, on inconsistent dimensions). β = 0 sets
// C without reading it.
func (impl Implementation) Dgemm(tA, tB blas.Transpose, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	if best == nil {
		impl.Implementation.Dgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	dgemm(best, tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

func dgemm(kern *microKernel, tA, tB blas.Transpose, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	switch tA {
	default:
		panic(badTranspose)
	case blas.NoTrans, blas.Trans, blas.ConjTrans:
	}
	switch tB {
	default:
		panic(badTranspose)
	case blas.NoTrans, blas.Trans, blas.ConjTrans:
	}
	if m < 0 {
		panic(mLT0)
	}
	if n < 0 {
		panic(nLT0)
	}
	if k < 0 {
		panic(kLT0)
	}
	aTrans := tA != blas.NoTrans
	bTrans := tB != blas.NoTrans
	if (aTrans && lda < max(1, m)) || (!aTrans && lda < max(1, k)) {
		panic(badLdA)
	}
	if (bTrans && ldb < max(1, k)) || (!bTrans && ldb < max(1, n)) {
		panic(badLdB)
	}
	if ldc < max(1, n) {
		panic(badLdC)
	}
	if m == 0 || n == 0 {
		return
	}
	if (aTrans && len(a) < (k-1)*lda+m) || (!aTrans && len(a) < (m-1)*lda+k) {
		panic(shortA)
	}
	if (bTrans && len(b) < (n-1)*ldb+k) || (!bTrans && len(b) < (k-1)*ldb+n) {
		panic(shortB)
	}
	if len(c) < (m-1)*ldc+n {
		panic(shortC)
	}
	// β = 0: the first k-block stores into C instead of adding (C is never
	// read); other β scale C once.
	if beta == 0 && (alpha == 0 || k == 0) {
		for i := 0; i < m; i++ {
			clear(c[i*ldc : i*ldc+n])
		}
		return
	}
	if beta != 1 && beta != 0 {
		for i := 0; i < m; i++ {
			row := c[i*ldc : i*ldc+n]
			for j := range row {
				row[j] *= beta
			}
		}
	}
	if alpha == 0 || k == 0 {
		return
	}

	mr, nr := kern.mr, kern.nr
	mc := blockM / mr * mr
	nc := blockN / nr * nr
	// k in ⌈k/blockK⌉ equal blocks (784 → 4×196, not 3×256 + 16).
	kc := (k + (k+blockK-1)/blockK - 1) / ((k + blockK - 1) / blockK)
	ws := pool.Get().(*workspace)
	defer pool.Put(ws)
	ws.a = grow(ws.a, mc*kc)
	ws.b = grow(ws.b, min(nc, roundUp(n, nr))*kc)
	ws.tile = grow(ws.tile, mr*nr)

	// A not transposed: the kernel reads its full mr-row panels in place
	// (packing them would transpose them); only a last partial panel is
	// packed. The arithmetic is the same either way.
	inPlace := !aTrans && kern.rows != nil
	for jc := 0; jc < n; jc += nc {
		ncur := min(nc, n-jc)
		for pc := 0; pc < k; pc += kc {
			kcur := min(kc, k-pc)
			packB(ws.b, bTrans, b, ldb, pc, jc, kcur, ncur, nr)
			for ic := 0; ic < m; ic += mc {
				mcur := min(mc, m-ic)
				var ar []float64
				if inPlace {
					ar = a[ic*lda+pc:]
					if ir := mcur / mr * mr; ir < mcur {
						packA(ws.a[ir*kcur:], aTrans, a, lda, ic+ir, pc, mcur-ir, kcur, mr)
					}
				} else {
					packA(ws.a, aTrans, a, lda, ic, pc, mcur, kcur, mr)
				}
				macro(kern, ws, kcur, mcur, ncur, alpha, c[ic*ldc+jc:], ldc, beta == 0 && pc == 0, ar, lda)
			}
		}
	}
}

func roundUp(x, q int) int { return (x + q - 1) / q * q }

// macro multiplies the mcur×kcur block of A by the packed kcur×ncur block
// of B into C (from its (ic, jc) corner), α included; it adds to C, or
// overwrites it when store is set. A's block is packed in ws.a, or, when ar
// is not nil, read in place from ar (row i, step p at ar[i·lda + p]) except
// a last partial mr-row panel, packed in ws.a.
func macro(kern *microKernel, ws *workspace, kcur, mcur, ncur int, alpha float64, c []float64, ldc int, store bool, ar []float64, lda int) {
	full, rows := kern.fn, kern.rows
	if store {
		full, rows = kern.store, kern.rowsStore
	}
	mr, nr := kern.mr, kern.nr
	tile := ws.tile
	for jr := 0; jr < ncur; jr += nr {
		nrr := min(nr, ncur-jr)
		bp := ws.b[jr*kcur : (jr+nr)*kcur]
		for ir := 0; ir < mcur; ir += mr {
			mrr := min(mr, mcur-ir)
			inPlace := ar != nil && mrr == mr
			var ap []float64
			if inPlace {
				// Rows ir … ir+mr−1, steps 0 … kcur−1 lie inside A:
				// Dgemm checked len(a).
				ap = ar[ir*lda : (ir+mr-1)*lda+kcur]
			} else {
				ap = ws.a[ir*kcur : (ir+mr)*kcur]
			}
			if mrr == mr && nrr == nr {
				// The whole tile lies inside C: Dgemm checked len(c).
				if inPlace {
					rows(kcur, &ap[0], lda, &bp[0], &c[ir*ldc+jr], ldc, alpha)
				} else {
					full(kcur, &ap[0], &bp[0], &c[ir*ldc+jr], ldc, alpha)
				}
				continue
			}
			if inPlace {
				kern.rowsStore(kcur, &ap[0], lda, &bp[0], &tile[0], nr, alpha)
			} else {
				kern.store(kcur, &ap[0], &bp[0], &tile[0], nr, alpha)
			}
			for i := 0; i < mrr; i++ {
				row := c[(ir+i)*ldc+jr : (ir+i)*ldc+jr+nrr]
				t := tile[i*nr : i*nr+nrr]
				if store {
					copy(row, t)
					continue
				}
				for j := range row {
					row[j] += t[j]
				}
			}
		}
	}
}

// packA stores op(A)[ic:ic+mcur, pc:pc+kcur] in dst as ⌈mcur/mr⌉ panels,
// each kcur steps of mr values (rows past mcur are zero).
func packA(dst []float64, trans bool, a []float64, lda, ic, pc, mcur, kcur, mr int) {
	for ir := 0; ir < mcur; ir += mr {
		mrr := min(mr, mcur-ir)
		panel := dst[ir*kcur : (ir+mr)*kcur]
		if trans {
			// op(A)[i, p] = A[p, i]: each step is a contiguous run of A's row.
			copyRuns(panel, a[(pc)*lda+ic+ir:], lda, kcur, mrr, mr)
		} else {
			// op(A)[i, p] = A[i, p]: interleave mr rows of A.
			interleave(panel, a[(ic+ir)*lda+pc:], lda, kcur, mrr, mr)
		}
	}
}

// packB stores op(B)[pc:pc+kcur, jc:jc+ncur] in dst as ⌈ncur/nr⌉ panels,
// each kcur steps of nr values (columns past ncur are zero).
func packB(dst []float64, trans bool, b []float64, ldb, pc, jc, kcur, ncur, nr int) {
	for jr := 0; jr < ncur; jr += nr {
		nrr := min(nr, ncur-jr)
		panel := dst[jr*kcur : (jr+nr)*kcur]
		if trans {
			// op(B)[p, j] = B[j, p]: interleave nr rows of B.
			interleave(panel, b[(jc+jr)*ldb+pc:], ldb, kcur, nrr, nr)
		} else {
			// op(B)[p, j] = B[p, j]: each step is a contiguous run of B's row.
			copyRuns(panel, b[pc*ldb+jc+jr:], ldb, kcur, nrr, nr)
		}
	}
}

// copyRuns stores in panel (steps×w) the runs src[p·ld : p·ld+cnt] for
// p < steps, zero-padded to w.
func copyRuns(panel, src []float64, ld, steps, cnt, w int) {
	switch {
	case cnt == 16 && w == 16:
		for p := 0; p < steps; p++ {
			*(*[16]float64)(panel[p*16:]) = *(*[16]float64)(src[p*ld:])
		}
	case cnt == 12 && w == 12:
		for p := 0; p < steps; p++ {
			*(*[12]float64)(panel[p*12:]) = *(*[12]float64)(src[p*ld:])
		}
	case cnt == 8 && w == 8:
		for p := 0; p < steps; p++ {
			*(*[8]float64)(panel[p*8:]) = *(*[8]float64)(src[p*ld:])
		}
	case cnt == 6 && w == 6:
		for p := 0; p < steps; p++ {
			*(*[6]float64)(panel[p*6:]) = *(*[6]float64)(src[p*ld:])
		}
	default:
		for p := 0; p < steps; p++ {
			d := panel[p*w : p*w+w]
			copy(d, src[p*ld:p*ld+cnt])
			clear(d[cnt:])
		}
	}
}

// interleave stores in panel (steps×w) the transpose of the cnt rows
// src[i·ld : i·ld+steps], zero-padded to w columns: panel[p·w+i] =
// src[i·ld+p]. Four rows at a time, so each step writes four neighbours.
func interleave(panel, src []float64, ld, steps, cnt, w int) {
	panel = panel[:steps*w]
	if cnt < w {
		clear(panel)
	}
	i := 0
	for ; i+4 <= cnt; i += 4 {
		r0 := src[i*ld : i*ld+steps]
		r1 := src[(i+1)*ld : (i+1)*ld+steps]
		r2 := src[(i+2)*ld : (i+2)*ld+steps]
		r3 := src[(i+3)*ld : (i+3)*ld+steps]
		r1, r2, r3 = r1[:len(r0)], r2[:len(r0)], r3[:len(r0)]
		for p := range r0 {
			d := (*[4]float64)(panel[p*w+i:])
			d[0], d[1], d[2], d[3] = r0[p], r1[p], r2[p], r3[p]
		}
	}
	for ; i < cnt; i++ {
		r := src[i*ld : i*ld+steps]
		for p, v := range r {
			panel[p*w+i] = v
		}
	}
}

// The panic messages of gonum's BLAS.
const (
	badTranspose = "blas: illegal transpose"
	mLT0         = "blas: m < 0"
	nLT0         = "blas: n < 0"
	kLT0         = "blas: k < 0"
	badLdA       = "blas: bad leading dimension of A"
	badLdB       = "blas: bad leading dimension of B"
	badLdC       = "blas: bad leading dimension of C"
	shortA       = "blas: insufficient length of a"
	shortB       = "blas: insufficient length of b"
	shortC       = "blas: insufficient length of c"
)
