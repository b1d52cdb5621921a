package network

import (
	"errors"
	"fmt"
	"math"
	"sync"

	"github.com/sgn-project/sgn/escape"
	"github.com/sgn-project/sgn/model/replica"
	"github.com/sgn-project/sgn/train/minimum"
)

// Factory returns the simulator maker of the network landscape started at
// mn. Each run of a point with sharpness k simulates, in φ = θ/√k (so that
// the loss L(√k·φ) has Hessian k·H and the same barriers), the network
// step of its dynamics' row of escape's table (escape.NewNetworkStepper):
//
//	sgd:          φ ← φ − η·√k·g_B(√k·φ)       (B samples with replacement)
//	sgd-gaussian: φ ← φ − η·√k·(∇L(√k·φ) + ξ),  ξ ~ N(0, C₀/B)
//	sgld:         φ ← φ − η·√k·∇L(√k·φ) + √(2ηD)·ζ,  ζ ~ N(0, I)
//	gd:           φ ← φ − η·√k·∇L(√k·φ)
//
// from φ₀ = θ₀/√k, with C₀ = (1/N)Σᵢ(gᵢ − ḡ)(gᵢ − ḡ)ᵀ the covariance of one
// sample's gradient at θ₀ (the covariance of g_B with replacement is
// C₀/B), drawn exactly as ξ = Σᵢ zᵢ(gᵢ − ḡ)/√(N·B), z ~ N(0, I_N). The
// escape criterion is on θ = √k·φ, a set that does not depend on k: loss
// L(θ) ≥ L(θ₀) + δ (checked every CheckEvery steps) or ‖θ − θ₀‖ ≥ r (every
// step).
func Factory(mn *Minimum) func(p escape.Point) (escape.Simulator, error) {
	base, err := replica.New(mn.Spec.Layers, mn.Spec.Activation, mn.x, mn.y)
	centered := sync.OnceValue(func() []float64 { return perSampleCentered(base, mn.Theta) })
	return func(p escape.Point) (escape.Simulator, error) {
		if err != nil {
			return nil, err
		}
		s, err := newSimulator(mn, base, p)
		if err != nil {
			return nil, err
		}
		s.centered = centered
		return s, nil
	}
}

// CheckPoint checks that a point can be simulated on a network
// landscape, without preparing the minimum.
func CheckPoint(p escape.Point) error {
	if err := p.Dynamics.CheckOn(true); err != nil {
		return err
	}
	if p.Dynamics.UsesBatch() && (!(p.BatchSize >= 1) || p.BatchSize != math.Trunc(p.BatchSize) || math.IsInf(p.BatchSize, 0)) {
		return escape.FieldErrorf("", "batch_size", "%v: want a whole number ≥ 1", p.BatchSize)
	}
	if p.Dynamics.UsesTemperature() && (!(p.Temperature > 0) || math.IsInf(p.Temperature, 0)) {
		return escape.FieldErrorf("", "temperature", "%v (SGLD diffusion D): want a positive number", p.Temperature)
	}
	if !(p.Eta > 0) || math.IsInf(p.Eta, 0) {
		return escape.FieldErrorf("", "eta", "%v: want a positive number", p.Eta)
	}
	if !(p.Sharpness > 0) || math.IsInf(p.Sharpness, 0) {
		return escape.FieldErrorf("", "sharpness", "%v: want a positive number", p.Sharpness)
	}
	if p.MaxSteps < 1 {
		return escape.FieldErrorf("", "max_steps", "%d: want a positive integer", p.MaxSteps)
	}
	if p.Criterion.Kind != escape.CriterionLoss && p.Criterion.Kind != escape.CriterionDistance {
		return fmt.Errorf("criterion %q: a network needs loss or distance", p.Criterion.Kind)
	}
	return p.Criterion.Validate()
}

type simulator struct {
	base       *replica.Engine
	engines    sync.Pool
	p          escape.Point
	eta, s     float64 // η and √k
	decay      float64 // weight decay λ
	maxSteps   int64
	crit       escape.Criterion
	checkEvery int64
	theta0     []float64 // θ₀
	phi0       []float64 // θ₀/√k
	lossA      float64   // L(√k·φ₀)
	// centered returns the N×P rows gᵢ − ḡ at θ₀, computed on first use.
	centered func() []float64
	// wholeBatch (tests): every minibatch is all N samples.
	wholeBatch bool
}

func newSimulator(mn *Minimum, base *replica.Engine, p escape.Point) (*simulator, error) {
	if err := CheckPoint(p); err != nil {
		return nil, err
	}
	ns := &simulator{base: base, p: p, eta: p.Eta, s: math.Sqrt(p.Sharpness), maxSteps: p.MaxSteps, crit: p.Criterion, checkEvery: int64(mn.Spec.CheckEvery), theta0: mn.Theta,
		decay: mn.Spec.WeightDecay}
	ns.engines.New = func() any { return base.Clone() }
	ns.centered = sync.OnceValue(func() []float64 { return perSampleCentered(base, mn.Theta) })
	ns.phi0 = make([]float64, len(mn.Theta))
	for i, t := range mn.Theta {
		ns.phi0[i] = t / ns.s
	}
	th := make([]float64, len(mn.Theta))
	for i, f := range ns.phi0 {
		th[i] = ns.s * f
	}
	ns.lossA = base.Clone().Loss(th) + minimum.Penalty(ns.decay, th)
	return ns, nil
}

