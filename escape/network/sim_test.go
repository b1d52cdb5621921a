package network

import (
	"math"
	"testing"

	"github.com/sgn-project/sgn/escape"
	"github.com/sgn-project/sgn/hessian"
	"github.com/sgn-project/sgn/internal/synthtest"
	"github.com/sgn-project/sgn/model"
	"github.com/sgn-project/sgn/model/modeltest"
	"github.com/sgn-project/sgn/model/replica"
)

// testMinimum wraps a synthetic net as a Minimum (θ₀ = its θ).
func testMinimum(m *model.MLP, b model.Batch, checkEvery int) *Minimum {
	return &Minimum{Spec: Spec{Layers: m.Layers, Activation: m.Activation, CheckEvery: checkEvery},
		Theta: append([]float64(nil), m.Theta...), Params: m.Layout.P, x: b.X, y: b.Y}
}

// phiHessian is the Hessian of φ ↦ L(√k·φ) at φ by central differences of
// the simulator's φ-gradient √k·∇L(√k·φ) (step h).
type phiHessian struct {
	e      *replica.Engine
	phi    []float64
	s, h   float64
	th, g  []float64
	gp, gm []float64
}

func (o *phiHessian) Dim() int { return len(o.phi) }

func (o *phiHessian) gradAt(dst, phi []float64) {
	for i, f := range phi {
		o.th[i] = o.s * f
	}
	o.e.LossGrad(o.th, nil, dst)
	for i := range dst {
		dst[i] *= o.s
	}
}

func (o *phiHessian) MulVec(dst, v []float64) {
	p := make([]float64, len(o.phi))
	for i := range p {
		p[i] = o.phi[i] + o.h*v[i]
	}
	o.gradAt(o.gp, p)
	for i := range p {
		p[i] = o.phi[i] - o.h*v[i]
	}
	o.gradAt(o.gm, p)
	for i := range dst {
		dst[i] = (o.gp[i] - o.gm[i]) / (2 * o.h)
	}
}

// TestReparametrisation: with k = 1 the simulator's starting loss and its
// φ-gradient equal the original network's; for k = 3 the Hessian in φ
// (central differences of the φ-gradient) has k times the top eigenvalue
// of model's exact Hessian, both through hessian.Lanczos.
func TestReparametrisation(t *testing.T) {
	m, b := modeltest.Net(t, []int{4, 5, 3}, model.Tanh, 30, 5)
	mn := testMinimum(m, b, 1)
	e, _ := replica.New(m.Layers, m.Activation, b.X, b.Y)
	want, err := m.Evaluate(m.Theta, b, nil, 1)
	if err != nil {
		t.Fatal(err)
	}
	p := escape.Point{Dynamics: escape.GD, Sharpness: 1, Eta: 0.1, MaxSteps: 1, Criterion: escape.Criterion{Kind: escape.CriterionDistance, Radius: 1}}
	s, err := newSimulator(mn, e, p)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(s.lossA-want.Loss) > 1e-12 {
		t.Errorf("k = 1: loss %v, original %v", s.lossA, want.Loss)
	}
	gWant := make([]float64, m.Layout.P)
	if _, err := m.Evaluate(m.Theta, b, gWant, 1); err != nil {
		t.Fatal(err)
	}
	op := &phiHessian{e: e, phi: s.phi0, s: 1, h: 1e-5, th: make([]float64, m.Layout.P), g: nil,
		gp: make([]float64, m.Layout.P), gm: make([]float64, m.Layout.P)}
	g := make([]float64, m.Layout.P)
	op.gradAt(g, s.phi0)
	if d := synthtest.MaxAbsDiff(g, gWant); d > 1e-12 {
		t.Errorf("k = 1: φ-gradient differs from the original gradient by %g", d)
	}
	h, err := m.NewHessian(m.Theta, b, 1)
	if err != nil {
		t.Fatal(err)
	}
	sp1, err := hessian.Lanczos(h, 1, 0, hessian.LanczosOptions{Seed: 1, Tol: 1e-10})
	if err != nil {
		t.Fatal(err)
	}
	const k = 3
	p.Sharpness = k
	s, err = newSimulator(mn, e, p)
	if err != nil {
		t.Fatal(err)
	}
	op.phi, op.s = s.phi0, math.Sqrt(k)
	spk, err := hessian.Lanczos(op, 1, 0, hessian.LanczosOptions{Seed: 1, Tol: 1e-7})
	if err != nil {
		t.Fatal(err)
	}
	if r := spk.Top[0] / (k * sp1.Top[0]); math.Abs(r-1) > 1e-6 {
		t.Errorf("k = %d: λmax in φ = %v, k·λmax(H) = %v (ratio %v)", k, spk.Top[0], k*sp1.Top[0], r)
	}
	if math.Abs(s.lossA-want.Loss) > 1e-12 {
		t.Errorf("k = %d: loss at φ₀ %v, original %v: the barrier reference moved", k, s.lossA, want.Loss)
	}
}

