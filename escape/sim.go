package escape

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"github.com/sgn-project/sgn/internal/normal"
)

// Outcome is the result of one run.
type Outcome struct {
	// Escaped reports whether the escape criterion held by the step limit.
	Escaped bool `json:"escaped"`
	// Step is the escape step (1-based: the run escaped at the end of step
	// Step) or, for a censored run, the number of steps simulated.
	Step int64 `json:"step"`
}

// Simulator simulates the runs of one grid point. Run simulates one run
// from the given seed; the same seed gives the same Outcome. Run must be
// safe for concurrent use: the sweep calls it from several workers at once.
type Simulator interface {
	Run(seed uint64) (Outcome, error)
}

// BatchSimulator is a Simulator that also simulates several runs of its
// point together, on the calling goroutine (the network landscape steps
// them in lockstep, their full losses in one batched product per layer):
// out[i] and errs[i] are Run(seeds[i])'s, whatever the other seeds (errs
// is nil when no run failed).
type BatchSimulator interface {
	Simulator
	RunBatch(seeds []uint64) (out []Outcome, errs []error)
}

// RunBatch simulates the runs of seeds by sim: by its RunBatch when it is
// a BatchSimulator, else one Run after another (up to the first error).
func RunBatch(sim Simulator, seeds []uint64) ([]Outcome, []error) {
	if b, ok := sim.(BatchSimulator); ok {
		return b.RunBatch(seeds)
	}
	out := make([]Outcome, len(seeds))
	for i, s := range seeds {
		o, err := sim.Run(s)
		if err != nil {
			errs := make([]error, len(seeds))
			errs[i] = err
			return out, errs
		}
		out[i] = o
	}
	return out, nil
}

// PCGStream is the second word of every run's PCG state (the first is the
// run seed), in the analytic simulators and in the network simulator of
// escape/kramers.
const PCGStream = 0x5347_4e2d_6573_6361 // "SGN-esca"

// AnalyticSimulator is the Factory of the analytic landscapes (doublewell,
// styblinski-tang) under the dynamics sgld, sgd-diffusion and gd. Every run
// starts at the minimum a of the landscape's valley and takes steps
//
//	sgld:          θ ← θ − η∇L(θ) + √(2ηD)·ξ
//	sgd-diffusion: θ ← θ − η∇L(θ) + η·(|H(θ)|/B)^½·ξ
//	gd:            θ ← θ − η∇L(θ)
//
// with ξ ~ N(0, I) from a ziggurat over PCG (internal/normal). sgd-diffusion
// is Gaussian noise with covariance η²·C(θ), C = H/B (Xie, Sato & Sugiyama,
// ICLR 2021, the covariance of the minibatch noise near a minimum); where H is not positive definite |H| = V·|Λ|·Vᵀ (absolute
// eigenvalues) is used, so the noise is real everywhere and vanishes only
// where H is singular — in 1-D at the inflection points, which the run must
// jump over (see the package documentation).
//
// The criterion is checked after every step, so the escape step is exact.
// 1-D landscapes run a specialised loop (cubic gradient and the ziggurat's
// fast path inlined, no interface call per step); n-D ones call the
// Landscape. A run that leaves
// the finite numbers (η too large) is an error. A gd run that reaches a
// fixed point in floating point stops there as censored at MaxSteps.
func AnalyticSimulator(p Point) (Simulator, error) {
	an, err := NewLandscape(p.Landscape, p.Sharpness)
	if err != nil {
		return nil, err
	}
	return NewAnalyticSimulator(an, p)
}

