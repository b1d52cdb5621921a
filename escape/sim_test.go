package escape

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/sgn-project/sgn/internal/seed"
)

func dwPoint(dyn Dynamics, k, eta, b, d float64, maxSteps int64) Point {
	return Point{Dynamics: dyn, Sharpness: k, Eta: eta, BatchSize: b, Temperature: d, MaxSteps: maxSteps,
		Landscape: LandscapeSpec{Name: DoubleWellName, Barrier: 1, Dim: 1}, Criterion: Criterion{Kind: CriterionCol}}
}

// simulate runs n runs of sim, one after the other, with the seeds
// seed.Derive(s, 0, r) of a sweep's point 0 (those of escape/kramers'
// RunPoint).
func simulate(t *testing.T, sim Simulator, s uint64, n int) []Outcome {
	t.Helper()
	out := make([]Outcome, n)
	for r := range out {
		o, err := sim.Run(seed.Derive(s, 0, uint64(r)))
		if err != nil {
			t.Fatal(err)
		}
		out[r] = o
	}
	return out
}

// Without noise nothing escapes: gd from the minimum stays there.
func TestGDNeverEscapes(t *testing.T) {
	for _, tc := range testLandscapes() {
		for _, crit := range []Criterion{{Kind: CriterionCol}, {Kind: CriterionDistance, Radius: 1e-6}, {Kind: CriterionLoss, Delta: 1e-9}} {
			p := Point{Dynamics: GD, Sharpness: tc.k, Eta: 0.01, MaxSteps: 100000, Landscape: tc.spec, Criterion: crit}
			sim, err := AnalyticSimulator(p)
			if err != nil {
				t.Fatal(err)
			}
			for seed := uint64(1); seed <= 5; seed++ {
				r, err := sim.Run(seed)
				if err != nil {
					t.Fatal(err)
				}
				if r.Escaped || r.Step != p.MaxSteps {
					t.Errorf("%s, %s: gd run %+v, want censored at %d", tc.name, crit.Kind, r, p.MaxSteps)
				}
			}
		}
	}
}

// forceGeneric returns a copy of a 1-D landscape that runs the n-D loop.
func forceGeneric(an *Analytic) *Analytic {
	c := *an
	c.cubic = nil
	return &c
}

// The specialised 1-D loop and the generic n-D loop simulate the same
// process with the same normals: equal trajectories up to rounding and
// equal escape steps.
func TestFastLoopMatchesGenericLoop(t *testing.T) {
	for _, spec := range []LandscapeSpec{{Name: DoubleWellName, Barrier: 1}, {Name: StyblinskiTangName, Barrier: 1}} {
		for _, dyn := range []Dynamics{SGLD, SGDDiffusion, GD} {
			an, err := NewLandscape(spec, 1.5)
			if err != nil {
				t.Fatal(err)
			}
			p := Point{Dynamics: dyn, Eta: 0.01, BatchSize: 0.5, Temperature: 0.3, MaxSteps: 3000, Criterion: Criterion{Kind: CriterionDistance, Radius: 1e6}}
			fast, _ := NewAnalyticSimulator(an, p)
			slow, _ := NewAnalyticSimulator(forceGeneric(an), p)
			for seed := uint64(0); seed < 20; seed++ {
				_, xf, err1 := fast.(*analyticSim).run1D(rand.NewPCG(seed, PCGStream))
				_, xs, err2 := slow.(*analyticSim).runND(rand.NewPCG(seed, PCGStream))
				if err1 != nil || err2 != nil {
					t.Fatal(err1, err2)
				}
				if math.Abs(xf-xs[0]) > 1e-9 {
					t.Errorf("%s %s seed %d: final x %v (1-D loop) vs %v (n-D loop)", spec.Name, dyn, seed, xf, xs[0])
				}
			}
			// Escape steps under the col criterion.
			p.Criterion = Criterion{Kind: CriterionCol}
			p.MaxSteps = 200000
			fast, _ = NewAnalyticSimulator(an, p)
			slow, _ = NewAnalyticSimulator(forceGeneric(an), p)
			for seed := uint64(0); seed < 20; seed++ {
				a, err1 := fast.Run(seed)
				b, err2 := slow.Run(seed)
				if err1 != nil || err2 != nil || a != b {
					t.Errorf("%s %s seed %d: %+v %v (1-D loop) vs %+v %v (n-D loop)", spec.Name, dyn, seed, a, err1, b, err2)
				}
			}
		}
	}
}

