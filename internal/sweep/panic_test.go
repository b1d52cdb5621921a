package sweep

import (
	"errors"
	"strings"
	"testing"

	"github.com/sgn-project/sgn/internal/workgroup"
)

// TestExecuteReturnsARunsPanic: a run that panics on a worker goroutine (the
// test's function) comes back from Execute as a one-line error naming the
// task, the records before it are emitted and the process goes on.
func TestExecuteReturnsARunsPanic(t *testing.T) {
	tasks := make([]Task, 20)
	for i := range tasks {
		tasks[i] = Task{Point: i / 4, Run: i % 4, Seed: uint64(100 + i)}
	}
	for _, workers := range []int{1, 3} {
		var emitted int
		err := Execute(tasks, workers, func(t Task) (int, error) {
			if t.Point == 2 && t.Run == 1 {
				var m map[string]int
				m["x"] = 1 // assignment to a nil map
			}
			return t.Run, nil
		}, func(Record[int]) error { emitted++; return nil })
		var pe *workgroup.PanicError
		if !errors.As(err, &pe) {
			t.Fatalf("workers %d: Execute = %v, want a *workgroup.PanicError", workers, err)
		}
		if msg := err.Error(); msg != "point 2 run 1 (seed 109): internal error: panic: assignment to entry in nil map" || strings.Contains(msg, "\n") {
			t.Errorf("workers %d: message %q", workers, msg)
		}
		if emitted > 9 {
			t.Errorf("workers %d: %d records emitted, the panic was the 10th task", workers, emitted)
		}
	}
}
