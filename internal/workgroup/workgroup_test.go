package workgroup

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// TestGoReturnsAWorkersPanicAsAnError: a worker that panics (the test's
// function, indexing out of range) comes back from Wait as a *PanicError
// naming the work, with the runtime error reachable and the stack kept;
// the process goes on.
func TestGoReturnsAWorkersPanicAsAnError(t *testing.T) {
	var g Group
	out := make([]int, 4)
	for i := range 4 {
		g.Go("cell", func() error {
			out[i] = []int{1, 2, 3}[i] // i = 3 panics
			return nil
		})
	}
	err := g.Wait()
	var pe *PanicError
	if !errors.As(err, &pe) {
		t.Fatalf("Wait = %v, want a *PanicError", err)
	}
	var re runtime.Error
	if !errors.As(err, &re) {
		t.Errorf("the runtime error is not reachable from %v", err)
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "cell: internal error: panic: runtime error: index out of range") || strings.Contains(msg, "\n") {
		t.Errorf("message %q: want one line naming the work and the panic", msg)
	}
	if !strings.Contains(string(pe.Stack), "workgroup_test.go") {
		t.Errorf("the stack does not show the panicking function:\n%s", pe.Stack)
	}
	if out[0] != 1 || out[1] != 2 || out[2] != 3 {
		t.Errorf("the other workers' results are %v", out)
	}
}

// TestWaitErrors: no error is nil; errors are joined; a panic comes first
// and alone.
func TestWaitErrors(t *testing.T) {
	var g Group
	g.Go("a", func() error { return nil })
	if err := g.Wait(); err != nil {
		t.Fatalf("Wait = %v, want nil", err)
	}
	e1, e2 := errors.New("one"), errors.New("two")
	var h Group
	h.Go("a", func() error { return e1 })
	h.Go("b", func() error { return e2 })
	if err := h.Wait(); !errors.Is(err, e1) || !errors.Is(err, e2) {
		t.Errorf("Wait = %v, want both errors", err)
	}
	// The first goroutine fails last: the message still lists it first.
	var o Group
	second := make(chan struct{})
	o.Go("a", func() error { <-second; return e1 })
	o.Go("b", func() error { defer close(second); return e2 })
	if err := o.Wait(); err == nil || err.Error() != "one\ntwo" {
		t.Errorf("Wait = %q, want the errors in the order of Go", err)
	}
	var k Group
	k.Go("a", func() error { return e1 })
	k.Go("b", func() error { panic("boom") })
	err := k.Wait()
	if err == nil || err.Error() != "b: internal error: panic: boom" {
		t.Errorf("Wait = %v, want the panic alone", err)
	}
}

// TestMustCarriesAPanicAcrossPools: a pool without errors re-raises its
// worker's panic with Must; an enclosing Call returns it with the inner
// worker's name.
func TestMustCarriesAPanicAcrossPools(t *testing.T) {
	err := Call("outer", func() error {
		var g Group
		g.Go("inner", func() error { panic(errors.New("bad")) })
		Must(g.Wait())
		return nil
	})
	var pe *PanicError
	if !errors.As(err, &pe) || pe.What != "inner" || err.Error() != "inner: internal error: panic: bad" {
		t.Fatalf("Call = %v, want the inner worker's panic", err)
	}
	if err := Call("x", func() error { Must(nil); return nil }); err != nil {
		t.Errorf("Must(nil) panicked: %v", err)
	}
	if err := Call("x", func() error { return errors.New("plain") }); err == nil || err.Error() != "plain" {
		t.Errorf("Call passes errors unchanged: %v", err)
	}
}

// TestForRunsEveryIndexOnce: with 1, 3 and 64 workers (more than tasks)
// For runs each of 50 indices once, on worker indices below the number of
// workers, and ticks once per task.
func TestForRunsEveryIndexOnce(t *testing.T) {
	for _, workers := range []int{1, 3, 64} {
		var mu sync.Mutex
		seen := make([]int, 50)
		ticks := 0
		err := For("test", 50, workers, func(w, i int) error {
			if w < 0 || w >= min(workers, 50) {
				return fmt.Errorf("worker index %d of %d", w, workers)
			}
			mu.Lock()
			seen[i]++
			mu.Unlock()
			return nil
		}, func() { ticks++ })
		if err != nil {
			t.Fatalf("workers %d: %v", workers, err)
		}
		for i, c := range seen {
			if c != 1 {
				t.Errorf("workers %d: index %d ran %d times", workers, i, c)
			}
		}
		if ticks != 50 {
			t.Errorf("workers %d: %d ticks, want 50", workers, ticks)
		}
	}
}

// TestForStopsAtTheFirstError: a task's error is returned, no index after
// it is handed out to the one worker, and a failed task does not tick.
func TestForStopsAtTheFirstError(t *testing.T) {
	bad := errors.New("task 7 failed")
	ran, ticks := 0, 0
	err := For("test", 50, 1, func(_, i int) error {
		ran++
		if i == 7 {
			return bad
		}
		return nil
	}, func() { ticks++ })
	if !errors.Is(err, bad) || ran != 8 || ticks != 7 {
		t.Errorf("For = %v after %d tasks and %d ticks, want %v after 8 tasks and 7 ticks", err, ran, ticks, bad)
	}
}

// TestForReturnsATasksPanic: a task that panics on a worker goroutine
// comes back from For as a one-line error naming the work.
func TestForReturnsATasksPanic(t *testing.T) {
	for _, workers := range []int{1, 4} {
		err := For("noise worker", 50, workers, func(_, i int) error {
			if i == 17 {
				panic("task 17")
			}
			return nil
		}, nil)
		var pe *PanicError
		if !errors.As(err, &pe) || err.Error() != "noise worker: internal error: panic: task 17" {
			t.Errorf("workers %d: For = %v, want the task's panic as an error", workers, err)
		}
	}
}
