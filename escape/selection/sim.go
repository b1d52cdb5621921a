package selection

import (
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"

	"github.com/sgn-project/sgn/escape"
	"github.com/sgn-project/sgn/internal/normal"
)

// The dynamics of the two-well (escape.TwoWellDynamics), rows of the
// escape package's table whose two-well steps (escape.TwoWellStepper) the
// n-D loop runs; the 1-D loop has a specialised kernel for each of these:
//
//	sgld:                     θ ← θ − η∇L + √(2ηD)·ξ
//	sgd-diffusion-finite-sum: θ ← θ − η∇L + (η/√B)·Σⱼ ξⱼ∇φⱼ(θ), noise
//	                          covariance η²·S(θ)/B of minibatch SGD on the
//	                          finite sum (escape.FiniteSum), never 0
//	sgd:                      θ ← θ − η·(1/B)·Σ_b ∇ℓ_{i_b}(θ), B indices
//	                          drawn with replacement
//	sgd-diffusion-abs-h:      θ ← θ − η∇L + η·(|H(θ)|/B)^½·ξ, whose noise
//	                          vanishes at the inflection points between each
//	                          minimum and the col (kept to show that)
const (
	SGLD                  = escape.SGLD
	SGDDiffusionFiniteSum = escape.SGDDiffusionFiniteSum
	SGD                   = escape.SGD
	SGDDiffusionAbsH      = escape.SGDDiffusionAbsH
)

// usesBatch and usesTemperature say which grid lists a dynamics takes.
func usesBatch(d escape.Dynamics) bool       { return d.UsesBatch() }
func usesTemperature(d escape.Dynamics) bool { return d.UsesTemperature() }

// Point is one grid point: a dynamics with its parameters on a landscape.
type Point struct {
	Index    int             `json:"point"`
	Dynamics escape.Dynamics `json:"dynamics"`
	// BatchSize is B (SGD kinds; 0 otherwise), Eta the learning rate η and
	// Temperature the SGLD diffusion D (0 otherwise).
	BatchSize   float64            `json:"batch_size,omitempty"`
	Eta         float64            `json:"eta"`
	Temperature float64            `json:"temperature,omitempty"`
	Landscape   escape.TwoWellSpec `json:"-"`
	// Steps is the number of measured steps of every replica and BurnIn
	// the number of steps simulated before them and not measured.
	Steps  int64 `json:"-"`
	BurnIn int64 `json:"-"`
}

// Label describes the point, e.g. "sgd B=2 η=0.01".
func (p Point) Label() string {
	s := string(p.Dynamics)
	if p.BatchSize != 0 {
		s += " B=" + escape.FormatSetting(p.BatchSize)
	}
	s += " η=" + escape.FormatSetting(p.Eta)
	if p.Temperature != 0 {
		s += " D=" + escape.FormatSetting(p.Temperature)
	}
	return s
}

// Replica is what one long trajectory measured after its burn-in. A
// trajectory is "in" the valley of the side of the col it is on
// (occupancy) and "committed" to the valley it last reached half way from
// the col to the minimum (TwoWell.Thresholds); a transition is a change of
// committed valley, so recrossings of the col that turn back are not
// counted.
type Replica struct {
	// Steps is the number of measured steps.
	Steps int64 `json:"steps"`
	// FlatSteps counts the steps after which θ₁ ≥ 0 (the flat side).
	FlatSteps int64 `json:"flat_steps"`
	// SharpExposure and FlatExposure are the steps spent committed to each
	// valley (they add up to Steps): the exposure of the escape rates.
	SharpExposure int64 `json:"sharp_exposure"`
	FlatExposure  int64 `json:"flat_exposure"`
	// SharpToFlat and FlatToSharp count the transitions each way.
	SharpToFlat int64 `json:"sharp_to_flat"`
	FlatToSharp int64 `json:"flat_to_sharp"`
}

// Simulator simulates the replicas of one point; Run is safe for
// concurrent use and depends only on its seed.
type Simulator struct {
	p   Point
	tw  *escape.TwoWell
	fs  *escape.FiniteSum
	zig *normal.Ziggurat
	// batch is the integer batch size of SGD.
	batch int
}

// pcgStream is the second word of every replica's PCG state.
const pcgStream = 0x5347_4e2d_7365_6c65 // "SGN-sele"

