package model

import (
	"fmt"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"

	"github.com/sgn-project/sgn/internal/workgroup"
)

// The block R-operator: H·V for k directions at once.
//
// It is the R-operator of MulVec (Pearlmutter 1994; the equations are in the
// comment of Hessian) with the R-quantities of kb directions stacked
// sample-major, R{z_l}[i][j][o] for sample i, direction j and unit o of layer
// l: an n×(kb·out) matrix that is also an (n·kb)×out one. So every product of
// the R-passes is one matrix product (dgemm) for all kb directions:
//
//	R{z_l}     = 1 c_lᵀ + a_{l−1} [V_l]ᵀ + R{a_{l−1}} W_lᵀ       [V_l]: (kb·out)×in, rows (j,o)
//	R{∇W_l}    = R{δ_l}ᵀ a_{l−1}  (rows (j,o))  +  δ_lᵀ R{a_{l−1}}  (rows o, columns (j,c))
//	R{δ_{l−1}} = (R{δ_l} W_l + δ_l [V_l]′) ⊙ f′(z_{l−1}) + (δ_l W_l) ⊙ f″(z_{l−1}) ⊙ R{z_{l−1}}
//	                                                            [V_l]′: out×(kb·in), columns (j,c)
//
// A layer whose block of V is zero in every direction of the sub-block skips
// its products with V, and R{z}, R{a} of the layers before the first nonzero
// block are zero and are skipped too: a restriction to one layer's block
// (HessianBlock) costs only the layers from that one on.
//
// The samples are split in the chunks cached by NewHessian and the
// directions in sub-blocks of at most blockDirs; each (sub-block, chunk) task
// runs on one goroutine with serial kernels, and the chunks' partial
// products are added in chunk order, so the result does not depend on the
// number of workers.

// blockDirs caps the number of directions processed together.
const blockDirs = 32

// blockWorkBytes caps the work space of one worker; the sub-block of
// directions shrinks for wide models so that it fits.
const blockWorkBytes = 96 << 20

// blockWork is one worker's space: the R-quantities of a sub-block of kb
// directions over one chunk of n ≤ capRows samples, f′ and the f″ term of
// the chunk's hidden layers, the sub-block of V regrouped by layer, the
// products R{∇W_l} before they are scattered, and the chunk's partial
// product (P×kb).
type blockWork struct {
	kb, capRows int
	rz, ra, rd  [][]float64 // layer l: n × kb × out_l
	fp, fpp     [][]float64 // hidden layer l: f′(z_l) and (δ_{l+1}W_{l+1}) ⊙ f″(z_l), n × out_l
	vs          [][]float64 // layer l: V_l as (kb·out_l) × in_l, vs[(j·out+o)·in+c] = V_j[o,c]
	vc          [][]float64 // layer l: V_l as out_l × (kb·in_l), vc[(o·kb+j)·in+c] = V_j[o,c]
	vb          [][]float64 // layer l: bias directions, kb × out_l
	sum         []float64   // n × kb, the softmax row sums
	gw1, gw2    []float64   // R{δ_l}ᵀa_{l−1} (kb·out)×in and δ_lᵀR{a_{l−1}} out×(kb·in)
	gb          []float64   // kb × out_l, R{∇b_l}
	ones        []float64   // capRows ones
	part        []float64   // P × kb, row-major
}

func newBlockWork(lo Layout, kb, capRows int) *blockWork {
	L := lo.NumLayers()
	w := &blockWork{
		kb: kb, capRows: capRows,
		rz: make([][]float64, L), ra: make([][]float64, L), rd: make([][]float64, L),
		fp: make([][]float64, L), fpp: make([][]float64, L),
		vs: make([][]float64, L), vc: make([][]float64, L), vb: make([][]float64, L),
		sum:  make([]float64, capRows*kb),
		part: make([]float64, lo.P*kb),
	}
	maxW, maxOut := 0, 0
	for l := 0; l < L; l++ {
		in, out := lo.Layers[l], lo.Layers[l+1]
		w.rz[l] = make([]float64, capRows*kb*out)
		w.rd[l] = make([]float64, capRows*kb*out)
		if l < L-1 {
			w.ra[l] = make([]float64, capRows*kb*out)
			w.fp[l] = make([]float64, capRows*out)
			w.fpp[l] = make([]float64, capRows*out)
		}
		w.vs[l] = make([]float64, kb*out*in)
		w.vc[l] = make([]float64, kb*out*in)
		w.vb[l] = make([]float64, kb*out)
		maxW, maxOut = max(maxW, out*in), max(maxOut, out)
	}
	w.gw1 = make([]float64, kb*maxW)
	w.gw2 = make([]float64, kb*maxW)
	w.gb = make([]float64, kb*maxOut)
	w.ones = make([]float64, capRows)
	for i := range w.ones {
		w.ones[i] = 1
	}
	return w
}

