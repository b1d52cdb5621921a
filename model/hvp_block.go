package model

import (
	"fmt"
	"slices"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"github.com/sgn-project/sgn/internal/workgroup"
)

// The block R-operator: H·V for k directions at once.
//
// It is the R-operator of MulVec (Pearlmutter 1994; the equations are in the
// comment of Hessian) with every R-quantity of k directions laid out
// feature-major, R{z_l}[o][j][i] for unit o of layer l, direction j and
// sample i, so that each product of the R-passes is a product of matrices
// whose rows are n samples long:
//
//	R{z_l}   += V_l a_{l−1}ᵀ      rows (o,j), one axpy of length n per nonzero of V_l
//	R{z_l}   += W_l R{a_{l−1}}     rows o,     one axpy of length n per (o, c, j)
//	R{δ_{l−1}} = W_lᵀ R{δ_l} + V_lᵀ δ_lᵀ  (then ⊙ f′ and the f″ term)
//	R{∇W_l}[o,c] = R{δ_l}[o]·a_{l−1}[:,c] + δ_l[:,o]·R{a_{l−1}}[c]   dots of length n
//
// The products with V skip its zero entries, as gonum's dgemm does, and a
// layer whose block of V is zero in every direction skips them altogether;
// R{z}, R{a} of the layers before the first nonzero block are zero and are
// skipped too. So the unit vectors of hessian.Full cost one axpy where a
// dense direction costs a matrix product, and a restriction to one layer's
// block (HessianBlock) costs only the layers from that one on.
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

// blockWork is one worker's space: R-quantities of a sub-block of kb
// directions over one chunk of n ≤ capRows samples, the transposed cached
// passes of that chunk, the sub-block of V regrouped by layer, and the
// chunk's partial product (P×kb).
type blockWork struct {
	rz, ra, rd [][]float64 // layer l: out_l × kb × n
	at         [][]float64 // layer l: a_{l−1}ᵀ (x ᵀ for l = 0), in_l × n
	dt         [][]float64 // layer l: δ_lᵀ, out_l × n
	fp, fpp    [][]float64 // hidden layer l: f′(z_l)ᵀ and (δ_{l+1}W_{l+1}) ⊙ f″(z_l) ᵀ, out_l × n
	vs         [][]float64 // layer l: V_l as (out_l·kb) × in_l, vs[(o·kb+j)·in+c] = V_j[o,c]
	vst        [][]float64 // layer l: V_l as (in_l·kb) × out_l, vst[(c·kb+j)·out+o] = V_j[o,c]
	vb         [][]float64 // layer l: bias directions, out_l × kb
	sum        []float64   // kb × n, the softmax row sums
	tmp        []float64   // n × out_l, f′ or f″ of a hidden layer before the transpose
	part       []float64   // P × kb, row-major
}