// NewSimulator checks p and builds its simulator.
func NewSimulator(p Point) (*Simulator, error) {
	tw, err := escape.NewTwoWell(p.Landscape)
	if err != nil {
		return nil, err
	}
	if !(p.Eta > 0) || math.IsInf(p.Eta, 0) {
		return nil, fmt.Errorf("eta %v: want a positive number", p.Eta)
	}
	if p.Steps < 1 || p.BurnIn < 0 {
		return nil, fmt.Errorf("steps %d, burn-in %d: want steps ≥ 1 and burn-in ≥ 0", p.Steps, p.BurnIn)
	}
	s := &Simulator{p: p, tw: tw, fs: &escape.FiniteSum{TwoWell: tw}, zig: normal.NewZiggurat()}
	if err := p.Dynamics.CheckOnTwoWell(); err != nil {
		return nil, err
	}
	switch d := p.Dynamics; {
	case d.UsesTemperature() && (!(p.Temperature > 0) || math.IsInf(p.Temperature, 0)):
		return nil, fmt.Errorf("temperature (SGLD diffusion D) %v: want a positive number", p.Temperature)
	case d.DrawsSamples() && (!(p.BatchSize >= 1) || p.BatchSize != math.Trunc(p.BatchSize) || p.BatchSize > 1<<20):
		return nil, escape.FieldErrorf("", "batch_size", "%v: minibatch %s wants an integer 1 ≤ B ≤ 2²⁰", p.BatchSize, d)
	case d.UsesBatch() && (!(p.BatchSize > 0) || math.IsInf(p.BatchSize, 0)):
		return nil, fmt.Errorf("batch size %v: want a positive number", p.BatchSize)
	}
	if p.Dynamics.DrawsSamples() {
		s.batch = int(p.BatchSize)
	}
	if h1 := tw.Spec().Sharpness * tw.Spec().HFlat; p.Eta*h1 >= 2 {
		return nil, fmt.Errorf("eta %v: η·h₁ = %.3g ≥ 2, the sharp minimum is unstable even without noise", p.Eta, p.Eta*h1)
	}
	return s, nil
}

// Landscape returns the simulator's landscape.
func (s *Simulator) Landscape() *escape.TwoWell { return s.tw }

// tracker counts occupancy, exposure and transitions along θ₁.
type tracker struct {
	flat   bool    // committed valley
	lo, hi float64 // the committed valley changes when x ≤ lo or x ≥ hi
	c1, c2 float64
	last   int64 // step of the last change (or of the start)
	rep    Replica
}

func newTracker(tw *escape.TwoWell, flat bool) *tracker {
	t := &tracker{}
	t.c1, t.c2 = tw.Thresholds()
	t.set(flat)
	return t
}

func (t *tracker) set(flat bool) {
	t.flat = flat
	if flat {
		t.lo, t.hi = t.c1, math.Inf(1)
	} else {
		t.lo, t.hi = math.Inf(-1), t.c2
	}
}

// cross is called when x ≤ lo or x ≥ hi after step.
func (t *tracker) cross(step int64, x float64, eta float64) error {
	if math.IsInf(x, 0) || math.IsNaN(x) {
		return errDiverged(step, eta)
	}
	if t.flat {
		t.rep.FlatExposure += step - t.last
		t.rep.FlatToSharp++
	} else {
		t.rep.SharpExposure += step - t.last
		t.rep.SharpToFlat++
	}
	t.last = step
	t.set(!t.flat)
	return nil
}

// finish closes the open sojourn (right-censored) at step.
func (t *tracker) finish(step int64) {
	if t.flat {
		t.rep.FlatExposure += step - t.last
	} else {
		t.rep.SharpExposure += step - t.last
	}
	t.last = step
}

func errDiverged(step int64, eta float64) error {
	return fmt.Errorf("the trajectory diverged at step %d: η = %g is too large for this landscape", step, eta)
}

// nanCheck is the interval, in steps, of the check for NaN positions.
const nanCheck = 1 << 16