// blockDirsFor returns the sub-block size for k directions: at most
// blockDirs, and small enough that a worker's space stays under
// blockWorkBytes (at least 1).
func blockDirsFor(lo Layout, k, capRows int) int {
	widths := 0
	for _, w := range lo.Layers[1:] {
		widths += w
	}
	// R-quantities; V regrouped twice, both R{∇W} products, the partial product
	perDir := 8 * (3*widths*capRows + 5*lo.P)
	return max(1, min(k, blockDirs, blockWorkBytes/perDir))
}

// blockWorks returns n work spaces for sub-blocks of kb directions over
// chunks of at most capRows samples, reusing those of an earlier MulMat when
// they fit (hand them back with putBlockWorks). Concurrent calls get
// distinct spaces.
func (h *Hessian) blockWorks(n, kb, capRows int) []*blockWork {
	h.mu.Lock()
	ws := h.blockFree
	h.blockFree = nil
	h.mu.Unlock()
	if len(ws) < n || ws[0].kb != kb || ws[0].capRows != capRows {
		ws = make([]*blockWork, n)
		for i := range ws {
			ws[i] = newBlockWork(h.m.Layout, kb, capRows)
		}
	}
	return ws
}

// putBlockWorks keeps ws for the next MulMat.
func (h *Hessian) putBlockWorks(ws []*blockWork) {
	h.mu.Lock()
	h.blockFree = ws
	h.mu.Unlock()
}

// mulMatBlock stores H·V in dst (both P×k) by the block R-operator.
func (h *Hessian) mulMatBlock(dst, v *mat.Dense) {
	lo := h.m.Layout
	P := lo.P
	_, k := v.Dims()
	capRows := 0
	for _, p := range h.passes {
		capRows = max(capRows, p.n)
	}
	kb := blockDirsFor(lo, k, capRows)
	nc := len(h.passes)
	ns := (k + kb - 1) / kb
	tasks := ns * nc
	workers := max(1, min(h.workers, tasks))
	work := h.blockWorks(workers, kb, capRows)
	defer h.putBlockWorks(work)
	dr := dst.RawMatrix()
	for i := 0; i < P; i++ {
		clear(dr.Data[i*dr.Stride : i*dr.Stride+k])
	}
	// Tasks t = s·nc + c (sub-block s, chunk c) run in rounds of `workers`;
	// after each round the partial products are added to dst in task order,
	// which is chunk order within each sub-block.
	for t0 := 0; t0 < tasks; t0 += workers {
		count := min(workers, tasks-t0)
		var g workgroup.Group
		for w := 0; w < count; w++ {
			t, bw := t0+w, work[w]
			g.Go("Hessian block product", func() error {
				s, c := t/nc, t%nc
				j0 := s * kb
				h.ropBlock(c, v, j0, min(kb, k-j0), bw)
				return nil
			})
		}
		// A worker's panic is raised again here, on the caller's goroutine.
		workgroup.Must(g.Wait())
		for w := 0; w < count; w++ {
			t := t0 + w
			j0 := (t / nc) * kb
			b := min(kb, k-j0)
			part := work[w].part
			for i := 0; i < P; i++ {
				row := dr.Data[i*dr.Stride+j0 : i*dr.Stride+j0+b]
				for j, x := range part[i*b : i*b+b] {
					row[j] += x
				}
			}
		}
	}
}