// NewAnalyticSimulator is AnalyticSimulator on an already built landscape:
// it uses p's dynamics, η, B, D, criterion and step limit, not its
// landscape or sharpness.
func NewAnalyticSimulator(an *Analytic, p Point) (Simulator, error) {
	s := &analyticSim{an: an, dyn: p.Dynamics, eta: p.Eta, batch: p.BatchSize, temp: p.Temperature, maxSteps: p.MaxSteps, zig: normal.NewZiggurat()}
	if !(p.Eta > 0) || math.IsInf(p.Eta, 0) {
		return nil, fmt.Errorf("eta %v: want a positive number", p.Eta)
	}
	if p.MaxSteps < 1 {
		return nil, fmt.Errorf("max steps %d: want a positive integer", p.MaxSteps)
	}
	if err := p.Dynamics.CheckOn(false); err != nil {
		return nil, err
	}
	row := p.Dynamics.info()
	if row.step == nil {
		return nil, fmt.Errorf("dynamics %q has no analytic simulator", p.Dynamics)
	}
	if row.temperature && (!(p.Temperature > 0) || math.IsInf(p.Temperature, 0)) {
		return nil, fmt.Errorf("temperature (SGLD diffusion D) %v: want a positive number", p.Temperature)
	}
	if row.batch && (!(p.BatchSize > 0) || math.IsInf(p.BatchSize, 0)) {
		return nil, fmt.Errorf("batch size %v: want a positive number", p.BatchSize)
	}
	if p.Dynamics == SGDDiffusionFiniteSum && an.noiseScale == nil {
		return nil, fmt.Errorf("dynamics %q needs a landscape written as a finite sum of per-sample losses (%s)", p.Dynamics, TwoWellName)
	}
	if err := p.Criterion.Validate(); err != nil {
		return nil, err
	}
	s.crit = p.Criterion
	v := an.Valley
	s.lossA = an.Loss(v.Min)
	switch p.Criterion.Kind {
	case CriterionCol:
		s.threshold = 0
		for i := range v.Col {
			s.threshold += (v.Other[i] - v.Col[i]) * v.Escape[i] / 2
		}
	}
	if an.cubic != nil {
		lo, hi, err := interval1D(an, p.Criterion)
		if err != nil {
			return nil, err
		}
		s.lo, s.hi = lo, hi
	}
	return s, nil
}

type analyticSim struct {
	an               *Analytic
	dyn              Dynamics
	eta, batch, temp float64
	maxSteps         int64
	crit             Criterion
	zig              *normal.Ziggurat
	lossA            float64 // L(a)
	threshold        float64 // col criterion: escaped when (θ − b)·e ≥ threshold
	lo, hi           float64 // 1-D: escaped when x ≤ lo or x ≥ hi
}

// interval1D turns a criterion on a 1-D landscape into the interval (lo, hi)
// the run must leave: the criterion holds exactly when x ≤ lo or x ≥ hi.
func interval1D(an *Analytic, c Criterion) (lo, hi float64, err error) {
	v := an.Valley
	a := v.Min[0]
	switch c.Kind {
	case CriterionCol:
		t := v.Col[0] + (v.Other[0]-v.Col[0])/2
		if v.Escape[0] > 0 {
			return math.Inf(-1), t, nil
		}
		return t, math.Inf(1), nil
	case CriterionDistance:
		return a - c.Radius, a + c.Radius, nil
	case CriterionLoss:
		// The connected component of {L < L(a) + δ} around a, found by
		// doubling steps outwards and bisection to the last bit.
		level := an.Loss([]float64{a}) + c.Delta
		f := func(x float64) bool { return an.Loss([]float64{x}) >= level }
		side := func(dir float64) (float64, error) {
			step := math.Abs(v.Col[0]-a) / 16
			in, out := a, a+dir*step
			for i := 0; !f(out); i++ {
				if i > 200 {
					return 0, fmt.Errorf("criterion loss: L never reaches L(a)+%g", c.Delta)
				}
				in = out
				step *= 2
				out = a + dir*step
			}
			for {
				mid := in + (out-in)/2
				if mid == in || mid == out {
					return out, nil
				}
				if f(mid) {
					out = mid
				} else {
					in = mid
				}
			}
		}
		if lo, err = side(-1); err != nil {
			return 0, 0, err
		}
		if hi, err = side(1); err != nil {
			return 0, 0, err
		}
		return lo, hi, nil
	}
	return 0, 0, fmt.Errorf("unknown criterion kind %q", c.Kind)
}

// DivergedError is the error of a run that leaves the finite numbers at
// step step with learning rate eta.
func DivergedError(step int64, eta float64) error {
	return fmt.Errorf("the run diverged at step %d: η = %g is too large for this landscape", step, eta)
}

// Run simulates one run.
func (s *analyticSim) Run(seed uint64) (Outcome, error) {
	src := rand.NewPCG(seed, PCGStream)
	if s.an.cubic != nil && has1D(s.dyn) {
		o, _, err := s.run1D(src)
		return o, err
	}
	o, _, err := s.runND(src)
	return o, err
}

