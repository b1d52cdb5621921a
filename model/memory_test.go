package model

import (
	"math/rand/v2"
	"runtime"
	"runtime/debug"
	"testing"

	"github.com/sgn-project/sgn/internal/gemm"
	"github.com/sgn-project/sgn/internal/memtest"
	"github.com/sgn-project/sgn/internal/synthtest"
)

// TestHessianBytesMatchesTheAllocations: what NewHessian and one MulVec
// really allocate (TotalAlloc, at least their peak) besides the pooled
// workspaces of the matrix products is within HessianBytes less its term
// for those and at least 90% of it, for a smooth activation (with the δW
// products) and a piecewise-linear one, one worker and three.
func TestHessianBytesMatchesTheAllocations(t *testing.T) {
	if memtest.Race {
		t.Skip("under the race detector sync.Pool drops pooled GEMM workspaces at random: the allocations are not the program's")
	}
	layers := []int{49, 300, 200, 10}
	const n = 3000
	rng := rand.New(rand.NewPCG(1, 2))
	var b Batch
	b.X, b.Y = synthtest.Samples(rng, n, layers[0], 10, synthtest.Uniform)
	for _, act := range []Activation{Tanh, ReLU} {
		m, err := New(Config{Layers: layers, Activation: act, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		v := make([]float64, m.NumParams())
		dst := make([]float64, m.NumParams())
		for i := range v {
			v[i] = rng.NormFloat64()
		}
		for _, workers := range []int{1, 3} {
			bound, err := HessianBytes(layers, act, n, workers)
			if err != nil {
				t.Fatal(err)
			}
			// The matrix products' pooled workspaces are warmed up and
			// kept (no collection empties the pool during the
			// measurement).
			if _, err := m.NewHessian(m.Theta, b, workers); err != nil {
				t.Fatal(err)
			}
			gc := debug.SetGCPercent(-1)
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			gemmBefore := gemm.WorkspaceBytesAllocated()
			h, err := m.NewHessian(m.Theta, b, workers)
			if err != nil {
				t.Fatal(err)
			}
			h.MulVec(dst, v)
			gemmAfter := gemm.WorkspaceBytesAllocated()
			runtime.ReadMemStats(&after)
			debug.SetGCPercent(gc)
			// The pooled workspaces of the matrix products may or may not
			// be allocated again, and a regrown one leaves garbage: which,
			// depends on scheduling (they are kept per processor). Their
			// allocations are counted apart, so what is checked is the
			// Hessian's own, exactly, against the bound less its term for
			// the workspaces (internal/gemm checks one workspace's size).
			widest := 300.0
			ws := 8 * gemmWorkspaces(workers) * gemmWorkspaceWords(widest)
			own := float64(after.TotalAlloc-before.TotalAlloc) - float64(gemmAfter-gemmBefore)
			t.Logf("%s, %d workers: ratio %.3f (workspaces allocated: %d bytes)", act, workers, own/(bound-ws), gemmAfter-gemmBefore)
			if own > bound-ws || own < 0.9*(bound-ws) {
				t.Errorf("%s, %d workers: allocated %.0f bytes besides the matrix products' workspaces, bound %.0f without them (ratio %.3f): want between 0.9 and 1", act, workers, own, bound-ws, own/(bound-ws))
			}
		}
	}
	if _, err := HessianBytes([]int{49, 1 << 62, 10}, Tanh, 10, 1); err == nil {
		t.Errorf("an overflowing P was accepted")
	}
}