// Run simulates one replica from seed: it starts at the sharp minimum when
// seed is even and at the flat one when odd, runs BurnIn steps, then
// measures Steps steps.
func (s *Simulator) Run(seed uint64) (Replica, error) {
	src := rand.NewPCG(seed, pcgStream)
	flat := seed&1 == 1
	x := s.tw.Sharp()
	if flat {
		x = s.tw.Flat()
	}
	tr := newTracker(s.tw, flat)
	var err error
	if s.tw.Dim() == 1 && s.fast1D() {
		x0 := x[0]
		if s.p.BurnIn > 0 {
			if x0, err = s.run1D(src, x0, s.p.BurnIn, tr); err != nil {
				return Replica{}, err
			}
		}
		flat := tr.flat
		tr = newTracker(s.tw, flat)
		if _, err = s.run1D(src, x0, s.p.Steps, tr); err != nil {
			return Replica{}, err
		}
	} else {
		nd, err := s.newND(src)
		if err != nil {
			return Replica{}, err
		}
		if s.p.BurnIn > 0 {
			if err = nd.run(x, s.p.BurnIn, tr); err != nil {
				return Replica{}, err
			}
		}
		tr = newTracker(s.tw, tr.flat)
		if err = nd.run(x, s.p.Steps, tr); err != nil {
			return Replica{}, err
		}
	}
	tr.finish(s.p.Steps)
	tr.rep.Steps = s.p.Steps
	return tr.rep, nil
}

// run1D runs steps steps of the 1-D dynamics from x and returns the final
// position. Each step is x ← x − η·f'(x) + noise with
// x − η·f'(x) = x·(e1 + x·(d2ᵢ + x·d3ᵢ)) on side i, written as fused
// multiply-adds; the side's coefficients change only when the trajectory
// crosses the col, so the branch is predictable. Normals are drawn by the
// ziggurat of internal/normal, whose fast path inlines here. Each dynamics
// has its own loop, a method of kernel1D: the loops repeat the drift, the
// crossing and NaN checks on purpose, so that each writes its noise term
// out in place (a noise function called per step through a value or a
// switch does not inline).
func (s *Simulator) run1D(src *rand.PCG, x float64, steps int64, tr *tracker) (float64, error) {
	k := s.newKernel1D()
	var flatSteps int64
	var err error
	switch s.p.Dynamics {
	case SGLD:
		x, flatSteps, err = k.sgld(src, x, steps, tr)
	case SGDDiffusionAbsH:
		x, flatSteps, err = k.absH(src, x, steps, tr)
	case SGDDiffusionFiniteSum:
		x, flatSteps, err = k.finiteSum(src, x, steps, tr)
	case SGD:
		x, flatSteps, err = k.sgd(src, x, steps, tr)
	default:
		return x, fmt.Errorf("dynamics %q has no specialised 1-D loop", s.p.Dynamics)
	}
	if err != nil {
		return x, err
	}
	if math.IsNaN(x) {
		return x, errDiverged(steps, k.eta)
	}
	tr.rep.FlatSteps += flatSteps
	return x, nil
}

// fast1D reports whether the dynamics has a specialised 1-D loop (run1D);
// the others run the n-D loop, on the step of their row of the table.
func (s *Simulator) fast1D() bool {
	switch s.p.Dynamics {
	case SGLD, SGDDiffusionAbsH, SGDDiffusionFiniteSum, SGD:
		return true
	}
	return false
}

// kernel1D holds what the 1-D loops share: the drift coefficients (e1 and
// (d2, d3) = (l2, l3) on the sharp side, (r2, r3) on the flat one), f's
// quartic coefficients, the minima and the noise scales of the two sides
// (escape.TwoWell.Quartic, Minima, NoiseScales).
type kernel1D struct {
	s                      *Simulator
	z                      *normal.Ziggurat
	eta                    float64
	e1, l2, l3, r2, r3     float64
	hb                     float64
	alpha0, beta0          float64
	alpha1, beta1          float64
	a0, a1                 float64
	sigB, sigMin0, sigMin1 float64
}

func (s *Simulator) newKernel1D() *kernel1D {
	tw := s.tw
	eta := s.p.Eta
	k := &kernel1D{s: s, z: s.zig, eta: eta}
	k.hb, k.alpha0, k.beta0 = tw.Quartic(0)
	_, k.alpha1, k.beta1 = tw.Quartic(1)
	k.a0, k.a1 = tw.Minima()
	k.sigB, k.sigMin0 = tw.NoiseScales(0)
	_, k.sigMin1 = tw.NoiseScales(1)
	k.e1 = 1 + eta*k.hb
	k.l2, k.l3 = -3*eta*k.alpha0, -4*eta*k.beta0
	k.r2, k.r3 = -3*eta*k.alpha1, -4*eta*k.beta1
	return k
}

