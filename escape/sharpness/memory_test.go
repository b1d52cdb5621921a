package sharpness

import (
	"math/rand/v2"
	"testing"

	"github.com/sgn-project/sgn/data"
	"github.com/sgn-project/sgn/internal/memtest"
	"github.com/sgn-project/sgn/internal/synthtest"
	"github.com/sgn-project/sgn/model"
)

// TestMeasureBytesBoundsThePeak: the live heap of measure at its peak (a
// collection after every 1% of growth) stays within measureBytes and
// reaches at least half of it (within the measurement's precision,
// memtest.Slack), with the exact trace (a dense P×P Hessian)
// and with Hutchinson's; MemoryNeed counts the concurrent runs.
func TestMeasureBytesBoundsThePeak(t *testing.T) {
	layers := []int{49, 20, 10} // P = 1,210
	const n = 600
	rng := rand.New(rand.NewPCG(7, 8))
	set := &data.Set{N: n, D: 49}
	set.X, set.Y = synthtest.Samples(rng, n, 49, 10, synthtest.Uniform)
	m, err := model.New(model.Config{Layers: layers, Activation: model.Tanh, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, exact := range []int{3000, -1} {
		c := Config{Model: m.Config, Pool: 4, TrainFirst: n, TestFirst: 100, BatchSizes: []int{16}, Etas: []float64{0.1}, Epochs: 1, Runs: 1, ExactTraceMaxParams: exact}
		if exact < 0 {
			c.ExactTraceMaxParams = 1 // Hutchinson
		}
		need, err := c.measureBytes(n)
		if err != nil {
			t.Fatal(err)
		}
		var res Result
		peak := float64(memtest.PeakLive(func() {
			if err := measure(m, set, c.withDefaults(), 1, &res); err != nil {
				t.Error(err)
			}
		}))
		t.Logf("exact trace up to P = %d: peak %.0f, bound %.0f (ratio %.2f)", c.ExactTraceMaxParams, peak, need, peak/need)
		if peak > need+memtest.Slack || peak < 0.5*need {
			t.Errorf("%s trace: peak %.0f bytes, bound %.0f: want 0.5 ≤ peak/bound ≤ 1", res.TraceMethod, peak, need)
		}
		one, err := c.MemoryNeed(1)
		if err != nil {
			t.Fatal(err)
		}
		four, _ := c.MemoryNeed(4)
		if one < need || four < one+3*need {
			t.Errorf("MemoryNeed: %.0f for one run, %.0f for four; measure alone %.0f", one, four, need)
		}
	}
	// A billion runs per point: their tasks and records alone need 10¹¹
	// bytes and more.
	c := Config{Model: m.Config, Pool: 4, TrainFirst: n, TestFirst: 100, BatchSizes: []int{16}, Etas: []float64{0.1}, Epochs: 1, Runs: 1_000_000_000}
	if b, err := c.MemoryNeed(1); err != nil || b < 1e11 {
		t.Errorf("10⁹ runs: MemoryNeed = %v, %v", b, err)
	}
}
