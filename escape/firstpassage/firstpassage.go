// Package firstpassage computes exact mean first-passage times in one
// dimension, the references that escape simulations of SGD and SGLD are
// checked against (Xie, Sato & Sugiyama, ICLR 2021, Theorems 1–2, are
// their low-temperature limits): of a finite-step Markov chain with
// Gaussian steps (ChainMean), of a diffusion with a state-dependent
// diffusion coefficient (Diffusion) and of Langevin dynamics in a
// potential at a constant temperature (Potential) (Gardiner, Handbook of
// Stochastic Methods, §5.2.7). It knows no landscapes: they enter as
// functions of x.
package firstpassage

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// Chain is a 1-D Markov chain with Gaussian steps,
//
//	x' = m(x) + s(x)·ξ,   ξ ~ N(0, 1),
//
// the finite-step dynamics of a 1-D simulator of SGD or SGLD (m(x) =
// x − η·L'(x); s = √(2ηD) for SGLD, η·√(|L″(x)|/B) for the SGD diffusion). It lives on [Lo, Hi]: a step that lands at or beyond an
// absorbing side ends the run (an escape); a step beyond a reflecting side
// is put back on that side.
type Chain struct {
	// Step returns m(x) and s(x) ≥ 0.
	Step func(x float64) (mean, sd float64)
	// Lo < Hi are the ends of the domain; both must be finite.
	Lo, Hi float64
	// LoAbsorbing and HiAbsorbing say which ends absorb. At least one must.
	LoAbsorbing, HiAbsorbing bool
}

// ChainMean returns the exact mean number of steps before the
// chain, started at x0 ∈ (Lo, Hi), is absorbed: the solution τ of the
// backward equation
//
//	τ(x) = 1 + E[τ(x')],   τ = 0 on the absorbing ends,
//
// (a Fredholm equation of the second kind) by the Nyström method with
// piecewise-linear elements on n intervals of [Lo, Hi]: τ is the linear
// interpolant of its nodal values, and E[τ(x')] is integrated exactly
// against the Gaussian kernel (closed form in Φ and φ), so the method is
// second order in the grid step for a smooth τ, with no condition that
// the grid resolve s(x) (s = 0 is exact interpolation at m(x)). The dense
// system, a banded M-matrix, is solved by banded Gaussian elimination. It returns an error when the chain is not
// absorbed from x0 (a singular system or a non-finite or negative time).
//
// This is the exact reference that a simulation of the finite-step chain
// converges to as the number of runs grows, at any step size: unlike the
// continuous-time limit (Diffusion) it has no
// discretisation bias in η.
func ChainMean(c Chain, x0 float64, n int) (float64, error) {
	if c.Step == nil {
		return 0, errors.New("chain: no step function")
	}
	if !(c.Lo < c.Hi) || math.IsInf(c.Lo, 0) || math.IsInf(c.Hi, 0) {
		return 0, fmt.Errorf("chain: domain [%g, %g]: want finite Lo < Hi", c.Lo, c.Hi)
	}
	if !c.LoAbsorbing && !c.HiAbsorbing {
		return 0, errors.New("chain: no absorbing end")
	}
	if !(x0 > c.Lo && x0 < c.Hi) {
		return 0, fmt.Errorf("chain: start %g outside (%g, %g)", x0, c.Lo, c.Hi)
	}
	if n < 2 || n > 20000 {
		return 0, fmt.Errorf("chain: %d intervals: want 2 … 20000", n)
	}
	h := (c.Hi - c.Lo) / float64(n)
	node := func(j int) float64 {
		if j == n {
			return c.Hi
		}
		return c.Lo + float64(j)*h
	}
	// Unknowns: the nodes whose τ is not fixed at 0.
	first, last := 0, n
	if c.LoAbsorbing {
		first = 1
	}
	if c.HiAbsorbing {
		last = n - 1
	}
	m := last - first + 1
	a := mat.NewDense(m, m, nil)
	rhs := mat.NewVecDense(m, nil)
	w := make([]float64, n+1)
	for i := first; i <= last; i++ {
		mu, sd := c.Step(node(i))
		if math.IsNaN(mu) || math.IsInf(mu, 0) || !(sd >= 0) || math.IsInf(sd, 0) {
			return 0, fmt.Errorf("chain: step at x = %g gives mean %g, sd %g", node(i), mu, sd)
		}
		hatWeights(w, mu, sd, c.Lo, h, n)
		if !c.LoAbsorbing {
			w[0] += normalCDF(c.Lo, mu, sd)
		}
		if !c.HiAbsorbing {
			w[n] += 1 - normalCDF(c.Hi, mu, sd)
		}
		for j := first; j <= last; j++ {
			a.Set(i-first, j-first, -w[j])
		}
		a.Set(i-first, i-first, a.At(i-first, i-first)+1)
		rhs.SetVec(i-first, 1)
	}
	tau, err := solveBanded(a, rhs.RawVector().Data)
	if err != nil {
		return 0, fmt.Errorf("chain: %v: the chain is not absorbed", err)
	}
	at := func(j int) float64 {
		if j < first || j > last {
			return 0
		}
		return tau[j-first]
	}
	// τ(x0): one more application of the equation, τ(x0) = 1 + E[τ(x')],
	// exact for the interpolant (better than interpolating τ at x0).
	mu, sd := c.Step(x0)
	hatWeights(w, mu, sd, c.Lo, h, n)
	if !c.LoAbsorbing {
		w[0] += normalCDF(c.Lo, mu, sd)
	}
	if !c.HiAbsorbing {
		w[n] += 1 - normalCDF(c.Hi, mu, sd)
	}
	t := 1.0
	for j := 0; j <= n; j++ {
		t += w[j] * at(j)
	}
	if !(t >= 1) || math.IsInf(t, 0) {
		return 0, fmt.Errorf("chain: mean first-passage time %g: the chain is not absorbed from %g", t, x0)
	}
	return t, nil
}

