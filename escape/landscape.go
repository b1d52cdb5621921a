package escape

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/sgn-project/sgn/hessian"
)

// Landscape is a loss L: Rⁿ → R with an exact gradient and Hessian.
//
// Grad stores ∇L(x) in dst and Hessian stores ∇²L(x) in dst; dst has
// length Dim() (Grad) or is Dim()×Dim() (Hessian). Implementations do not
// retain x or dst and are safe for concurrent use.
type Landscape interface {
	Dim() int
	Loss(x []float64) float64
	Grad(dst, x []float64)
	Hessian(dst *mat.SymDense, x []float64)
}

// Valley describes the basin runs start in and the way out of it, in the
// words of the Kramers escape problem (Kramers 1940; Xie, Sato & Sugiyama,
// ICLR 2021, section 3): the minimum a, the col b (an index-1 saddle) and the minimum of
// the neighbouring valley beyond it.
type Valley struct {
	// Min is the minimum a where every run starts.
	Min []float64
	// Col is the col b between Valley a and the next valley.
	Col []float64
	// Other is the minimum of the next valley, beyond the col.
	Other []float64
	// Escape is the unit escape direction e: the eigenvector of H(b) with the
	// negative eigenvalue, oriented from a towards the other valley.
	Escape []float64
	// Barrier is ΔL = L(b) − L(a).
	Barrier float64
}

// Analytic is a landscape with a known valley, built by NewLandscape.
type Analytic struct {
	Landscape
	Valley Valley
	// cubic holds c with L'(x) = c0 + c1·x + c2·x² + c3·x³ for 1-D landscapes
	// (nil otherwise); the simulator then runs a specialised loop.
	cubic *[4]float64
	// hessDiag, when non-nil, stores the Hessian's diagonal; it is set only
	// for landscapes whose Hessian is diagonal everywhere.
	hessDiag func(dst, x []float64)
	// noiseScale, when non-nil, is σ(x) of a 1-D landscape written as a
	// finite sum of per-sample losses (the two-well's FiniteSum): the
	// per-sample gradient noise has covariance σ(x)², so minibatch SGD's
	// diffusion steps with noise η·σ(x)/√B (sgd-diffusion-finite-sum).
	noiseScale func(x float64) float64
}

// Landscape names accepted in LandscapeSpec.Name.
const (
	DoubleWellName     = "doublewell"
	StyblinskiTangName = "styblinski-tang"
	TwoWellName        = "twowell"
)

// LandscapeSpec names an analytic landscape and its shape. Sharpness k is
// not part of it: it is a grid parameter (see Config).
type LandscapeSpec struct {
	// Name is "doublewell", "styblinski-tang" or "twowell".
	Name string `json:"name"`
	// Barrier is ΔL = L(b) − L(a) > 0. The Styblinski–Tang function is scaled
	// so that its barrier is Barrier. A twowell takes it from TwoWell.
	Barrier float64 `json:"barrier"`
	// Dim is the dimension n ≥ 1 (default 1). A twowell takes it from
	// TwoWell.
	Dim int `json:"dim,omitempty"`
	// Transverse (doublewell, Dim > 1) are the curvatures of directions
	// 2..n at the minimum for k = 1: one value for all of them or Dim−1
	// values. Default 1.
	Transverse []float64 `json:"transverse,omitempty"`
	// ColRatio (doublewell, Dim > 1) is ρ > 0, the transverse curvature at the
	// col over the one at the minimum. Default 1.
	ColRatio float64 `json:"col_ratio,omitempty"`
	// TwoWell is the shape of a twowell (and only of a twowell): runs start
	// in its sharp valley a₁ and escape over the col towards a₂.
	TwoWell *TwoWellSpec `json:"twowell,omitempty"`
}

// MaxDim bounds the dimension n of an analytic landscape: the theory
// (Theorems 1–2 of Xie, Sato & Sugiyama 2021) takes the determinants and
// eigenvalues of dense n×n Hessians at the minimum and the col, 512 MiB
// each at n = 2¹³. A larger dimension is refused (Validate) before
// anything of its size is allocated.
const MaxDim = 1 << 13

