package replica

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/blas"

	"github.com/sgn-project/sgn/internal/gemm"
)

// Losses stores in out[r] the mean loss over all n samples of the replica
// with parameters thetas[r] (each of the engine's layout), computed by
// whole-layer products through internal/gemm's kernel:
//
//	Z₁ = X·[W₁⁽¹⁾ … W₁⁽ᴳ⁾]ᵀ,  one product for a group of G replicas (they share X),
//	Z_l⁽ʳ⁾ = A_{l−1}⁽ʳ⁾·W_l⁽ʳ⁾ᵀ,  one product per replica and deeper layer,
//
// then the bias, the activation (tanh by tanhSlice's kernel) and the
// softmax cross-entropy of each row, summed in sample order. The products
// run on blocks of lossRows samples and groups of lossGroup replicas, so
// that a block's activations stay in the processor's cache however many
// replicas there are; each replica's sum runs over the blocks in sample
// order. Every element of a product is accumulated by the same
// micro-kernel over the same steps wherever its row and column lie (gemm's
// kernels keep one register lane per element of C, and the steps depend on
// the inner dimension alone), so replica r's loss is the same bits
// whatever R and whatever the other replicas are: Losses of R replicas
// equals R calls of Loss, bit for bit (TestLossesBatchedBitIdentical). It
// is the full loss of the escape runs' loss criterion (Xie, Sato &
// Sugiyama, ICLR 2021: the escape from a valley of L by SGD), where the
// one-sample loops of LossGrad spent three quarters of a run; the
// kernel's fused multiply-adds make it differ from LossGrad's loss by
// rounding only (≈ 10⁻¹⁶ relative).
//
// It panics if len(out) < len(thetas) or a θ is shorter than the layout.
func (e *Engine) Losses(thetas [][]float64, out []float64) {
	R := len(thetas)
	if len(out) < R {
		panic(fmt.Sprintf("replica: Losses of %d replicas into %d values", R, len(out)))
	}
	for g := 0; g < R; g += lossGroup {
		e.lossGroup(thetas[g:min(R, g+lossGroup)], out[g:])
	}
}

// lossGroup and lossRows: Losses computes groups of at most lossGroup
// replicas, on blocks of about lossRows samples (a multiple of the
// kernel's rows).
const (
	lossGroup = 16
	lossRows  = 128
)

// LossesBytes bounds the bytes of the buffers Losses grows in an engine
// of the MLP layers (the first layer's weights and biases of a group of
// replicas, the activations of a block of samples of the group and of
// one replica's deeper layers, the softmax's exponentials, maxima and
// logarithms, an
// eighth more for the allocator's rounding of their sizes, and a kilobyte
// for slice headers), whatever the number of replicas and samples. It is computed in float64,
// so absurd widths give a huge number, not an overflow.
func LossesBytes(layers []int) float64 {
	if len(layers) < 2 {
		return 0
	}
	g, rows := float64(lossGroup), float64(lossRows)
	D, h, C := float64(layers[0]), float64(layers[1]), float64(layers[len(layers)-1])
	var deeper float64
	for _, w := range layers[2:] {
		deeper += float64(w)
	}
	return 9*(g*h*(D+1)+rows*g*h+rows*deeper+rows*(C+2)) + 1024
}

