package model

import (
	"errors"
	"runtime"
	"runtime/debug"
	"testing"

	"github.com/sgn-project/sgn/internal/memtest"
	"github.com/sgn-project/sgn/internal/workgroup"
)

// allocated returns the bytes fn allocates (TotalAlloc, collector off).
func allocated(fn func()) uint64 {
	gc := debug.SetGCPercent(-1)
	defer debug.SetGCPercent(gc)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// Workers beyond the work are idle: Evaluate, PerSampleGradients,
// NewHessian and MulVec on 500 samples (two chunks) with 10,000 workers
// allocate what they do with two, and give the same bits as one.
func TestWorkersBeyondTheWorkHoldNothing(t *testing.T) {
	m, err := New(Config{Layers: []int{49, 16, 16, 10}, Activation: Tanh, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	b := synthetic(500, 49, 10, 3)
	const many = 10000
	v := make([]float64, m.NumParams())
	for i := range v {
		v[i] = float64(i%7) - 3
	}
	run := func(workers int) (Eval, []float64) {
		e, err := m.Evaluate(m.Theta, b, make([]float64, m.NumParams()), workers)
		if err != nil {
			t.Fatal(err)
		}
		if err := m.PerSampleGradients(m.Theta, b, make([]float64, b.N()*m.NumParams()), workers); err != nil {
			t.Fatal(err)
		}
		h, err := m.NewHessian(m.Theta, b, workers)
		if err != nil {
			t.Fatal(err)
		}
		hv := make([]float64, m.NumParams())
		h.MulVec(hv, v)
		return e, hv
	}
	// Under the race detector sync.Pool drops pooled buffers at random, so
	// allocations are compared only without it.
	if !memtest.Race {
		run(2) // warm the pooled workspaces
		two := allocated(func() { run(2) })
		lots := allocated(func() { run(many) })
		t.Logf("allocated with 2 workers %d bytes, with %d workers %d bytes", two, many, lots)
		if float64(lots) > 1.25*float64(two) {
			t.Errorf("%d workers allocate %d bytes, 2 workers %d: the idle workers hold buffers", many, lots, two)
		}
	}
	e1, hv1 := run(1)
	em, hvm := run(many)
	if e1 != em {
		t.Errorf("Evaluate with %d workers %+v, with one %+v", many, em, e1)
	}
	for i := range hv1 {
		if hv1[i] != hvm[i] {
			t.Fatalf("H·v[%d] with %d workers %v, with one %v", i, many, hvm[i], hv1[i])
		}
	}
	// The estimate counts the workers that hold buffers.
	b2, _ := HessianBytes(m.Layers, Tanh, b.N(), 2)
	bm, _ := HessianBytes(m.Layers, Tanh, b.N(), many)
	if bm != b2 {
		t.Errorf("HessianBytes with %d workers %.0f, with 2 %.0f", many, bm, b2)
	}
}

// TestChunksRaiseAWorkersPanicOnTheCaller: chunks has no error to return,
// so a panic of fn on a worker goroutine is raised again on the caller's
// goroutine, where the caller's recovery (here workgroup.Call, in sgn the
// command's) returns it as an error naming the work.
func TestChunksRaiseAWorkersPanicOnTheCaller(t *testing.T) {
	m, err := New(Config{Layers: []int{4, 3, 2}, Activation: Tanh, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	n := 10 * chunkRows
	for _, workers := range []int{1, 3} {
		err := workgroup.Call("outer", func() error {
			m.chunks(n, workers, func(c, lo, hi int, _ *pass) {
				if c == 7 {
					panic(errors.New("chunk 7"))
				}
			}, nil)
			return nil
		})
		var pe *workgroup.PanicError
		if !errors.As(err, &pe) || err.Error() != "sample chunk: internal error: panic: chunk 7" {
			t.Errorf("workers %d: %v, want the worker's panic", workers, err)
		}
	}
}