// Normalize fills in the defaults so that equal landscapes encode equally.
// A dimension outside 1..MaxDim is left for Validate to refuse, nothing of
// its size allocated.
func (s *LandscapeSpec) Normalize() {
	if s.Name == TwoWellName && s.TwoWell == nil {
		// A twowell named without its shape takes TwoWell's defaults with
		// the spec's dim and barrier (what `escape run --landscape twowell`
		// gives).
		s.TwoWell = &TwoWellSpec{Dim: s.Dim, Barrier: s.Barrier}
	}
	if s.Name == TwoWellName && s.TwoWell != nil {
		tw := *s.TwoWell
		tw.Normalize()
		s.TwoWell = &tw
		if s.Dim == 0 {
			s.Dim = tw.Dim
		}
		if s.Barrier == 0 {
			s.Barrier = tw.Barrier
		}
	}
	if s.Dim == 0 {
		s.Dim = 1
	}
	if s.Name == DoubleWellName && s.Dim > 1 && s.Dim <= MaxDim {
		if s.ColRatio == 0 {
			s.ColRatio = 1
		}
		if len(s.Transverse) == 0 {
			s.Transverse = []float64{1}
		}
		if len(s.Transverse) == 1 && s.Dim > 2 {
			v := s.Transverse[0]
			s.Transverse = make([]float64, s.Dim-1)
			for i := range s.Transverse {
				s.Transverse[i] = v
			}
		}
	}
}

// Validate checks the numbers of a normalized spec (not the name, which
// NewLandscape checks).
func (s *LandscapeSpec) Validate() error {
	if (s.Name == TwoWellName) != (s.TwoWell != nil) {
		return fmt.Errorf("landscape %q: the field twowell is the shape of a twowell, and a twowell needs it", s.Name)
	}
	if s.TwoWell != nil {
		if err := s.TwoWell.Validate(); err != nil {
			return err
		}
		if s.Dim != s.TwoWell.Dim || s.Barrier != s.TwoWell.Barrier {
			return fmt.Errorf("landscape twowell: dim %d and barrier %v differ from the twowell's %d and %v (leave them out)", s.Dim, s.Barrier, s.TwoWell.Dim, s.TwoWell.Barrier)
		}
	}
	if !(s.Barrier > 0) || math.IsInf(s.Barrier, 0) {
		return FieldErrorf("landscape", "barrier", "%v: want a positive number", s.Barrier)
	}
	if s.Dim < 1 || s.Dim > MaxDim {
		return FieldErrorf("landscape", "dim", "%d: want an integer in 1..%d", s.Dim, MaxDim)
	}
	if s.Name != DoubleWellName || s.Dim == 1 {
		if len(s.Transverse) > 0 || s.ColRatio != 0 {
			return fmt.Errorf("landscape %q with dim %d: transverse and col_ratio apply only to a doublewell with dim > 1", s.Name, s.Dim)
		}
		return nil
	}
	if len(s.Transverse) != s.Dim-1 {
		return FieldErrorf("landscape", "transverse", "has %d values: want 1, or one per direction 2..n (n − 1 = %d)", len(s.Transverse), s.Dim-1)
	}
	for _, v := range s.Transverse {
		if !(v > 0) || math.IsInf(v, 0) {
			return FieldErrorf("landscape", "transverse", "curvature %v: want positive numbers", v)
		}
	}
	if !(s.ColRatio > 0) || math.IsInf(s.ColRatio, 0) {
		return FieldErrorf("landscape", "col_ratio", "%v: want a positive number", s.ColRatio)
	}
	return nil
}

// NewLandscape builds the analytic landscape spec at sharpness k > 0.
//
// Sharpness is the reparametrisation θ → √k·θ: L_k(θ) = L_1(√k·θ), so k
// multiplies the Hessian at every critical point and leaves the barrier
// height unchanged.
func NewLandscape(spec LandscapeSpec, k float64) (*Analytic, error) {
	spec.Normalize()
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	if !(k > 0) || math.IsInf(k, 0) {
		return nil, fmt.Errorf("sharpness %v: want a positive number", k)
	}
	switch spec.Name {
	case DoubleWellName:
		return newDoubleWell(spec, k), nil
	case StyblinskiTangName:
		return newStyblinskiTang(spec, k)
	case TwoWellName:
		return newSharpenedTwoWell(*spec.TwoWell, k)
	}
	return nil, fmt.Errorf("unknown landscape %q (want %s, %s or %s)", spec.Name, DoubleWellName, StyblinskiTangName, TwoWellName)
}