// ropBlock stores in w.part (P×kb, row-major) chunk c's contribution to
// H·V for the kb directions V[:, j0:j0+kb].
func (h *Hessian) ropBlock(c int, v *mat.Dense, j0, kb int, w *blockWork) {
	m, lo, p := h.m, h.m.Layout, h.passes[c]
	L := lo.NumLayers()
	n := p.n
	curved := !m.Activation.PiecewiseLinear() // f″ ≠ 0
	part := w.part[:lo.P*kb]
	clear(part)

	// V regrouped by layer; vzero[l] says layer l's block is zero in every
	// direction of the sub-block.
	var vzeroA [8]bool
	vzero := vzeroA[:0]
	if L > len(vzeroA) {
		vzero = make([]bool, 0, L)
	}
	vzero, nonzero := w.regroup(lo, v, j0, kb, vzero)
	if !nonzero {
		return
	}

	// f′ of the hidden layers and the f″ term (δ_{l+1}W_{l+1}) ⊙ f″(z_l).
	h.activationDerivs(c, p, w, n, curved)

	// Forward: R{z_l}, R{a_l}. active[l] says R{z_l} (and R{a_l}) may be
	// nonzero; before the first nonzero block of V they are zero.
	var activeA [8]bool
	active := activeA[:0]
	if L > len(activeA) {
		active = make([]bool, 0, L)
	}
	active = h.forwardROp(p, w, n, kb, vzero, active)

	// Output: R{δ_L} = s·(p ⊙ R{z_L} − p ⊙ Σ_o p ⊙ R{z_L}).
	h.outputROp(p, w, n, kb)

	// Backward.
	for l := L - 1; l >= 0; l-- {
		in, out := lo.Layers[l], lo.Layers[l+1]
		rd := w.rd[l][:n*kb*out]
		woff, boff := lo.WOff[l], lo.BOff[l]
		prev := l > 0 && active[l-1]
		// R{∇W_l}[j][o,c] = Σ_i R{δ_l}[i][j][o]·a_{l−1}[i][c] (+ δ_l[i][o]·R{a_{l−1}}[i][j][c])
		gw1 := w.gw1[:kb*out*in]
		blas64.Gemm(blas.Trans, blas.NoTrans, 1, general(n, kb*out, rd), general(n, in, p.input(l)), 0, general(kb*out, in, gw1))
		if prev {
			gw2 := w.gw2[:out*kb*in]
			blas64.Gemm(blas.Trans, blas.NoTrans, 1, general(n, out, p.d[l]), general(n, kb*in, w.ra[l-1]), 0, general(out, kb*in, gw2))
			for o := 0; o < out; o++ {
				for j := 0; j < kb; j++ {
					g1, g2 := gw1[(j*out+o)*in:(j*out+o+1)*in], gw2[(o*kb+j)*in:(o*kb+j+1)*in]
					dst := part[(woff+o*in)*kb+j:]
					for cc, x := range g1 {
						dst[cc*kb] = x + g2[cc]
					}
				}
			}
		} else {
			for j := 0; j < kb; j++ {
				for o := 0; o < out; o++ {
					dst := part[(woff+o*in)*kb+j:]
					for cc, x := range gw1[(j*out+o)*in : (j*out+o+1)*in] {
						dst[cc*kb] = x
					}
				}
			}
		}
		// R{∇b_l}[j][o] = Σ_i R{δ_l}[i][j][o] = R{δ_l}ᵀ1.
		gb := w.gb[:kb*out]
		blas64.Gemv(blas.Trans, 1, general(n, kb*out, rd), blas64.Vector{N: n, Inc: 1, Data: w.ones}, 0, blas64.Vector{N: kb * out, Inc: 1, Data: gb})
		for j := 0; j < kb; j++ {
			for o := 0; o < out; o++ {
				part[(boff+o)*kb+j] = gb[j*out+o]
			}
		}
		if l == 0 {
			break
		}
		// R{δ_{l−1}} = (R{δ_l}W_l + δ_l[V_l]′) ⊙ f′(z_{l−1}) + (δ_l W_l) ⊙ f″(z_{l−1}) ⊙ R{z_{l−1}}
		rdp := w.rd[l-1][:n*kb*in]
		blas64.Gemm(blas.NoTrans, blas.NoTrans, 1, general(n*kb, out, rd), general(out, in, lo.W(h.theta, l)), 0, general(n*kb, in, rdp))
		if !vzero[l] {
			blas64.Gemm(blas.NoTrans, blas.NoTrans, 1, general(n, out, p.d[l]), general(out, kb*in, w.vc[l]), 1, general(n, kb*in, rdp))
		}
		mulDerivs(rdp, w.fp[l-1], w.fpp[l-1], w.rz[l-1], n, kb, in, curved && active[l-1])
	}
}

// HessianBlock is the diagonal block H_BB of a Hessian for the parameters
// B = [Begin, End) of θ, e.g. one layer's weight and bias (Layout.LayerRange).
// A vector of the block is embedded in R^P with zeros elsewhere, multiplied
// by H and the block's entries of the product are kept: H_BB·u = (H·E u)_B.
// The zero blocks before Begin cost nothing in the R-passes (see
// mulMatBlock). HessianBlock implements hessian.BlockOperator.
type HessianBlock struct {
	h          *Hessian
	begin, end int
}

