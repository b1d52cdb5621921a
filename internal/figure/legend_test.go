package figure

import (
	"testing"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// legendPlot is a plot on [0, 1]² with a two-entry legend, and the canvas
// of a 10 × 7 cm figure it is drawn on.
func legendPlot(t *testing.T) (*plot.Plot, draw.Canvas) {
	t.Helper()
	p := plot.New()
	p.Title.Text = "title"
	p.Legend.Add("a legend entry of some length")
	p.Legend.Add("another")
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, 1, 0, 1
	cs := GridCanvases([][]*plot.Plot{{p}}, draw.Tiles{Rows: 1, Cols: 1}, Size{Width: 10 * vg.Centimeter, Height: 7 * vg.Centimeter})
	return p, cs[0][0]
}

func TestPlaceLegendFindsTheFreeCorner(t *testing.T) {
	diag := plotter.XYs{{X: 0, Y: 0}, {X: 1, Y: 1}}     // through bottom left and top right
	anti := plotter.XYs{{X: 0, Y: 1}, {X: 0.2, Y: 0.8}} // the top-left corner only
	for _, c := range []struct {
		name      string
		keep      []Keepout
		top, left bool
	}{
		{"nothing", nil, true, true},
		{"the diagonal", []Keepout{{XYs: diag}}, true, true},
		{"the top-left corner", []Keepout{{XYs: anti}}, true, false},
		{"both top corners", []Keepout{{XYs: anti}, {XYs: plotter.XYs{{X: 1, Y: 1}}}}, false, false},
		{"a label hung beneath a point at the bottom right", []Keepout{{XYs: anti}, {XYs: plotter.XYs{{X: 1, Y: 1}}},
			{XYs: plotter.XYs{{X: 0.95, Y: 0.2}}, Below: 60, HalfWidth: 10}}, false, true},
	} {
		p, dc := legendPlot(t)
		if !PlaceLegend(p, dc, c.keep) {
			t.Errorf("%s: no free corner found", c.name)
		}
		if p.Legend.Top != c.top || p.Legend.Left != c.left || p.Y.Max != 1 {
			t.Errorf("%s: Top %v Left %v, y up to %g; want %v %v, 1", c.name, p.Legend.Top, p.Legend.Left, p.Y.Max, c.top, c.left)
		}
	}
}

func TestPlaceLegendRaisesTheAxisWhenEveryCornerIsTaken(t *testing.T) {
	p, dc := legendPlot(t)
	// A line along each edge of the data: no corner is free until the y
	// axis is raised above the top line.
	keep := []Keepout{
		{XYs: plotter.XYs{{X: 0, Y: 1}, {X: 1, Y: 1}}},
		{XYs: plotter.XYs{{X: 0, Y: 0}, {X: 1, Y: 0}}},
	}
	if !PlaceLegend(p, dc, keep) {
		t.Fatal("no place found")
	}
	if !p.Legend.Top || !p.Legend.Left || !(p.Y.Max > 1) || p.Y.Max > 2 {
		t.Fatalf("Top %v Left %v, y up to %g; want the top left above y = 1, at most 2", p.Legend.Top, p.Legend.Left, p.Y.Max)
	}
	// The legend's box now clears the line: drawn at the raised axis, the
	// line's canvas height is below the legend's lowest point.
	d := p.DataCanvas(dc)
	_, ty := p.Transforms(&d)
	if top := d.Max.Y - p.Legend.Rectangle(d).Size().Y; ty(1) >= top {
		t.Fatalf("the line at %v meets the legend down to %v", ty(1), top)
	}
	// One step less and it would not.
	hi := p.Y.Max
	p.Y.Max = hi - 0.1
	if legendHits(p, dc, true, true, keep) == 0 {
		t.Fatalf("y up to %g is already free: PlaceLegend raised the axis more than it needed", p.Y.Max)
	}
}

func TestPlaceLegendFallsBackToTheFewestHits(t *testing.T) {
	p, dc := legendPlot(t)
	p.Y.Scale = LogScale{} // no raising on a log axis
	p.Y.Min = 0.01
	var keep []Keepout
	for _, x := range []float64{0, 0.05, 0.1, 0.9, 1} { // two points in each corner, but one more in the top right
		keep = append(keep, Keepout{XYs: plotter.XYs{{X: x, Y: 0.01}}}, Keepout{XYs: plotter.XYs{{X: x, Y: 1}}})
	}
	keep = append(keep, Keepout{XYs: plotter.XYs{{X: 0.95, Y: 0.98}}}, Keepout{XYs: plotter.XYs{{X: 0.92, Y: 0.012}}}, Keepout{XYs: plotter.XYs{{X: 0.08, Y: 0.012}}})
	if PlaceLegend(p, dc, keep) {
		t.Fatal("reported a free corner")
	}
	if !p.Legend.Top || !p.Legend.Left || p.Y.Max != 1 {
		t.Fatalf("Top %v Left %v, y up to %g; want the top left (3 hits against 4), the axis unchanged", p.Legend.Top, p.Legend.Left, p.Y.Max)
	}
}

func TestSegmentMeets(t *testing.T) {
	r := vg.Rectangle{Min: vg.Point{X: 0, Y: 0}, Max: vg.Point{X: 2, Y: 1}}
	for _, c := range []struct {
		a, b vg.Point
		want bool
	}{
		{vg.Point{X: -1, Y: 0.5}, vg.Point{X: 3, Y: 0.5}, true},    // across
		{vg.Point{X: 1, Y: 0.5}, vg.Point{X: 1, Y: 0.5}, true},     // a point inside
		{vg.Point{X: 3, Y: 0.5}, vg.Point{X: 3, Y: 0.5}, false},    // a point outside
		{vg.Point{X: -1, Y: 2}, vg.Point{X: 3, Y: 2}, false},       // above
		{vg.Point{X: -1, Y: 0}, vg.Point{X: 0, Y: -1}, false},      // past the corner
		{vg.Point{X: -1, Y: 0.5}, vg.Point{X: 0.5, Y: -0.2}, true}, // cuts the corner
		{vg.Point{X: 2.5, Y: -1}, vg.Point{X: 2.5, Y: 3}, false},   // vertical, beside
		{vg.Point{X: 1.5, Y: -1}, vg.Point{X: 1.5, Y: 3}, true},    // vertical, through
		{vg.Point{X: 0.5, Y: 0.5}, vg.Point{X: 10, Y: 10}, true},   // from inside
	} {
		if got := segmentMeets(r, c.a, c.b); got != c.want {
			t.Errorf("segment %v–%v: meets %v, want %v", c.a, c.b, got, c.want)
		}
	}
}
