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
// by B, with a legend entry each.
func scatterByBatch(p *plot.Plot, runs []Run, x, y func(Run) float64) error {
	bs, m := byBatch(runs)
	for i, b := range bs {
		xy := make(plotter.XYs, len(m[b]))
		for j, r := range m[b] {
			xy[j] = plotter.XY{X: x(r), Y: y(r)}
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
	p.Legend.Left = true
	return nil
}

// PlotSharpness draws λmax against η/B on log-log axes, one colour per B,
// with the fitted line of log λmax on log(η/B); base+".png" and ".svg".
func PlotSharpness(a *Analysis, base string) error {
	p := plot.New()
	p.Title.Text = "sharpness of the minimum SGD reaches against η/B"
	p.X.Label.Text = "η/B"
	p.Y.Label.Text = "λmax(H)"
	p.X.Scale, p.Y.Scale = plot.LogScale{}, plot.LogScale{}
	// λmax spans less than a decade: plain ticks label it, log ticks would not.
	p.X.Tick.Marker, p.Y.Tick.Marker = plot.LogTicks{Prec: -1}, plot.DefaultTicks{}
	if err := scatterByBatch(p, a.Runs, func(r Run) float64 { return r.EtaOverB }, func(r Run) float64 { return r.LambdaMax }); err != nil {
		return err
	}
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
		fn := plotter.NewFunction(func(x float64) float64 { return math.Exp(f.Intercept + f.Slope*math.Log(x)) })
		fn.XMin, fn.XMax = lo, hi
		fn.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		p.Add(fn)
		label := fmt.Sprintf("fit: slope %.3g", f.Slope)
		if f.SlopeCI != nil {
			label += fmt.Sprintf(" [%.3g, %.3g]", f.SlopeCI[0], f.SlopeCI[1])
		}
		p.Legend.Add(label, fn)
	}
	return figure.Save(p, figureSize, base)
}

// PlotAccuracy draws test accuracy against λmax, one colour per B.
func PlotAccuracy(a *Analysis, base string) error {
	p := plot.New()
	p.Title.Text = "test accuracy against sharpness"
	p.X.Label.Text = "λmax(H)"
	p.Y.Label.Text = "test accuracy"
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = plot.DefaultTicks{}
	if err := scatterByBatch(p, a.Runs, func(r Run) float64 { return r.LambdaMax }, func(r Run) float64 { return r.TestAccuracy }); err != nil {
		return err
	}
	return figure.Save(p, figureSize, base)
}