// Block returns the diagonal block of h for θ[begin:end]. It returns an
// error when the range is empty or outside 0..P.
func (h *Hessian) Block(begin, end int) (*HessianBlock, error) {
	if begin < 0 || end > h.Dim() || begin >= end {
		return nil, fmt.Errorf("parameter block [%d, %d) is empty or outside [0, %d)", begin, end, h.Dim())
	}
	return &HessianBlock{h: h, begin: begin, end: end}, nil
}

// LayerBlock returns the diagonal block of h for layer l's weight and bias
// (l counts from 0).
func (h *Hessian) LayerBlock(l int) (*HessianBlock, error) {
	L := h.m.Layout.NumLayers()
	if l < 0 || l >= L {
		return nil, fmt.Errorf("layer %d is outside the model's %d layers (0-based)", l, L)
	}
	return h.Block(h.m.Layout.LayerRange(l))
}

// Range returns the block's range [begin, end) in θ.
func (b *HessianBlock) Range() (begin, end int) { return b.begin, b.end }

// Dim returns the size of the block, End − Begin.
func (b *HessianBlock) Dim() int { return b.end - b.begin }

// MulVec stores H_BB·u in dst; both have length Dim(). It panics otherwise.
func (b *HessianBlock) MulVec(dst, u []float64) {
	n := b.Dim()
	if len(dst) != n || len(u) != n {
		panic(fmt.Sprintf("model: HessianBlock.MulVec with lengths %d and %d, want %d", len(dst), len(u), n))
	}
	d := mat.NewDense(n, 1, dst)
	b.MulMat(d, mat.NewDense(n, 1, u))
}

// MulMat stores H_BB·U in dst, one direction per column of U (Dim()×k).
func (b *HessianBlock) MulMat(dst, u *mat.Dense) {
	n := b.Dim()
	r, k := u.Dims()
	dr, dk := dst.Dims()
	if r != n || dr != n || dk != k {
		panic(fmt.Sprintf("model: HessianBlock.MulMat with %d×%d into %d×%d, want %d rows", r, k, dr, dk, n))
	}
	P := b.h.Dim()
	full := mat.NewDense(P, k, nil)
	full.Slice(b.begin, b.end, 0, k).(*mat.Dense).Copy(u)
	out := mat.NewDense(P, k, nil)
	b.h.MulMat(out, full)
	dst.Copy(out.Slice(b.begin, b.end, 0, k))
}

// regroup copies the rows j0 … j0+kb−1 of V, layer by layer, into w.vs,
// w.vc and w.vb, appends to vzero whether each layer's block is zero in
// every direction and reports whether any is not.
func (w *blockWork) regroup(lo Layout, v *mat.Dense, j0, kb int, vzero []bool) ([]bool, bool) {
	L := lo.NumLayers()
	vr := v.RawMatrix()
	nonzero := false
	for l := 0; l < L; l++ {
		in, out := lo.Layers[l], lo.Layers[l+1]
		vs, vc, vb := w.vs[l][:kb*out*in], w.vc[l][:kb*out*in], w.vb[l][:kb*out]
		zero := true
		for o := 0; o < out; o++ {
			for cc := 0; cc < in; cc++ {
				row := vr.Data[(lo.WOff[l]+o*in+cc)*vr.Stride+j0:]
				row = row[:kb]
				for j, x := range row {
					vs[(j*out+o)*in+cc] = x
					vc[(o*kb+j)*in+cc] = x
					if x != 0 {
						zero = false
					}
				}
			}
			row := vr.Data[(lo.BOff[l]+o)*vr.Stride+j0:]
			for j, x := range row[:kb] {
				vb[j*out+o] = x
				if x != 0 {
					zero = false
				}
			}
		}
		vzero = append(vzero, zero)
		nonzero = nonzero || !zero
	}
	return vzero, nonzero
}

