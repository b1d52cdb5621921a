package workgroup

import (
	"errors"
	"runtime"
	"strings"
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
