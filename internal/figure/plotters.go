package figure

import (
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// LogHist is a density histogram whose bars rise from the bottom of the
// plot, so that it can be drawn on a log-scaled y axis (plotter.Histogram's
// data range starts at 0, which a log scale cannot show).
type LogHist struct {
	// Lo is the left edge of the first bin and Width each bin's width.
	Lo, Width float64
	// Floor, the bottom of the y axis, is half the density of one value.
	Floor float64
	// Density holds each bin's count/(n·Width), n counting all values.
	Density []float64
	// Fill colours the bars.
	Fill color.Color
}

// NewLogHist bins x into nb equal bins on [lo, hi] as a density
// (count/(n·width), n counting all values, so that the bars integrate to
// the fraction of x inside [lo, hi]) and returns it with the number of
// values outside [lo, hi].
func NewLogHist(x []float64, lo, hi float64, nb int, fill color.Color) (*LogHist, int) {
	w := (hi - lo) / float64(nb)
	h := &LogHist{Lo: lo, Width: w, Density: make([]float64, nb), Fill: fill}
	n := float64(len(x))
	outside := 0
	for _, v := range x {
		if v < lo || v > hi {
			outside++
			continue
		}
		h.Density[min(nb-1, int((v-lo)/w))] += 1 / (n * w)
	}
	h.Floor = 0.5 / (n * w)
	return h, outside
}

// Plot implements plot.Plotter.
func (h *LogHist) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	line := draw.LineStyle{Color: color.RGBA{R: 60, G: 80, B: 120, A: 255}, Width: vg.Points(0.4)}
	for i, d := range h.Density {
		if d <= 0 {
			continue
		}
		x0, x1 := trX(h.Lo+float64(i)*h.Width), trX(h.Lo+float64(i+1)*h.Width)
		y0, y1 := c.Min.Y, trY(d)
		pts := []vg.Point{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}}
		c.FillPolygon(h.Fill, c.ClipPolygonXY(pts))
		c.StrokeLines(line, c.ClipLinesXY(append(pts, pts[0]))...)
	}
}

// DataRange implements plot.DataRanger.
func (h *LogHist) DataRange() (xmin, xmax, ymin, ymax float64) {
	ymax = h.Floor
	for _, d := range h.Density {
		ymax = math.Max(ymax, d)
	}
	return h.Lo, h.Lo + float64(len(h.Density))*h.Width, h.Floor, ymax
}

// Thumbnail implements plot.Thumbnailer.
func (h *LogHist) Thumbnail(c *draw.Canvas) {
	pts := []vg.Point{{X: c.Min.X, Y: c.Min.Y}, {X: c.Max.X, Y: c.Min.Y}, {X: c.Max.X, Y: c.Max.Y}, {X: c.Min.X, Y: c.Max.Y}}
	c.FillPolygon(h.Fill, c.ClipPolygonXY(pts))
}

// ErrorBar is a vertical bar at X from Lo to Hi (an interval around the
// value Y, which it does not draw).
type ErrorBar struct{ X, Y, Lo, Hi float64 }

// ErrorBars draws its Bars in Color, each with short caps.
type ErrorBars struct {
	Bars  []ErrorBar
	Color color.Color
}

// Plot implements plot.Plotter.
func (e *ErrorBars) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	sty := draw.LineStyle{Color: e.Color, Width: vg.Points(1)}
	capLen := vg.Points(3)
	for _, b := range e.Bars {
		x := trX(b.X)
		ylo, yhi := trY(b.Lo), trY(b.Hi)
		c.StrokeLines(sty, c.ClipLinesXY([]vg.Point{{X: x, Y: ylo}, {X: x, Y: yhi}})...)
		c.StrokeLines(sty, c.ClipLinesXY([]vg.Point{{X: x - capLen, Y: ylo}, {X: x + capLen, Y: ylo}})...)
		c.StrokeLines(sty, c.ClipLinesXY([]vg.Point{{X: x - capLen, Y: yhi}, {X: x + capLen, Y: yhi}})...)
	}
}

// DataRange implements plot.DataRanger: the bars' X and their Lo … Hi.
func (e *ErrorBars) DataRange() (xmin, xmax, ymin, ymax float64) {
	xmin, ymin = math.Inf(1), math.Inf(1)
	xmax, ymax = math.Inf(-1), math.Inf(-1)
	for _, b := range e.Bars {
		xmin, xmax = math.Min(xmin, b.X), math.Max(xmax, b.X)
		ymin, ymax = math.Min(ymin, b.Lo), math.Max(ymax, b.Hi)
	}
	return xmin, xmax, ymin, ymax
}

// CapTicks is gonum/plot's default tick marker without ticks above Max (a
// band above Max left for a legend).
type CapTicks struct{ Max float64 }

// Ticks implements plot.Ticker.
func (c CapTicks) Ticks(lo, hi float64) []plot.Tick {
	var out []plot.Tick
	for _, t := range (plot.DefaultTicks{}).Ticks(lo, math.Min(hi, c.Max)) {
		if t.Value <= c.Max+1e-12 {
			out = append(out, t)
		}
	}
	return out
}

// PointsWithErrors returns the scatter of the measured points pts, glyphs
// of colour col and shape shp, and their vertical error bars errs (each
// point's interval below and above it) in the same colour.
func PointsWithErrors(pts plotter.XYs, errs plotter.YErrors, col color.Color, shp draw.GlyphDrawer) (*plotter.Scatter, *plotter.YErrorBars, error) {
	sc, err := plotter.NewScatter(pts)
	if err != nil {
		return nil, nil, err
	}
	sc.GlyphStyle.Color, sc.GlyphStyle.Shape = col, shp
	eb, err := plotter.NewYErrorBars(struct {
		plotter.XYs
		plotter.YErrors
	}{pts, errs})
	if err != nil {
		return nil, nil, err
	}
	eb.LineStyle.Color = col
	return sc, eb, nil
}
