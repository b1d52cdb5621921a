package equilibrium

import (
	"math/rand/v2"
	"testing"

	"github.com/sgn-project/sgn/internal/memtest"
	"github.com/sgn-project/sgn/internal/synthtest"
	"github.com/sgn-project/sgn/model"
)

// TestMemoryNeedBoundsThePeak: the live heap of Measure on a small network
// at its peak (a collection after every 1% of growth) stays within
// MemoryNeed (within memtest.Slack, the measurement's precision) and reaches
// at least half of it, when the chains' samples dominate
// (long runs, every step kept) and when the dense eigenbasis does.
func TestMemoryNeedBoundsThePeak(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, c := range []struct {
		layers []int
		n      int
		s      Settings
	}{
		// P = 43: 2 chains × 40,000 samples × 31 values.
		{[]int{4, 5, 3}, 100, Settings{Eta: 0.05, BatchSize: 8, Steps: 40000, BurnIn: 10, Every: 1, TopK: 10, Bulk: 20, Seed: 1, Workers: 2}},
		// P = 634: three dense P×P matrices.
		{[]int{16, 30, 4}, 200, Settings{Eta: 0.05, BatchSize: 8, Steps: 2000, BurnIn: 10, Every: 10, TopK: 5, Bulk: 5, Seed: 1, Workers: 1}},
	} {
		m, err := model.New(model.Config{Layers: c.layers, Activation: model.Tanh, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		var b model.Batch
		b.X, b.Y = synthtest.Samples(rng, c.n, c.layers[0], c.layers[len(c.layers)-1], synthtest.Uniform)
		need, err := c.s.MemoryNeed(c.layers, model.Tanh, c.n)
		if err != nil {
			t.Fatal(err)
		}
		peak := float64(memtest.PeakLive(func() {
			if _, err := Measure(&Network{Model: m, Data: b, Workers: c.s.Workers}, m.Theta, c.s, nil); err != nil {
				t.Error(err)
			}
		}))
		t.Logf("layers %v: peak %.0f, bound %.0f (ratio %.2f)", c.layers, peak, need, peak/need)
		if peak > need+memtest.Slack || peak < 0.5*need {
			t.Errorf("layers %v: peak %.0f bytes, bound %.0f: want 0.5 ≤ peak/bound ≤ 1", c.layers, peak, need)
		}
	}
}
