package escape

import (
	"errors"
	"math"

	"gonum.org/v1/gonum/mat"
)

// TwoWellSpec is the shape of the two-valley landscape `twowell` (see TwoWell).
// Zero fields take their defaults (Normalize).
type TwoWellSpec struct {
	// Dim is the dimension n ≥ 1 (default 1). θ₁ is the escape coordinate;
	// θ₂…θₙ are transverse.
	Dim int `json:"dim,omitempty"`
	// Sharpness is k = h₁/h₂ ≥ 1, the curvature of the sharp valley a₁ along
	// θ₁ over that of the flat valley a₂ (default 2).
	Sharpness float64 `json:"sharpness,omitempty"`
	// HFlat is h₂ > 0, the curvature of the flat valley along θ₁ (default 1).
	HFlat float64 `json:"h_flat,omitempty"`
	// HCol is |h_b| ∈ (0, h₂], minus the curvature of the col along θ₁
	// (default h₂/2). It may not exceed h₂: each side of the col is then a
	// single quartic that grows without bound (see TwoWell).
	HCol float64 `json:"h_col,omitempty"`
	// Barrier is ΔL₁ = L(b) − L(a₁) > 0, the barrier of the sharp valley
	// (default 1).
	Barrier float64 `json:"barrier,omitempty"`
	// BarrierFlat is ΔL₂ = L(b) − L(a₂) > 0 (default Barrier: equal barriers).
	BarrierFlat float64 `json:"barrier_flat,omitempty"`
	// TransverseSharp, TransverseFlat and TransverseCol (Dim > 1) are the
	// curvatures of θ₂…θₙ at a₁, a₂ and b: one value for all or Dim−1
	// values. Defaults: k·h₂ at a₁, h₂ at a₂ and b, so that
	// det H(a₁) ≠ det H(a₂) beyond the escape direction too.
	TransverseSharp []float64 `json:"transverse_sharp,omitempty"`
	TransverseFlat  []float64 `json:"transverse_flat,omitempty"`
	TransverseCol   []float64 `json:"transverse_col,omitempty"`
}

// Normalize fills in the defaults so that equal landscapes encode equally.
func (s *TwoWellSpec) Normalize() {
	if s.Dim == 0 {
		s.Dim = 1
	}
	if s.Sharpness == 0 {
		s.Sharpness = 2
	}
	if s.HFlat == 0 {
		s.HFlat = 1
	}
	if s.HCol == 0 {
		s.HCol = s.HFlat / 2
	}
	if s.Barrier == 0 {
		s.Barrier = 1
	}
	if s.BarrierFlat == 0 {
		s.BarrierFlat = s.Barrier
	}
	if s.Dim > 1 && s.Dim <= MaxDim { // a larger one is Validate's to refuse
		fill := func(v []float64, def float64) []float64 {
			if len(v) == 0 {
				v = []float64{def}
			}
			if len(v) == 1 && s.Dim > 2 {
				w := make([]float64, s.Dim-1)
				for i := range w {
					w[i] = v[0]
				}
				v = w
			}
			return v
		}
		s.TransverseSharp = fill(s.TransverseSharp, s.Sharpness*s.HFlat)
		s.TransverseFlat = fill(s.TransverseFlat, s.HFlat)
		s.TransverseCol = fill(s.TransverseCol, s.HFlat)
	}
}