// perSampleCentered returns the N×P matrix of per-sample gradients at θ
// minus their mean.
func perSampleCentered(e *replica.Engine, theta []float64) []float64 {
	e = e.Clone()
	P := len(theta)
	G := make([]float64, e.N()*P)
	mean := make([]float64, P)
	for i := 0; i < e.N(); i++ {
		g := G[i*P : (i+1)*P]
		e.AddSampleGrad(theta, i, 1, g)
		for j, v := range g {
			mean[j] += v
		}
	}
	for j := range mean {
		mean[j] /= float64(e.N())
	}
	for i := 0; i < e.N(); i++ {
		g := G[i*P : (i+1)*P]
		for j := range g {
			g[j] -= mean[j]
		}
	}
	return G
}

// Run simulates one run (see Factory).
func (ns *simulator) Run(seed uint64) (escape.Outcome, error) {
	o, _, err := ns.run(seed)
	return o, err
}

// EscapeDisplacement simulates one run of sim, a Simulator made by
// Factory(mn), from the given seed exactly as a sweep does (same
// Outcome), and returns θ − θ₀ at the step where the run ended: the escape
// step, or the step limit for a censored run.
func EscapeDisplacement(sim escape.Simulator, mn *Minimum, seed uint64) (escape.Outcome, []float64, error) {
	ns, ok := sim.(*simulator)
	if !ok {
		return escape.Outcome{}, nil, errors.New("EscapeDisplacement: not a network landscape's simulator")
	}
	o, theta, err := ns.run(seed)
	if err != nil {
		return o, nil, err
	}
	for i, v := range mn.Theta {
		theta[i] -= v
	}
	return o, theta, nil
}

// run simulates one run and also returns the final θ.
func (ns *simulator) run(seed uint64) (escape.Outcome, []float64, error) {
	e := ns.engines.Get().(*replica.Engine)
	defer ns.engines.Put(e)
	P := len(ns.phi0)
	phi := append([]float64(nil), ns.phi0...)
	theta := make([]float64, P)
	grad := make([]float64, P)
	for i, f := range phi {
		theta[i] = ns.s * f
	}
	st, err := escape.NewNetworkStepper(ns.p, engineGradients{e: e, centered: ns.centered, whole: ns.wholeBatch}, ns.s, ns.decay, seed)
	if err != nil {
		return escape.Outcome{}, nil, err
	}
	r2 := ns.crit.Radius * ns.crit.Radius
	level := ns.lossA + ns.crit.Delta
	for t := int64(1); t <= ns.maxSteps; t++ {
		st.Step(theta, phi, grad)
		for i, f := range phi {
			theta[i] = ns.s * f
		}
		if o, done, err := ns.escaped(e, t, theta, r2, level); done || err != nil {
			return o, theta, err
		}
	}
	return escape.Outcome{Escaped: false, Step: ns.maxSteps}, theta, nil
}

// engineGradients are the gradients of a run's replica engine.
type engineGradients struct {
	e        *replica.Engine
	centered func() []float64
	whole    bool // tests: every minibatch is all N samples
}

func (g engineGradients) Samples() int        { return g.e.N() }
func (g engineGradients) Centered() []float64 { return g.centered() }
func (g engineGradients) Gradient(theta []float64, ids []int, grad []float64) {
	if g.whole {
		ids = nil
	}
	g.e.LossGrad(theta, ids, grad)
}

// escaped checks the criterion after step t: an escape (done), a
// divergence (an error) or neither. r2 is the squared radius of the
// distance criterion and level the loss of the loss criterion.
func (ns *simulator) escaped(e *replica.Engine, t int64, theta []float64, r2, level float64) (escape.Outcome, bool, error) {
	switch ns.crit.Kind {
	case escape.CriterionDistance:
		return ns.distanceEscaped(t, theta, r2)
	case escape.CriterionLoss:
		if ns.checks(t) {
			return ns.lossEscaped(t, e.Loss(theta)+minimum.Penalty(ns.decay, theta), level)
		}
	}
	return escape.Outcome{}, false, nil
}

// distanceEscaped is escaped for the distance criterion ‖θ − θ₀‖² ≥ r2.
func (ns *simulator) distanceEscaped(t int64, theta []float64, r2 float64) (escape.Outcome, bool, error) {
	var d2 float64
	for i, v := range theta {
		d := v - ns.theta0[i]
		d2 += d * d
	}
	if d2 >= r2 {
		return escape.Outcome{Escaped: true, Step: t}, true, nil
	}
	if math.IsNaN(d2) {
		return escape.Outcome{}, true, escape.DivergedError(t, ns.eta)
	}
	return escape.Outcome{}, false, nil
}

// checks reports whether the loss criterion is checked after step t:
// every CheckEvery steps and at the step limit.
func (ns *simulator) checks(t int64) bool { return t%ns.checkEvery == 0 || t == ns.maxSteps }

// lossEscaped is escaped for the loss criterion at a check, l the loss
// CE + (λ/2)‖θ‖² after step t.
func (ns *simulator) lossEscaped(t int64, l, level float64) (escape.Outcome, bool, error) {
	if l >= level {
		return escape.Outcome{Escaped: true, Step: t}, true, nil
	}
	if math.IsNaN(l) {
		return escape.Outcome{}, true, escape.DivergedError(t, ns.eta)
	}
	return escape.Outcome{}, false, nil
}
