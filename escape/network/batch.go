package network

import (
	"github.com/sgn-project/sgn/escape"
	"github.com/sgn-project/sgn/model/replica"
	"github.com/sgn-project/sgn/train/minimum"
)

// MaxBatch is the most runs of a point that a worker steps together
// (RunBatch): replica's Losses computes 16 replicas' first layer in one
// product, so two such groups, and the replicas' vectors stay in the
// core's cache for networks of a few thousand parameters.
const MaxBatch = 32

// RunBatch simulates the runs of seeds together (see Factory), on the
// calling goroutine: out[i] and errs[i] are what Run(seeds[i]) returns,
// bit for bit (errs is nil when no run failed).
func (ns *simulator) RunBatch(seeds []uint64) (out []escape.Outcome, errs []error) {
	out, _, errs = ns.runBatch(seeds)
	return out, errs
}

// runBatch steps the runs of seeds in lockstep: step t of every run still
// under way, each by its own stepper on one engine, then their criterion,
// the loss criterion's full losses of all of them by one call of
// replica's Losses (the first layer of every replica as one product of
// the shared samples). Each run's arithmetic is run's: the same stepper
// and engine calls in the same order, and Losses gives every replica the
// bits of Loss whatever the others. So out[i], errs[i] and thetas[i] (θ
// where run i ended) are run(seeds[i])'s whatever the batch, and a run
// leaves the batch at its end.
func (ns *simulator) runBatch(seeds []uint64) (out []escape.Outcome, thetas [][]float64, errs []error) {
	R := len(seeds)
	out, thetas = make([]escape.Outcome, R), make([][]float64, R)
	fail := func(i int, err error) {
		if errs == nil {
			errs = make([]error, R)
		}
		errs[i] = err
	}
	e := ns.engines.Get().(*replica.Engine)
	defer ns.engines.Put(e)
	P := len(ns.phi0)
	phis, grads := make([][]float64, R), make([][]float64, R)
	steps := make([]*escape.NetworkStepper, R)
	active := make([]int, 0, R)
	for i, seed := range seeds {
		st, err := escape.NewNetworkStepper(ns.p, engineGradients{e: e, centered: ns.centered, whole: ns.wholeBatch}, ns.s, ns.decay, seed)
		if err != nil {
			fail(i, err)
			continue
		}
		steps[i] = st
		phis[i] = append([]float64(nil), ns.phi0...)
		thetas[i], grads[i] = make([]float64, P), make([]float64, P)
		for j, f := range phis[i] {
			thetas[i][j] = ns.s * f
		}
		active = append(active, i)
	}
	r2 := ns.crit.Radius * ns.crit.Radius
	level := ns.lossA + ns.crit.Delta
	batch := make([][]float64, 0, R)
	losses := make([]float64, R)
	for t := int64(1); t <= ns.maxSteps && len(active) > 0; t++ {
		for _, i := range active {
			steps[i].Step(thetas[i], phis[i], grads[i])
			th := thetas[i]
			for j, f := range phis[i] {
				th[j] = ns.s * f
			}
		}
		var judge func(k, i int) (escape.Outcome, bool, error)
		switch ns.crit.Kind {
		case escape.CriterionDistance:
			judge = func(_, i int) (escape.Outcome, bool, error) { return ns.distanceEscaped(t, thetas[i], r2) }
		case escape.CriterionLoss:
			if !ns.checks(t) {
				continue
			}
			batch = batch[:0]
			for _, i := range active {
				batch = append(batch, thetas[i])
			}
			e.Losses(batch, losses)
			judge = func(k, i int) (escape.Outcome, bool, error) {
				return ns.lossEscaped(t, losses[k]+minimum.Penalty(ns.decay, thetas[i]), level)
			}
		default:
			continue
		}
		kept := active[:0]
		for k, i := range active {
			o, done, err := judge(k, i)
			switch {
			case err != nil:
				fail(i, err)
			case done:
				out[i] = o
			default:
				kept = append(kept, i)
			}
		}
		active = kept
	}
	for _, i := range active {
		out[i] = escape.Outcome{Escaped: false, Step: ns.maxSteps}
	}
	return out, thetas, errs
}

var _ escape.BatchSimulator = (*simulator)(nil)
