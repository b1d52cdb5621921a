package noiseshape

import (
	"errors"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/sgn-project/sgn/internal/memlimit"
	"github.com/sgn-project/sgn/internal/memtest"
	"github.com/sgn-project/sgn/internal/synthtest"
	"github.com/sgn-project/sgn/model"
)

func TestMemoryNeed(t *testing.T) {
	// P = 1,242 ≤ AllCoordsLimit: every coordinate; pool cap 2e6 / 1242 =
	// 1610 minibatches, capped at the 1,000 drawn; two workers.
	opt := Options{BatchSizes: []int{1, 4}, Minibatches: 1000, Workers: 2, PoolCap: 2_000_000}
	got, err := opt.MemoryNeed(1242, 5000)
	if err != nil {
		t.Fatal(err)
	}
	// Effect sizes: 100 random directions, 500×1242 half matrix and three
	// 500² matrices, two blocks of ⌊2¹⁹/1242⌋ = 422 per-sample gradients.
	want := 8 * (2*1242*1000 + 2*1000*1242 + 7*1242.0 + 100*1242 + 2.5*100*1000 + 500*1242 + 3*500*500 + 2*422*1242)
	if got != want {
		t.Errorf("MemoryNeed = %v, want %v", got, want)
	}
	// Issue case 3: 10⁸ minibatches need far more than any machine has.
	opt.Minibatches = 100_000_000
	if got, err := opt.MemoryNeed(1242, 5000); err != nil || got < 1e12 {
		t.Errorf("10⁸ minibatches: %v, %v", got, err)
	}
	var me *memlimit.Error
	if err := opt.CheckMemory(1242, 5000, 8<<30); !errors.As(err, &me) || me.Limit != 8<<30 ||
		me.Subject(func(o string) string { return o }) != "minibatches 100000000 on P = 1242 (the noise matrix and the pooled sample)" ||
		!slices.Equal(me.Levers, []memlimit.Lever{memlimit.Lower("minibatches"), memlimit.Lower("coords")}) {
		t.Errorf("CheckMemory of 10⁸ minibatches under 8 GiB: %v", err)
	}
	opt.Minibatches = 1000
	if err := opt.CheckMemory(1242, 5000, int64(want)); err != nil {
		t.Errorf("CheckMemory at the need: %v", err)
	}
	if err := opt.CheckMemory(1242, 5000, int64(want)-1); !errors.As(err, &me) || me.Need != int64(want) {
		t.Errorf("CheckMemory a byte below the need: %v", err)
	}
	opt.Minibatches = 5
	if _, err := opt.MemoryNeed(1242, 5000); err == nil {
		t.Errorf("5 minibatches accepted")
	}
	if err := opt.CheckMemory(1242, 5000, 8<<30); err == nil || errors.As(err, &me) {
		t.Errorf("CheckMemory of 5 minibatches: %v; want the options' error", err)
	}
}

// TestMemoryNeedBoundsThePeak: the live heap of Analyze at its peak (a
// collection after every 1% of growth) on a small network stays within
// MemoryNeed (and memtest.Slack, the measurement's precision) and reaches
// at least half of it: the noise matrix and the pooled sample dominate.
func TestMemoryNeedBoundsThePeak(t *testing.T) {
	m, err := model.New(model.Config{Layers: []int{12, 40, 10}, Activation: model.Tanh, Seed: 1}) // P = 930
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	const n = 500
	var b model.Batch
	b.X, b.Y = synthtest.Samples(rng, n, 12, 10, synthtest.Uniform)
	opt := Options{BatchSizes: []int{1, 8}, Minibatches: 1000, Workers: 2, Seed: 1}
	need, err := opt.MemoryNeed(m.NumParams(), n)
	if err != nil {
		t.Fatal(err)
	}
	peak := float64(memtest.PeakLive(func() {
		if _, err := Analyze(NewModelOracle(m, b), opt, nil); err != nil {
			t.Error(err)
		}
	}))
	t.Logf("peak %.0f, bound %.0f (ratio %.2f)", peak, need, peak/need)
	if peak > need+memtest.Slack || peak < 0.5*need {
		t.Errorf("peak %.0f bytes, bound %.0f: want 0.5 ≤ peak/bound, peak ≤ bound + %d", peak, need, memtest.Slack)
	}
}
