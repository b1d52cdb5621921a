package hessian

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

func TestSLQWeights(t *testing.T) {
	op := NewDense(randSym(60, 3))
	for _, gauss := range []bool{false, true} {
		d, err := SLQ(op, SLQOptions{Seed: 1, NumRuns: 4, Steps: 20, Gaussian: gauss})
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Nodes) != 80 || len(d.Weights) != 80 || d.NumRuns != 4 || d.Steps != 20 {
			t.Fatalf("%d nodes, %d weights, %d runs, %d steps", len(d.Nodes), len(d.Weights), d.NumRuns, d.Steps)
		}
		for r := range 4 {
			w := d.Weights[20*r : 20*r+20]
			if slices.Min(w) < 0 {
				t.Errorf("run %d: negative weight %g", r, slices.Min(w))
			}
			if s := floats.Sum(w); math.Abs(s-0.25) > 1e-12 {
				t.Errorf("run %d: weights sum to %.16f, want 1/4", r, s)
			}
		}
		if s := floats.Sum(d.Weights); math.Abs(s-1) > 1e-12 {
			t.Errorf("weights sum to %.16f", s)
		}
	}
}

func TestSLQIntegratesToOne(t *testing.T) {
	d, err := SLQ(NewDense(randSym(60, 4)), SLQOptions{Seed: 2, NumRuns: 3, Steps: 30})
	if err != nil {
		t.Fatal(err)
	}
	for _, sigma := range []float64{0.05, 1} {
		g := d.Grid(4000, sigma)
		phi := d.Evaluate(g, sigma)
		if g[0] != slices.Min(d.Nodes)-6*sigma || g[len(g)-1] != slices.Max(d.Nodes)+6*sigma {
			t.Errorf("σ=%g: grid [%g, %g] for nodes in [%g, %g]", sigma, g[0], g[len(g)-1], slices.Min(d.Nodes), slices.Max(d.Nodes))
		}
		integral := 0.0
		for i := 1; i < len(g); i++ {
			integral += (g[i] - g[i-1]) * (phi[i] + phi[i-1]) / 2
		}
		if math.Abs(integral-1) > 1e-6 {
			t.Errorf("σ=%g: density integrates to %.10f", sigma, integral)
		}
	}
	if d.Evaluate([]float64{0}, 0) != nil || d.Grid(1, 1) != nil || d.Grid(10, -1) != nil {
		t.Error("bad sigma or grid size accepted")
	}
}

func TestSLQEvaluateSingleNode(t *testing.T) {
	// One node of weight 1 at 2: φ is the normal density N(2, σ²).
	d := &Density{Nodes: []float64{2}, Weights: []float64{1}}
	got := d.Evaluate([]float64{2, 2.5, 0}, 0.5)
	want := []float64{1 / (0.5 * math.Sqrt(2*math.Pi)), math.Exp(-0.5) / (0.5 * math.Sqrt(2*math.Pi)), math.Exp(-8) / (0.5 * math.Sqrt(2*math.Pi))}
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-15 {
			t.Errorf("φ(%d) = %v, want %v", i, got[i], want[i])
		}
	}
}

func TestSLQExactNodes(t *testing.T) {
	// Steps = n: each run's nodes are the eigenvalues of A.
	const n = 30
	vals := make([]float64, n)
	for i := range vals {
		vals[i] = float64(i*i)/100 - 3
	}
	a := withSpectrum(vals, 7)
	d, err := SLQ(NewDense(a), SLQOptions{Seed: 5, NumRuns: 3, Steps: 1000, Gaussian: true})
	if err != nil {
		t.Fatal(err)
	}
	if d.Steps != n || len(d.Nodes) != 3*n {
		t.Fatalf("steps %d, %d nodes, want %d, %d", d.Steps, len(d.Nodes), n, 3*n)
	}
	for r := range 3 {
		for i, l := range d.Nodes[r*n : (r+1)*n] {
			if math.Abs(l-vals[i]) > 1e-12*6 {
				t.Errorf("run %d node %d = %.15g, want %.15g", r, i, l, vals[i])
			}
		}
	}
}

