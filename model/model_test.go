package model

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/sgn-project/sgn/internal/synthtest"
)

// synthetic returns n random samples of dimension d with labels in [0, c).
func synthetic(n, d, c int, seed uint64) Batch {
	var b Batch
	b.X, b.Y = synthtest.Samples(rand.New(rand.NewPCG(seed, 1)), n, d, c, synthtest.Uniform)
	return b
}

var testNets = []Config{
	{Layers: []int{5, 3}, Activation: Tanh, Seed: 1},
	{Layers: []int{6, 7, 4}, Activation: Tanh, Seed: 2},
	{Layers: []int{6, 7, 4}, Activation: ReLU, Seed: 3},
	{Layers: []int{5, 6, 5, 3}, Activation: Tanh, Seed: 4},
	{Layers: []int{5, 6, 5, 3}, Activation: ReLU, Seed: 5},
	{Layers: []int{4, 5, 5, 4, 3}, Activation: Tanh, Init: InitTorch, Seed: 6},
	{Layers: []int{6, 7, 4}, Activation: Sigmoid, Seed: 7},
	{Layers: []int{6, 7, 4}, Activation: Softplus, Seed: 8},
	{Layers: []int{5, 6, 5, 3}, Activation: GELU, Seed: 9},
	{Layers: []int{6, 7, 4}, Activation: "leaky_relu:0.2", Seed: 10},
	{Layers: []int{5, 6, 5, 3}, Activation: ELU, Seed: 11},
	{Layers: []int{6, 7, 4}, Activation: Identity, Seed: 12},
}

// The gradient of the mean loss against central finite differences.
func TestGradientFiniteDifferences(t *testing.T) {
	for _, c := range testNets {
		m, err := New(c)
		if err != nil {
			t.Fatal(err)
		}
		// 300 samples: more than one chunk, so the chunked sum is exercised.
		b := synthetic(300, c.Layers[0], m.NumClasses(), c.Seed)
		g := make([]float64, m.NumParams())
		if _, err := m.Evaluate(m.Theta, b, g, 2); err != nil {
			t.Fatal(err)
		}
		fd := make([]float64, len(g))
		th := append([]float64(nil), m.Theta...)
		const h = 1e-5
		for i := range th {
			th[i] = m.Theta[i] + h
			lp, _ := m.Loss(th, b, 1)
			th[i] = m.Theta[i] - h
			lm, _ := m.Loss(th, b, 1)
			th[i] = m.Theta[i]
			fd[i] = (lp - lm) / (2 * h)
		}
		if e := synthtest.RelErr(g, fd); e > 1e-6 {
			t.Errorf("%v %s: gradient relative error %.3g > 1e-6", c.Layers, c.Activation, e)
		}
	}
}

// H·v by the R-operator against central differences of the gradient, and
// the whole Hessian built column by column from finite differences.
func TestHessianVectorProduct(t *testing.T) {
	for _, c := range testNets {
		m, _ := New(c)
		b := synthetic(300, c.Layers[0], m.NumClasses(), c.Seed+10)
		h, err := m.NewHessian(m.Theta, b, 2)
		if err != nil {
			t.Fatal(err)
		}
		P := m.NumParams()
		gradAt := func(th []float64) []float64 {
			g := make([]float64, P)
			if _, err := m.Evaluate(th, b, g, 1); err != nil {
				t.Fatal(err)
			}
			return g
		}
		fdHv := func(v []float64, eps float64) []float64 {
			tp := make([]float64, P)
			tm := make([]float64, P)
			for i := range tp {
				tp[i] = m.Theta[i] + eps*v[i]
				tm[i] = m.Theta[i] - eps*v[i]
			}
			gp, gm := gradAt(tp), gradAt(tm)
			out := make([]float64, P)
			for i := range out {
				out[i] = (gp[i] - gm[i]) / (2 * eps)
			}
			return out
		}
		// random directions
		rng := rand.New(rand.NewPCG(c.Seed, 9))
		for trial := 0; trial < 3; trial++ {
			v := make([]float64, P)
			for i := range v {
				v[i] = rng.NormFloat64()
			}
			hv := make([]float64, P)
			h.MulVec(hv, v)
			if e := synthtest.RelErr(hv, fdHv(v, 1e-5)); e > 1e-6 {
				t.Errorf("%v %s: Hv relative error %.3g > 1e-6", c.Layers, c.Activation, e)
			}
		}
		// full Hessian, column by column, against finite differences
		var worst, asym float64
		H := make([][]float64, P)
		for j := 0; j < P; j++ {
			e := make([]float64, P)
			e[j] = 1
			H[j] = make([]float64, P)
			h.MulVec(H[j], e)
			worst = max(worst, synthtest.RelErr(H[j], fdHv(e, 1e-5)))
		}
		var scale float64
		for i := 0; i < P; i++ {
			for j := 0; j < P; j++ {
				asym = max(asym, math.Abs(H[i][j]-H[j][i]))
				scale = max(scale, math.Abs(H[i][j]))
			}
		}
		if worst > 1e-6 {
			t.Errorf("%v %s: Hessian column relative error %.3g > 1e-6", c.Layers, c.Activation, worst)
		}
		if asym > 1e-10*scale {
			t.Errorf("%v %s: Hessian asymmetry %.3g > 1e-10 × %.3g", c.Layers, c.Activation, asym, scale)
		}
		if math.Abs(h.Loss()-mustLoss(t, m, b)) > 0 {
			t.Errorf("Hessian loss %v differs from Evaluate", h.Loss())
		}
	}
}

