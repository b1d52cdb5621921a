package noiseshape

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/sgn-project/sgn/internal/synthtest"
	"github.com/sgn-project/sgn/model"
)

// The model oracle's minibatch gradient is the mean of the per-sample
// gradients of the drawn samples (with repeats).
func TestModelOracle(t *testing.T) {
	m, err := model.New(model.Config{Layers: []int{6, 5, 3}, Activation: model.Tanh, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	n := 40
	var b model.Batch
	b.X, b.Y = synthtest.Samples(rng, n, 6, 3, synthtest.Uniform)
	P := m.NumParams()
	G := make([]float64, n*P)
	if err := m.PerSampleGradients(m.Theta, b, G, 1); err != nil {
		t.Fatal(err)
	}
	o := NewModelOracle(m, b)
	if o.Dim() != P || o.NumSamples() != n {
		t.Fatalf("Dim %d NumSamples %d, want %d %d", o.Dim(), o.NumSamples(), P, n)
	}
	idx := []int{3, 3, 17, 0, 39}
	got := make([]float64, P)
	if err := o.MeanGradient(got, idx); err != nil {
		t.Fatal(err)
	}
	for k := 0; k < P; k++ {
		var want float64
		for _, i := range idx {
			want += G[i*P+k] / float64(len(idx))
		}
		if math.Abs(got[k]-want) > 1e-14 {
			t.Fatalf("coordinate %d: %v, want %v", k, got[k], want)
		}
	}
}
