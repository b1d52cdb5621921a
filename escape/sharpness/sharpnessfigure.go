package sharpness

import (
	"fmt"
	"math"
	"sort"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/sgn-project/sgn/internal/figure"
)

// figureSize is the size of both figures.
var figureSize = figure.Size{Width: 6 * vg.Inch, Height: 4.5 * vg.Inch, DPI: 110}

// save writes p at figureSize with a margin above and to the right (the
// title and the last tick label clear of the edge).
func save(p *plot.Plot, base string) error {
	m := vg.Points(5)
	return figure.SaveCanvas(figureSize, base, func(dc draw.Canvas) { p.Draw(draw.Crop(dc, 0, -m, 0, -m)) })
}

// byBatch groups the runs that reached the target by batch size, in increasing B.
func byBatch(runs []Run) ([]int, map[int][]Run) {
	m := map[int][]Run{}
	for _, r := range runs {
		if !r.Diverged && r.ReachedTarget {
			m[r.BatchSize] = append(m[r.BatchSize], r)
		}
	}
	var bs []int
	for b := range m {
		bs = append(bs, b)
	}
	sort.Ints(bs)
	return bs, m
}

// scatterByBatch adds one scatter per batch size of (x(r), y(r)), coloured
// by B, with a legend entry each, and sets the axes to span the points with
// a margin (in decades on a log axis), so that no point sits on an axis or
// under the title.
func scatterByBatch(p *plot.Plot, runs []Run, x, y func(Run) float64, logX, logY bool) error {
	bs, m := byBatch(runs)
	xlo, xhi, ylo, yhi := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for i, b := range bs {
		xy := make(plotter.XYs, len(m[b]))
		for j, r := range m[b] {
			xy[j] = plotter.XY{X: x(r), Y: y(r)}
			xlo, xhi = math.Min(xlo, xy[j].X), math.Max(xhi, xy[j].X)
			ylo, yhi = math.Min(ylo, xy[j].Y), math.Max(yhi, xy[j].Y)
		}
		s, err := plotter.NewScatter(xy)
		if err != nil {
			return err
		}
		s.Color = plotutil.Color(i)
		s.Shape = draw.CircleGlyph{}
		s.Radius = vg.Points(3.5)
		p.Add(s)
		p.Legend.Add(fmt.Sprintf("B = %d", b), s)
	}
	if xlo <= xhi {
		p.X.Min, p.X.Max = figure.Pad(xlo, xhi, 0.05, logX)
		p.Y.Min, p.Y.Max = figure.Pad(ylo, yhi, 0.08, logY)
	}
	return nil
}

// PlotSharpness draws λmax against η/B on log-log axes, one colour per B,
// with the fitted line of log λmax on log(η/B); base+".png" and ".svg".
func PlotSharpness(a *Analysis, base string) error {
	p := plot.New()
	p.Title.Text = "sharpness of the minimum SGD reaches against η/B"
	p.X.Label.Text = "η/B"
	p.Y.Label.Text = "λmax(H)"
	p.X.Scale, p.Y.Scale = figure.LogScale{}, figure.LogScale{}
	// λmax spans less than a decade: plain ticks label it, log ticks would not.
	p.X.Tick.Marker, p.Y.Tick.Marker = figure.LogTicks{}, figure.Ticks{N: 6}
	p.Add(plotter.NewGrid())
	if err := scatterByBatch(p, a.Runs, func(r Run) float64 { return r.EtaOverB }, func(r Run) float64 { return r.LambdaMax }, true, true); err != nil {
		return err
	}
	// The legend in the lower corner the fitted line leaves free: the left
	// one when λmax falls with η/B, the right one when it rises.
	p.Legend.Left = true
	for _, f := range a.Fits {
		if f.Of != "log lambda_max" {
			continue
		}
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, r := range a.Runs {
			if !r.Diverged && r.ReachedTarget {
				lo, hi = math.Min(lo, r.EtaOverB), math.Max(hi, r.EtaOverB)
			}
		}
		line := func(x float64) float64 { return math.Exp(f.Intercept + f.Slope*math.Log(x)) }
		fn := plotter.NewFunction(line)
		fn.XMin, fn.XMax = lo, hi
		// The axis spans the line too (it is not clipped).
		ylo, yhi := math.Min(line(lo), line(hi)), math.Max(line(lo), line(hi))
		if ylo < p.Y.Min || yhi > p.Y.Max {
			p.Y.Min, p.Y.Max = figure.Pad(math.Min(ylo, p.Y.Min), math.Max(yhi, p.Y.Max), 0.03, true)
		}
		fn.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		p.Add(fn)
		label := fmt.Sprintf("fit: slope %.3g", f.Slope)
		if f.SlopeCI != nil {
			label += fmt.Sprintf(" [%.3g, %.3g]", f.SlopeCI[0], f.SlopeCI[1])
		}
		p.Legend.Add(label, fn)
		p.Legend.Left = f.Slope < 0
	}
	return save(p, base)
}

// PlotAccuracy draws test accuracy against λmax, one colour per B.
func PlotAccuracy(a *Analysis, base string) error {
	p := plot.New()
	p.Title.Text = "test accuracy against sharpness"
	p.X.Label.Text = "λmax(H)"
	p.Y.Label.Text = "test accuracy"
	p.X.Scale = figure.LogScale{}
	p.X.Tick.Marker, p.Y.Tick.Marker = figure.Ticks{N: 6}, figure.Ticks{N: 6}
	p.Add(plotter.NewGrid())
	if err := scatterByBatch(p, a.Runs, func(r Run) float64 { return r.LambdaMax }, func(r Run) float64 { return r.TestAccuracy }, true, false); err != nil {
		return err
	}
	p.Legend.Left = true
	return save(p, base)
}
