package kramers

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/gonum/floats"

	"github.com/sgn-project/sgn/data"
	"github.com/sgn-project/sgn/escape"
	"github.com/sgn-project/sgn/hessian"
	"github.com/sgn-project/sgn/model"
	"github.com/sgn-project/sgn/model/replica"
)

// synthNet returns a seeded MLP and n synthetic samples for it.
func synthNet(t testing.TB, layers []int, act model.Activation, n int, seed uint64) (*model.MLP, model.Batch) {
	t.Helper()
	m, err := model.New(model.Config{Layers: layers, Activation: act, Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, 7))
	b := model.Batch{X: make([]float64, n*layers[0]), Y: make([]int, n)}
	for i := range b.X {
		b.X[i] = rng.NormFloat64()
	}
	for i := range b.Y {
		b.Y[i] = rng.IntN(layers[len(layers)-1])
	}
	// move θ off the initialisation so that biases are not zero
	for i := range m.Theta {
		m.Theta[i] += 0.1 * rng.NormFloat64()
	}
	return m, b
}

func maxAbsDiff(a, b []float64) float64 {
	d := 0.0
	for i := range a {
		d = math.Max(d, math.Abs(a[i]-b[i]))
	}
	return d
}

// testMinimum wraps a synthetic net as a Minimum (θ₀ = its θ).
func testMinimum(m *model.MLP, b model.Batch, checkEvery int) *Minimum {
	return &Minimum{Spec: NetworkSpec{Layers: m.Layers, Activation: m.Activation, CheckEvery: checkEvery},
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
	m, b := synthNet(t, []int{4, 5, 3}, model.Tanh, 30, 5)
	mn := testMinimum(m, b, 1)
	e, _ := replica.New(m.Layers, m.Activation, b.X, b.Y)
	want, err := m.Evaluate(m.Theta, b, nil, 1)
	if err != nil {
		t.Fatal(err)
	}
	p := Point{Point: escape.Point{Dynamics: escape.GD, Sharpness: 1, Eta: 0.1, MaxSteps: 1, Criterion: escape.Criterion{Kind: escape.CriterionDistance, Radius: 1}}}
	s, err := newNetworkSim(mn, e, p)
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
	if d := maxAbsDiff(g, gWant); d > 1e-12 {
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
	s, err = newNetworkSim(mn, e, p)
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

// TestSGDFullBatchIsGD: SGD with B = N drawn without replacement follows
// full-batch gradient descent θ ← θ − ηk∇L(θ) (model.Evaluate's gradient),
// here for 25 steps at k = 2.
func TestSGDFullBatchIsGD(t *testing.T) {
	m, b := synthNet(t, []int{4, 6, 3}, model.Tanh, 20, 9)
	mn := testMinimum(m, b, 1)
	e, _ := replica.New(m.Layers, m.Activation, b.X, b.Y)
	const k, eta, steps = 2.0, 0.3, 25
	p := Point{Point: escape.Point{Dynamics: escape.SGD, Sharpness: k, BatchSize: 20, Eta: eta, MaxSteps: steps, Criterion: escape.Criterion{Kind: escape.CriterionDistance, Radius: 1e9}}}
	s, err := newNetworkSim(mn, e, p)
	if err != nil {
		t.Fatal(err)
	}
	s.noReplacement = true
	o, theta, err := s.run(42)
	if err != nil || o.Escaped || o.Step != steps {
		t.Fatalf("outcome %+v, error %v", o, err)
	}
	th := append([]float64(nil), m.Theta...)
	g := make([]float64, len(th))
	for i := 0; i < steps; i++ {
		if _, err := m.Evaluate(th, b, g, 1); err != nil {
			t.Fatal(err)
		}
		for j := range th {
			th[j] -= eta * k * g[j]
		}
	}
	moved := maxAbsDiff(th, m.Theta)
	if d := maxAbsDiff(theta, th); d > 1e-12 || moved < 1e-3 {
		t.Errorf("SGD(B = N, no replacement) differs from GD by %g after %d steps (GD moved %g)", d, steps, moved)
	}
}

// TestGDWithWeightDecay: the simulator's gd on a landscape with weight
// decay λ is gradient descent on CE + (λ/2)‖θ‖² (θ ← θ − η·k·(∇CE + λθ) in
// θ = √k·φ), and from a minimum of that loss it stays there.
func TestGDWithWeightDecay(t *testing.T) {
	m, b := synthNet(t, []int{4, 6, 3}, model.Tanh, 20, 9)
	mn := testMinimum(m, b, 1)
	const decay, k, eta, steps = 0.05, 2.0, 0.3, 25
	mn.Spec.WeightDecay = decay
	e, _ := replica.New(m.Layers, m.Activation, b.X, b.Y)
	p := Point{Point: escape.Point{Dynamics: escape.GD, Sharpness: k, Eta: eta, MaxSteps: steps, Criterion: escape.Criterion{Kind: escape.CriterionDistance, Radius: 1e9}}}
	s, err := newNetworkSim(mn, e, p)
	if err != nil {
		t.Fatal(err)
	}
	_, theta, err := s.run(1)
	if err != nil {
		t.Fatal(err)
	}
	th := append([]float64(nil), m.Theta...)
	g := make([]float64, len(th))
	for i := 0; i < steps; i++ {
		if _, err := m.Evaluate(th, b, g, 1); err != nil {
			t.Fatal(err)
		}
		for j := range th {
			th[j] -= eta * k * (g[j] + decay*th[j])
		}
	}
	if d := maxAbsDiff(theta, th); d > 1e-12 {
		t.Fatalf("gd with weight decay differs from GD on CE + (λ/2)‖θ‖² by %g after %d steps", d, steps)
	}
	// From near a minimum of CE + (λ/2)‖θ‖² (the end of a long descent)
	// the simulator's gd only lowers that loss: it never rises by 1e-9 in
	// 2000 steps (without the decay in the step it would, by far more).
	for i := 0; i < 5000; i++ {
		if _, err := m.Evaluate(th, b, g, 1); err != nil {
			t.Fatal(err)
		}
		for j := range th {
			th[j] -= 0.2 * (g[j] + decay*th[j])
		}
	}
	copy(m.Theta, th)
	mn = testMinimum(m, b, 1)
	mn.Spec.WeightDecay = decay
	p.Sharpness, p.Eta, p.MaxSteps = 1, 0.2, 2000
	p.Criterion = escape.Criterion{Kind: escape.CriterionLoss, Delta: 1e-9}
	if s, err = newNetworkSim(mn, e, p); err != nil {
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
	m, b := synthNet(t, []int{4, 6, 3}, model.Tanh, 25, 11)
	mn := testMinimum(m, b, 7)
	f := NetworkFactory(mn)
	for _, p := range []Point{
		{Point: escape.Point{Dynamics: escape.SGD, BatchSize: 2, Eta: 0.5}},
		{Point: escape.Point{Dynamics: escape.SGDGaussian, BatchSize: 2, Eta: 0.5}},
		{Point: escape.Point{Dynamics: escape.SGLD, Temperature: 0.05, Eta: 0.5}},
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
	if _, err := f(Point{Point: escape.Point{Dynamics: escape.SGDDiffusion, Sharpness: 1, Eta: 1, BatchSize: 1, MaxSteps: 1, Criterion: escape.Criterion{Kind: escape.CriterionLoss, Delta: 1}}}); err == nil {
		t.Error("sgd-diffusion on a network: want an error")
	}
}

// TestSGDGaussianCovariance: the rows gᵢ − ḡ of the sgd-gaussian noise
// sum to zero and reproduce C₀ = (1/N)Σ(gᵢ − ḡ)(gᵢ − ḡ)ᵀ, whose trace is
// the mean squared distance of the per-sample gradients (model's) from
// their mean.
func TestSGDGaussianCovariance(t *testing.T) {
	m, b := synthNet(t, []int{3, 4, 2}, model.ReLU, 9, 13)
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

// TestNetworkSweepEndToEnd: a tiny network sweep on MNIST (49-4-10, 100
// images) runs, caches its minimum, and gives the same runs.jsonl on 1
// and 2 workers.
func TestNetworkSweepEndToEnd(t *testing.T) {
	if _, err := data.FindMNIST(""); err != nil {
		t.Skipf("MNIST not found: %v", err)
	}
	cfg := Config{Seed: 4, Network: &NetworkSpec{Layers: []int{49, 4, 10}, First: 100, Minimizer: MinimizerGD, GDMaxSteps: 300, GDEta: 0.3, CheckEvery: 5},
		Dynamics: []escape.Dynamics{escape.SGD}, Sharpness: []float64{1, 2}, BatchSize: []float64{4}, Eta: []float64{0.2},
		Runs: 6, MaxSteps: 400, Criterion: escape.Criterion{Kind: escape.CriterionLoss, Delta: 0.02}}
	var files [][]byte
	for _, w := range []int{1, 2} {
		dir := filepath.Join(t.TempDir(), "sweep")
		sum, mn, err := NetworkSweep(dir, cfg, SweepOptions{Workers: w})
		if err != nil {
			t.Fatal(err)
		}
		if sum.New != 12 || mn.GDSteps == 0 || !(mn.HessianTop > 0) {
			t.Fatalf("summary %+v, minimum: %d GD steps, λmax %v", sum, mn.GDSteps, mn.HessianTop)
		}
		b, err := os.ReadFile(filepath.Join(dir, RunsFile))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, b)
		cached, err := PrepareMinimum(*cfg.Network, "", dir, 1)
		if err != nil {
			t.Fatal(err)
		}
		if maxAbsDiff(cached.Theta, mn.Theta) != 0 || cached.Loss != mn.Loss {
			t.Error("the cached minimum differs from the prepared one")
		}
		sd, err := ReadSweep(dir)
		if err != nil {
			t.Fatal(err)
		}
		rates, err := PointRates(sd, nil)
		if err != nil || len(rates) != 2 {
			t.Fatalf("%d rates, %v", len(rates), err)
		}
	}
	if !bytes.Equal(files[0], files[1]) {
		t.Error("runs.jsonl differs between 1 and 2 workers")
	}
}

// TestNetworkMinimumShardsMerge: the default minimizer (L-BFGS, then
// Newton–CG) brings a small MNIST network to ‖∇L‖ ≤ 1e-6, checked with
// model's gradient; the Hessian verdict follows its eigenvalues; two shards
// prepare the same minimum.json and Merge copies it.
func TestNetworkMinimumShardsMerge(t *testing.T) {
	if _, err := data.FindMNIST(""); err != nil {
		t.Skipf("MNIST not found: %v", err)
	}
	cfg := Config{Seed: 5, Network: &NetworkSpec{Layers: []int{49, 4, 10}, First: 100, CheckEvery: 5},
		Dynamics: []escape.Dynamics{escape.SGD}, Sharpness: []float64{1}, BatchSize: []float64{4}, Eta: []float64{0.2},
		Runs: 4, MaxSteps: 200, Criterion: escape.Criterion{Kind: escape.CriterionLoss, Delta: 0.02}}
	tmp := t.TempDir()
	var shards []string
	var mn *Minimum
	for i := range 2 {
		dir := filepath.Join(tmp, fmt.Sprint("shard", i))
		_, m, err := NetworkSweep(dir, cfg, SweepOptions{Workers: 2, Shard: Shard{Index: i, Count: 2}})
		if err != nil {
			t.Fatal(err)
		}
		shards, mn = append(shards, dir), m
	}
	if mn.Minimizer != MinimizerLBFGS || !mn.Converged || mn.GradNorm > 1e-6 || mn.HessianMethod != "dense" {
		t.Fatalf("minimum %+v: want lbfgs converged to ‖∇L‖ ≤ 1e-6 with a dense Hessian", mn.MinimumSearch)
	}
	set, err := data.Load(data.Options{Split: "train", Pool: 4, First: 100})
	if err != nil {
		t.Fatal(err)
	}
	net, err := model.New(model.Config{Layers: mn.Spec.Layers, Activation: mn.Spec.Activation})
	if err != nil {
		t.Fatal(err)
	}
	grad := make([]float64, len(mn.Theta))
	ev, err := net.Evaluate(mn.Theta, model.Batch{X: set.X, Y: set.Y}, grad, 1)
	if err != nil {
		t.Fatal(err)
	}
	if g := floats.Norm(grad, 2); g > 1e-6 || ev.Loss != mn.Loss {
		t.Errorf("at θ₀: ‖∇L‖ = %g, loss %v (recorded %v)", g, ev.Loss, mn.Loss)
	}
	if mn.Saddle != (mn.HessianBottom < -1e-6*mn.HessianTop) || mn.Saddle != strings.Contains(mn.Verdict, "saddle") || !(mn.HessianTop > 0) {
		t.Errorf("verdict %q with λ = %g … %g", mn.Verdict, mn.HessianBottom, mn.HessianTop)
	}
	merged := filepath.Join(tmp, "merged")
	if _, err := Merge(merged, shards, "test"); err != nil {
		t.Fatal(err)
	}
	want, _ := os.ReadFile(filepath.Join(shards[0], MinimumFile))
	if got, err := os.ReadFile(filepath.Join(merged, MinimumFile)); err != nil || !bytes.Equal(got, want) || len(want) == 0 {
		t.Errorf("merged minimum.json: %v", err)
	}
}

// TestPrepareMinimumFromStart: a network spec whose start is the checkpoint
// of a minimum of the same loss stays there (gonum counts its initial check
// as one L-BFGS iteration; no step is taken, no Newton step either: the
// same θ₀ bit for bit); a checkpoint of another architecture is refused,
// naming the field.
func TestPrepareMinimumFromStart(t *testing.T) {
	if _, err := data.FindMNIST(""); err != nil {
		t.Skipf("MNIST not found: %v", err)
	}
	spec := NetworkSpec{Layers: []int{49, 4, 10}, First: 100, WeightDecay: 1e-2}
	first, err := PrepareMinimum(spec, "", "", 1)
	if err != nil {
		t.Fatal(err)
	}
	if !first.Converged || first.LBFGSIterations == 0 {
		t.Fatalf("the minimum from the initialisation: %+v", first.MinimumSearch)
	}
	dir := t.TempDir()
	net, err := model.New(model.Config{Layers: spec.Layers, Activation: model.Tanh})
	if err != nil {
		t.Fatal(err)
	}
	copy(net.Theta, first.Theta)
	ck := filepath.Join(dir, "minimum.safetensors")
	if err := model.SaveCheckpoint(ck, net, model.CheckpointMeta{Pool: 4}); err != nil {
		t.Fatal(err)
	}
	spec.Start = ck
	again, err := PrepareMinimum(spec, "", "", 1)
	if err != nil {
		t.Fatal(err)
	}
	if again.LBFGSIterations > 1 || again.NewtonIterations != 0 || maxAbsDiff(again.Theta, first.Theta) != 0 || !again.Converged {
		t.Errorf("from the minimum's checkpoint: %+v, θ moved by %v", again.MinimumSearch, maxAbsDiff(again.Theta, first.Theta))
	}
	other, err := model.New(model.Config{Layers: []int{49, 5, 10}, Activation: model.Tanh})
	if err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "other.safetensors")
	if err := model.SaveCheckpoint(bad, other, model.CheckpointMeta{Pool: 4}); err != nil {
		t.Fatal(err)
	}
	spec.Start = bad
	var fe *escape.FieldError
	if _, err := PrepareMinimum(spec, "", "", 1); !errors.As(err, &fe) || fe.Field != "start" {
		t.Errorf("another architecture: %v, want a field error naming start", err)
	}
}