// solveBanded solves A·x = b for the matrix I − W of the backward equation,
// a nonsingular M-matrix (W ≥ 0 with row sums ≤ 1, some < 1, reaching an
// absorbing end from every node) whose nonzeros lie in a band around the
// diagonal: Gaussian elimination without pivoting (stable for M-matrices:
// the pivots stay positive, the multipliers non-positive) restricted to the
// band, O(n·bl·bu) instead of O(n³). A is overwritten. A pivot that is not
// positive means the chain is not absorbed from some node.
func solveBanded(a *mat.Dense, b []float64) ([]float64, error) {
	n, _ := a.Dims()
	raw := a.RawMatrix()
	at := func(i, j int) *float64 { return &raw.Data[i*raw.Stride+j] }
	bl, bu := 0, 0
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			if *at(i, j) != 0 {
				if i > j {
					bl = max(bl, i-j)
				} else {
					bu = max(bu, j-i)
				}
			}
		}
	}
	if 8*(bl+bu) > n {
		// A wide band: gonum's blocked LU (on the GEMM) is faster.
		var x mat.VecDense
		if err := x.SolveVec(a, mat.NewVecDense(n, append([]float64(nil), b...))); err != nil {
			return nil, err
		}
		return x.RawVector().Data, nil
	}
	x := append([]float64(nil), b...)
	for k := 0; k < n; k++ {
		piv := *at(k, k)
		if !(piv > 0) {
			return nil, fmt.Errorf("pivot %d is %g", k, piv)
		}
		jhi := min(n-1, k+bu)
		for i := k + 1; i <= min(n-1, k+bl); i++ {
			l := *at(i, k) / piv
			if l == 0 {
				continue
			}
			row, prow := raw.Data[i*raw.Stride:], raw.Data[k*raw.Stride:]
			for j := k + 1; j <= jhi; j++ {
				row[j] -= l * prow[j]
			}
			x[i] -= l * x[k]
		}
	}
	for k := n - 1; k >= 0; k-- {
		s := x[k]
		row := raw.Data[k*raw.Stride:]
		for j := k + 1; j <= min(n-1, k+bu); j++ {
			s -= row[j] * x[j]
		}
		x[k] = s / row[k]
	}
	return x, nil
}

