package model

import (
	"fmt"
	"math"
	"sync"
	"sync/atomic"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"

	"github.com/sgn-project/sgn/internal/workgroup"
)

// Hessian is the Hessian H(θ) of the mean cross-entropy over a fixed set of
// samples, as a matrix-free symmetric operator. H·v is exact, computed by
// Pearlmutter's R-operator ("Fast exact multiplication by the Hessian",
// Neural Computation 6(1), 1994): the direction v = (V_l, c_l) is pushed
// forward through the forward pass and then through the backward pass,
// with R{·} = d/dr (·)(θ + r v) at r = 0:
//
//	R{a₀} = 0,  R{z_l} = R{a_{l−1}}W_lᵀ + a_{l−1}V_lᵀ + c_l,  R{a_l} = f′(z_l) ⊙ R{z_l}
//	R{δ_L} = s·(p ⊙ R{z_L} − p ⊙ rowsum(p ⊙ R{z_L}))
//	R{δ_{l−1}} = (R{δ_l}W_l + δ_l V_l) ⊙ f′(z_{l−1}) + (δ_l W_l) ⊙ f″(z_{l−1}) ⊙ R{z_{l−1}}
//	Hv = (R{δ_l}ᵀa_{l−1} + δ_lᵀR{a_{l−1}},  Σ_i R{δ_{l,i}})
//
// It is built on gonum rather than in the Gorgonia graph because Gorgonia
// v0.9.18 differentiates twice wrongly (see model/graph) and because, θ being
// fixed, the forward and backward passes are computed once and cached, so
// each product costs only the R-passes — about one gradient.
//
// Hessian implements hessian.BlockOperator.
type Hessian struct {
	m       *MLP
	theta   []float64
	b       Batch
	workers int
	scale   float64
	passes  []*pass     // cached forward/backward pass of each chunk
	back    [][]float64 // back[c][l] = δ_{l+1} W_{l+1} for chunk c (only when f″ ≠ 0)
	loss    float64
	grad    []float64

	// Work spaces of MulVec and MulMat, kept between calls (guarded by mu;
	// concurrent calls get distinct ones).
	mu        sync.Mutex
	hvFree    []*hvWork
	blockFree []*blockWork
}

// NewHessian prepares the Hessian of the mean loss of theta over b. It runs
// and caches one forward and backward pass over b, which also give the loss
// and gradient at theta (memory about N times the
// sum of the layer widths, times three).
func (m *MLP) NewHessian(theta []float64, b Batch, workers int) (*Hessian, error) {
	if err := m.check(theta, b); err != nil {
		return nil, err
	}
	workers = max(workers, 1)
	h := &Hessian{m: m, theta: append([]float64(nil), theta...), b: b, workers: workers, scale: 1 / float64(b.N())}
	n, D := b.N(), m.InputDim()
	nc := (n + chunkRows - 1) / chunkRows
	h.passes = make([]*pass, nc)
	h.back = make([][]float64, nc*len(m.Layers))
	h.grad = make([]float64, m.Layout.P)
	parts := make([][]float64, nc)
	losses := make([]float64, nc)
	lo := m.Layout
	L := lo.NumLayers()
	m.chunks(n, workers, func(c, r0, r1 int, _ *pass) {
		p := newPass(m.Layers, r1-r0)
		losses[c], _ = m.forward(h.theta, b.X[r0*D:r1*D], b.Y[r0:r1], r1-r0, p)
		g := make([]float64, lo.P)
		m.backward(h.theta, b.Y[r0:r1], h.scale, p, g)
		parts[c] = g
		h.passes[c] = p
		if !m.Activation.PiecewiseLinear() {
			for l := 1; l < L; l++ {
				in, out := lo.Layers[l], lo.Layers[l+1]
				e := make([]float64, p.n*in)
				blas64.Gemm(blas.NoTrans, blas.NoTrans, 1, general(p.n, out, p.d[l]), general(out, in, lo.W(h.theta, l)), 0, general(p.n, in, e))
				h.back[c*len(m.Layers)+l] = e
			}
		}
	}, nil)
	// The loss as Evaluate sums it: chunk sums in chunk order, then ÷ N.
	for c, g := range parts {
		h.loss += losses[c]
		for i, v := range g {
			h.grad[i] += v
		}
	}
	h.loss /= float64(n)
	if math.IsNaN(h.loss) || math.IsInf(h.loss, 0) {
		return nil, nonFiniteLoss(h.loss)
	}
	return h, nil
}