// has1D reports whether run1D has a loop for d.
func has1D(d Dynamics) bool { return d == SGLD || d == SGDDiffusion || d == GD }

// nanCheck is the interval, in steps, at which the 1-D loop looks for a
// run that has left the finite numbers (an infinite position is caught by
// the escape test at once, NaN only by this check).
const nanCheck = 1 << 16

// run1D is the specialised 1-D loop; it also returns the final position.
//
// Each step is θ ← θ + (−η·L'(θ)) + noise with −η·L'(θ) = d0 + d1·θ + d2·θ² +
// d3·θ³, evaluated as FMA(θ, FMA(θ, FMA(θ, d3, d2), 1 + d1), d0 + noise) so
// that the chain of dependent operations from one step to the next is three
// fused multiply-adds, and the normal is drawn by the ziggurat's inlined
// fast path (normal.Ziggurat.Try, the same sequence of normals as Norm),
// which the processor overlaps with that chain.
func (s *analyticSim) run1D(src *rand.PCG) (Outcome, float64, error) {
	c := s.an.cubic
	eta := s.eta
	d0, e1, d2, d3 := -eta*c[0], 1-eta*c[1], -eta*c[2], -eta*c[3]
	lo, hi := s.lo, s.hi
	x := s.an.Valley.Min[0]
	maxSteps := s.maxSteps
	z := s.zig
	switch s.dyn {
	case SGLD:
		sig := math.Sqrt(2 * eta * s.temp)
		for step := int64(1); step <= maxSteps; step++ {
			u := src.Uint64()
			xi, ok := z.Try(u)
			if !ok {
				xi = z.Finish(src, u)
			}
			x = math.FMA(x, math.FMA(x, math.FMA(x, d3, d2), e1), d0+sig*xi)
			if x >= hi || x <= lo {
				return s.escape1D(step, x)
			}
			if step%nanCheck == 0 && math.IsNaN(x) {
				return Outcome{}, x, DivergedError(step, eta)
			}
		}
	case SGDDiffusion:
		// Noise η·√(|L″(x)|/B)·ξ with L″(x) = c1 + 2c2·x + 3c3·x².
		sig := eta / math.Sqrt(s.batch)
		h0, h1, h2 := c[1], 2*c[2], 3*c[3]
		for step := int64(1); step <= maxSteps; step++ {
			u := src.Uint64()
			xi, ok := z.Try(u)
			if !ok {
				xi = z.Finish(src, u)
			}
			h := h0 + x*(h1+x*h2)
			x = math.FMA(x, math.FMA(x, math.FMA(x, d3, d2), e1), d0+sig*math.Sqrt(math.Abs(h))*xi)
			if x >= hi || x <= lo {
				return s.escape1D(step, x)
			}
			if step%nanCheck == 0 && math.IsNaN(x) {
				return Outcome{}, x, DivergedError(step, eta)
			}
		}
	case GD:
		prev := math.NaN()
		for step := int64(1); step <= maxSteps; step++ {
			y := math.FMA(x, math.FMA(x, math.FMA(x, d3, d2), e1), d0)
			if y >= hi || y <= lo {
				return s.escape1D(step, y)
			}
			if math.IsNaN(y) {
				return Outcome{}, y, DivergedError(step, eta)
			}
			if y == x || y == prev {
				// A fixed point or a 2-cycle of floating-point numbers,
				// neither escaped: nothing will change until MaxSteps.
				break
			}
			prev, x = x, y
		}
	default:
		return Outcome{}, x, fmt.Errorf("unknown dynamics %q", s.dyn)
	}
	if math.IsNaN(x) {
		return Outcome{}, x, DivergedError(maxSteps, eta)
	}
	return Outcome{Escaped: false, Step: maxSteps}, x, nil
}

// escape1D reports an escape at step, or a divergence if x is not finite.
func (s *analyticSim) escape1D(step int64, x float64) (Outcome, float64, error) {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return Outcome{}, x, DivergedError(step, s.eta)
	}
	return Outcome{Escaped: true, Step: step}, x, nil
}

