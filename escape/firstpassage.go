package escape

import (
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/sgn-project/sgn/escape/firstpassage"
)

// oneD returns L', L″ and, for the dynamics of p, the standard deviation
// s(x) of a step's noise and the diffusion D(x) = s(x)²/(2η) of a 1-D
// analytic landscape; ok is false when p's dynamics has no Gaussian step
// there.
func oneD(an *Analytic, p Point) (grad, curv, sd, diff func(x float64) float64, ok bool) {
	if c := an.cubic; c != nil {
		grad = func(x float64) float64 { return c[0] + x*(c[1]+x*(c[2]+x*c[3])) }
		curv = func(x float64) float64 { return c[1] + x*(2*c[2]+x*3*c[3]) }
	} else {
		grad = func(x float64) float64 {
			g := []float64{0}
			an.Grad(g, []float64{x})
			return g[0]
		}
		curv = func(x float64) float64 {
			h := mat.NewSymDense(1, nil)
			an.Hessian(h, []float64{x})
			return h.At(0, 0)
		}
	}
	eta := p.Eta
	switch {
	case p.Dynamics == SGLD:
		sig := math.Sqrt(2 * eta * p.Temperature)
		sd = func(float64) float64 { return sig }
	case p.Dynamics == SGDDiffusion:
		sig := eta / math.Sqrt(p.BatchSize)
		sd = func(x float64) float64 { return sig * math.Sqrt(math.Abs(curv(x))) }
	case p.Dynamics == SGDDiffusionFiniteSum && an.noiseScale != nil:
		sig := eta / math.Sqrt(p.BatchSize)
		sd = func(x float64) float64 { return sig * an.noiseScale(x) }
	default:
		return nil, nil, nil, nil, false
	}
	diff = func(x float64) float64 { v := sd(x); return v * v / (2 * eta) }
	return grad, curv, sd, diff, true
}

// ExactChainSteps1D returns the exact mean number of steps to escape of the
// finite-step run a 1-D simulator of this package makes at point p (SGLD,
// the SGD diffusion, or the finite-sum SGD diffusion on a finite-sum
// landscape, started at the valley's minimum, with p's escape criterion),
// from firstpassage.ChainMean on n intervals. Where the criterion leaves a
// side open the domain is cut by a reflecting wall where the loss has risen
// 30 temperatures above L(a) (the temperature D(a) of the dynamics at the
// minimum), far beyond any place the runs reach. ok is false when the
// landscape is not 1-D or the dynamics has no Gaussian step.
func ExactChainSteps1D(an *Analytic, p Point, n int) (steps float64, ok bool, err error) {
	if an.Dim() != 1 {
		return 0, false, nil
	}
	grad, _, sd, diff, ok := oneD(an, p)
	if !ok {
		return 0, false, nil
	}
	lo, hi, err := interval1D(an, p.Criterion)
	if err != nil {
		return 0, false, err
	}
	eta := p.Eta
	a := an.Valley.Min[0]
	temp := diff(a)
	step := func(x float64) (float64, float64) { return x - eta*grad(x), sd(x) }
	loss := func(x float64) float64 { return an.Loss([]float64{x}) }
	wall := func(dir float64) float64 {
		d := math.Abs(an.Valley.Col[0] - a)
		x := a + dir*d
		for i := 0; i < 60 && loss(x)-loss(a) < 30*temp; i++ {
			x += dir * d / 2
		}
		return x
	}
	ch := firstpassage.Chain{Step: step, Lo: lo, Hi: hi, LoAbsorbing: true, HiAbsorbing: true}
	if math.IsInf(lo, -1) {
		ch.Lo, ch.LoAbsorbing = wall(-1), false
	}
	if math.IsInf(hi, 1) {
		ch.Hi, ch.HiAbsorbing = wall(1), false
	}
	steps, err = firstpassage.ChainMean(ch, a, n)
	return steps, err == nil, err
}