// newSharpenedTwoWell is the two-well of spec at sharpness k, L_k(θ) =
// L(√k·θ), with the valley of its sharp minimum a₁ (escape towards a₂).
// In 1-D it is also the finite sum of per-sample losses ℓᵢ(√k·θ)
// (FiniteSum), whose minibatch noise σ_k(θ)² = k·σ(√k·θ)² stays between
// k·|h_b| and k·h₁ on the path: sgd-diffusion-finite-sum escapes it in
// Theorem 2's regime.
func newSharpenedTwoWell(spec TwoWellSpec, k float64) (*Analytic, error) {
	tw, err := NewTwoWell(spec)
	if err != nil {
		return nil, err
	}
	v := tw.Valley(0)
	r := 1 / math.Sqrt(k)
	for _, p := range [][]float64{v.Min, v.Col, v.Other} {
		for i := range p {
			p[i] *= r
		}
	}
	an := &Analytic{Landscape: sharpened{tw, k, math.Sqrt(k)}, Valley: v}
	if spec.Dim == 1 {
		// The per-sample losses ℓᵢ(√k·θ) of the finite sum: their gradient
		// noise scales like √k·σ(√k·θ).
		sk := math.Sqrt(k)
		an.noiseScale = func(x float64) float64 { return sk * tw.NoiseScale(sk*x) }
	}
	return an, nil
}

// sharpened is the two-well at sharpness k, L_k(θ) = L(√k·θ):
// ∇L_k(θ) = √k·∇L(√k·θ) and ∇²L_k(θ) = k·∇²L(√k·θ).
type sharpened struct {
	l        *TwoWell
	k, sqrtK float64
}

func (s sharpened) Dim() int { return s.l.Dim() }

// scaled returns √k·x in buf when it is long enough (no allocation on the
// simulators' path), in a new slice otherwise.
func (s sharpened) scaled(buf *[8]float64, x []float64) []float64 {
	var y []float64
	if len(x) <= len(buf) {
		y = buf[:len(x)]
	} else {
		y = make([]float64, len(x))
	}
	for i, v := range x {
		y[i] = s.sqrtK * v
	}
	return y
}

func (s sharpened) Loss(x []float64) float64 {
	var buf [8]float64
	return s.l.Loss(s.scaled(&buf, x))
}

func (s sharpened) Grad(dst, x []float64) {
	var buf [8]float64
	s.l.Grad(dst, s.scaled(&buf, x))
	for i := range dst {
		dst[i] *= s.sqrtK
	}
}

func (s sharpened) Hessian(dst *mat.SymDense, x []float64) {
	var buf [8]float64
	s.l.Hessian(dst, s.scaled(&buf, x))
	dst.ScaleSym(s.k, dst)
}

// HessianOperator returns the exact Hessian of l at x as a hessian.Operator,
// so that the curvature algorithms of package hessian run on analytic
// landscapes.
func HessianOperator(l Landscape, x []float64) hessian.Operator {
	h := mat.NewSymDense(l.Dim(), nil)
	l.Hessian(h, x)
	return hessian.NewDense(h)
}

// DoubleWell is the n-D double well
//
//	L(θ) = ΔL·(k·θ₁² − 1)² + (k/2)·m(√k·θ₁)·Σᵢ₌₂ⁿ λᵢ·θᵢ²,
//	m(y) = 1 + (ρ − 1)·w(y),  w(y) = (1 − y²)²/(1 + y⁴).
//
// Its minima are at θ = (±1/√k, 0, …, 0) and its col at 0, whatever the
// transverse terms (m > 0, so every critical point has θᵢ = 0 for i ≥ 2).
// w(±1) = 0 and w(0) = 1, so H(a) = diag(8kΔL, kλ₂, …, kλₙ) and
// H(b) = diag(−4kΔL, kρλ₂, …, kρλₙ); in 1-D L(x) = ΔL(kx² − 1)² with
// L″(a) = 8kΔL and L″(b) = −4kΔL. 0 ≤ w ≤ 1, so the transverse curvature
// stays between kλᵢ and kρλᵢ everywhere.
type DoubleWell struct {
	barrier, k, rho float64
	lambda          []float64 // λ₂..λₙ
}