// TestSGDFullBatchIsGD: SGD whose minibatch is all N samples follows
// full-batch gradient descent θ ← θ − ηk∇L(θ) (model.Evaluate's gradient),
// here for 25 steps at k = 2.
func TestSGDFullBatchIsGD(t *testing.T) {
	m, b := modeltest.Net(t, []int{4, 6, 3}, model.Tanh, 20, 9)
	mn := testMinimum(m, b, 1)
	e, _ := replica.New(m.Layers, m.Activation, b.X, b.Y)
	const k, eta, steps = 2.0, 0.3, 25
	p := escape.Point{Dynamics: escape.SGD, Sharpness: k, BatchSize: 20, Eta: eta, MaxSteps: steps, Criterion: escape.Criterion{Kind: escape.CriterionDistance, Radius: 1e9}}
	s, err := newSimulator(mn, e, p)
	if err != nil {
		t.Fatal(err)
	}
	s.wholeBatch = true
	o, theta, err := s.run(42)
	if err != nil || o.Escaped || o.Step != steps {
		t.Fatalf("outcome %+v, error %v", o, err)
	}
	th := gdReference(t, m, b, m.Theta, eta*k, 0, steps)
	moved := synthtest.MaxAbsDiff(th, m.Theta)
	if d := synthtest.MaxAbsDiff(theta, th); d > 1e-12 || moved < 1e-3 {
		t.Errorf("SGD(B = N, no replacement) differs from GD by %g after %d steps (GD moved %g)", d, steps, moved)
	}
}

// TestGDWithWeightDecay: the simulator's gd on a landscape with weight
// decay λ is gradient descent on CE + (λ/2)‖θ‖² (θ ← θ − η·k·(∇CE + λθ) in
// θ = √k·φ), and from a minimum of that loss it stays there.
func TestGDWithWeightDecay(t *testing.T) {
	m, b := modeltest.Net(t, []int{4, 6, 3}, model.Tanh, 20, 9)
	mn := testMinimum(m, b, 1)
	const decay, k, eta, steps = 0.05, 2.0, 0.3, 25
	mn.Spec.WeightDecay = decay
	e, _ := replica.New(m.Layers, m.Activation, b.X, b.Y)
	p := escape.Point{Dynamics: escape.GD, Sharpness: k, Eta: eta, MaxSteps: steps, Criterion: escape.Criterion{Kind: escape.CriterionDistance, Radius: 1e9}}
	s, err := newSimulator(mn, e, p)
	if err != nil {
		t.Fatal(err)
	}
	_, theta, err := s.run(1)
	if err != nil {
		t.Fatal(err)
	}
	th := gdReference(t, m, b, m.Theta, eta*k, decay, steps)
	if d := synthtest.MaxAbsDiff(theta, th); d > 1e-12 {
		t.Fatalf("gd with weight decay differs from GD on CE + (λ/2)‖θ‖² by %g after %d steps", d, steps)
	}
	// From near a minimum of CE + (λ/2)‖θ‖² (the end of a long descent)
	// the simulator's gd only lowers that loss: it never rises by 1e-9 in
	// 2000 steps (without the decay in the step it would, by far more).
	th = gdReference(t, m, b, th, 0.2, decay, 5000)
	copy(m.Theta, th)
	mn = testMinimum(m, b, 1)
	mn.Spec.WeightDecay = decay
	p.Sharpness, p.Eta, p.MaxSteps = 1, 0.2, 2000
	p.Criterion = escape.Criterion{Kind: escape.CriterionLoss, Delta: 1e-9}
	if s, err = newSimulator(mn, e, p); err != nil {
		t.Fatal(err)
	}
	o, _, err := s.run(1)
	if err != nil || o.Escaped {
		t.Fatalf("gd from near a minimum of CE + (λ/2)‖θ‖²: %+v, %v (the loss rose)", o, err)
	}
}