// Dim returns P.
func (h *Hessian) Dim() int { return h.m.Layout.P }

// Loss returns the mean loss at θ over the samples.
func (h *Hessian) Loss() float64 { return h.loss }

// Gradient returns the gradient of the mean loss at θ (do not modify).
func (h *Hessian) Gradient() []float64 { return h.grad }

// NumSamples returns the number of samples the Hessian averages over.
func (h *Hessian) NumSamples() int { return h.b.N() }

// rpass holds the R-quantities of one chunk.
type rpass struct {
	rz, ra, rd [][]float64
	tmp        []float64 // f″(z_l) of one hidden layer
}

func newRPass(layers []int) *rpass {
	L := len(layers) - 1
	r := &rpass{rz: make([][]float64, L), ra: make([][]float64, L), rd: make([][]float64, L)}
	wmax := 0
	for l := 0; l < L; l++ {
		out := layers[l+1]
		r.rz[l] = make([]float64, chunkRows*out)
		r.ra[l] = make([]float64, chunkRows*out)
		r.rd[l] = make([]float64, chunkRows*out)
		wmax = max(wmax, layers[l])
	}
	r.tmp = make([]float64, chunkRows*wmax)
	return r
}

// hvWork is the space of one MulVec call: the R-quantities of each worker
// and the partial products of a round of chunks.
type hvWork struct {
	rps   []*rpass
	parts [][]float64
}

// hvWork returns a MulVec work space, one of an earlier call when there is
// one free (hand it back with putHvWork).
func (h *Hessian) hvWork() *hvWork {
	h.mu.Lock()
	if n := len(h.hvFree); n > 0 {
		w := h.hvFree[n-1]
		h.hvFree = h.hvFree[:n-1]
		h.mu.Unlock()
		return w
	}
	h.mu.Unlock()
	w := &hvWork{rps: make([]*rpass, chunkWorkers(h.workers, len(h.passes))), parts: make([][]float64, min(roundChunks, len(h.passes)))}
	for i := range w.rps {
		w.rps[i] = newRPass(h.m.Layers)
	}
	for i := range w.parts {
		w.parts[i] = make([]float64, h.m.Layout.P)
	}
	return w
}

// putHvWork keeps w for the next MulVec call.
func (h *Hessian) putHvWork(w *hvWork) {
	h.mu.Lock()
	h.hvFree = append(h.hvFree, w)
	h.mu.Unlock()
}

// MulVec stores H·v in dst. It panics if the lengths are not P. It may be
// called concurrently.
func (h *Hessian) MulVec(dst, v []float64) {
	P := h.m.Layout.P
	if len(dst) != P || len(v) != P {
		panic(fmt.Sprintf("model: Hessian.MulVec with lengths %d and %d, want %d", len(dst), len(v), P))
	}
	clear(dst)
	w := h.hvWork()
	defer h.putHvWork(w)
	nc := len(h.passes)
	// Chunks in rounds of roundChunks on up to h.workers goroutines, each
	// with its own R-pass; after each round the partial products are added
	// to dst in chunk order.
	for first := 0; first < nc; first += roundChunks {
		count := min(roundChunks, nc-first)
		var next atomic.Int64
		next.Store(int64(first))
		var g workgroup.Group
		for k := 0; k < min(h.workers, count); k++ {
			r := w.rps[k]
			g.Go("Hessian-vector product", func() error {
				for {
					c := int(next.Add(1) - 1)
					if c >= first+count {
						return nil
					}
					part := w.parts[c%roundChunks]
					clear(part)
					h.rop(c, v, r, part)
				}
			})
		}
		// A worker's panic is raised again here, on the caller's goroutine.
		workgroup.Must(g.Wait())
		for c := first; c < first+count; c++ {
			for i, x := range w.parts[c%roundChunks] {
				dst[i] += x
			}
		}
	}
}

