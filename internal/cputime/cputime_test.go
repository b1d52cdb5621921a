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
	for time.Since(t0) < 50*time.Millisecond {
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
