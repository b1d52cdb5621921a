package escape

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/sgn-project/sgn/escape/firstpassage"
)

// Curvature holds what the escape theorems need from the exact Hessians at
// the minimum a and the col b.
type Curvature struct {
	// HAe is H_ae = eᵀH(a)e, the curvature at the minimum along the escape
	// direction e (an eigenvalue of H(a) when e is one of its eigenvectors,
	// as for every landscape of this package).
	HAe float64 `json:"h_ae"`
	// HBe is H_be < 0, the negative eigenvalue of H(b), whose eigenvector is e.
	HBe float64 `json:"h_be"`
	// LogDetRatio is log(−det H(b) / det H(a)).
	LogDetRatio float64 `json:"log_det_ratio"`
	// Barrier is ΔL = L(b) − L(a).
	Barrier float64 `json:"barrier"`
	// HAMax is the largest eigenvalue of H(a): gradient descent is stable at
	// the minimum only when η·HAMax < 2.
	HAMax float64 `json:"h_a_max"`
}

// ValleyCurvature computes the Curvature of the valley v of l from the exact
// Hessians at v.Min and v.Col. It fails unless H(a) is positive definite and
// H(b) has exactly one negative eigenvalue.
func ValleyCurvature(l Landscape, v Valley) (Curvature, error) {
	n := l.Dim()
	ha := mat.NewSymDense(n, nil)
	hb := mat.NewSymDense(n, nil)
	l.Hessian(ha, v.Min)
	l.Hessian(hb, v.Col)
	var ea, eb mat.EigenSym
	if !ea.Factorize(ha, false) || !eb.Factorize(hb, true) {
		return Curvature{}, errors.New("eigendecomposition of the Hessian failed")
	}
	logDet := 0.0
	hamax := 0.0
	for _, lam := range ea.Values(nil) {
		hamax = math.Max(hamax, lam)
		if !(lam > 0) {
			return Curvature{}, fmt.Errorf("Hessian at the minimum has eigenvalue %g: not a minimum", lam)
		}
		logDet -= math.Log(lam)
	}
	neg := -1
	vals := eb.Values(nil)
	for i, lam := range vals {
		switch {
		case lam < 0 && neg >= 0:
			return Curvature{}, errors.New("Hessian at the col has more than one negative eigenvalue")
		case lam < 0:
			neg = i
		case lam == 0:
			return Curvature{}, errors.New("Hessian at the col is singular")
		}
		logDet += math.Log(math.Abs(lam))
	}
	if neg < 0 {
		return Curvature{}, errors.New("Hessian at the col has no negative eigenvalue: not a col")
	}
	var vecs mat.Dense
	eb.VectorsTo(&vecs)
	e := mat.Col(nil, neg, &vecs)
	hae := mat.Inner(mat.NewVecDense(n, e), ha, mat.NewVecDense(n, e))
	return Curvature{HAe: hae, HBe: vals[neg], LogDetRatio: logDet, Barrier: l.Loss(v.Col) - l.Loss(v.Min), HAMax: hamax}, nil
}

// Theorem1NegLogRate returns −log γ, γ the escape rate per unit time of SGLD
// with diffusion D (Xie, Sato & Sugiyama, ICLR 2021, Theorem 1;
// Kramers–Langer):
//
//	τ = 1/γ = 2π·√(−det H_b / det H_a)·(1/|H_be|)·exp(ΔL/D).
//
// In 1-D it is γ = √(L″(a)·|L″(b)|)/(2π)·exp(−ΔL/D).
func Theorem1NegLogRate(c Curvature, d float64) float64 {
	return math.Log(2*math.Pi/math.Abs(c.HBe)) + c.LogDetRatio/2 + c.Barrier/d
}

// Theorem2NegLogRate returns −log γ, γ the escape rate per unit time of SGD
// with learning rate η and batch size B (Xie, Sato & Sugiyama, ICLR 2021,
// Theorem 2):
//
//	τ = 1/γ = (2π/|H_be|)·exp[(2BΔL/η)·(s/H_ae + (1 − s)/|H_be|)],
//
// with s ∈ (0, 1) a path-dependent parameter.
func Theorem2NegLogRate(c Curvature, eta, batch, s float64) float64 {
	return math.Log(2*math.Pi/math.Abs(c.HBe)) + 2*batch*c.Barrier/eta*(s/c.HAe+(1-s)/math.Abs(c.HBe))
}

// Theorem2S solves Theorem 2 for s given a measured −log γ (γ per unit
// time): s = [(−log γ − log(2π/|H_be|))·η/(2BΔL) − 1/|H_be|] / (1/H_ae − 1/|H_be|).
// It returns NaN when H_ae = |H_be| (s is then not identifiable).
func Theorem2S(c Curvature, eta, batch, negLogRate float64) float64 {
	den := 1/c.HAe - 1/math.Abs(c.HBe)
	if den == 0 {
		return math.NaN()
	}
	return ((negLogRate-math.Log(2*math.Pi/math.Abs(c.HBe)))*eta/(2*batch*c.Barrier) - 1/math.Abs(c.HBe)) / den
}

// ExactRate1D returns the escape rate per unit time, 1/T, of the
// continuous-time SGLD process on a 1-D analytic landscape with the "col"
// criterion, T from firstpassage.Potential: the reference a simulation with a
// small step converges to (Kramers' formula is its low-temperature limit).
// ok is false when the landscape is not 1-D.
func ExactRate1D(an *Analytic, crit Criterion, d float64) (rate float64, ok bool) {
	if an.Dim() != 1 || crit.Kind != CriterionCol {
		return 0, false
	}
	m := mirror1D(an)
	return 1 / firstpassage.Potential(m.loss, m.wall(d), m.a, m.xf, d, 400000), true
}

// mirrored1D is a 1-D valley turned so that its escape is towards +x
// (x ↦ sgn·x): the loss in the turned coordinate, the minimum a, the col
// b and the absorbing point xf halfway from the col to the other minimum.
type mirrored1D struct {
	sgn, a, b, xf float64
	loss          func(x float64) float64
}

// mirror1D turns the valley of the 1-D landscape an (see mirrored1D).
func mirror1D(an *Analytic) mirrored1D {
	v := an.Valley
	sgn := v.Escape[0]
	b := sgn * v.Col[0]
	return mirrored1D{sgn: sgn, a: sgn * v.Min[0], b: b, xf: b + (sgn*v.Other[0]-b)/2,
		loss: func(x float64) float64 { return an.Loss([]float64{sgn * x}) }}
}

// wall returns the reflecting wall beyond the minimum: the first point
// a − j·max(b − a, 10⁻³) (j ≤ 201) where the loss is 60·d above L(a), with
// d the diffusion there.
func (m mirrored1D) wall(d float64) float64 {
	step := math.Max(m.b-m.a, 1e-3)
	lo := m.a - step
	for i := 0; i < 200 && m.loss(lo)-m.loss(m.a) < 60*d; i++ {
		lo -= step
	}
	return lo
}

// KramersRateFactor is the factor within which a measured escape rate
// counts as Kramers' rate of Theorem 1 (Xie, Sato & Sugiyama 2021), its
// leading order in D/ΔL: a claim of Theorem 1 allows the measured rate in
// [1/KramersRateFactor, KramersRateFactor] times the formula's, and a
// slope of −log γ over a set of points as far from the formula's as that
// factor at every point allows (stats.SlopeBound with ε = ln
// KramersRateFactor).
const KramersRateFactor = 1.25