// MulMat stores H·V in dst, one direction per column of V (P×k), by the
// block R-operator (hvp_block.go): the k directions go through the R-passes
// together as products of matrices, and zero blocks of V are skipped. The
// result equals k MulVec calls up to rounding and does not depend on the
// number of workers. dst must not overlap v.
func (h *Hessian) MulMat(dst, v *mat.Dense) {
	P := h.m.Layout.P
	r, k := v.Dims()
	dr, dk := dst.Dims()
	if r != P || dr != P || dk != k {
		panic(fmt.Sprintf("model: Hessian.MulMat with %d×%d into %d×%d, want P = %d rows", r, k, dr, dk, P))
	}
	h.mulMatBlock(dst, v)
}

// forwardR computes R{z_l} and R{a_l} of chunk c in the direction v into
// r: the forward half of the R-operator (R{z_L} = J v, the Jacobian of the
// logits times v).
func (h *Hessian) forwardR(c int, v []float64, r *rpass) {
	m, lo, p := h.m, h.m.Layout, h.passes[c]
	L := lo.NumLayers()
	n := p.n
	for l := 0; l < L; l++ {
		in, out := lo.Layers[l], lo.Layers[l+1]
		rz := r.rz[l][:n*out]
		affine(rz, p.input(l), lo.W(v, l), lo.B(v, l), n, in, out)
		if l > 0 {
			blas64.Gemm(blas.NoTrans, blas.Trans, 1, general(n, in, r.ra[l-1]), general(out, in, lo.W(h.theta, l)), 1, general(n, out, rz))
		}
		if l < L-1 {
			ra := r.ra[l][:n*out]
			copy(ra, rz)
			m.Activation.MulDeriv(ra, p.z[l][:n*out], p.a[l][:n*out])
		}
	}
}

// rop adds chunk c's contribution to H·v into g.
func (h *Hessian) rop(c int, v []float64, r *rpass, g []float64) {
	m, lo, p := h.m, h.m.Layout, h.passes[c]
	L := lo.NumLayers()
	n := p.n
	curved := !m.Activation.PiecewiseLinear() // f″ ≠ 0
	h.forwardR(c, v, r)
	// output: R{δ_L} = s·(p ⊙ R{z_L} − p ⊙ rowsum(p ⊙ R{z_L}))
	C := lo.Layers[L]
	pr, rz, rd := p.a[L-1], r.rz[L-1], r.rd[L-1]
	for i := 0; i < n; i++ {
		var s float64
		for k := 0; k < C; k++ {
			s += pr[i*C+k] * rz[i*C+k]
		}
		for k := 0; k < C; k++ {
			rd[i*C+k] = h.scale * pr[i*C+k] * (rz[i*C+k] - s)
		}
	}
	// backward
	for l := L - 1; l >= 0; l-- {
		in, out := lo.Layers[l], lo.Layers[l+1]
		rd := r.rd[l][:n*out]
		gw := general(out, in, lo.W(g, l))
		blas64.Gemm(blas.Trans, blas.NoTrans, 1, general(n, out, rd), general(n, in, p.input(l)), 1, gw)
		if l > 0 {
			blas64.Gemm(blas.Trans, blas.NoTrans, 1, general(n, out, p.d[l]), general(n, in, r.ra[l-1]), 1, gw)
		}
		gb := lo.B(g, l)
		for i := 0; i < n; i++ {
			for k, x := range rd[i*out : (i+1)*out] {
				gb[k] += x
			}
		}
		if l == 0 {
			break
		}
		// R{δ_{l−1}} = (R{δ_l}W_l + δ_l V_l) ⊙ f′(z_{l−1}) + (δ_l W_l) ⊙ f″(z_{l−1}) ⊙ R{z_{l−1}}
		rdp := r.rd[l-1][:n*in]
		blas64.Gemm(blas.NoTrans, blas.NoTrans, 1, general(n, out, rd), general(out, in, lo.W(h.theta, l)), 0, general(n, in, rdp))
		blas64.Gemm(blas.NoTrans, blas.NoTrans, 1, general(n, out, p.d[l]), general(out, in, lo.W(v, l)), 1, general(n, in, rdp))
		zp, ap := p.z[l-1][:n*in], p.a[l-1][:n*in]
		m.Activation.MulDeriv(rdp, zp, ap)
		if curved {
			e := h.back[c*len(m.Layers)+l]
			rzp := r.rz[l-1][:n*in]
			fpp := r.tmp[:n*in]
			m.Activation.SecondDeriv(fpp, zp, ap)
			for i := range rdp {
				rdp[i] += e[i] * fpp[i] * rzp[i]
			}
		}
	}
}
