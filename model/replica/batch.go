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
//	Z₁ = X·[W₁⁽¹⁾ … W₁⁽ᴿ⁾]ᵀ,  one product for all R replicas (they share X),
//	Z_l⁽ʳ⁾ = A_{l−1}⁽ʳ⁾·W_l⁽ʳ⁾ᵀ,  one product per replica and deeper layer,
//
// then the bias, the activation (tanh by tanhSlice's kernel) and the
// softmax cross-entropy of each row, summed in sample order. Every element
// of a product is accumulated by the same micro-kernel over the same
// steps wherever its column lies (gemm's kernels keep one register lane per
// element of C), so replica r's loss is the same bits whatever R and
// whatever the other replicas are: Losses of R replicas equals R calls of
// Loss, bit for bit (TestLossesBatchedBitIdentical). It is the full loss
// of the escape runs' loss criterion (Xie, Sato & Sugiyama, ICLR 2021: the
// escape from a valley of L by SGD), where the one-sample loops of
// LossGrad spent three quarters of a run; the kernel's fused multiply-adds
// make it differ from LossGrad's loss by rounding only (≈ 10⁻¹⁶ relative).
//
// It panics if len(out) < len(thetas) or a θ is shorter than the layout.
func (e *Engine) Losses(thetas [][]float64, out []float64) {
	R := len(thetas)
	if len(out) < R {
		panic(fmt.Sprintf("replica: Losses of %d replicas into %d values", R, len(out)))
	}
	if R == 0 {
		return
	}
	lo := e.lo
	L := len(lo.Layers) - 1
	D, h := lo.Layers[0], lo.Layers[1]
	n := e.n
	w1 := h * D
	e.wcat = grow(e.wcat, R*w1)
	for r, th := range thetas {
		copy(e.wcat[r*w1:(r+1)*w1], th[lo.WOff[0]:lo.WOff[0]+w1])
	}
	ld := R * h
	e.zcat = grow(e.zcat, n*ld)
	impl := gemm.Implementation{}
	impl.Dgemm(blas.NoTrans, blas.Trans, n, ld, D, 1, e.x, D, e.wcat, D, 0, e.zcat, ld)
	if L == 1 {
		for r, th := range thetas {
			out[r] = e.rowLosses(e.zcat[r*h:], ld, th[lo.BOff[0]:lo.BOff[0]+h])
		}
		return
	}
	// The first hidden layer: bias and activation of every replica, in place.
	for i := 0; i < n; i++ {
		row := e.zcat[i*ld : (i+1)*ld]
		for r, th := range thetas {
			seg := row[r*h : (r+1)*h]
			for o, b := range th[lo.BOff[0] : lo.BOff[0]+h] {
				seg[o] += b
			}
			e.activate(seg)
		}
	}
	if len(e.zl) < L {
		e.zl = make([][]float64, L)
	}
	for r, th := range thetas {
		in, inLd := e.zcat[r*h:], ld
		for l := 1; l < L; l++ {
			nin, nout := lo.Layers[l], lo.Layers[l+1]
			e.zl[l] = grow(e.zl[l], n*nout)
			z := e.zl[l]
			impl.Dgemm(blas.NoTrans, blas.Trans, n, nout, nin, 1, in, inLd, th[lo.WOff[l]:lo.WOff[l]+nout*nin], nin, 0, z, nout)
			b := th[lo.BOff[l] : lo.BOff[l]+nout]
			if l == L-1 {
				out[r] = e.rowLosses(z, nout, b)
				break
			}
			for i := 0; i < n; i++ {
				seg := z[i*nout : (i+1)*nout]
				for o, bo := range b {
					seg[o] += bo
				}
				e.activate(seg)
			}
			in, inLd = z, nout
		}
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

// rowLosses returns the mean over the n rows of z (row i at z[i·ld:],
// len(b) logits) of the cross-entropy of softmax(z_i + b) at label y_i,
// summed in sample order: softmaxLoss's value, with the exponentials of
// all rows in one call of expSlice. It overwrites the logits with z_i + b.
func (e *Engine) rowLosses(z []float64, ld int, b []float64) float64 {
	C := len(b)
	e.ex = grow(e.ex, e.n*C)
	e.mx = grow(e.mx, e.n)
	for i := range e.n {
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
	var sum float64
	for i, y := range e.y {
		var s float64
		for _, v := range e.ex[i*C : (i+1)*C] {
			s += v
		}
		sum += e.mx[i] + math.Log(s) - z[i*ld+y]
	}
	return sum * (1 / float64(e.n))
}

// grow returns s with length n, reallocated only when its capacity is short.
func grow(s []float64, n int) []float64 {
	if cap(s) < n {
		return make([]float64, n)
	}
	return s[:n]
}