// TestNetworkDynamicsDeterministic: every dynamics gives the same outcome
// for the same seed, and the loss criterion's escape step is a multiple of
// check_every.
func TestNetworkDynamicsDeterministic(t *testing.T) {
	m, b := modeltest.Net(t, []int{4, 6, 3}, model.Tanh, 25, 11)
	mn := testMinimum(m, b, 7)
	f := Factory(mn)
	for _, p := range []escape.Point{
		{Dynamics: escape.SGD, BatchSize: 2, Eta: 0.5},
		{Dynamics: escape.SGDGaussian, BatchSize: 2, Eta: 0.5},
		{Dynamics: escape.SGLD, Temperature: 0.05, Eta: 0.5},
	} {
		p.Sharpness, p.MaxSteps = 2, 5000
		p.Criterion = escape.Criterion{Kind: escape.CriterionLoss, Delta: 0.05}
		sim, err := f(p)
		if err != nil {
			t.Fatal(err)
		}
		o1, err := sim.Run(3)
		if err != nil {
			t.Fatal(err)
		}
		o2, _ := sim.Run(3)
		if o1 != o2 {
			t.Errorf("%s: seed 3 gave %+v then %+v", p.Dynamics, o1, o2)
		}
		if !o1.Escaped || o1.Step%7 != 0 {
			t.Errorf("%s: %+v: want an escape at a multiple of check_every = 7", p.Dynamics, o1)
		}
	}
	if _, err := f(escape.Point{Dynamics: escape.SGDDiffusion, Sharpness: 1, Eta: 1, BatchSize: 1, MaxSteps: 1, Criterion: escape.Criterion{Kind: escape.CriterionLoss, Delta: 1}}); err == nil {
		t.Error("sgd-diffusion on a network: want an error")
	}
}

// TestSGDGaussianCovariance: the rows gᵢ − ḡ of the sgd-gaussian noise
// sum to zero and reproduce C₀ = (1/N)Σ(gᵢ − ḡ)(gᵢ − ḡ)ᵀ, whose trace is
// the mean squared distance of the per-sample gradients (model's) from
// their mean.
func TestSGDGaussianCovariance(t *testing.T) {
	m, b := modeltest.Net(t, []int{3, 4, 2}, model.ReLU, 9, 13)
	e, _ := replica.New(m.Layers, m.Activation, b.X, b.Y)
	G := perSampleCentered(e, m.Theta)
	P := m.Layout.P
	ps := make([]float64, b.N()*P)
	if err := m.PerSampleGradients(m.Theta, b, ps, 1); err != nil {
		t.Fatal(err)
	}
	mean := make([]float64, P)
	for i := 0; i < b.N(); i++ {
		for j := 0; j < P; j++ {
			mean[j] += ps[i*P+j] / float64(b.N())
		}
	}
	for i := 0; i < b.N(); i++ {
		for j := 0; j < P; j++ {
			if d := math.Abs(G[i*P+j] - (ps[i*P+j] - mean[j])); d > 1e-12 {
				t.Fatalf("row %d entry %d differs from model's per-sample gradient by %g", i, j, d)
			}
		}
	}
}

// gdReference returns θ after steps steps of gradient descent from theta0
// on CE + (λ/2)‖θ‖² over b by model.Evaluate: θ ← θ − lr·(∇CE + λθ).
func gdReference(t *testing.T, m *model.MLP, b model.Batch, theta0 []float64, lr, decay float64, steps int) []float64 {
	t.Helper()
	th := append([]float64(nil), theta0...)
	g := make([]float64, len(th))
	for range steps {
		if _, err := m.Evaluate(th, b, g, 1); err != nil {
			t.Fatal(err)
		}
		for j := range th {
			th[j] -= lr * (g[j] + decay*th[j])
		}
	}
	return th
}