// Validate checks a normalized spec; errors name the field and what is
// expected.
func (s *TwoWellSpec) Validate() error {
	pos := func(name string, v float64) error {
		if !(v > 0) || math.IsInf(v, 0) {
			return FieldErrorf("twowell", name, "%v: want a positive number", v)
		}
		return nil
	}
	if s.Dim < 1 || s.Dim > MaxDim {
		return FieldErrorf("twowell", "dim", "%d: want an integer in 1..%d", s.Dim, MaxDim)
	}
	for _, c := range []struct {
		n string
		v float64
	}{{"sharpness", s.Sharpness}, {"h_flat", s.HFlat}, {"h_col", s.HCol}, {"barrier", s.Barrier}, {"barrier_flat", s.BarrierFlat}} {
		if err := pos(c.n, c.v); err != nil {
			return err
		}
	}
	if s.Sharpness < 1 {
		return FieldErrorf("twowell", "sharpness", "%v: want k = h₁/h₂ ≥ 1 (valley a₁ is the sharp one)", s.Sharpness)
	}
	if s.HCol > s.HFlat {
		return FieldErrorf("twowell", "h_col", "%v: want |h_b| ≤ h₂ = %v, the flat valley's curvature (each side of the col is a quartic, which is bounded below only then)", s.HCol, s.HFlat)
	}
	if s.Dim == 1 {
		if len(s.TransverseSharp)+len(s.TransverseFlat)+len(s.TransverseCol) > 0 {
			return errors.New("twowell transverse curvatures apply only with dim > 1")
		}
		return nil
	}
	for _, c := range []struct {
		n string
		v []float64
	}{{"transverse_sharp", s.TransverseSharp}, {"transverse_flat", s.TransverseFlat}, {"transverse_col", s.TransverseCol}} {
		if len(c.v) != s.Dim-1 {
			return FieldErrorf("twowell", c.n, "has %d values: want 1, or one per direction 2..n (n − 1 = %d)", len(c.v), s.Dim-1)
		}
		for _, v := range c.v {
			if err := pos(c.n, v); err != nil {
				return err
			}
		}
	}
	return nil
}

// TwoWell is the landscape `twowell`: a sharp valley a₁ and a flat valley
// a₂ on either side of a col b = 0 along θ₁, the picture of Kramers' escape
// problem with two minima (Xie, Sato & Sugiyama, ICLR 2021, §3).
//
// Along θ₁ (1-D part f), on side i of the col (i = 1: x < 0, i = 2: x ≥ 0)
//
//	f(x) = x²·(−|h_b|/2 + αᵢ·x + βᵢ·x²),
//	αᵢ = (2|h_b| − hᵢ)/(3aᵢ),  βᵢ = (hᵢ − |h_b|)/(4aᵢ²),
//	aᵢ = ∓√(12ΔLᵢ/(hᵢ + |h_b|)),
//
// the quartic with f(0) = f'(0) = 0, f″(0) = −|h_b|, f'(aᵢ) = 0,
// f″(aᵢ) = hᵢ and f(aᵢ) = −ΔLᵢ. f is C² at the col (f‴ jumps there). With
// hᵢ ≥ |h_b|, βᵢ ≥ 0 and f' has no other zero on side i, so a₁, b, a₂
// are the only critical points. In n-D
//
//	L(θ) = f(θ₁) + ½·Σⱼ κⱼ(θ₁)·θⱼ²,  κⱼ(x) = λⱼᵇ + (λⱼⁱ − λⱼᵇ)·w(x/aᵢ),
//	w(u) = 2u²/(1 + u⁴),
//
// with w(0) = w'(0) = 0, w(1) = 1, w'(1) = 0 and 0 ≤ w ≤ 1, so κⱼ > 0
// lies between λⱼᵇ and λⱼⁱ, the critical points keep θⱼ = 0, and
// H(aᵢ) = diag(hᵢ, λⱼⁱ), H(b) = diag(−|h_b|, λⱼᵇ): the barriers do not
// depend on the transverse curvatures, the determinants do.
type TwoWell struct {
	spec   TwoWellSpec
	hb     float64    // |h_b|
	a      [2]float64 // a₁ < 0 < a₂
	alpha  [2]float64
	beta   [2]float64
	lamB   []float64 // λⱼᵇ
	lam    [2][]float64
	sigB   float64    // √|h_b|
	sigMin [2]float64 // √hᵢ
}