func newDoubleWell(spec LandscapeSpec, k float64) *Analytic {
	d := &DoubleWell{barrier: spec.Barrier, k: k, rho: spec.ColRatio, lambda: append([]float64(nil), spec.Transverse...)}
	n := spec.Dim
	a, b, o, e := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	a[0] = -1 / math.Sqrt(k)
	o[0] = 1 / math.Sqrt(k)
	e[0] = 1
	an := &Analytic{Landscape: d, Valley: Valley{Min: a, Col: b, Other: o, Escape: e, Barrier: spec.Barrier}}
	if n == 1 {
		an.cubic = &[4]float64{0, -4 * spec.Barrier * k, 0, 4 * spec.Barrier * k * k}
	}
	if n == 1 || d.rho == 1 {
		an.hessDiag = d.hessianDiag
	}
	return an
}

// Dim returns n.
func (d *DoubleWell) Dim() int { return 1 + len(d.lambda) }

// w is the col-ratio profile (1 − y²)²/(1 + y⁴) and its first two
// derivatives.
func dwProfile(y float64) (w, w1, w2 float64) {
	y2 := y * y
	y4 := y2 * y2
	r := 1 + y4
	p := 1 - y2
	w = p * p / r
	w1 = -4 * y * (1 - y4) / (r * r)
	w2 = -4 * (1 - 12*y4 + 3*y4*y4) / (r * r * r)
	return w, w1, w2
}

// transverse returns q = Σ λᵢθᵢ² over i ≥ 2.
func (d *DoubleWell) transverse(x []float64) float64 {
	q := 0.0
	for i, l := range d.lambda {
		q += l * x[i+1] * x[i+1]
	}
	return q
}

// Loss returns L(x).
func (d *DoubleWell) Loss(x []float64) float64 {
	y := math.Sqrt(d.k) * x[0]
	u := y*y - 1
	l := d.barrier * u * u
	if len(d.lambda) > 0 {
		w, _, _ := dwProfile(y)
		l += d.k / 2 * (1 + (d.rho-1)*w) * d.transverse(x)
	}
	return l
}

// Grad stores ∇L(x) in dst.
func (d *DoubleWell) Grad(dst, x []float64) {
	sk := math.Sqrt(d.k)
	y := sk * x[0]
	g0 := 4 * d.barrier * y * (y*y - 1)
	if len(d.lambda) > 0 {
		w, w1, _ := dwProfile(y)
		m := 1 + (d.rho-1)*w
		g0 += d.k / 2 * (d.rho - 1) * w1 * d.transverse(x)
		for i, l := range d.lambda {
			dst[i+1] = d.k * l * m * x[i+1]
		}
	}
	dst[0] = sk * g0
}

// Hessian stores ∇²L(x) in dst.
func (d *DoubleWell) Hessian(dst *mat.SymDense, x []float64) {
	sk := math.Sqrt(d.k)
	y := sk * x[0]
	h00 := 4 * d.barrier * (3*y*y - 1)
	n := d.Dim()
	for i := 0; i < n; i++ {
		for j := i; j < n; j++ {
			dst.SetSym(i, j, 0)
		}
	}
	if len(d.lambda) > 0 {
		w, w1, w2 := dwProfile(y)
		m := 1 + (d.rho-1)*w
		h00 += d.k / 2 * (d.rho - 1) * w2 * d.transverse(x)
		for i, l := range d.lambda {
			dst.SetSym(0, i+1, sk*d.k*(d.rho-1)*w1*l*x[i+1])
			dst.SetSym(i+1, i+1, d.k*l*m)
		}
	}
	dst.SetSym(0, 0, d.k*h00)
}

// hessianDiag stores the Hessian's diagonal in dst; it is the whole Hessian
// when n = 1 or ρ = 1.
func (d *DoubleWell) hessianDiag(dst, x []float64) {
	y := math.Sqrt(d.k) * x[0]
	dst[0] = d.k * 4 * d.barrier * (3*y*y - 1)
	for i, l := range d.lambda {
		dst[i+1] = d.k * l
	}
}

