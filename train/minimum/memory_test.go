package minimum

import (
	"math/rand/v2"
	"testing"

	"github.com/sgn-project/sgn/internal/memtest"
	"github.com/sgn-project/sgn/model"
)

// TestMemoryNeedBoundsThePeak: the live heap of Find on a small network at
// its peak stays within MemoryNeed (within memtest.Slack, the
// measurement's precision).
func TestMemoryNeedBoundsThePeak(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, c := range []struct {
		layers []int
		n      int
	}{{[]int{16, 30, 4}, 200}, {[]int{49, 50, 10}, 500}} {
		m, err := model.New(model.Config{Layers: c.layers, Activation: model.Tanh, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		b := model.Batch{X: make([]float64, c.n*c.layers[0]), Y: make([]int, c.n)}
		for i := range b.X {
			b.X[i] = rng.Float64()
		}
		for i := range b.Y {
			b.Y[i] = rng.IntN(c.layers[len(c.layers)-1])
		}
		need, err := MemoryNeed(c.layers, model.Tanh, c.n, 1)
		if err != nil {
			t.Fatal(err)
		}
		peak := float64(memtest.PeakLive(func() {
			if _, _, err := Find(m, b, Settings{Decay: 1e-2, GradTol: 1e-6, MaxIterations: 200, Seed: 1, Workers: 1}); err != nil {
				t.Error(err)
			}
		}))
		t.Logf("layers %v: peak %.0f, bound %.0f (ratio %.2f)", c.layers, peak, need, peak/need)
		if peak > need+memtest.Slack {
			t.Errorf("layers %v: peak %.0f bytes above the bound %.0f", c.layers, peak, need)
		}
	}
	if _, err := MemoryNeed([]int{4}, model.Tanh, 10, 1); err == nil {
		t.Error("a single layer: no error")
	}
}