// NewTwoWell builds the two-valley landscape of spec (defaults filled in).
func NewTwoWell(spec TwoWellSpec) (*TwoWell, error) {
	spec.Normalize()
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	t := &TwoWell{spec: spec, hb: spec.HCol, sigB: math.Sqrt(spec.HCol)}
	h := [2]float64{spec.Sharpness * spec.HFlat, spec.HFlat}
	dl := [2]float64{spec.Barrier, spec.BarrierFlat}
	for i := range 2 {
		a := math.Sqrt(12 * dl[i] / (h[i] + t.hb))
		if i == 0 {
			a = -a
		}
		t.a[i] = a
		t.alpha[i] = (2*t.hb - h[i]) / (3 * a)
		t.beta[i] = (h[i] - t.hb) / (4 * a * a)
		t.sigMin[i] = math.Sqrt(h[i])
	}
	if spec.Dim > 1 {
		t.lamB = append([]float64(nil), spec.TransverseCol...)
		t.lam[0] = append([]float64(nil), spec.TransverseSharp...)
		t.lam[1] = append([]float64(nil), spec.TransverseFlat...)
	}
	return t, nil
}

// Spec returns the normalized spec.
func (t *TwoWell) Spec() TwoWellSpec { return t.spec }

// Dim returns n.
func (t *TwoWell) Dim() int { return t.spec.Dim }

// side returns 0 (sharp, x < 0) or 1 (flat, x ≥ 0).
func side(x float64) int {
	if x < 0 {
		return 0
	}
	return 1
}

// Along returns f(x), f'(x), f″(x) along θ₁ (see TwoWell).
func (t *TwoWell) Along(x float64) (f0, f1, f2 float64) {
	i := side(x)
	al, be := t.alpha[i], t.beta[i]
	f0 = x * x * (-t.hb/2 + x*(al+x*be))
	f1 = x * (-t.hb + x*(3*al+x*4*be))
	f2 = -t.hb + x*(6*al+x*12*be)
	return
}

// profile returns w(x/aᵢ) and its first two derivatives in x.
func (t *TwoWell) profile(x float64) (w, w1, w2 float64) {
	a := t.a[side(x)]
	u := x / a
	u2 := u * u
	u4 := u2 * u2
	r := 1 + u4
	w = 2 * u2 / r
	w1 = 4 * u * (1 - u4) / (r * r) / a
	w2 = 4 * (1 - 12*u4 + 3*u4*u4) / (r * r * r) / (a * a)
	return
}

// kappa returns κⱼ(x), κⱼ'(x), κⱼ″(x) for transverse direction j ≥ 0.
func (t *TwoWell) kappa(j int, x, w, w1, w2 float64) (k0, k1, k2 float64) {
	lb := t.lamB[j]
	d := t.lam[side(x)][j] - lb
	return lb + d*w, d * w1, d * w2
}

// Loss returns L(θ).
func (t *TwoWell) Loss(x []float64) float64 {
	l, _, _ := t.Along(x[0])
	if t.spec.Dim > 1 {
		w, w1, w2 := t.profile(x[0])
		for j := range t.lamB {
			k, _, _ := t.kappa(j, x[0], w, w1, w2)
			l += k / 2 * x[j+1] * x[j+1]
		}
	}
	return l
}

// Grad stores ∇L(θ) in dst.
func (t *TwoWell) Grad(dst, x []float64) {
	_, g, _ := t.Along(x[0])
	if t.spec.Dim > 1 {
		w, w1, w2 := t.profile(x[0])
		for j := range t.lamB {
			k, k1, _ := t.kappa(j, x[0], w, w1, w2)
			y := x[j+1]
			g += k1 / 2 * y * y
			dst[j+1] = k * y
		}
	}
	dst[0] = g
}

// Hessian stores ∇²L(θ) in dst.
func (t *TwoWell) Hessian(dst *mat.SymDense, x []float64) {
	n := t.spec.Dim
	for i := range n {
		for j := i; j < n; j++ {
			dst.SetSym(i, j, 0)
		}
	}
	_, _, h := t.Along(x[0])
	if n > 1 {
		w, w1, w2 := t.profile(x[0])
		for j := range t.lamB {
			k, k1, k2 := t.kappa(j, x[0], w, w1, w2)
			y := x[j+1]
			h += k2 / 2 * y * y
			dst.SetSym(0, j+1, k1*y)
			dst.SetSym(j+1, j+1, k)
		}
	}
	dst.SetSym(0, 0, h)
}

