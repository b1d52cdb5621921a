package figure

import (
	"math"
	"testing"
)

// TestLogHistDensity: bars of count/(n·width) integrate to the fraction of
// the values inside the window; the floor is half the density of one value.
func TestLogHistDensity(t *testing.T) {
	x := []float64{-2, 0.05, 0.15, 0.15, 0.35, 0.99, 1, 7}
	h, outside := NewLogHist(x, 0, 1, 4, nil)
	want := []float64{3, 1, 0, 2} // [0, .25) [.25, .5) [.5, .75) [.75, 1]; 1 falls in the last bin
	for i, c := range want {
		if d := h.Density[i]; math.Abs(d-c/(8*0.25)) > 1e-15 {
			t.Errorf("bin %d: density %v, want %v", i, d, c/(8*0.25))
		}
	}
	if outside != 2 || h.Floor != 0.5/(8*0.25) {
		t.Errorf("outside %d (want 2), floor %v (want %v)", outside, h.Floor, 0.5/(8*0.25))
	}
	if xmin, xmax, ymin, ymax := h.DataRange(); xmin != 0 || xmax != 1 || ymin != h.Floor || ymax != 3/(8*0.25) {
		t.Errorf("data range %v %v %v %v", xmin, xmax, ymin, ymax)
	}
}

// TestErrorBarsRange: the data range spans the bars' X and their intervals,
// not their centres.
func TestErrorBarsRange(t *testing.T) {
	e := &ErrorBars{Bars: []ErrorBar{{X: 16, Y: 1, Lo: 0.5, Hi: 3}, {X: 64, Y: 0.2, Lo: 0.1, Hi: 0.4}}}
	if xmin, xmax, ymin, ymax := e.DataRange(); xmin != 16 || xmax != 64 || ymin != 0.1 || ymax != 3 {
		t.Errorf("data range %v %v %v %v, want 16 64 0.1 3", xmin, xmax, ymin, ymax)
	}
}

// TestCapTicks: no tick above Max, and the default labelled tick at it.
func TestCapTicks(t *testing.T) {
	ts := CapTicks{Max: 2}.Ticks(0, 2.6)
	if len(ts) == 0 {
		t.Fatal("no ticks")
	}
	for _, tk := range ts {
		if tk.Value > 2 {
			t.Errorf("tick at %v above the cap 2", tk.Value)
		}
	}
	labelled := false
	for _, tk := range ts {
		labelled = labelled || (tk.Value == 2 && tk.Label != "")
	}
	if !labelled {
		t.Errorf("ticks %v: no labelled tick at the cap 2", ts)
	}
}
