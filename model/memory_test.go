package model

import (
	"math/rand/v2"
	"runtime"
	"runtime/debug"
	"testing"

	"github.com/sgn-project/sgn/internal/memtest"
)

// TestHessianBytesMatchesTheAllocations: what NewHessian and one MulVec
// really allocate (TotalAlloc, at least their peak) is within HessianBytes
// and at least 90% of it, for a smooth activation (with the δW products)
// and a piecewise-linear one, one worker and three.
func TestHessianBytesMatchesTheAllocations(t *testing.T) {
	if memtest.Race {
		t.Skip("under the race detector sync.Pool drops pooled GEMM workspaces at random: the allocations are not the program's")
	}
	layers := []int{49, 300, 200, 10}
	const n = 3000
	rng := rand.New(rand.NewPCG(1, 2))
	b := Batch{X: make([]float64, n*layers[0]), Y: make([]int, n)}
	for i := range b.X {
		b.X[i] = rng.Float64()
	}
	for i := range b.Y {
		b.Y[i] = rng.IntN(10)
	}
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
			// The matrix products' pooled workspace is warmed up and kept
			// (no collection empties the pool during the measurement), so
			// what is counted is the Hessian's own.
			if _, err := m.NewHessian(m.Theta, b, workers); err != nil {
				t.Fatal(err)
			}
			gc := debug.SetGCPercent(-1)
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			h, err := m.NewHessian(m.Theta, b, workers)
			if err != nil {
				t.Fatal(err)
			}
			h.MulVec(dst, v)
			runtime.ReadMemStats(&after)
			debug.SetGCPercent(gc)
			got := float64(after.TotalAlloc - before.TotalAlloc)
			t.Logf("%s, %d workers: ratio %.3f", act, workers, got/bound)
			// The pooled workspaces of the matrix products may or may not
			// be allocated again (they are kept per processor): the bound
			// counts them, the tightness check leaves them out.
			widest := 300.0
			gemm := 8 * gemmWorkspaces(workers) * gemmWorkspaceWords(widest)
			if got > bound || got < 0.9*(bound-gemm) {
				t.Errorf("%s, %d workers: allocated %.0f bytes, bound %.0f (ratio %.3f): want ≤ 1, and ≥ 0.9 without the pooled workspaces", act, workers, got, bound, got/bound)
			}
		}
	}
	if _, err := HessianBytes([]int{49, 1 << 62, 10}, Tanh, 10, 1); err == nil {
		t.Errorf("an overflowing P was accepted")
	}
}