// One sgd-diffusion step from the minimum has covariance η²·H(a)/B
// (the gradient vanishes there): checked on the 1-D loop (diagonal) and
// on a 3-D double well with ρ ≠ 1 (eigendecomposition of H).
func TestSGDDiffusionStepCovariance(t *testing.T) {
	const eta, b, n = 0.01, 4.0, 40000
	for _, spec := range []LandscapeSpec{
		{Name: DoubleWellName, Barrier: 1},
		{Name: DoubleWellName, Barrier: 1, Dim: 3, Transverse: []float64{2, 0.5}, ColRatio: 3},
	} {
		an, err := NewLandscape(spec, 2)
		if err != nil {
			t.Fatal(err)
		}
		dim := an.Dim()
		p := Point{Dynamics: SGDDiffusion, Eta: eta, BatchSize: b, MaxSteps: 1, Criterion: Criterion{Kind: CriterionDistance, Radius: 1e6}}
		sim, _ := NewAnalyticSimulator(an, p)
		s := sim.(*analyticSim)
		cov := mat.NewSymDense(dim, nil)
		for seed := uint64(0); seed < n; seed++ {
			var x []float64
			if dim == 1 {
				_, x1, _ := s.run1D(rand.NewPCG(seed, PCGStream))
				x = []float64{x1}
			} else {
				_, x, _ = s.runND(rand.NewPCG(seed, PCGStream))
			}
			for i := 0; i < dim; i++ {
				for j := i; j < dim; j++ {
					cov.SetSym(i, j, cov.At(i, j)+(x[i]-an.Valley.Min[i])*(x[j]-an.Valley.Min[j])/n)
				}
			}
		}
		h := mat.NewSymDense(dim, nil)
		an.Hessian(h, an.Valley.Min)
		for i := 0; i < dim; i++ {
			for j := 0; j < dim; j++ {
				want := eta * eta * h.At(i, j) / b
				scale := eta * eta * math.Sqrt(h.At(i, i)*h.At(j, j)) / b
				if math.Abs(cov.At(i, j)-want) > 5*math.Sqrt(2.0/n)*scale {
					t.Errorf("%s dim %d: step covariance [%d,%d] = %g, want %g", spec.Name, dim, i, j, cov.At(i, j), want)
				}
			}
		}
	}
}

// |H|^½ of an indefinite matrix: symmetric, and its fourth power is H².
func TestAbsSqrt(t *testing.T) {
	h := mat.NewSymDense(3, []float64{
		2, 1, 0.5,
		1, -3, 0.2,
		0.5, 0.2, 0.7,
	})
	var r absSqrt
	m := mat.NewDense(3, 3, nil)
	for j := 0; j < 3; j++ {
		e := make([]float64, 3)
		e[j] = 1
		col := make([]float64, 3)
		r.apply(col, h, e)
		m.SetCol(j, col)
	}
	var m2, m4, h2 mat.Dense
	m2.Mul(m, m)
	m4.Mul(&m2, &m2)
	h2.Mul(h, h)
	if !mat.EqualApprox(&m4, &h2, 1e-12) || !mat.EqualApprox(m, m.T(), 1e-12) {
		t.Errorf("|H|^½ = %v: (|H|^½)⁴ = %v, want H² = %v", mat.Formatted(m), mat.Formatted(&m4), mat.Formatted(&h2))
	}
	// |H| is positive semi-definite.
	var eig mat.EigenSym
	eig.Factorize(mat.NewSymDense(3, m2.RawMatrix().Data), false)
	for _, v := range eig.Values(nil) {
		if v < -1e-12 {
			t.Errorf("|H| has eigenvalue %g", v)
		}
	}
}

