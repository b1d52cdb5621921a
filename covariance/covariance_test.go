package covariance

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/sgn-project/sgn/internal/synthtest"
	"github.com/sgn-project/sgn/model"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// randomMatrix returns an r×c matrix of standard normal entries.
func randomMatrix(r, c int, seed uint64) *mat.Dense {
	return synthtest.Gaussian(rand.New(rand.NewPCG(seed, 7)), r, c)
}

// directSigma computes Σ = (1/N) Σᵢ gᵢgᵢᵀ − ḡḡᵀ and FIM = (1/N) Σᵢ gᵢgᵢᵀ
// entry by entry, exactly as Xie et al. (2021) write them.
func directSigma(G *mat.Dense) (sigma, fim *mat.Dense, mean []float64) {
	n, p := G.Dims()
	mean = make([]float64, p)
	for i := 0; i < n; i++ {
		for k := 0; k < p; k++ {
			mean[k] += G.At(i, k) / float64(n)
		}
	}
	sigma, fim = mat.NewDense(p, p, nil), mat.NewDense(p, p, nil)
	for a := 0; a < p; a++ {
		for b := 0; b < p; b++ {
			var s float64
			for i := 0; i < n; i++ {
				s += G.At(i, a) * G.At(i, b)
			}
			fim.Set(a, b, s/float64(n))
			sigma.Set(a, b, s/float64(n)-mean[a]*mean[b])
		}
	}
	return sigma, fim, mean
}

func maxDiff(a, b mat.Matrix) float64 {
	r, c := a.Dims()
	var d float64
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			d = math.Max(d, math.Abs(a.At(i, j)-b.At(i, j)))
		}
	}
	return d
}

// Σ, FIM, traces and B_simple on a case small enough to do by hand:
// g = (1,2), (3,4), (5,0): ḡ = (3,2), (1/N)Σgᵢgᵢᵀ = [[35,14],[14,20]]/3, so
// Σ = [[8/3, −4/3], [−4/3, 8/3]], tr Σ = 16/3, ‖ḡ‖² = 13.
func TestSigmaByHand(t *testing.T) {
	G := mat.NewDense(3, 2, []float64{1, 2, 3, 4, 5, 0})
	for _, budget := range []int64{8, 1 << 20} { // one row per chunk (streamed), and cached
		g, err := newGradients(3, 2, func(dst []float64, r0, r1 int) error {
			for i := r0; i < r1; i++ {
				copy(dst[(i-r0)*2:], G.RawRowView(i))
			}
			return nil
		}, budget)
		if err != nil {
			t.Fatal(err)
		}
		if g.Cached() != (budget > 48) {
			t.Errorf("budget %d: cached = %v", budget, g.Cached())
		}
		s, err := g.Sigma()
		if err != nil {
			t.Fatal(err)
		}
		want := mat.NewDense(2, 2, []float64{8.0 / 3, -4.0 / 3, -4.0 / 3, 8.0 / 3})
		if d := maxDiff(s, want); d > 1e-14 {
			t.Errorf("budget %d: Σ = %v, want %v", budget, mat.Formatted(s), mat.Formatted(want))
		}
		f, err := g.FIM()
		if err != nil {
			t.Fatal(err)
		}
		wantF := mat.NewDense(2, 2, []float64{35.0 / 3, 14.0 / 3, 14.0 / 3, 20.0 / 3})
		if d := maxDiff(f, wantF); d > 1e-14 {
			t.Errorf("budget %d: FIM = %v, want %v", budget, mat.Formatted(f), mat.Formatted(wantF))
		}
		if m := g.Mean(); m[0] != 3 || m[1] != 2 {
			t.Errorf("mean %v, want [3 2]", m)
		}
		if d := math.Abs(g.TraceSigma() - 16.0/3); d > 1e-14 {
			t.Errorf("tr Σ = %v, want 16/3", g.TraceSigma())
		}
		if d := math.Abs(g.TraceFIM() - 55.0/3); d > 1e-14 {
			t.Errorf("tr FIM = %v, want 55/3", g.TraceFIM())
		}
		if d := math.Abs(g.SimpleNoiseScale() - 16.0/39); d > 1e-14 {
			t.Errorf("B_simple = %v, want 16/39", g.SimpleNoiseScale())
		}
	}
}