// Sharp, Flat and Col return the critical points a₁, a₂ and b.
func (t *TwoWell) Sharp() []float64 { return t.point(t.a[0]) }

// Flat returns the flat minimum a₂.
func (t *TwoWell) Flat() []float64 { return t.point(t.a[1]) }

// Col returns the col b (the origin).
func (t *TwoWell) Col() []float64 { return t.point(0) }

func (t *TwoWell) point(x float64) []float64 {
	p := make([]float64, t.spec.Dim)
	p[0] = x
	return p
}

// Minima returns a₁ < 0 < a₂, the minima along θ₁.
func (t *TwoWell) Minima() (a1, a2 float64) { return t.a[0], t.a[1] }

// Quartic returns |h_b| and the coefficients αᵢ, βᵢ of f on side i (0:
// sharp, x < 0; 1: flat), f(x) = x²·(−|h_b|/2 + αᵢ·x + βᵢ·x²).
func (t *TwoWell) Quartic(i int) (hb, alpha, beta float64) { return t.hb, t.alpha[i], t.beta[i] }

// NoiseScales returns √|h_b| and √hᵢ of side i, the values of the noise
// scale σ (NoiseScale) at the col and at the minimum aᵢ.
func (t *TwoWell) NoiseScales(i int) (col, min float64) { return t.sigB, t.sigMin[i] }

// Thresholds returns the points along θ₁ where a trajectory is counted as
// having arrived in a valley: c₁ = a₁/2 (sharp) and c₂ = a₂/2 (flat), half
// way from the col to each minimum, the escape package's "col" criterion.
func (t *TwoWell) Thresholds() (c1, c2 float64) { return t.a[0] / 2, t.a[1] / 2 }

// Valley returns valley i (0: sharp, 1: flat) in the escape package's
// terms: minimum, col, the other minimum, the escape direction and the
// barrier.
func (t *TwoWell) Valley(i int) Valley {
	e := t.point(1)
	if i == 1 {
		e[0] = -1
	}
	min, other := t.Sharp(), t.Flat()
	if i == 1 {
		min, other = other, min
	}
	return Valley{Min: min, Col: t.Col(), Other: other, Escape: e, Barrier: -t.Loss(min)}
}

// NoiseScale returns σ(x) along θ₁ of the finite-sum landscape's noise
// (see FiniteSum): σ(x) = √|h_b| + (√hᵢ − √|h_b|)·w(x/aᵢ) on side i, so
// σ(b)² = |h_b|, σ(aᵢ)² = hᵢ, σ'(aᵢ) = 0 and σ stays between √|h_b| and
// √hᵢ: positive everywhere, and equal to |f″| at the three critical points.
func (t *TwoWell) NoiseScale(x float64) float64 {
	w, _, _ := t.profile(x)
	i := side(x)
	return t.sigB + (t.sigMin[i]-t.sigB)*w
}

// noiseScaleDeriv returns σ'(x).
func (t *TwoWell) noiseScaleDeriv(x float64) float64 {
	_, w1, _ := t.profile(x)
	i := side(x)
	return (t.sigMin[i] - t.sigB) * w1
}

// noisePotential returns Φ(x) = ∫₀ˣ σ(u) du, the per-sample perturbation
// along θ₁ (closed form of ∫2u²/(1+u⁴)du).
func (t *TwoWell) noisePotential(x float64) float64 {
	i := side(x)
	a := t.a[i]
	u := x / a
	// ∫₀ᵘ 2v²/(1+v⁴) dv = (1/(2√2))·ln((u²−√2u+1)/(u²+√2u+1))
	//                    + (1/√2)·(atan(√2u+1) + atan(√2u−1)).
	r2 := math.Sqrt2
	iw := math.Log((u*u-r2*u+1)/(u*u+r2*u+1))/(2*r2) + (math.Atan(r2*u+1)+math.Atan(r2*u-1))/r2
	return t.sigB*x + (t.sigMin[i]-t.sigB)*a*iw
}