func TestSLQQuadratureIdentity(t *testing.T) {
	// Gauss quadrature: Σ_j w_j f(θ_j) = vᵀf(A)v for a unit v, for all f
	// when Steps = n and for polynomials of degree < 2·Steps otherwise.
	const n = 25
	a := randSym(n, 8)
	vals, u := exactEigen(t, a)
	norm := normInf(vals)
	a.ScaleSym(1/norm, a) // spectrum in [−1, 1]
	floats.Scale(1/norm, vals)
	rng := rand.New(rand.NewPCG(9, 9))
	v := make([]float64, n)
	for i := range v {
		v[i] = rng.NormFloat64()
	}
	floats.Scale(1/floats.Norm(v, 2), v)
	var c mat.VecDense // c = Uᵀv: vᵀf(A)v = Σ_i c_i² f(λ_i)
	c.MulVec(u.T(), mat.NewVecDense(n, v))
	exact := func(f func(float64) float64) float64 {
		s := 0.0
		for i, l := range vals {
			s += c.AtVec(i) * c.AtVec(i) * f(l)
		}
		return s
	}
	quad := func(nodes, weights []float64, f func(float64) float64) float64 {
		s := 0.0
		for j, l := range nodes {
			s += weights[j] * f(l)
		}
		return s
	}

	nodes, weights, err := slqRun(NewDense(a), v, n, nil)
	if err != nil {
		t.Fatal(err)
	}
	for name, f := range map[string]func(float64) float64{"exp": math.Exp, "|x|": math.Abs, "x^40": func(x float64) float64 { return math.Pow(x, 40) }} {
		if q, e := quad(nodes, weights, f), exact(f); math.Abs(q-e) > 1e-12 {
			t.Errorf("Steps = n, f = %s: quadrature %.15g, vᵀf(A)v %.15g", name, q, e)
		}
	}

	const m = 6
	nodes, weights, err = slqRun(NewDense(a), v, m, nil)
	if err != nil {
		t.Fatal(err)
	}
	for p := range 2 * m {
		f := func(x float64) float64 { return math.Pow(x, float64(p)) }
		if q, e := quad(nodes, weights, f), exact(f); math.Abs(q-e) > 1e-12 {
			t.Errorf("Steps = %d, moment %d: quadrature %.15g, vᵀA^p v %.15g", m, p, q, e)
		}
	}
	// Degree 2m is beyond the rule: it must not be exact (a test that can fail).
	f := func(x float64) float64 { return math.Pow(x, 2*m) }
	if q, e := quad(nodes, weights, f), exact(f); math.Abs(q-e) < 1e-8 {
		t.Errorf("Steps = %d, moment %d exact (%.15g): suspicious", m, 2*m, q)
	}
}

func TestSLQDiagonalRademacher(t *testing.T) {
	// A = diag(1,1,1,1,1,2,2,2,3,3) and a Rademacher start z/√10: the
	// Krylov space is invariant after 3 steps, the nodes are 1, 2, 3 and the
	// weights the fractions 5/10, 3/10, 2/10, whatever the signs drawn.
	diag := []float64{1, 1, 1, 1, 1, 2, 2, 2, 3, 3}
	a := mat.NewSymDense(10, nil)
	for i, x := range diag {
		a.SetSym(i, i, x)
	}
	d, err := SLQ(NewDense(a), SLQOptions{Seed: 4, NumRuns: 2, Steps: 8})
	if err != nil {
		t.Fatal(err)
	}
	wantNodes := []float64{1, 2, 3, 1, 2, 3}
	wantWeights := []float64{0.25, 0.15, 0.1, 0.25, 0.15, 0.1}
	if len(d.Nodes) != 6 {
		t.Fatalf("nodes %v, want %v", d.Nodes, wantNodes)
	}
	for i := range wantNodes {
		if math.Abs(d.Nodes[i]-wantNodes[i]) > 1e-14 || math.Abs(d.Weights[i]-wantWeights[i]) > 1e-14 {
			t.Errorf("node %d: (%v, %v), want (%v, %v)", i, d.Nodes[i], d.Weights[i], wantNodes[i], wantWeights[i])
		}
	}
}

func TestSLQDeterministicAndErrors(t *testing.T) {
	op := NewDense(randSym(20, 1))
	var calls, last int
	o := SLQOptions{Seed: 3, NumRuns: 2, Steps: 5, Progress: func(done, total int) { calls++; last = done }}
	a, err := SLQ(op, o)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := SLQ(op, o)
	if !slices.Equal(a.Nodes, b.Nodes) || !slices.Equal(a.Weights, b.Weights) {
		t.Error("same seed, different densities")
	}
	if calls != 20 || last != 10 {
		t.Errorf("progress: %d calls, last %d; want 20, 10", calls, last)
	}
	for _, o := range []SLQOptions{{NumRuns: -1}, {Steps: -2}} {
		if _, err := SLQ(op, o); err == nil {
			t.Errorf("%+v: no error", o)
		}
	}
	if _, err := SLQ(nil, SLQOptions{}); err == nil {
		t.Error("nil operator: no error")
	}
}