// Σ, C·v and UᵀΣU, streamed in chunks of 5 rows, equal the direct formulas.
func TestNoiseCovarianceMatrixFree(t *testing.T) {
	const n, p, B = 37, 11, 8
	G := randomMatrix(n, p, 1)
	// shift the rows so that ḡ is far from 0 and the two forms of Σ differ
	for i := 0; i < n; i++ {
		for k := 0; k < p; k++ {
			G.Set(i, k, G.At(i, k)+float64(k))
		}
	}
	sigma, _, _ := directSigma(G)
	src := func(dst []float64, r0, r1 int) error {
		for i := r0; i < r1; i++ {
			copy(dst[(i-r0)*p:], G.RawRowView(i))
		}
		return nil
	}
	streamed, err := newGradients(n, p, src, 4*5*8*p) // chunks of a quarter of the budget
	if err != nil {
		t.Fatal(err)
	}
	if streamed.Cached() || streamed.chunk != 5 {
		t.Fatalf("want a streamed pass in chunks of 5 rows, got cached %v chunk %d", streamed.Cached(), streamed.chunk)
	}
	cached, err := NewGradientsFromMatrix(G)
	if err != nil {
		t.Fatal(err)
	}
	for name, g := range map[string]*Gradients{"streamed": streamed, "cached": cached} {
		s, err := g.Sigma()
		if err != nil {
			t.Fatal(err)
		}
		if d := maxDiff(s, sigma); d > 1e-12 {
			t.Errorf("%s: Σ differs from the direct formula by %.3g", name, d)
		}
		c, err := NewNoiseCovariance(g, B)
		if err != nil {
			t.Fatal(err)
		}
		V := randomMatrix(p, 3, 2)
		var want mat.Dense
		want.Mul(sigma, V)
		want.Scale(1.0/B, &want)
		dense, err := c.Dense()
		if err != nil {
			t.Fatal(err)
		}
		var wantC mat.Dense
		wantC.Scale(1.0/B, sigma)
		if d := maxDiff(dense, &wantC); d > 1e-12 {
			t.Errorf("%s: dense C differs from Σ/B by %.3g", name, d)
		}
		got := mat.NewDense(p, 3, nil)
		c.MulMat(got, V)
		if d := maxDiff(got, &want); d > 1e-12 {
			t.Errorf("%s: C·V differs from the dense product by %.3g", name, d)
		}
		v := mat.Col(nil, 1, V)
		dst := make([]float64, p)
		c.MulVec(dst, v)
		if d := maxDiff(mat.NewVecDense(p, dst), want.ColView(1)); d > 1e-12 {
			t.Errorf("%s: C·v differs from the dense product by %.3g", name, d)
		}
		U := randomMatrix(p, 4, 3)
		proj, pm, err := g.ProjectSigma(U)
		if err != nil {
			t.Fatal(err)
		}
		var su, usu mat.Dense
		su.Mul(sigma, U)
		usu.Mul(U.T(), &su)
		if d := maxDiff(proj, &usu); d > 1e-11 {
			t.Errorf("%s: UᵀΣU differs from the dense product by %.3g", name, d)
		}
		var um mat.VecDense
		um.MulVec(U.T(), mat.NewVecDense(p, g.Mean()))
		if d := maxDiff(mat.NewVecDense(4, pm), &um); d > 1e-12 {
			t.Errorf("%s: Uᵀḡ differs by %.3g", name, d)
		}
	}
}

