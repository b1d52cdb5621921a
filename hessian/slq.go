package hessian

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// SLQOptions configures SLQ. The zero value gives the defaults.
type SLQOptions struct {
	// Seed seeds the start vectors: run r draws from PCG(Seed, r).
	Seed uint64
	// NumRuns is the number of random start vectors; 0 means 1.
	NumRuns int
	// Steps is the number of Lanczos steps per run; 0 means 100 (PyHessian's
	// default). It is capped at n, where the quadrature is exact.
	Steps int
	// Gaussian draws start vectors with standard normal entries instead of
	// Rademacher ±1 (PyHessian's choice). Either is normalised to unit norm.
	Gaussian bool
	// Progress, if not nil, is called after each Lanczos step with the steps
	// done and NumRuns·Steps.
	Progress func(done, total int)
}

// Density is a spectral density estimate Σ_j w_j δ(λ − λ_j): Gauss
// quadrature nodes and weights pooled over the runs.
type Density struct {
	// Nodes are the Ritz values of every run, run after run.
	Nodes []float64
	// Weights are the squared first components of the Ritz vectors, each
	// divided by NumRuns: every run contributes 1/NumRuns in total and all
	// the weights sum to 1.
	Weights []float64
	// NumRuns and Steps are the options used (Steps after capping at n).
	NumRuns, Steps int
}

// SLQ estimates the spectral density of op by stochastic Lanczos quadrature
// (Golub & Meurant 1994; Ubaru, Chen & Saad, SIAM J. Matrix Anal. Appl. 38,
// 2017; Ghorbani, Krishnan & Xiao, ICML 2019; PyHessian's density, Yao et al.
// 2020). For each run a unit random vector v starts Steps Lanczos steps with
// full reorthogonalisation; with T = SΘSᵀ the eigendecomposition of the
// tridiagonal matrix, the nodes θ_j and weights s_{1j}² form the Gauss
// quadrature rule for the measure μ_v(λ) = Σ_i (u_iᵀv)² δ(λ − λ_i):
// Σ_j s_{1j}² f(θ_j) = vᵀf(A)v for every polynomial f of degree < 2·Steps,
// and for every f when Steps = n. E[μ_v] is the spectral density of A.
// A run whose Krylov space becomes invariant before Steps stops there: its
// rule is then exact.
func SLQ(op Operator, o SLQOptions) (*Density, error) {
	if op == nil {
		return nil, errors.New("hessian.SLQ: nil operator")
	}
	n := op.Dim()
	runs, steps := o.NumRuns, o.Steps
	if runs == 0 {
		runs = 1
	}
	if steps == 0 {
		steps = 100
	}
	switch {
	case n < 1:
		return nil, fmt.Errorf("hessian.SLQ: operator dimension %d, want at least 1", n)
	case runs < 0:
		return nil, fmt.Errorf("hessian.SLQ: NumRuns = %d, want ≥ 1 (0 for the default)", o.NumRuns)
	case steps < 0:
		return nil, fmt.Errorf("hessian.SLQ: Steps = %d, want ≥ 1 (0 for the default)", o.Steps)
	}
	steps = min(steps, n)
	d := &Density{NumRuns: runs, Steps: steps}
	v := make([]float64, n)
	for r := range runs {
		rng := rand.New(rand.NewPCG(o.Seed, uint64(r)))
		for i := range v {
			if o.Gaussian {
				v[i] = rng.NormFloat64()
			} else {
				v[i] = float64(2*int(rng.Uint64()&1) - 1)
			}
		}
		var progress func(int)
		if o.Progress != nil {
			progress = func(j int) { o.Progress(r*steps+j, runs*steps) }
		}
		nodes, weights, err := slqRun(op, v, steps, progress)
		if err != nil {
			return nil, fmt.Errorf("hessian.SLQ: run %d: %w", r, err)
		}
		for j := range weights {
			weights[j] /= float64(runs)
		}
		d.Nodes = append(d.Nodes, nodes...)
		d.Weights = append(d.Weights, weights...)
	}
	return d, nil
}

// slqRun runs up to steps Lanczos steps from v and returns the Gauss
// quadrature nodes (Ritz values, ascending) and weights (squared first
// components of the unit eigenvectors of T, summing to 1).
func slqRun(op Operator, v []float64, steps int, progress func(int)) (nodes, weights []float64, err error) {
	kr, err := newKrylov(op, v, nil)
	if err != nil {
		return nil, nil, err
	}
	for kr.m() < steps && !kr.exhausted {
		if err := kr.step(); err != nil {
			return nil, nil, err
		}
		if progress != nil {
			progress(kr.m())
		}
	}
	theta, s, err := kr.ritz()
	if err != nil {
		return nil, nil, err
	}
	weights = make([]float64, len(theta))
	for j := range weights {
		weights[j] = s[j] * s[j] // first row of S
	}
	return theta, weights, nil
}

// Evaluate returns the Gaussian-smoothed density
// φ(x) = Σ_j w_j·exp(−(x − λ_j)²/(2σ²))/(σ√(2π)) at each grid point, as in
// PyHessian's density_generate. Each kernel integrates to 1, so φ does over
// a grid wide enough to hold the kernels. It returns nil when sigma is not
// positive.
func (d *Density) Evaluate(grid []float64, sigma float64) []float64 {
	if !(sigma > 0) || math.IsInf(sigma, 0) {
		return nil
	}
	c := 1 / (sigma * math.Sqrt(2*math.Pi))
	out := make([]float64, len(grid))
	for i, x := range grid {
		sum := 0.0
		for j, l := range d.Nodes {
			z := (x - l) / sigma
			sum += d.Weights[j] * math.Exp(-z*z/2)
		}
		out[i] = c * sum
	}
	return out
}

// Grid returns n equally spaced points from min(Nodes) − 6σ to
// max(Nodes) + 6σ. The margin is wider than PyHessian's fixed 0.01 so that
// the tails of the kernels left outside carry less than 1e-8 of the mass;
// a spacing below σ (n large enough) makes the trapezoid rule on Evaluate's
// values accurate to ~1e-8. It returns nil when n < 2, sigma is not
// positive or there are no nodes.
func (d *Density) Grid(n int, sigma float64) []float64 {
	if n < 2 || !(sigma > 0) || math.IsInf(sigma, 0) || len(d.Nodes) == 0 {
		return nil
	}
	lo, hi := slices.Min(d.Nodes)-6*sigma, slices.Max(d.Nodes)+6*sigma
	g := make([]float64, n)
	for i := range g {
		g[i] = lo + (hi-lo)*float64(i)/float64(n-1)
	}
	return g
}