// runND is the n-D loop; it also returns the final position. Each step
// is the dynamics' row's step (dynamicsTable) after the gradient.
func (s *analyticSim) runND(src *rand.PCG) (Outcome, []float64, error) {
	an := s.an
	n := an.Dim()
	v := an.Valley
	x := append([]float64(nil), v.Min...)
	g := make([]float64, n)
	row := s.dyn.info()
	if row == nil || row.step == nil {
		return Outcome{}, x, fmt.Errorf("dynamics %q has no analytic step", s.dyn)
	}
	eta := s.eta
	w := &walker{an: an, eta: eta, batch: s.batch, temp: s.temp, sigLD: math.Sqrt(2 * eta * s.temp), sigSGD: eta / math.Sqrt(s.batch),
		zig: s.zig, src: src, xi: make([]float64, n), noise: make([]float64, n)}
	var prev, old []float64 // noiseless: the positions before the last two steps
	if row.noiseless {
		prev, old = make([]float64, n), make([]float64, n)
		for i := range prev {
			prev[i] = math.NaN()
		}
	}
	for step := int64(1); step <= s.maxSteps; step++ {
		an.Grad(g, x)
		if row.noiseless {
			copy(old, x)
		}
		row.step(w, x, g)
		if row.noiseless {
			fixed, cycle := true, true
			for i := range x {
				fixed = fixed && x[i] == old[i]
				cycle = cycle && x[i] == prev[i]
			}
			prev, old = old, prev
			if (fixed || cycle) && !s.escaped(x) {
				// A fixed point or a 2-cycle of floating-point vectors,
				// neither escaped: nothing will change until MaxSteps.
				return Outcome{Escaped: false, Step: s.maxSteps}, x, nil
			}
		}
		if s.escaped(x) {
			if !finite(x) {
				return Outcome{}, x, DivergedError(step, eta)
			}
			return Outcome{Escaped: true, Step: step}, x, nil
		}
		if step%nanCheck == 0 && !finite(x) {
			return Outcome{}, x, DivergedError(step, eta)
		}
	}
	if !finite(x) {
		return Outcome{}, x, DivergedError(s.maxSteps, eta)
	}
	return Outcome{Escaped: false, Step: s.maxSteps}, x, nil
}

// escaped evaluates the criterion at x (n-D loop).
func (s *analyticSim) escaped(x []float64) bool {
	v := s.an.Valley
	switch s.crit.Kind {
	case CriterionCol:
		p := 0.0
		for i, e := range v.Escape {
			p += (x[i] - v.Col[i]) * e
		}
		return p >= s.threshold
	case CriterionDistance:
		d := 0.0
		for i, a := range v.Min {
			d += (x[i] - a) * (x[i] - a)
		}
		return d >= s.crit.Radius*s.crit.Radius
	case CriterionLoss:
		return s.an.Loss(x) >= s.lossA+s.crit.Delta
	}
	return false
}

func finite(x []float64) bool {
	for _, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}

// absSqrt applies |H|^½ = V·|Λ|^½·Vᵀ (H = VΛVᵀ) to vectors, reusing its
// storage between calls.
type absSqrt struct {
	eig  mat.EigenSym
	vecs mat.Dense
	vals []float64
	tmp  []float64
}

// apply stores |H|^½·xi in dst. A Hessian the eigendecomposition cannot
// factorize (NaN entries) gives NaN, caught as a divergence, and false.
func (r *absSqrt) apply(dst []float64, h *mat.SymDense, xi []float64) bool {
	n := h.SymmetricDim()
	if !r.eig.Factorize(h, true) {
		for i := range dst {
			dst[i] = math.NaN()
		}
		return false
	}
	if len(r.vals) != n {
		r.vals = make([]float64, n)
		r.tmp = make([]float64, n)
	}
	r.eig.Values(r.vals)
	r.eig.VectorsTo(&r.vecs)
	for j := 0; j < n; j++ {
		t := 0.0
		for i := 0; i < n; i++ {
			t += r.vecs.At(i, j) * xi[i]
		}
		r.tmp[j] = math.Sqrt(math.Abs(r.vals[j])) * t
	}
	for i := 0; i < n; i++ {
		t := 0.0
		for j := 0; j < n; j++ {
			t += r.vecs.At(i, j) * r.tmp[j]
		}
		dst[i] = t
	}
	return true
}
