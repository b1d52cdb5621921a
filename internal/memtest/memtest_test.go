package memtest

import (
	"runtime"
	"testing"
)

var sink [][]float64

// TestPeakLive: a function that holds 8 MB and then 16 MB more (a
// collection runs while it holds them), then drops them, peaks at 24 MB; one that allocates 100 × 1 MB, never more than one
// at a time, peaks near 1 MB.
func TestPeakLive(t *testing.T) {
	p := PeakLive(func() {
		a := make([]float64, 1<<20)
		sink = append(sink, a)
		b := make([]float64, 2<<20)
		sink = append(sink, b)
		runtime.GC()
		sink = nil
	})
	if p < 23<<20 || p > 26<<20 {
		t.Errorf("peak %d bytes, want about 24 MiB", p)
	}
	p = PeakLive(func() {
		for range 100 {
			sink = [][]float64{make([]float64, 1<<17)}
		}
		sink = nil
	})
	if p > 8<<20 {
		t.Errorf("peak %d bytes, want about 1 MiB, a few more at most", p)
	}
}
