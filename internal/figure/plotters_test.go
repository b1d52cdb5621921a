package figure

import (
	"image/color"
	"math"
	"testing"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg/draw"
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

// TestPointsWithErrors: the scatter holds the points and the bars their
// intervals, both in the colour given (the glyphs of the shape given); a
// point that is not finite is an error.
func TestPointsWithErrors(t *testing.T) {
	pts := plotter.XYs{{X: 1, Y: 2}, {X: 3, Y: 5}}
	errs := plotter.YErrors{{Low: 0.5, High: 1}, {Low: 2, High: 0.25}}
	col := color.RGBA{R: 10, G: 20, B: 30, A: 255}
	sc, eb, err := PointsWithErrors(pts, errs, col, draw.SquareGlyph{})
	if err != nil {
		t.Fatal(err)
	}
	if len(sc.XYs) != 2 || sc.XYs[1] != pts[1] || sc.GlyphStyle.Color != col || sc.GlyphStyle.Shape != (draw.SquareGlyph{}) {
		t.Errorf("scatter %v, glyph %+v", sc.XYs, sc.GlyphStyle)
	}
	if len(eb.YErrors) != 2 || eb.YErrors[1] != errs[1] || eb.XYs[0] != pts[0] || eb.LineStyle.Color != col {
		t.Errorf("error bars %v at %v, colour %v", eb.YErrors, eb.XYs, eb.LineStyle.Color)
	}
	if _, _, err := PointsWithErrors(plotter.XYs{{X: math.NaN(), Y: 1}}, plotter.YErrors{{}}, col, draw.CircleGlyph{}); err == nil {
		t.Error("a NaN point was accepted")
	}
}