// sgld is the sgld loop: noise √(2ηD)·ξ.
func (k *kernel1D) sgld(src *rand.PCG, x float64, steps int64, tr *tracker) (float64, int64, error) {
	s := k.s
	eta, z := k.eta, k.z
	e1, l2, l3, r2, r3 := k.e1, k.l2, k.l3, k.r2, k.r3
	lo, hi := tr.lo, tr.hi
	var flatSteps int64
	sig := math.Sqrt(2 * eta * s.p.Temperature)
	for step := int64(1); step <= steps; step++ {
		u := src.Uint64()
		xi, ok := z.Try(u)
		if !ok {
			xi = z.Finish(src, u)
		}
		d2, d3 := l2, l3
		if x >= 0 {
			d2, d3 = r2, r3
		}
		x = math.FMA(x, math.FMA(x, math.FMA(x, d3, d2), e1), sig*xi)
		flatSteps += int64(math.Float64bits(-x) >> 63)
		if x >= hi || x <= lo {
			if err := tr.cross(step, x, eta); err != nil {
				return x, flatSteps, err
			}
			lo, hi = tr.lo, tr.hi
		}
		if step%nanCheck == 0 && math.IsNaN(x) {
			return x, flatSteps, errDiverged(step, eta)
		}
	}
	return x, flatSteps, nil
}

// absH is the sgd-diffusion-abs-h loop.
func (k *kernel1D) absH(src *rand.PCG, x float64, steps int64, tr *tracker) (float64, int64, error) {
	s := k.s
	eta, z := k.eta, k.z
	e1, l2, l3, r2, r3 := k.e1, k.l2, k.l3, k.r2, k.r3
	hb := k.hb
	alpha0, beta0, alpha1, beta1 := k.alpha0, k.beta0, k.alpha1, k.beta1
	lo, hi := tr.lo, tr.hi
	var flatSteps int64
	// Noise η·√(|f″(x)|/B)·ξ, f″(x) = −|h_b| + x·(6αᵢ + 12βᵢ·x).
	sig := eta / math.Sqrt(s.p.BatchSize)
	lh1, lh2 := 6*alpha0, 12*beta0
	rh1, rh2 := 6*alpha1, 12*beta1
	for step := int64(1); step <= steps; step++ {
		u := src.Uint64()
		xi, ok := z.Try(u)
		if !ok {
			xi = z.Finish(src, u)
		}
		d2, d3, h1, h2 := l2, l3, lh1, lh2
		if x >= 0 {
			d2, d3, h1, h2 = r2, r3, rh1, rh2
		}
		h := math.FMA(x, math.FMA(x, h2, h1), -hb)
		x = math.FMA(x, math.FMA(x, math.FMA(x, d3, d2), e1), sig*math.Sqrt(math.Abs(h))*xi)
		flatSteps += int64(math.Float64bits(-x) >> 63)
		if x >= hi || x <= lo {
			if err := tr.cross(step, x, eta); err != nil {
				return x, flatSteps, err
			}
			lo, hi = tr.lo, tr.hi
		}
		if step%nanCheck == 0 && math.IsNaN(x) {
			return x, flatSteps, errDiverged(step, eta)
		}
	}
	return x, flatSteps, nil
}

// finiteSum is the sgd-diffusion-finite-sum loop.
func (k *kernel1D) finiteSum(src *rand.PCG, x float64, steps int64, tr *tracker) (float64, int64, error) {
	s := k.s
	eta, z := k.eta, k.z
	e1, l2, l3, r2, r3 := k.e1, k.l2, k.l3, k.r2, k.r3
	a0, a1 := k.a0, k.a1
	sigB, sigMin0, sigMin1 := k.sigB, k.sigMin0, k.sigMin1
	lo, hi := tr.lo, tr.hi
	var flatSteps int64
	// Noise (η/√B)·σ(x)·ξ with σ as for SGD below.
	scale := eta / math.Sqrt(s.p.BatchSize)
	sb := sigB
	la, ra := math.Pow(a0, 4), math.Pow(a1, 4)
	ld := 2 * a0 * a0 * (sigMin0 - sb)
	rd := 2 * a1 * a1 * (sigMin1 - sb)
	for step := int64(1); step <= steps; step++ {
		u := src.Uint64()
		xi, ok := z.Try(u)
		if !ok {
			xi = z.Finish(src, u)
		}
		d2, d3, na, nd := l2, l3, la, ld
		if x >= 0 {
			d2, d3, na, nd = r2, r3, ra, rd
		}
		x2 := x * x
		sigma := sb + nd*x2/math.FMA(x2, x2, na)
		x = math.FMA(x, math.FMA(x, math.FMA(x, d3, d2), e1), scale*sigma*xi)
		flatSteps += int64(math.Float64bits(-x) >> 63)
		if x >= hi || x <= lo {
			if err := tr.cross(step, x, eta); err != nil {
				return x, flatSteps, err
			}
			lo, hi = tr.lo, tr.hi
		}
		if step%nanCheck == 0 && math.IsNaN(x) {
			return x, flatSteps, errDiverged(step, eta)
		}
	}
	return x, flatSteps, nil
}