// normalCDF returns P(X ≤ u) for X ~ N(mu, sd²) (a step at sd = 0).
func normalCDF(u, mu, sd float64) float64 {
	if sd == 0 {
		if u >= mu {
			return 1
		}
		return 0
	}
	return 0.5 * math.Erfc(-(u-mu)/(sd*math.Sqrt2))
}

// hatWeights stores in w[j] = E[φⱼ(X)·1{Lo ≤ X ≤ Hi}], X ~ N(mu, sd²), for
// the piecewise-linear hat functions φⱼ of the nodes Lo + j·h, j = 0…n.
// With F(u) = P(X ≤ u) and G(u) = sd·ϕ((u − mu)/sd),
// ∫_u^v (y − c) dN(y) = (mu − c)(F(v) − F(u)) + G(u) − G(v).
// Only the nodes within 10 sd (and one cell) of mu are touched; the rest
// are zero.
func hatWeights(w []float64, mu, sd, lo, h float64, n int) {
	clear(w)
	if sd == 0 {
		t := (mu - lo) / h
		if t < 0 || t > float64(n) {
			return
		}
		j := int(math.Floor(t))
		if j >= n {
			w[n] = 1
			return
		}
		f := t - float64(j)
		w[j] += 1 - f
		w[j+1] += f
		return
	}
	jlo := int(math.Floor((mu - 10*sd - lo) / h))
	jhi := int(math.Ceil((mu + 10*sd - lo) / h))
	jlo = max(jlo, 0)
	jhi = min(jhi, n)
	if jlo >= jhi {
		// The mass lies beyond an end of [lo, lo + n·h].
		return
	}
	g := func(u float64) float64 {
		z := (u - mu) / sd
		return sd * math.Exp(-z*z/2) / math.Sqrt(2*math.Pi)
	}
	// Cell k = [x_k, x_{k+1}] contributes (x_{k+1} − y)/h to w[k] and
	// (y − x_k)/h to w[k+1].
	xk := lo + float64(jlo)*h
	fk, gk := normalCDF(xk, mu, sd), g(xk)
	for k := jlo; k < jhi; k++ {
		x1 := lo + float64(k+1)*h
		f1, g1 := normalCDF(x1, mu, sd), g(x1)
		df, dg := f1-fk, gk-g1
		// ∫ (y − x_k) dN over the cell, and ∫ (x_{k+1} − y) dN = h·df − that.
		// Both parts are ≥ 0 exactly; clamp the rounding of the
		// difference of nearly equal terms.
		up := math.Min(math.Max((mu-xk)*df+dg, 0), h*df)
		w[k+1] += up / h
		w[k] += (h*df - up) / h
		xk, fk, gk = x1, f1, g1
	}
}

// Diffusion returns the exact mean first-passage time of the 1-D Itô
// diffusion
//
//	dx = −L'(x)dt + √(2D(x))·dW
//
// from a to xf > a, with a reflecting wall at lo < a (Gardiner, Handbook of
// Stochastic Methods, §5.2.7, with a state-dependent diffusion):
//
//	T = ∫_a^xf dy e^{Ψ(y)} ∫_lo^y dz e^{−Ψ(z)}/D(z),   Ψ' = L'/D,
//
// by the trapezoidal rule on n intervals of [lo, xf]. It is the
// continuous-time limit of the finite-step chains at fixed D (SGLD) or at
// fixed B/η (the SGD diffusion, D(x) = η·|L″(x)|/(2B)), time in units of
// η·steps. It returns +Inf when D vanishes somewhere on [a, xf] while L' > 0
// there — the diffusion can then never cross that point (in 1-D the SGD
// diffusion's D ∝ |L″| vanishes at the inflection point between the minimum
// and the col; only finite steps jump over it).
func Diffusion(grad, diff func(float64) float64, lo, a, xf float64, n int) float64 {
	h := (xf - lo) / float64(n)
	if Vanishes(diff, grad, a, xf, n) {
		return math.Inf(1)
	}
	// Ψ relative to its value at a: integrate Ψ' from lo.
	psi := make([]float64, n+1)
	inv := make([]float64, n+1) // 1/D
	ia := int(math.Round((a - lo) / h))
	for i := 0; i <= n; i++ {
		d := diff(lo + float64(i)*h)
		if !(d > 0) {
			d = math.SmallestNonzeroFloat64
		}
		inv[i] = 1 / d
	}
	prev := grad(lo) * inv[0]
	for i := 1; i <= n; i++ {
		cur := grad(lo+float64(i)*h) * inv[i]
		psi[i] = psi[i-1] + h/2*(prev+cur)
		prev = cur
		if math.IsInf(psi[i], 0) || math.IsNaN(psi[i]) {
			return math.Inf(1)
		}
	}
	ref := psi[ia]
	inner := 0.0
	t := 0.0
	prevIn := math.Exp(-(psi[0] - ref)) * inv[0]
	prevOut := 0.0
	for i := 1; i <= n; i++ {
		e := math.Exp(-(psi[i] - ref)) * inv[i]
		inner += h / 2 * (prevIn + e)
		prevIn = e
		out := math.Exp(psi[i]-ref) * inner
		if i > ia {
			t += h / 2 * (prevOut + out)
		}
		prevOut = out
	}
	return t
}

