package hessian

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/sgn-project/sgn/internal/figure"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

// densityFloor is the smallest density drawn on the log scale.
const densityFloor = 1e-10

// PlotDensity draws the Gaussian-smoothed spectral density of d (Evaluate
// with width sigma on Grid, with a spacing of σ/2 but between 1000 and 20000
// points) on a log scale against the eigenvalue, values below 1e-10 drawn at
// 1e-10, the way PyHessian's get_esd_plot does, and writes path+".png" and
// path+".svg".
func PlotDensity(d *Density, sigma float64, path, title string) error {
	if d == nil || len(d.Nodes) == 0 {
		return errors.New("hessian.PlotDensity: empty density")
	}
	if !(sigma > 0) || math.IsInf(sigma, 0) {
		return fmt.Errorf("hessian.PlotDensity: sigma = %v, want a positive width", sigma)
	}
	width := slices.Max(d.Nodes) - slices.Min(d.Nodes) + 12*sigma
	grid := d.Grid(int(math.Min(20000, math.Max(1000, 2*width/sigma+1))), sigma)
	phi := d.Evaluate(grid, sigma)
	xy := make(plotter.XYs, len(grid))
	for i := range grid {
		xy[i] = plotter.XY{X: grid[i], Y: math.Max(phi[i], densityFloor)}
	}
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "eigenvalue"
	p.Y.Label.Text = "density (log scale)"
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = plot.LogTicks{Prec: 1}
	line, err := plotter.NewLine(xy)
	if err != nil {
		return fmt.Errorf("hessian.PlotDensity: %w", err)
	}
	p.Add(line)
	return figure.Save(p, plotSize, path)
}

// PlotSpectrum draws eigenvalue against index (1 = most extreme) for the
// largest eigenvalues top and the smallest bottom, as two marked series, and
// writes path+".png" and path+".svg".
func PlotSpectrum(top, bottom []float64, path, title string) error {
	if len(top)+len(bottom) == 0 {
		return errors.New("hessian.PlotSpectrum: no eigenvalues")
	}
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "index"
	p.Y.Label.Text = "eigenvalue"
	p.Add(plotter.NewGrid())
	for i, s := range []struct {
		name string
		vals []float64
	}{{"largest", top}, {"smallest", bottom}} {
		if len(s.vals) == 0 {
			continue
		}
		xy := make(plotter.XYs, len(s.vals))
		for j, v := range s.vals {
			xy[j] = plotter.XY{X: float64(j + 1), Y: v}
		}
		line, points, err := plotter.NewLinePoints(xy)
		if err != nil {
			return fmt.Errorf("hessian.PlotSpectrum: %s: %w", s.name, err)
		}
		line.Color = plotutil.Color(i)
		points.Color = plotutil.Color(i)
		points.Shape = plotutil.Shape(i)
		p.Add(line, points)
		p.Legend.Add(s.name, line, points)
	}
	return figure.Save(p, plotSize, path)
}

// plotSize is the size of the hessian figures (PNG at figure.DefaultDPI).
var plotSize = figure.Size{Width: 6 * vg.Inch, Height: 4 * vg.Inch}
