package figure

import (
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Keepout is what a legend placed by PlaceLegend must not cover: the
// polyline through XYs in data coordinates (a single point is the point),
// and, when Below > 0, a box of text Below high and 2·HalfWidth wide hung
// beneath each of its points (a label under a marker).
type Keepout struct {
	XYs       plotter.XYs
	Below     vg.Length
	HalfWidth vg.Length
}

// legendMargin is the clearance kept between a legend and the data (room
// also for a wider font where an SVG is shown).
const legendMargin = 4 * vg.Millimeter

// PlaceLegend sets p.Legend.Top and Left so that the legend, drawn in p's
// plot area on c, covers none of keep: the first free corner of top left,
// top right, bottom right and bottom left. When every corner is taken it
// raises p.Y.Max (a linear y axis) step by step, by up to the data's
// range, until a top corner is free, so the legend stands above the data;
// if even that does not free one it leaves the legend in the corner that
// covers the fewest pieces of the data. It reports whether the legend
// covers nothing. Call it after every text of p (title, labels, fonts) is
// set and with c the canvas p is drawn on (GridCanvases for a grid).
func PlaceLegend(p *plot.Plot, c draw.Canvas, keep []Keepout) bool {
	corners := [][2]bool{{true, true}, {true, false}, {false, false}, {false, true}} // {Top, Left}
	best, bestHits := corners[0], -1
	try := func(cs [][2]bool) bool {
		for _, tl := range cs {
			n := legendHits(p, c, tl[0], tl[1], keep)
			if n == 0 {
				p.Legend.Top, p.Legend.Left = tl[0], tl[1]
				return true
			}
			if bestHits < 0 || n < bestHits {
				best, bestHits = tl, n
			}
		}
		return false
	}
	if try(corners) {
		return true
	}
	lo, hi := p.Y.Min, p.Y.Max
	if _, linear := p.Y.Scale.(plot.LinearScale); linear && hi > lo {
		for k := 1; k <= 10; k++ {
			p.Y.Max = hi + float64(k)*(hi-lo)/10
			if try(corners[:2]) {
				return true
			}
		}
		p.Y.Max = hi
	}
	p.Legend.Top, p.Legend.Left = best[0], best[1]
	return false
}

// legendHits counts the pieces of keep (segments, points, label boxes)
// that p's legend, in the corner (top, left) of p's plot area on c,
// would cover.
func legendHits(p *plot.Plot, c draw.Canvas, top, left bool, keep []Keepout) int {
	if p.Legend.TextStyle.Font.Size == 0 {
		return 0
	}
	dc := p.DataCanvas(c)
	size := p.Legend.Rectangle(dc).Size()
	var r vg.Rectangle
	if left {
		r.Min.X, r.Max.X = dc.Min.X+p.Legend.XOffs, dc.Min.X+p.Legend.XOffs+size.X
	} else {
		r.Min.X, r.Max.X = dc.Max.X+p.Legend.XOffs-size.X, dc.Max.X+p.Legend.XOffs
	}
	if top {
		r.Min.Y, r.Max.Y = dc.Max.Y+p.Legend.YOffs-size.Y, dc.Max.Y+p.Legend.YOffs
	} else {
		r.Min.Y, r.Max.Y = dc.Min.Y+p.Legend.YOffs, dc.Min.Y+p.Legend.YOffs+size.Y
	}
	r.Min.X, r.Min.Y = r.Min.X-legendMargin, r.Min.Y-legendMargin
	r.Max.X, r.Max.Y = r.Max.X+legendMargin, r.Max.Y+legendMargin
	tx, ty := p.Transforms(&dc)
	n := 0
	for _, k := range keep {
		for i, q := range k.XYs {
			a := vg.Point{X: tx(q.X), Y: ty(q.Y)}
			if k.Below > 0 {
				box := vg.Rectangle{Min: vg.Point{X: a.X - k.HalfWidth, Y: a.Y - k.Below}, Max: vg.Point{X: a.X + k.HalfWidth, Y: a.Y}}
				if overlaps(r, box) {
					n++
				}
			}
			if len(k.XYs) == 1 {
				if segmentMeets(r, a, a) {
					n++
				}
				continue
			}
			if i == 0 {
				continue
			}
			b := vg.Point{X: tx(k.XYs[i-1].X), Y: ty(k.XYs[i-1].Y)}
			if segmentMeets(r, b, a) {
				n++
			}
		}
	}
	return n
}

// overlaps reports whether two rectangles share a point.
func overlaps(a, b vg.Rectangle) bool {
	return a.Min.X <= b.Max.X && b.Min.X <= a.Max.X && a.Min.Y <= b.Max.Y && b.Min.Y <= a.Max.Y
}

// segmentMeets reports whether the segment from a to b meets the rectangle
// r (Liang–Barsky clipping of the segment against r).
func segmentMeets(r vg.Rectangle, a, b vg.Point) bool {
	t0, t1 := 0.0, 1.0
	dx, dy := float64(b.X-a.X), float64(b.Y-a.Y)
	for _, e := range [4][2]float64{
		{-dx, float64(a.X - r.Min.X)},
		{dx, float64(r.Max.X - a.X)},
		{-dy, float64(a.Y - r.Min.Y)},
		{dy, float64(r.Max.Y - a.Y)},
	} {
		q, s := e[0], e[1]
		if q == 0 {
			if s < 0 {
				return false
			}
			continue
		}
		t := s / q
		if q < 0 {
			t0 = max(t0, t)
		} else {
			t1 = min(t1, t)
		}
		if t0 > t1 {
			return false
		}
	}
	return true
}

// GridCanvases returns the canvases SaveGrid draws the plots of grid on
// at size s, for placing their legends (PlaceLegend) beforehand.
func GridCanvases(grid [][]*plot.Plot, tiles draw.Tiles, s Size) [][]draw.Canvas {
	img := vgimg.NewWith(vgimg.UseWH(s.Width, s.Height), vgimg.UseDPI(s.dpi()))
	return plot.Align(grid, tiles, draw.New(img))
}