// StyblinskiTang is the n-D Styblinski–Tang function
// f(y) = ½·Σᵢ(yᵢ⁴ − 16yᵢ² + 5yᵢ), scaled to the requested barrier and
// sharpness:
//
//	L(θ) = c·(f(√k·θ) − f(y_a)),  c = ΔL/ΔL₀.
//
// Per coordinate f has its global minimum at y⁻ ≈ −2.9035, a local (higher)
// minimum at y⁺ ≈ 2.7468 and a maximum at y⁰ ≈ 0.1567. Runs start at
// y_a = (y⁺, y⁻, …, y⁻): the first coordinate in the higher minimum, the
// others in the global one. The col is (y⁰, y⁻, …, y⁻), the other valley's
// minimum (y⁻, …, y⁻), and ΔL₀ = f₁(y⁰) − f₁(y⁺) ≈ 25.23; escaping along
// another coordinate costs a barrier (f₁(y⁰) − f₁(y⁻))·c ≈ 1.56·ΔL. The
// Hessian is diagonal, c·k·(6yᵢ² − 16), so under SGLD and SGD-diffusion the
// coordinates move independently.
type StyblinskiTang struct {
	n       int
	c, k    float64 // scale and sharpness
	offset  float64 // f(y_a)
	sqrtK   float64
	yPlus   float64
	yMinus  float64
	yCol    float64
	barrier float64
}

// styblinskiRoots returns the roots y⁻ < y⁰ < y⁺ of f₁'(y) = 2y³ − 16y + 2.5
// by Newton's method from fixed starting points.
func styblinskiRoots() (yMinus, yCol, yPlus float64) {
	newton := func(y float64) float64 {
		for i := 0; i < 100; i++ {
			g := 2*y*y*y - 16*y + 2.5
			h := 6*y*y - 16
			step := g / h
			y -= step
			if math.Abs(step) < 1e-16*math.Max(1, math.Abs(y)) {
				break
			}
		}
		return y
	}
	return newton(-2.9), newton(0.16), newton(2.75)
}

// styblinski1 is f₁(y) = ½(y⁴ − 16y² + 5y).
func styblinski1(y float64) float64 { return 0.5 * (y*y*y*y - 16*y*y + 5*y) }

func newStyblinskiTang(spec LandscapeSpec, k float64) (*Analytic, error) {
	ym, y0, yp := styblinskiRoots()
	if !(ym < y0 && y0 < yp) {
		return nil, errors.New("styblinski-tang: root finding failed")
	}
	n := spec.Dim
	dl0 := styblinski1(y0) - styblinski1(yp)
	s := &StyblinskiTang{n: n, c: spec.Barrier / dl0, k: k, sqrtK: math.Sqrt(k), yPlus: yp, yMinus: ym, yCol: y0, barrier: spec.Barrier}
	s.offset = styblinski1(yp) + float64(n-1)*styblinski1(ym)
	a, b, o, e := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	for i := range a {
		a[i], b[i], o[i] = ym/s.sqrtK, ym/s.sqrtK, ym/s.sqrtK
	}
	a[0] = yp / s.sqrtK
	b[0] = y0 / s.sqrtK
	e[0] = -1
	an := &Analytic{Landscape: s, Valley: Valley{Min: a, Col: b, Other: o, Escape: e, Barrier: spec.Barrier}, hessDiag: s.hessianDiag}
	if n == 1 {
		// L'(x) = c·√k·f₁'(√k x) = c·(2k²x³ − 16k·x + 2.5√k).
		an.cubic = &[4]float64{s.c * 2.5 * s.sqrtK, -16 * s.c * k, 0, 2 * s.c * k * k}
	}
	return an, nil
}

// Dim returns n.
func (s *StyblinskiTang) Dim() int { return s.n }

// Loss returns L(x).
func (s *StyblinskiTang) Loss(x []float64) float64 {
	f := 0.0
	for _, v := range x {
		f += styblinski1(s.sqrtK * v)
	}
	return s.c * (f - s.offset)
}

// Grad stores ∇L(x) in dst.
func (s *StyblinskiTang) Grad(dst, x []float64) {
	for i, v := range x {
		y := s.sqrtK * v
		dst[i] = s.c * s.sqrtK * (2*y*y*y - 16*y + 2.5)
	}
}

// Hessian stores ∇²L(x) in dst.
func (s *StyblinskiTang) Hessian(dst *mat.SymDense, x []float64) {
	for i := 0; i < s.n; i++ {
		for j := i + 1; j < s.n; j++ {
			dst.SetSym(i, j, 0)
		}
		y := s.sqrtK * x[i]
		dst.SetSym(i, i, s.c*s.k*(6*y*y-16))
	}
}

// hessianDiag stores the (diagonal) Hessian's diagonal in dst.
func (s *StyblinskiTang) hessianDiag(dst, x []float64) {
	for i, v := range x {
		y := s.sqrtK * v
		dst[i] = s.c * s.k * (6*y*y - 16)
	}
}
