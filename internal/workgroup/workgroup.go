package workgroup

import (
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"sync/atomic"
)

// PanicError is a panic recovered in a worker: What names the work that
// failed (e.g. "per-sample gradients"), Value is the panic's value and Stack
// the goroutine's stack when it panicked.
type PanicError struct {
	What  string
	Value any
	Stack []byte
}

// Error is one line: "<what>: internal error: panic: <value>".
func (e *PanicError) Error() string {
	if e.What == "" {
		return fmt.Sprintf("internal error: panic: %v", e.Value)
	}
	return fmt.Sprintf("%s: internal error: panic: %v", e.What, e.Value)
}

// Unwrap returns the panic's value when it is an error (e.g. a
// runtime.Error), so that errors.As reaches it.
func (e *PanicError) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}

// Call runs fn on the calling goroutine and returns its error, or a
// *PanicError naming what if fn panics. A panic whose value is already a
// *PanicError (one re-raised by Group.Wait, see Must) is returned as it is,
// so the innermost worker keeps its name and stack.
func Call(what string, fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = asPanicError(what, r)
		}
	}()
	return fn()
}

// asPanicError wraps the recovered value r; it must be called from the
// deferred function that recovered, so that the stack is the panic's.
func asPanicError(what string, r any) *PanicError {
	if pe, ok := r.(*PanicError); ok {
		return pe
	}
	return &PanicError{What: what, Value: r, Stack: debug.Stack()}
}

// Group is a set of goroutines started by Go and awaited by Wait, like a
// sync.WaitGroup whose goroutines return errors and never crash the
// process. The zero Group is ready to use; a Group must not be copied.
type Group struct {
	wg   sync.WaitGroup
	mu   sync.Mutex
	errs []error
}

// Go runs fn on a new goroutine; its error, or a *PanicError naming what if
// it panics, is returned by Wait.
func (g *Group) Go(what string, fn func() error) {
	g.mu.Lock()
	i := len(g.errs)
	g.errs = append(g.errs, nil) // this goroutine's slot, in the order of Go
	g.mu.Unlock()
	g.wg.Go(func() {
		if err := Call(what, fn); err != nil {
			g.mu.Lock()
			g.errs[i] = err
			g.mu.Unlock()
		}
	})
}

// Wait waits for every goroutine started by Go and returns nil when none
// failed, the *PanicError of a goroutine that panicked if any did (the bug
// comes before the errors it may have caused in the others), else the
// goroutines' errors joined in the order of the calls to Go (so the
// message does not depend on scheduling).
func (g *Group) Wait() error {
	g.wg.Wait()
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, err := range g.errs {
		if pe := (*PanicError)(nil); errors.As(err, &pe) {
			return err
		}
	}
	return errors.Join(g.errs...)
}

// Must re-raises on the calling goroutine the panic of a worker that err
// carries (a *PanicError), for the pools of functions that return no error:
// the panic then reaches the caller's own recovery (an enclosing Call, Go or
// the command's) with the worker's name and stack, instead of crashing the
// process from the worker's goroutine. Any other non-nil err is a
// programming error and panics too.
func Must(err error) {
	if err == nil {
		return
	}
	var pe *PanicError
	if errors.As(err, &pe) {
		panic(pe)
	}
	panic(err)
}

// For runs task(w, i) for i = 0…n−1 on min(workers, n) goroutines (w is
// the worker's index, for its own buffers), taking the indices in order;
// it calls tick (if not nil) from the calling goroutine after each task
// that succeeds, stops handing out indices after the first error, and
// returns that error (a panic of task as a *PanicError naming what).
func For(what string, n, workers int, task func(w, i int) error, tick func()) error {
	workers = max(1, min(workers, n))
	var next atomic.Int64
	var failed atomic.Bool
	results := make(chan error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for !failed.Load() {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				err := Call(what, func() error { return task(w, i) })
				if err != nil {
					failed.Store(true)
				}
				results <- err
			}
		})
	}
	go func() {
		wg.Wait()
		close(results)
	}()
	var first error
	for err := range results {
		switch {
		case err != nil && first == nil:
			first = err
		case err == nil && tick != nil:
			tick()
		}
	}
	return first
}
