package kramers

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/sgn-project/sgn/escape"
	"github.com/sgn-project/sgn/model"
)

// TestMatchNoiseAnalytic: on the double well H(a) = diag(8kΔL, kλ₂, …, kλₙ)
// (escape.DoubleWell), so sgd-diffusion's tr C(a) = tr H(a)/B and
// D = η·tr C/(2n): 1-D, ΔL = 1, k = 1, B = 1, η = 0.05 gives tr C = 8 and
// D = 0.2; 5-D with ΔL = 2, λ = 2 gives H(a) = diag(16, 2, 2, 2, 2),
// tr C = 24/B.
func TestMatchNoiseAnalytic(t *testing.T) {
	for _, c := range []struct {
		spec      escape.LandscapeSpec
		k, eta, B float64
		trC, D    float64
		n         int
	}{
		{escape.LandscapeSpec{Name: escape.DoubleWellName, Barrier: 1, Dim: 1}, 1, 0.05, 1, 8, 0.2, 1},
		{escape.LandscapeSpec{Name: escape.DoubleWellName, Barrier: 1, Dim: 1}, 3, 0.01, 4, 6, 0.01 * 6 / 2, 1},
		{escape.LandscapeSpec{Name: escape.DoubleWellName, Barrier: 2, Dim: 5, Transverse: []float64{2}}, 1, 0.01, 2, 12, 0.01 * 12 / 10, 5},
	} {
		p := Point{Point: escape.Point{Dynamics: escape.SGLD, Sharpness: c.k, Eta: c.eta, Temperature: 1, Landscape: c.spec}}
		m, err := matchNoise(p, nil, c.B)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(m.TraceC-c.trC) > 1e-12*c.trC || math.Abs(m.Temperature-c.D) > 1e-12*c.D || m.Dim != c.n || m.BatchSize != c.B {
			t.Errorf("%+v k=%g B=%g: %+v; want tr C %g, D %g, n %d", c.spec, c.k, c.B, m, c.trC, c.D, c.n)
		}
	}
	p := Point{Point: escape.Point{Dynamics: escape.SGDDiffusion, Sharpness: 1, Eta: 0.1, BatchSize: 1, Landscape: escape.LandscapeSpec{Name: escape.DoubleWellName, Barrier: 1, Dim: 1}}}
	if _, err := matchNoise(p, nil, 1); !errors.Is(err, ErrMatchNoise) {
		t.Errorf("sgd-diffusion: error %v, want ErrMatchNoise", err)
	}
}

// TestGradientNoiseTrace against the per-sample gradients of package
// model's engine (LossGrad on one sample at a time): tr Σ = (1/N)Σ‖gᵢ − ḡ‖².
func TestGradientNoiseTrace(t *testing.T) {
	layers := []int{6, 5, 3}
	net, err := model.New(model.Config{Layers: layers, Activation: model.Tanh, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	const n = 40
	rng := rand.New(rand.NewPCG(1, 2))
	x := make([]float64, n*layers[0])
	y := make([]int, n)
	for i := range x {
		x[i] = rng.NormFloat64()
	}
	for i := range y {
		y[i] = rng.IntN(3)
	}
	mn := &Minimum{Spec: NetworkSpec{Layers: layers, Activation: model.Tanh}, Theta: net.Theta, x: x, y: y}
	got, err := mn.GradientNoiseTrace()
	if err != nil {
		t.Fatal(err)
	}
	P := net.NumParams()
	ws := net.NewWorkspace(1)
	gs := make([][]float64, n)
	mean := make([]float64, P)
	for i := range n {
		gs[i] = make([]float64, P)
		if _, err := net.LossGrad(ws, net.Theta, model.Batch{X: x[i*layers[0] : (i+1)*layers[0]], Y: y[i : i+1]}, gs[i]); err != nil {
			t.Fatal(err)
		}
		for j, v := range gs[i] {
			mean[j] += v / n
		}
	}
	want := 0.0
	for i := range n {
		for j, v := range gs[i] {
			want += (v - mean[j]) * (v - mean[j]) / n
		}
	}
	if math.Abs(got-want) > 1e-12*want {
		t.Errorf("tr Σ = %.15g, per-sample gradients of model give %.15g", got, want)
	}
	p := Point{Point: escape.Point{Dynamics: escape.SGLD, Sharpness: 2, Eta: 0.1, Temperature: 1}}
	m, err := matchNoise(p, mn, 5)
	if err != nil {
		t.Fatal(err)
	}
	if wantC := 2 * want / 5; math.Abs(m.TraceC-wantC) > 1e-12*wantC || math.Abs(m.Temperature-0.1*wantC/(2*float64(P))) > 1e-12*m.Temperature {
		t.Errorf("network k = 2, B = 5: %+v, want tr C = %g", m, wantC)
	}
}