func newBlockWork(lo Layout, kb, capRows int) *blockWork {
	L := lo.NumLayers()
	w := &blockWork{
		rz: make([][]float64, L), ra: make([][]float64, L), rd: make([][]float64, L),
		at: make([][]float64, L), dt: make([][]float64, L), fp: make([][]float64, L), fpp: make([][]float64, L),
		vs: make([][]float64, L), vst: make([][]float64, L), vb: make([][]float64, L),
		sum:  make([]float64, kb*capRows),
		part: make([]float64, lo.P*kb),
	}
	w.tmp = make([]float64, capRows*slices.Max(lo.Layers[1:]))
	for l := 0; l < L; l++ {
		in, out := lo.Layers[l], lo.Layers[l+1]
		w.rz[l] = make([]float64, out*kb*capRows)
		w.rd[l] = make([]float64, out*kb*capRows)
		if l < L-1 {
			w.ra[l] = make([]float64, out*kb*capRows)
			w.fp[l] = make([]float64, out*capRows)
			w.fpp[l] = make([]float64, out*capRows)
		}
		w.at[l] = make([]float64, in*capRows)
		w.dt[l] = make([]float64, out*capRows)
		w.vs[l] = make([]float64, out*kb*in)
		w.vst[l] = make([]float64, in*kb*out)
		w.vb[l] = make([]float64, out*kb)
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
	// R-quantities, V regrouped twice, the partial product
	perDir := 8 * (3*widths*capRows + 3*lo.P)
	return max(1, min(k, blockDirs, blockWorkBytes/perDir))
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
	work := make([]*blockWork, workers)
	for w := range work {
		work[w] = newBlockWork(lo, kb, capRows)
	}
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
	vr := v.RawMatrix()
	vzero := make([]bool, L)
	nonzero := false
	for l := 0; l < L; l++ {
		in, out := lo.Layers[l], lo.Layers[l+1]
		vs, vst, vb := w.vs[l][:out*kb*in], w.vst[l][:in*kb*out], w.vb[l][:out*kb]
		zero := true
		for o := 0; o < out; o++ {
			for cc := 0; cc < in; cc++ {
				row := vr.Data[(lo.WOff[l]+o*in+cc)*vr.Stride+j0:]
				for j := 0; j < kb; j++ {
					x := row[j]
					vs[(o*kb+j)*in+cc] = x
					vst[(cc*kb+j)*out+o] = x
					if x != 0 {
						zero = false
					}
				}
			}
			row := vr.Data[(lo.BOff[l]+o)*vr.Stride+j0:]
			for j := 0; j < kb; j++ {
				vb[o*kb+j] = row[j]
				if row[j] != 0 {
					zero = false
				}
			}
		}
		vzero[l] = zero
		nonzero = nonzero || !zero
	}
	if !nonzero {
		return
	}

	// The cached passes of the chunk, transposed to feature-major.
	for l := 0; l < L; l++ {
		in, out := lo.Layers[l], lo.Layers[l+1]
		transposeBlocked(w.at[l][:in*n], p.input(l)[:n*in], n, in)
		transposeBlocked(w.dt[l][:out*n], p.d[l][:n*out], n, out)
		if l == L-1 {
			continue
		}
		fp, fpp := w.fp[l][:out*n], w.fpp[l][:out*n]
		z, a, tmp := p.z[l][:n*out], p.a[l][:n*out], w.tmp[:n*out]
		m.Activation.Deriv(tmp, z, a)
		transposeBlocked(fp, tmp, n, out)
		if curved {
			// back[l+1] = δ_{l+1} W_{l+1}, n × out_l, times f″(z_l).
			e := h.back[c*len(m.Layers)+l+1]
			m.Activation.SecondDeriv(tmp, z, a)
			for i, x := range e[:n*out] {
				tmp[i] = x * tmp[i]
			}
			transposeBlocked(fpp, tmp, n, out)
		}
	}

	// Forward: R{z_l}, R{a_l}. active[l] says R{z_l} (and R{a_l}) may be
	// nonzero; before the first nonzero block of V they are zero.
	active := make([]bool, L)
	for l := 0; l < L; l++ {
		in, out := lo.Layers[l], lo.Layers[l+1]
		prev := l > 0 && active[l-1]
		if vzero[l] && !prev {
			continue
		}
		active[l] = true
		rz := w.rz[l][:out*kb*n]
		if !vzero[l] {
			// R{z_l}[o][j] = c_j[o] + Σ_c V_j[o,c]·a_{l−1}[:,c]
			at, vs, vb := w.at[l], w.vs[l], w.vb[l]
			for o := 0; o < out; o++ {
				for j := 0; j < kb; j++ {
					dst := rz[(o*kb+j)*n : (o*kb+j+1)*n]
					cb := vb[o*kb+j]
					for i := range dst {
						dst[i] = cb
					}
					for cc, x := range vs[(o*kb+j)*in : (o*kb+j+1)*in] {
						if x != 0 {
							floats.AddScaled(dst, x, at[cc*n:(cc+1)*n])
						}
					}
				}
			}
		}
		if prev {
			// R{z_l} (+)= W_l R{a_{l−1}}
			mulW(rz, lo.W(h.theta, l), out, in, w.ra[l-1][:in*kb*n], kb*n, false, vzero[l])
		}
		if l < L-1 {
			ra, fp := w.ra[l][:out*kb*n], w.fp[l]
			for o := 0; o < out; o++ {
				f := fp[o*n : (o+1)*n]
				for j := 0; j < kb; j++ {
					floats.MulTo(ra[(o*kb+j)*n:(o*kb+j+1)*n], f, rz[(o*kb+j)*n:(o*kb+j+1)*n])
				}
			}
		}
	}

	// Output: R{δ_L} = s·(p ⊙ R{z_L} − p ⊙ Σ_o p ⊙ R{z_L}).
	C := lo.Layers[L]
	{
		rz, rd, sum := w.rz[L-1][:C*kb*n], w.rd[L-1][:C*kb*n], w.sum[:kb*n]
		pr := p.a[L-1]
		clear(sum)
		for o := 0; o < C; o++ {
			for j := 0; j < kb; j++ {
				r := rz[(o*kb+j)*n : (o*kb+j+1)*n]
				s := sum[j*n : (j+1)*n]
				for i := range r {
					s[i] += pr[i*C+o] * r[i]
				}
			}
		}
		for o := 0; o < C; o++ {
			for j := 0; j < kb; j++ {
				r := rz[(o*kb+j)*n : (o*kb+j+1)*n]
				d := rd[(o*kb+j)*n : (o*kb+j+1)*n]
				s := sum[j*n : (j+1)*n]
				for i := range d {
					d[i] = h.scale * pr[i*C+o] * (r[i] - s[i])
				}
			}
		}
	}

	// Backward.
	for l := L - 1; l >= 0; l-- {
		in, out := lo.Layers[l], lo.Layers[l+1]
		rd, dt := w.rd[l][:out*kb*n], w.dt[l]
		woff, boff := lo.WOff[l], lo.BOff[l]
		// R{∇W_l}[o,c] = R{δ_l}[o]·a_{l−1}[:,c] (+ δ_l[:,o]·R{a_{l−1}}[c])
		// R{∇b_l}[o] = Σ_i R{δ_l}[o][i]
		prev := l > 0 && active[l-1]
		at := w.at[l]
		for o := 0; o < out; o++ {
			for j := 0; j < kb; j++ {
				r := rd[(o*kb+j)*n : (o*kb+j+1)*n]
				for cc := 0; cc < in; cc++ {
					part[(woff+o*in+cc)*kb+j] = floats.Dot(r, at[cc*n:(cc+1)*n])
				}
				part[(boff+o)*kb+j] = floats.Sum(r)
			}
			if prev {
				ra := w.ra[l-1]
				d := dt[o*n : (o+1)*n]
				for cc := 0; cc < in; cc++ {
					for j := 0; j < kb; j++ {
						part[(woff+o*in+cc)*kb+j] += floats.Dot(d, ra[(cc*kb+j)*n:(cc*kb+j+1)*n])
					}
				}
			}
		}
		if l == 0 {
			break
		}
		// R{δ_{l−1}} = (W_lᵀR{δ_l} + V_lᵀδ_lᵀ) ⊙ f′(z_{l−1}) + (δ_l W_l) ⊙ f″(z_{l−1}) ⊙ R{z_{l−1}}
		rdp := w.rd[l-1][:in*kb*n]
		mulW(rdp, lo.W(h.theta, l), out, in, rd, kb*n, true, true)
		if !vzero[l] {
			vst := w.vst[l]
			for cc := 0; cc < in; cc++ {
				for j := 0; j < kb; j++ {
					dst := rdp[(cc*kb+j)*n : (cc*kb+j+1)*n]
					for o, x := range vst[(cc*kb+j)*out : (cc*kb+j+1)*out] {
						if x != 0 {
							floats.AddScaled(dst, x, dt[o*n:(o+1)*n])
						}
					}
				}
			}
		}
		fp, fpp, rzp := w.fp[l-1], w.fpp[l-1], w.rz[l-1]
		for cc := 0; cc < in; cc++ {
			f := fp[cc*n : (cc+1)*n]
			g := fpp[cc*n : (cc+1)*n]
			for j := 0; j < kb; j++ {
				d := rdp[(cc*kb+j)*n : (cc*kb+j+1)*n]
				if !curved || !active[l-1] {
					floats.Mul(d, f)
					continue
				}
				r := rzp[(cc*kb+j)*n : (cc*kb+j+1)*n]
				r, f, g := r[:len(d)], f[:len(d)], g[:len(d)]
				for i := range d {
					d[i] = d[i]*f[i] + g[i]*r[i]
				}
			}
		}
	}
}

// mulWTile is the number of columns mulW processes at a time, so that the
// rows it combines stay in the first-level cache.
const mulWTile = 256

// mulW computes dst (+)= W·src, W out×in row-major: with trans false, dst
// (out×cols) and src (in×cols); with trans true, dst = Wᵀ·src, dst
// (in×cols) and src (out×cols). With init dst is overwritten, else added to.
// It runs as axpys of rows (floats.AddScaled), column tile by column tile.
func mulW(dst, w []float64, out, in int, src []float64, cols int, trans, init bool) {
	rows, inner := out, in
	if trans {
		rows, inner = in, out
	}
	for t0 := 0; t0 < cols; t0 += mulWTile {
		t1 := min(cols, t0+mulWTile)
		for r := 0; r < rows; r++ {
			d := dst[r*cols+t0 : r*cols+t1]
			for q := 0; q < inner; q++ {
				var x float64
				if trans {
					x = w[q*in+r]
				} else {
					x = w[r*in+q]
				}
				s := src[q*cols+t0 : q*cols+t1]
				switch {
				case init && q == 0:
					floats.ScaleTo(d, x, s)
				case x != 0:
					floats.AddScaled(d, x, s)
				}
			}
		}
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
