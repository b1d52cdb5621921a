package model

import (
	"fmt"
	"sync/atomic"

	"gonum.org/v1/gonum/mat"

	"github.com/sgn-project/sgn/internal/workgroup"
)

// FisherForms returns fᵢ = vᵢᵀ F vᵢ for each column vᵢ of V (P×k), F the
// model Fisher of the mean cross-entropy over the Hessian's samples: the
// expectation over labels drawn from the model's own prediction,
//
//	F = (1/N) Σₙ Σ_y p(y|xₙ) ∇ℓ(xₙ, y) ∇ℓ(xₙ, y)ᵀ = (1/N) Σₙ Jₙᵀ (diag pₙ − pₙpₙᵀ) Jₙ,
//
// Jₙ the Jacobian of the logits of sample n. For softmax cross-entropy it is
// also the Gauss–Newton matrix, the Hessian less the term of the network's
// own curvature (Martens, "New insights and perspectives on the natural
// gradient method", JMLR 2020, Section 9.2; Kunstner, Balles & Hennig,
// "Limitations of the empirical Fisher approximation", NeurIPS 2019). It is
// the middle link of C ≈ F_emp/B ≈ F/B ≈ H/B (Xie, Sato & Sugiyama, ICLR
// 2021, Section 2). Each fᵢ takes one forward pass of the R-operator
// (R{z_L} = Jₙvᵢ), the chunks summed in order; the directions are spread
// over the Hessian's workers, so the result does not depend on their
// number. It panics if V does not have P rows.
func (h *Hessian) FisherForms(V *mat.Dense) []float64 {
	P := h.m.Layout.P
	r, k := V.Dims()
	if r != P {
		panic(fmt.Sprintf("model: Hessian.FisherForms with %d rows, want P = %d", r, P))
	}
	out := make([]float64, k)
	var next atomic.Int64
	var g workgroup.Group
	for range min(h.workers, k) {
		g.Go("Fisher quadratic form", func() error {
			rp := newRPass(h.m.Layers)
			v := make([]float64, P)
			for {
				j := int(next.Add(1) - 1)
				if j >= k {
					return nil
				}
				mat.Col(v, j, V)
				out[j] = h.fisherForm(v, rp)
			}
		})
	}
	workgroup.Must(g.Wait())
	return out
}

// fisherForm returns vᵀFv: (1/N) Σₙ (Σ_k p_k r_k² − (Σ_k p_k r_k)²) with
// r = Jₙv = R{z_L} of sample n, summed over the chunks in order.
func (h *Hessian) fisherForm(v []float64, rp *rpass) float64 {
	L := h.m.Layout.NumLayers()
	C := h.m.Layout.Layers[L]
	var total float64
	for c, p := range h.passes {
		h.forwardR(c, v, rp)
		pr, rz := p.a[L-1], rp.rz[L-1]
		var sum float64
		for i := range p.n {
			var m1, m2 float64
			for k := range C {
				x := rz[i*C+k]
				m1 += pr[i*C+k] * x
				m2 += pr[i*C+k] * x * x
			}
			sum += m2 - m1*m1
		}
		total += sum
	}
	return total * h.scale
}