// Criteria on a 1-D landscape become intervals; the loss criterion's is
// {L < L(a) + δ} around a: ΔL(kx² − 1)² = δ at x = −√((1 ± √(δ/ΔL))/k).
func TestCriterionIntervals(t *testing.T) {
	const k, dl, delta = 2.0, 1.0, 0.5
	an, _ := NewLandscape(LandscapeSpec{Name: DoubleWellName, Barrier: dl}, k)
	lo, hi, err := interval1D(an, Criterion{Kind: CriterionLoss, Delta: delta})
	if err != nil {
		t.Fatal(err)
	}
	wantLo := -math.Sqrt((1 + math.Sqrt(delta/dl)) / k)
	wantHi := -math.Sqrt((1 - math.Sqrt(delta/dl)) / k)
	if math.Abs(lo-wantLo) > 1e-14 || math.Abs(hi-wantHi) > 1e-14 {
		t.Errorf("loss interval (%.17g, %.17g), want (%.17g, %.17g)", lo, hi, wantLo, wantHi)
	}
	lo, hi, _ = interval1D(an, Criterion{Kind: CriterionCol})
	if !math.IsInf(lo, -1) || math.Abs(hi-0.5/math.Sqrt(k)) > 1e-15 {
		t.Errorf("col interval (%g, %g), want (−∞, 0.5/√k)", lo, hi)
	}
	lo, hi, _ = interval1D(an, Criterion{Kind: CriterionDistance, Radius: 0.3})
	if a := -1 / math.Sqrt(k); lo != a-0.3 || hi != a+0.3 {
		t.Errorf("distance interval (%g, %g), want a ± 0.3", lo, hi)
	}
	st, _ := NewLandscape(LandscapeSpec{Name: StyblinskiTangName, Barrier: 1}, 1)
	lo, hi, _ = interval1D(st, Criterion{Kind: CriterionCol})
	if want := (st.Valley.Col[0] + st.Valley.Other[0]) / 2; math.Abs(lo-want) > 1e-15*math.Abs(want) || !math.IsInf(hi, 1) {
		t.Errorf("Styblinski–Tang col interval (%g, %g), want (%g, +∞)", lo, hi, want)
	}
}

func TestSimulatorErrors(t *testing.T) {
	bad := []Point{
		dwPoint("adam", 1, 0.01, 1, 0.1, 10),
		dwPoint(SGLD, 1, 0, 1, 0.1, 10),
		dwPoint(SGLD, 1, -0.01, 1, 0.1, 10),
		dwPoint(SGLD, 1, 0.01, 1, 0, 10),
		dwPoint(SGDDiffusion, 1, 0.01, -1, 0, 10),
		dwPoint(SGLD, 0, 0.01, 1, 0.1, 10),
		dwPoint(SGLD, 1, 0.01, 1, 0.1, 0),
	}
	for _, p := range bad {
		if _, err := AnalyticSimulator(p); err == nil {
			t.Errorf("AnalyticSimulator(%s, max %d) did not fail", p.Label(), p.MaxSteps)
		}
	}
	// η far beyond 2/L″(a): the run diverges and says so.
	for _, dim := range []int{1, 2} {
		p := dwPoint(SGLD, 1, 1, 0, 0.1, 1000)
		p.Landscape.Dim = dim
		p.Criterion = Criterion{Kind: CriterionDistance, Radius: 1e300}
		sim, err := AnalyticSimulator(p)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := sim.Run(1); err == nil || !strings.Contains(err.Error(), "diverged") {
			t.Errorf("dim %d: η = 1 gave %v, want a divergence error", dim, err)
		}
	}
}

func mustLandscape(t *testing.T, spec LandscapeSpec, k float64) *Analytic {
	t.Helper()
	an, err := NewLandscape(spec, k)
	if err != nil {
		t.Fatal(err)
	}
	return an
}