// lossGroup is Losses of at most lossGroup replicas.
func (e *Engine) lossGroup(thetas [][]float64, out []float64) {
	R := len(thetas)
	lo := e.lo
	L := len(lo.Layers) - 1
	D, h := lo.Layers[0], lo.Layers[1]
	n := e.n
	w1 := h * D
	ld := R * h
	e.wcat = grow(e.wcat, R*w1)
	e.bcat = grow(e.bcat, ld)
	for r, th := range thetas {
		copy(e.wcat[r*w1:(r+1)*w1], th[lo.WOff[0]:lo.WOff[0]+w1])
		copy(e.bcat[r*h:(r+1)*h], th[lo.BOff[0]:lo.BOff[0]+h])
	}
	rows := n
	if mr, _, ok := gemm.Tile(); ok {
		rows = max(mr, lossRows/mr*mr)
	}
	rows = min(rows, n)
	e.zcat = grow(e.zcat, rows*ld)
	if len(e.zl) < L {
		e.zl = make([][]float64, L)
	}
	sums := e.sums[:R]
	clear(sums)
	impl := gemm.Implementation{}
	for i0 := 0; i0 < n; i0 += rows {
		m := min(rows, n-i0)
		zcat := e.zcat[:m*ld]
		impl.Dgemm(blas.NoTrans, blas.Trans, m, ld, D, 1, e.x[i0*D:], D, e.wcat, D, 0, zcat, ld)
		if L == 1 {
			for r, th := range thetas {
				sums[r] = e.rowLosses(sums[r], zcat[r*h:], ld, th[lo.BOff[0]:lo.BOff[0]+h], i0, m)
			}
			continue
		}
		// The first hidden layer: bias and activation of every replica, in place.
		for i := range m {
			row := zcat[i*ld : (i+1)*ld]
			for o, b := range e.bcat {
				row[o] += b
			}
		}
		e.activate(zcat)
		for r, th := range thetas {
			in, inLd := zcat[r*h:], ld
			for l := 1; l < L; l++ {
				nin, nout := lo.Layers[l], lo.Layers[l+1]
				e.zl[l] = grow(e.zl[l], rows*nout)
				z := e.zl[l][:m*nout]
				impl.Dgemm(blas.NoTrans, blas.Trans, m, nout, nin, 1, in, inLd, th[lo.WOff[l]:lo.WOff[l]+nout*nin], nin, 0, z, nout)
				b := th[lo.BOff[l] : lo.BOff[l]+nout]
				if l == L-1 {
					sums[r] = e.rowLosses(sums[r], z, nout, b, i0, m)
					break
				}
				for i := range m {
					seg := z[i*nout : (i+1)*nout]
					for o, bo := range b {
						seg[o] += bo
					}
				}
				e.activate(z)
				in, inLd = z, nout
			}
		}
	}
	for r, s := range sums {
		out[r] = s * (1 / float64(n))
	}
}

// activate applies the activation to z in place.
func (e *Engine) activate(z []float64) {
	if e.tanh {
		tanhSlice(z, z)
	} else {
		e.act.Apply(z, z)
	}
}

// rowLosses returns sum plus the cross-entropies of softmax(z_i + b) at
// label y_{i0+i} of the m rows of z (row i at z[i·ld:], len(b) logits),
// added in sample order: softmaxLoss's values, with the exponentials of
// all rows in one call of expSlice and their sums' logarithms in one of
// logSlice. It overwrites the logits with z_i + b.
func (e *Engine) rowLosses(sum float64, z []float64, ld int, b []float64, i0, m int) float64 {
	C := len(b)
	e.ex = grow(e.ex, m*C)
	e.mx = grow(e.mx, m)
	for i := range m {
		seg := z[i*ld : i*ld+C]
		mx := math.Inf(-1)
		for o, bo := range b {
			seg[o] += bo
			mx = max(mx, seg[o])
		}
		e.mx[i] = mx
		ex := e.ex[i*C : (i+1)*C]
		for o, v := range seg {
			ex[o] = v - mx
		}
	}
	expSlice(e.ex, e.ex)
	e.ls = grow(e.ls, m)
	for i := range m {
		var s float64
		for _, v := range e.ex[i*C : (i+1)*C] {
			s += v
		}
		e.ls[i] = s
	}
	logSlice(e.ls, e.ls)
	for i, y := range e.y[i0 : i0+m] {
		sum += e.mx[i] + e.ls[i] - z[i*ld+y]
	}
	return sum
}

// grow returns s with length n, reallocated only when its capacity is short.
func grow(s []float64, n int) []float64 {
	if cap(s) < n {
		return make([]float64, n)
	}
	return s[:n]
}
