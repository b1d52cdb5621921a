package equilibrium

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/sgn-project/sgn/internal/synthtest"
	"github.com/sgn-project/sgn/model"
	"github.com/sgn-project/sgn/train/minimum"
)

// TestNetworkDecay: with weight decay the Network's loss and gradient
// (full batch and a minibatch of every sample once) equal those of
// minimum.Network, the mean of its per-sample gradients is the full
// gradient (the decay term λθ is common to all), and its Hessian is
// minimum.Network's, ∇²CE + λI, product for product.
func TestNetworkDecay(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	m, err := model.New(model.Config{Layers: []int{5, 4, 3}, Activation: model.Tanh, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	N := 30
	var b model.Batch
	b.X, b.Y = synthtest.Samples(rng, N, 5, 3, synthtest.Normal)
	const decay = 0.05
	net := &Network{Model: m, Data: b, Decay: decay, Workers: 2}
	ref := minimum.Network{Net: m, Batch: b, Decay: decay, Workers: 1}
	P := net.Dim()
	theta := make([]float64, P)
	for i := range theta {
		theta[i] = rng.NormFloat64()
	}
	want := make([]float64, P)
	wl, err := ref.LossGrad(theta, want)
	if err != nil {
		t.Fatal(err)
	}
	all := make([]int, N)
	for i := range all {
		all[i] = i
	}
	close := func(a, b float64) bool { return math.Abs(a-b) <= 1e-12*(1+math.Abs(b)) }
	for _, idx := range [][]int{nil, all} {
		g := make([]float64, P)
		l, err := net.NewGradient().Grad(theta, idx, g)
		if err != nil {
			t.Fatal(err)
		}
		if !close(l, wl) {
			t.Errorf("idx %v: loss %v, want %v", idx != nil, l, wl)
		}
		for i := range g {
			if !close(g[i], want[i]) {
				t.Fatalf("idx %v: ∂L/∂θ[%d] = %v, want %v", idx != nil, i, g[i], want[i])
			}
		}
	}
	G := make([]float64, N*P)
	if err := net.PerSampleGradients(theta, 0, N, G); err != nil {
		t.Fatal(err)
	}
	for i := range P {
		var s float64
		for n := range N {
			s += G[n*P+i] / float64(N)
		}
		if !close(s, want[i]) {
			t.Fatalf("mean per-sample gradient [%d] = %v, want %v", i, s, want[i])
		}
	}
	h, err := net.Hessian(theta)
	if err != nil {
		t.Fatal(err)
	}
	hr, err := ref.Hessian(theta)
	if err != nil {
		t.Fatal(err)
	}
	v, hv, hrv := make([]float64, P), make([]float64, P), make([]float64, P)
	for i := range v {
		v[i] = rng.NormFloat64()
	}
	h.MulVec(hv, v)
	hr.MulVec(hrv, v)
	for i := range hv {
		if !close(hv[i], hrv[i]) {
			t.Fatalf("(Hv)[%d] = %v, want %v", i, hv[i], hrv[i])
		}
	}
}