func mustLoss(t *testing.T, m *MLP, b Batch) float64 {
	l, err := m.Loss(m.Theta, b, 1)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// Per-sample gradients equal a loop over single samples and average to the
// batch gradient.
func TestPerSampleGradients(t *testing.T) {
	for _, c := range testNets {
		m, _ := New(c)
		n := 300
		b := synthetic(n, c.Layers[0], m.NumClasses(), c.Seed+20)
		P := m.NumParams()
		G := make([]float64, n*P)
		if err := m.PerSampleGradients(m.Theta, b, G, 2); err != nil {
			t.Fatal(err)
		}
		mean := make([]float64, P)
		g1 := make([]float64, P)
		D := c.Layers[0]
		var worst float64
		for i := 0; i < n; i++ {
			one := Batch{X: b.X[i*D : (i+1)*D], Y: b.Y[i : i+1]}
			if _, err := m.Evaluate(m.Theta, one, g1, 1); err != nil {
				t.Fatal(err)
			}
			for k := 0; k < P; k++ {
				worst = max(worst, math.Abs(G[i*P+k]-g1[k]))
				mean[k] += G[i*P+k] / float64(n)
			}
		}
		if worst > 1e-12 {
			t.Errorf("%v %s: per-sample gradient differs from single-sample pass by %.3g > 1e-12", c.Layers, c.Activation, worst)
		}
		g := make([]float64, P)
		m.Evaluate(m.Theta, b, g, 1)
		if e := synthtest.RelErr(mean, g); e > 1e-12 {
			t.Errorf("%v %s: mean of per-sample gradients differs from the gradient by %.3g", c.Layers, c.Activation, e)
		}
	}
}

// Results do not depend on the number of workers, bit for bit.
func TestWorkersBitIdentical(t *testing.T) {
	c := Config{Layers: []int{20, 16, 10}, Activation: Tanh, Seed: 7}
	m, _ := New(c)
	b := synthetic(2100, 20, 10, 3)
	g1 := make([]float64, m.NumParams())
	g3 := make([]float64, m.NumParams())
	e1, _ := m.Evaluate(m.Theta, b, g1, 1)
	e3, _ := m.Evaluate(m.Theta, b, g3, 3)
	if e1 != e3 {
		t.Errorf("loss with 1 and 3 workers: %v vs %v", e1, e3)
	}
	for i := range g1 {
		if g1[i] != g3[i] {
			t.Fatalf("gradient entry %d differs with 1 and 3 workers: %v vs %v", i, g1[i], g3[i])
		}
	}
	h1, _ := m.NewHessian(m.Theta, b, 1)
	h3, _ := m.NewHessian(m.Theta, b, 3)
	v := append([]float64(nil), m.Theta...)
	o1 := make([]float64, len(v))
	o3 := make([]float64, len(v))
	h1.MulVec(o1, v)
	h3.MulVec(o3, v)
	for i := range o1 {
		if o1[i] != o3[i] {
			t.Fatalf("Hv entry %d differs with 1 and 3 workers", i)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	bad := []Config{
		{Layers: []int{5}, Activation: Tanh},
		{Layers: []int{5, 0, 3}, Activation: Tanh},
		{Layers: []int{5, 1}, Activation: Tanh},
		{Layers: []int{5, 3}, Activation: "swish"},
		{Layers: []int{5, 3}, Activation: Tanh, Init: "xavier2"},
	}
	for _, c := range bad {
		if _, err := New(c); err == nil {
			t.Errorf("New(%+v) accepted a bad configuration", c)
		}
	}
	for _, s := range []string{"", "49", "49,x,10", "49,-1,10", "49,,10"} {
		if _, err := ParseLayers(s); err == nil {
			t.Errorf("ParseLayers(%q) accepted a malformed list", s)
		}
	}
	if l, err := ParseLayers("49, 16,10"); err != nil || len(l) != 3 || l[1] != 16 {
		t.Errorf("ParseLayers(\"49, 16,10\") = %v, %v", l, err)
	}
	m, _ := New(Config{Layers: []int{3, 2}, Activation: ReLU})
	if _, err := m.Evaluate(m.Theta, Batch{X: make([]float64, 4), Y: []int{0, 1}}, nil, 1); err == nil {
		t.Error("Evaluate accepted data with the wrong number of features")
	}
	if _, err := m.Evaluate(m.Theta, Batch{X: make([]float64, 3), Y: []int{5}}, nil, 1); err == nil {
		t.Error("Evaluate accepted a label outside the classes")
	}
}

// LossGrad on a reused workspace equals Evaluate on a single chunk, bit for
// bit, and refuses a minibatch larger than the workspace.
func TestLossGradWorkspace(t *testing.T) {
	for _, c := range testNets {
		m, _ := New(c)
		ws := m.NewWorkspace(64)
		for trial := uint64(0); trial < 3; trial++ {
			b := synthetic(40+int(trial)*10, c.Layers[0], m.NumClasses(), c.Seed+trial)
			g1 := make([]float64, m.NumParams())
			g2 := make([]float64, m.NumParams())
			e, err := m.Evaluate(m.Theta, b, g1, 1)
			if err != nil {
				t.Fatal(err)
			}
			l, err := m.LossGrad(ws, m.Theta, b, g2)
			if err != nil {
				t.Fatal(err)
			}
			if l != e.Loss {
				t.Errorf("%v: LossGrad loss %v, Evaluate %v", c.Layers, l, e.Loss)
			}
			for i := range g1 {
				if g1[i] != g2[i] {
					t.Fatalf("%v: gradient entry %d: LossGrad %v, Evaluate %v", c.Layers, i, g2[i], g1[i])
				}
			}
		}
		if _, err := m.LossGrad(ws, m.Theta, synthetic(65, c.Layers[0], m.NumClasses(), 1), make([]float64, m.NumParams())); err == nil {
			t.Errorf("%v: a minibatch of 65 in a workspace of 64 was accepted", c.Layers)
		}
	}
}

// TestParseConfig: widths and activation parsed and validated; each error
// names the setting at fault.
func TestParseConfig(t *testing.T) {
	if c, err := ParseConfig("49, 8,10", "gelu"); err != nil || len(c.Layers) != 3 || c.Layers[1] != 8 || c.Activation != GELU {
		t.Errorf("49,8,10 gelu: %+v, %v", c, err)
	}
	for _, c := range []struct{ layers, act, prefix string }{
		{"49,x,10", "tanh", "layers \"49,x,10\": "},
		{"49,8,10", "nope", "activation: activation \"nope\": "},
		{"49,8,1", "tanh", "layers [49 8 1]: the output layer needs at least 2 classes"},
	} {
		if _, err := ParseConfig(c.layers, c.act); err == nil || !strings.HasPrefix(err.Error(), c.prefix) {
			t.Errorf("%s %s: %v, want %q…", c.layers, c.act, err, c.prefix)
		}
	}
}