// Vanishes reports whether D vanishes at a point of (a, xf) where the drift
// −L' points back (L' > 0): the grid minima of D on n intervals, each
// refined by golden-section search over its two cells, against 1e-10 of
// the largest D on the grid. A zero of D is then at most the search's
// resolution away, where D is below 1e-10 of its scale; a D bounded away
// from 0 (by more than 1e-10 of its scale) never is.
func Vanishes(diff, grad func(float64) float64, a, xf float64, n int) bool {
	h := (xf - a) / float64(n)
	d := make([]float64, n+1)
	top := 0.0
	for i := range d {
		d[i] = diff(a + float64(i)*h)
		top = math.Max(top, d[i])
	}
	if !(top > 0) {
		return true
	}
	for i := 0; i <= n; i++ {
		if d[i] >= 1e-3*top || i > 0 && d[i] > d[i-1] || i < n && d[i] > d[i+1] {
			continue
		}
		l, r := a+float64(max(i-1, 0))*h, a+float64(min(i+1, n))*h
		g := (math.Sqrt(5) - 1) / 2
		for range 200 {
			m1, m2 := r-g*(r-l), l+g*(r-l)
			if diff(m1) < diff(m2) {
				r = m2
			} else {
				l = m1
			}
		}
		x := (l + r) / 2
		if diff(x) <= 1e-10*top && grad(x) > 0 {
			return true
		}
	}
	return false
}

// Potential returns the exact mean first-passage time of the 1-D
// diffusion dx = −L'(x)dt + √(2D)dW from a to xf > a, with a reflecting
// wall at lo < a (Gardiner, Handbook of Stochastic Methods, §5.2.7):
//
//	T = (1/D)·∫_a^xf dy e^{L(y)/D} ∫_lo^y dz e^{−L(z)/D},
//
// by the trapezoidal rule on about n intervals of [lo, xf], with a on the
// grid. Put lo where L(lo) − L(a) ≫ D to model an unbounded domain.
func Potential(loss func(float64) float64, lo, a, xf, d float64, n int) float64 {
	h := (xf - lo) / float64(n)
	n1 := int(math.Ceil((a - lo) / h))
	n2 := int(math.Ceil((xf - a) / h))
	la := loss(a)
	weight := func(z float64) float64 { return math.Exp(-(loss(z) - la) / d) }
	// Inner integral from lo to a.
	h1 := (a - lo) / float64(n1)
	inner := 0.0
	prev := weight(lo)
	for i := 1; i <= n1; i++ {
		e := weight(lo + float64(i)*h1)
		inner += h1 / 2 * (prev + e)
		prev = e
	}
	// Outer integral from a to xf, carrying the inner one along.
	h2 := (xf - a) / float64(n2)
	prevOut := inner // e^{(L(a)−L(a))/D}·inner
	t := 0.0
	for i := 1; i <= n2; i++ {
		y := a + float64(i)*h2
		e := weight(y)
		inner += h2 / 2 * (prev + e)
		prev = e
		out := inner / e
		t += h2 / 2 * (prevOut + out)
		prevOut = out
	}
	return t / d
}
