package noiseshape

import (
	"errors"
	"testing"

	"github.com/sgn-project/sgn/internal/workgroup"
)

// TestParallelForReturnsATasksPanic: a task that panics on a worker
// goroutine comes back from parallelFor as a one-line error.
func TestParallelForReturnsATasksPanic(t *testing.T) {
	for _, workers := range []int{1, 4} {
		err := parallelFor(50, workers, func(_, i int) error {
			if i == 17 {
				panic("task 17")
			}
			return nil
		}, func() {})
		var pe *workgroup.PanicError
		if !errors.As(err, &pe) || err.Error() != "noise worker: internal error: panic: task 17" {
			t.Errorf("workers %d: parallelFor = %v, want the task's panic as an error", workers, err)
		}
	}
}
