package kramers

import (
	"errors"
	"math"
	"testing"

	"github.com/sgn-project/sgn/data"
	"github.com/sgn-project/sgn/escape"
	"github.com/sgn-project/sgn/escape/network"
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

// TestMatchNoiseNetwork: on a network the matched temperature comes from
// the minimum's gradient noise, tr C = k·tr Σ(θ₀)/B and D = η·tr C/(2P).
func TestMatchNoiseNetwork(t *testing.T) {
	if _, err := data.FindMNIST(""); err != nil {
		t.Skipf("MNIST not found: %v", err)
	}
	spec := network.Spec{Layers: []int{49, 4, 10}, First: 100, WeightDecay: 1e-2, Minimizer: network.MinimizerGD, GDMaxSteps: 5}
	mn, err := network.PrepareMinimum(spec, "", "", 1)
	if err != nil {
		t.Fatal(err)
	}
	trS, err := mn.GradientNoiseTrace()
	if err != nil || !(trS > 0) {
		t.Fatalf("tr Σ = %v (%v), want a positive number", trS, err)
	}
	p := Point{Point: escape.Point{Dynamics: escape.SGLD, Sharpness: 2, Eta: 0.1, Temperature: 1}}
	m, err := matchNoise(p, mn, 5)
	if err != nil {
		t.Fatal(err)
	}
	P := len(mn.Theta)
	if wantC := 2 * trS / 5; math.Abs(m.TraceC-wantC) > 1e-12*wantC || m.Dim != P || math.Abs(m.Temperature-0.1*wantC/(2*float64(P))) > 1e-12*m.Temperature {
		t.Errorf("network k = 2, B = 5: %+v, want tr C = %g over %d coordinates", m, wantC, P)
	}
}