// sgd is the minibatch sgd loop.
func (k *kernel1D) sgd(src *rand.PCG, x float64, steps int64, tr *tracker) (float64, int64, error) {
	s := k.s
	eta := k.eta
	e1, l2, l3, r2, r3 := k.e1, k.l2, k.l3, k.r2, k.r3
	a0, a1 := k.a0, k.a1
	sigB, sigMin0, sigMin1 := k.sigB, k.sigMin0, k.sigMin1
	lo, hi := tr.lo, tr.hi
	var flatSteps int64
	// Noise −η·σ(x)·s̄, s̄ = (2K − B)/B, K ~ Binomial(B, ½) the number
	// of drawn samples whose sign is +1 (one random bit per sample);
	// σ(x) = √|h_b| + Dᵢ·x²/(Aᵢ + x⁴), Aᵢ = aᵢ⁴, Dᵢ = 2aᵢ²(√hᵢ − √|h_b|).
	B := s.batch
	words, rest := B/64, B%64
	mask := uint64(1)<<rest - 1
	scale := eta / float64(B)
	sb := sigB
	la, ra := math.Pow(a0, 4), math.Pow(a1, 4)
	ld := 2 * a0 * a0 * (sigMin0 - sb)
	rd := 2 * a1 * a1 * (sigMin1 - sb)
	for step := int64(1); step <= steps; step++ {
		k := 0
		for range words {
			k += bits.OnesCount64(src.Uint64())
		}
		if rest > 0 {
			k += bits.OnesCount64(src.Uint64() & mask)
		}
		d2, d3, na, nd := l2, l3, la, ld
		if x >= 0 {
			d2, d3, na, nd = r2, r3, ra, rd
		}
		x2 := x * x
		sigma := sb + nd*x2/math.FMA(x2, x2, na)
		x = math.FMA(x, math.FMA(x, math.FMA(x, d3, d2), e1), scale*float64(B-2*k)*sigma)
		flatSteps += int64(math.Float64bits(-x) >> 63)
		if x >= hi || x <= lo {
			if err := tr.cross(step, x, eta); err != nil {
				return x, flatSteps, err
			}
			lo, hi = tr.lo, tr.hi
		}
		if step%nanCheck == 0 && math.IsNaN(x) {
			return x, flatSteps, errDiverged(step, eta)
		}
	}
	return x, flatSteps, nil
}

// ndSim is the n-D loop: the steps of the dynamics' row of the table
// (escape.TwoWellStepper) and the occupancy and transitions they make.
type ndSim struct {
	s    *Simulator
	step *escape.TwoWellStepper
}

// newND returns the n-D loop of one run drawing from src.
func (s *Simulator) newND(src *rand.PCG) (*ndSim, error) {
	st, err := escape.NewTwoWellStepper(s.p.Dynamics, s.tw, s.p.Eta, s.p.BatchSize, s.p.Temperature, src, s.zig)
	if err != nil {
		return nil, err
	}
	return &ndSim{s: s, step: st}, nil
}

// run runs steps steps of the n-D dynamics from x (updated in place).
func (nd *ndSim) run(x []float64, steps int64, tr *tracker) error {
	eta := nd.s.p.Eta
	var flatSteps int64
	for step := int64(1); step <= steps; step++ {
		if err := nd.step.Step(x); err != nil {
			return err
		}
		if x[0] >= 0 {
			flatSteps++
		}
		if x[0] >= tr.hi || x[0] <= tr.lo {
			if err := tr.cross(step, x[0], eta); err != nil {
				return err
			}
		}
		if step%nanCheck == 0 {
			for _, v := range x {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					return errDiverged(step, eta)
				}
			}
		}
	}
	for _, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return errDiverged(steps, eta)
		}
	}
	tr.rep.FlatSteps += flatSteps
	return nil
}