// outputROp stores R{δ_L} = s·(p ⊙ R{z_L} − p ⊙ Σ_o p ⊙ R{z_L}) of pass p
// in w.rd[L−1].
func (h *Hessian) outputROp(p *pass, w *blockWork, n, kb int) {
	lo := h.m.Layout
	L := lo.NumLayers()
	C := lo.Layers[L]
	rz, rd := w.rz[L-1][:n*kb*C], w.rd[L-1][:n*kb*C]
	pr := p.a[L-1]
	for i := 0; i < n; i++ {
		pi := pr[i*C : (i+1)*C]
		for j := 0; j < kb; j++ {
			r, d := rz[(i*kb+j)*C:(i*kb+j+1)*C], rd[(i*kb+j)*C:(i*kb+j+1)*C]
			var s float64
			for o, x := range pi {
				s += x * r[o]
			}
			for o, x := range pi {
				d[o] = h.scale * x * (r[o] - s)
			}
		}
	}
}

// forwardROp computes R{z_l} and R{a_l} of pass p layer by layer into w.rz
// and w.ra, appending to active whether layer l's may be nonzero (from the
// first layer whose block of V is nonzero on).
func (h *Hessian) forwardROp(p *pass, w *blockWork, n, kb int, vzero, active []bool) []bool {
	lo := h.m.Layout
	L := lo.NumLayers()
	for l := 0; l < L; l++ {
		in, out := lo.Layers[l], lo.Layers[l+1]
		prev := l > 0 && active[l-1]
		active = append(active, !vzero[l] || prev)
		if !active[l] {
			continue
		}
		rz := w.rz[l][:n*kb*out]
		beta := 0.0
		if !vzero[l] {
			// R{z_l}[i] = c + a_{l−1}[i]·[V_l]ᵀ
			vb := w.vb[l][:kb*out]
			for i := 0; i < n; i++ {
				copy(rz[i*kb*out:(i+1)*kb*out], vb)
			}
			blas64.Gemm(blas.NoTrans, blas.Trans, 1, general(n, in, p.input(l)), general(kb*out, in, w.vs[l]), 1, general(n, kb*out, rz))
			beta = 1
		}
		if prev {
			// R{z_l} (+)= R{a_{l−1}} W_lᵀ
			blas64.Gemm(blas.NoTrans, blas.Trans, 1, general(n*kb, in, w.ra[l-1]), general(out, in, lo.W(h.theta, l)), beta, general(n*kb, out, rz))
		}
		if l < L-1 {
			ra, fp := w.ra[l][:n*kb*out], w.fp[l]
			for i := 0; i < n; i++ {
				f := fp[i*out : (i+1)*out]
				for j := 0; j < kb; j++ {
					r, d := rz[(i*kb+j)*out:(i*kb+j+1)*out], ra[(i*kb+j)*out:(i*kb+j+1)*out]
					for o, x := range f {
						d[o] = r[o] * x
					}
				}
			}
		}
	}
	return active
}

// activationDerivs stores f′(z_l) of the hidden layers of pass p (chunk c)
// in w.fp and, when curved, the f″ term (δ_{l+1}W_{l+1}) ⊙ f″(z_l) in
// w.fpp.
func (h *Hessian) activationDerivs(c int, p *pass, w *blockWork, n int, curved bool) {
	m, lo := h.m, h.m.Layout
	L := lo.NumLayers()
	for l := 0; l < L-1; l++ {
		out := lo.Layers[l+1]
		z, a := p.z[l][:n*out], p.a[l][:n*out]
		m.Activation.Deriv(w.fp[l][:n*out], z, a)
		if curved {
			fpp := w.fpp[l][:n*out]
			m.Activation.SecondDeriv(fpp, z, a)
			for i, x := range h.back[c*len(m.Layers)+l+1][:n*out] {
				fpp[i] = x * fpp[i]
			}
		}
	}
}

// mulDerivs finishes R{δ_{l−1}} in rdp (n·kb rows of in values): each row
// times f′(z_{l−1}) (fp), plus f″(z_{l−1}) (fpp, the f″ term) ⊙ R{z_{l−1}}
// (rzp) when both.
func mulDerivs(rdp, fp, fpp, rzp []float64, n, kb, in int, both bool) {
	for i := 0; i < n; i++ {
		f, g := fp[i*in:(i+1)*in], fpp[i*in:(i+1)*in]
		for j := 0; j < kb; j++ {
			d := rdp[(i*kb+j)*in : (i*kb+j+1)*in]
			if !both {
				for cc, x := range f {
					d[cc] *= x
				}
				continue
			}
			r := rzp[(i*kb+j)*in : (i*kb+j+1)*in]
			for cc, x := range f {
				d[cc] = d[cc]*x + g[cc]*r[cc]
			}
		}
	}
}
