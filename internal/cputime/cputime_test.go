//go:build unix

package cputime

import (
	"testing"
	"time"
)

// A busy loop of at least 50 ms of wall time uses some CPU time, and no
// more than the cores could give in that wall time.
func TestSinceCountsBusyLoop(t *testing.T) {
	c0 := Process()
	t0 := time.Now()
	x := 0.0
	// At least 50 ms, and on a loaded machine until the process has been
	// given some CPU time (within 10 s).
	for time.Since(t0) < 50*time.Millisecond || (Since(c0) <= 0 && time.Since(t0) < 10*time.Second) {
		for i := 0; i < 1000; i++ {
			x += float64(i)
		}
	}
	wall := time.Since(t0).Seconds()
	got := Since(c0)
	if x < 0 || got <= 0 {
		t.Fatalf("cpu seconds %v after a %v s busy loop, want > 0", got, wall)
	}
	if got > wall*64+0.01 {
		t.Fatalf("cpu seconds %v exceed what %v s of wall time allows", got, wall)
	}
}

// Since rounds to milliseconds.
func TestSinceRounds(t *testing.T) {
	got := Since(Process() + 1e9) // far in the future: negative, exact in ms
	if got != float64(int64(got*1000))/1000 {
		t.Fatalf("Since = %v, not rounded to ms", got)
	}
}

// A Clock started before a busy loop reads at least the loop's wall time
// and some CPU time; the zero Clock reads 0.
func TestClock(t *testing.T) {
	var zero Clock
	if !zero.IsZero() || zero.Wall() != 0 || zero.CPU() != 0 {
		t.Fatalf("zero Clock: IsZero %v, Wall %v, CPU %v; want true, 0, 0", zero.IsZero(), zero.Wall(), zero.CPU())
	}
	c := Start()
	t0 := time.Now()
	x := 0.0
	// At least 50 ms, and on a loaded machine until the process has been
	// given some CPU time (within 10 s).
	for time.Since(t0) < 50*time.Millisecond || (c.CPU() == 0 && time.Since(t0) < 10*time.Second) {
		for i := 0; i < 1000; i++ {
			x += float64(i)
		}
	}
	if c.IsZero() || x < 0 {
		t.Fatal("a started Clock is zero")
	}
	if w := c.Wall(); w < 0.05 {
		t.Fatalf("Wall %v after a 50 ms loop, want ≥ 0.05", w)
	}
	if cpu := c.CPU(); cpu <= 0 {
		t.Fatalf("CPU %v after a 50 ms busy loop, want > 0", cpu)
	}
}