// Per-sample gradients of a real network: each row is the gradient of that
// sample's loss, the mean is the batch gradient, and the streamed and cached
// passes and any number of workers give the same Σ.
func TestGradientsOfModel(t *testing.T) {
	m, err := model.New(model.Config{Layers: []int{5, 4, 3}, Activation: model.Tanh, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	b := tinyBatch(40, 5, 3, 4)
	P := m.NumParams()
	g, err := NewGradients(m, m.Theta, b, GradientOptions{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	grad := make([]float64, P)
	if _, err := m.Evaluate(m.Theta, b, grad, 1); err != nil {
		t.Fatal(err)
	}
	for k := range grad {
		if d := math.Abs(grad[k] - g.Mean()[k]); d > 1e-14 {
			t.Fatalf("mean per-sample gradient differs from the batch gradient by %.3g at %d", d, k)
		}
	}
	// Σ from single-sample gradients.
	G := mat.NewDense(40, P, nil)
	one := make([]float64, P)
	for i := 0; i < 40; i++ {
		if _, err := m.Evaluate(m.Theta, model.Batch{X: b.X[i*5 : (i+1)*5], Y: b.Y[i : i+1]}, one, 1); err != nil {
			t.Fatal(err)
		}
		G.SetRow(i, one)
	}
	want, _, _ := directSigma(G)
	s1, _ := g.Sigma()
	if d := maxDiff(s1, want); d > 1e-13 {
		t.Errorf("Σ of the model differs from single-sample gradients by %.3g", d)
	}
	gs, err := NewGradients(m, m.Theta, b, GradientOptions{MemoryBudget: int64(7 * 8 * P), Workers: 3})
	if err != nil {
		t.Fatal(err)
	}
	if gs.Cached() {
		t.Fatal("expected a streamed pass")
	}
	s2, _ := gs.Sigma()
	if d := maxDiff(s2, want); d > 1e-13 {
		t.Errorf("streamed Σ differs by %.3g", d)
	}
	g3, _ := NewGradients(m, m.Theta, b, GradientOptions{Workers: 3})
	s3, _ := g3.Sigma()
	if !mat.Equal(s1, s3) {
		t.Error("Σ with 1 and 3 workers differ")
	}
}

// tinyBatch returns n random samples of dimension d with labels in 0..c−1.
func tinyBatch(n, d, c int, seed uint64) model.Batch {
	var b model.Batch
	b.X, b.Y = synthtest.Samples(rand.New(rand.NewPCG(seed, 9)), n, d, c, synthtest.Normal)
	return b
}

func TestGradientsBadInput(t *testing.T) {
	m, _ := model.New(model.Config{Layers: []int{5, 4, 3}, Activation: model.Tanh, Seed: 3})
	if _, err := NewGradients(m, m.Theta, model.Batch{}, GradientOptions{}); err == nil {
		t.Error("no samples: want an error")
	}
	if _, err := NewGradients(m, m.Theta[:3], tinyBatch(4, 5, 3, 1), GradientOptions{}); err == nil {
		t.Error("short θ: want an error")
	}
	if _, err := NewGradients(m, m.Theta, tinyBatch(4, 6, 3, 1), GradientOptions{}); err == nil {
		t.Error("6 features for a 5-input model: want an error")
	}
	g, _ := NewGradients(m, m.Theta, tinyBatch(4, 5, 3, 1), GradientOptions{})
	if _, err := NewNoiseCovariance(g, 0); err == nil {
		t.Error("batch size 0: want an error")
	}
	if _, _, err := g.ProjectSigma(mat.NewDense(3, 2, nil)); err == nil {
		t.Error("U with the wrong number of rows: want an error")
	}
}

// TestStationarityOfModel checks Analyze's evidence of a minimum against
// an independent computation: ‖∇CE + λθ‖ from the batch gradient, and
// λmin(∇²CE) + λ from the eigenvalues of a central-difference Hessian
// (full mode) — nil in matrix-free mode, which computes the top only.
func TestStationarityOfModel(t *testing.T) {
	m, err := model.New(model.Config{Layers: []int{5, 4, 3}, Activation: model.Tanh, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	b := tinyBatch(40, 5, 3, 4)
	P := m.NumParams()
	const decay = 0.01
	grad := make([]float64, P)
	if _, err := m.Evaluate(m.Theta, b, grad, 1); err != nil {
		t.Fatal(err)
	}
	floats.AddScaled(grad, decay, m.Theta)
	D := mat.NewDense(P, P, nil)
	const h = 1e-5
	gp, gm := make([]float64, P), make([]float64, P)
	for j := 0; j < P; j++ {
		th := append([]float64(nil), m.Theta...)
		th[j] += h
		m.Evaluate(th, b, gp, 1)
		th[j] -= 2 * h
		m.Evaluate(th, b, gm, 1)
		for i := 0; i < P; i++ {
			D.Set(i, j, (gp[i]-gm[i])/(2*h))
		}
	}
	vals, ok := synthtest.Eigenvalues(synthtest.Symmetrize(D))
	if !ok {
		t.Fatal("eigen decomposition failed")
	}
	wantMin := vals[0] + decay
	a, err := Analyze(m, b, Options{BatchSizes: []int{4}, Mode: ModeFull, WeightDecay: decay, Window: Window{Min: 0, Max: 1e9}})
	if err != nil {
		t.Fatal(err)
	}
	s := a.Stationarity
	if s == nil || s.WeightDecay != decay || s.LambdaMin == nil {
		t.Fatalf("stationarity %+v", s)
	}
	if d := math.Abs(s.GradNorm - floats.Norm(grad, 2)); d > 1e-14 {
		t.Errorf("‖∇L‖ %v, want %v", s.GradNorm, floats.Norm(grad, 2))
	}
	if d := math.Abs(*s.LambdaMin - wantMin); d > 1e-7 {
		t.Errorf("λmin %v, want %v (finite differences)", *s.LambdaMin, wantMin)
	}
	a, err = Analyze(m, b, Options{BatchSizes: []int{4}, Mode: ModeMatFree, TopK: 3, Window: Window{Min: 0, Max: 1e9}})
	if err != nil {
		t.Fatal(err)
	}
	if s := a.Stationarity; s == nil || s.LambdaMin != nil || s.WeightDecay != 0 {
		t.Errorf("matrix-free stationarity %+v: want no λmin", s)
	}
	if _, err := Analyze(m, b, Options{BatchSizes: []int{4}, WeightDecay: -1}); err == nil {
		t.Error("a negative weight decay is accepted")
	}
}
