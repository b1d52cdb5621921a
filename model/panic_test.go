package model

import (
	"errors"
	"testing"

	"github.com/sgn-project/sgn/internal/workgroup"
)

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
