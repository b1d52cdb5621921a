package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/sgn-project/sgn/internal/sweep"
)

// TestWorkerPanicIsOneLineExit1: a command whose worker pool (the sweep
// machinery every sweep runs on) has a worker that panics ends with one line
// on stderr naming the task and the panic, and exit status 1 — not a Go
// stack trace and exit 2; SGN_TRACEBACK adds the worker's stack.
func TestWorkerPanicIsOneLineExit1(t *testing.T) {
	c := command{run: func(*app, []string) error {
		tasks := []sweep.Task{{Point: 0, Run: 0, Seed: 1}, {Point: 0, Run: 1, Seed: 2}, {Point: 1, Run: 0, Seed: 3}}
		return sweep.Execute(tasks, 2, func(t sweep.Task) (float64, error) {
			if t.Point == 1 {
				var x []float64
				return x[t.Run+1], nil
			}
			return 0, nil
		}, func(sweep.Record[float64]) error { return nil })
	}}
	var out, errb bytes.Buffer
	a := &app{stdout: &out, stderr: &errb}
	code := a.status("escape", runCommand(c, a, nil))
	msg := errb.String()
	if code != 1 || strings.Count(msg, "\n") != 1 || !strings.HasPrefix(msg, "sgn escape: point 1 run 0 (seed 3): internal error: panic: runtime error: index out of range") {
		t.Fatalf("exit %d, stderr %q; want exit 1 and one line naming the run and the panic", code, msg)
	}
	t.Setenv("SGN_TRACEBACK", "1")
	errb.Reset()
	if code := a.status("escape", runCommand(c, a, nil)); code != 1 || !strings.Contains(errb.String(), "panic_test.go") {
		t.Errorf("with SGN_TRACEBACK: exit %d, stderr %q; want the worker's stack", code, errb.String())
	}
}
