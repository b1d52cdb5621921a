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
	"gonum.org/v1/plot/vg/draw"
)

// DensityDecades is the number of decades below its maximum over which
// PlotDensity draws the density: an outlier eigenvalue of weight 1/P sits
// about 3 decades below the bulk's peak for P ~ 10³, so 5 show every one
// of them without the near-empty Gaussian tails between the peaks.
const DensityDecades = 5

// Curve returns the Gaussian-smoothed density of d (Evaluate with width
// sigma) on Grid with a spacing of σ/2, between 1000 and 20000 points: the
// values PlotDensity draws and a command writes out as a table. It returns
// nils for an empty density or a width that is not positive.
func (d *Density) Curve(sigma float64) (grid, phi []float64) {
	if d == nil || len(d.Nodes) == 0 || !(sigma > 0) || math.IsInf(sigma, 0) {
		return nil, nil
	}
	width := slices.Max(d.Nodes) - slices.Min(d.Nodes) + 12*sigma
	grid = d.Grid(int(math.Min(20000, math.Max(1000, 2*width/sigma+1))), sigma)
	return grid, d.Evaluate(grid, sigma)
}

// PlotDensity draws the Gaussian-smoothed spectral density of d (Curve) on
// a log scale against the eigenvalue, as PyHessian's get_esd_plot does,
// over the DensityDecades decades below its maximum: where the density
// falls below them the curve leaves the axes (no artificial floor). The
// legend gives σ and the runs and steps of SLQ; the eigenvalue axis
// reaches past the extreme nodes so that their peaks are whole. It writes
// path+".png" and path+".svg".
func PlotDensity(d *Density, sigma float64, path, title string) error {
	if d == nil || len(d.Nodes) == 0 {
		return errors.New("hessian.PlotDensity: empty density")
	}
	if !(sigma > 0) || math.IsInf(sigma, 0) {
		return fmt.Errorf("hessian.PlotDensity: sigma = %v, want a positive width", sigma)
	}
	grid, phi := d.Curve(sigma)
	top := slices.Max(phi)
	if !(top > 0) || math.IsInf(top, 0) {
		return fmt.Errorf("hessian.PlotDensity: density maximum %v", top)
	}
	floor := top * math.Pow10(-DensityDecades)
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "eigenvalue λ"
	p.Y.Label.Text = "density (log scale)"
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = figure.LogTicks{}
	p.X.Tick.Marker = figure.Ticks{N: 8}
	p.Add(plotter.NewGrid())
	// The curve in pieces above the floor.
	first := true
	var seg plotter.XYs
	flush := func() error {
		if len(seg) == 0 {
			return nil
		}
		line, err := plotter.NewLine(seg)
		if err != nil {
			return fmt.Errorf("hessian.PlotDensity: %w", err)
		}
		line.Width = vg.Points(1.2)
		p.Add(line)
		if first {
			p.Legend.Add(fmt.Sprintf("SLQ, %d runs × %d steps, Gaussian σ = %.3g", d.NumRuns, d.Steps, sigma), line)
			first = false
		}
		seg = nil
		return nil
	}
	for i := range grid {
		if phi[i] >= floor {
			seg = append(seg, plotter.XY{X: grid[i], Y: phi[i]})
			continue
		}
		if err := flush(); err != nil {
			return err
		}
	}
	if err := flush(); err != nil {
		return err
	}
	lo, hi := slices.Min(d.Nodes)-4*sigma, slices.Max(d.Nodes)+4*sigma
	p.X.Min, p.X.Max = figure.Pad(lo, hi, 0.02, false)
	p.Y.Min, p.Y.Max = floor, top*3
	p.Legend.Top = true
	p.Legend.Left = false
	p.Legend.XOffs, p.Legend.YOffs = -vg.Points(6), -vg.Points(6)
	p.Legend.Padding = vg.Points(3)
	return figure.Save(p, densitySize, path)
}

// PlotSpectrum draws the largest eigenvalues top and the smallest bottom
// against their index (1 = most extreme), each in a panel of its own with
// its own eigenvalue axis, and writes path+".png" and path+".svg".
func PlotSpectrum(top, bottom []float64, path, title string) error {
	if len(top)+len(bottom) == 0 {
		return errors.New("hessian.PlotSpectrum: no eigenvalues")
	}
	var row []*plot.Plot
	for i, s := range []struct {
		name string
		vals []float64
	}{{fmt.Sprintf("largest %d", len(top)), top}, {fmt.Sprintf("smallest %d", len(bottom)), bottom}} {
		if len(s.vals) == 0 {
			continue
		}
		p := plot.New()
		p.Title.Text = s.name
		p.X.Label.Text = "index (1 = most extreme)"
		p.Y.Label.Text = "eigenvalue λ"
		p.X.Tick.Marker = figure.IntTicks{}
		p.Y.Tick.Marker = figure.Ticks{N: 6}
		p.Add(plotter.NewGrid())
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
		p.X.Min, p.X.Max = 0.5, float64(len(s.vals))+0.5
		p.Y.Min, p.Y.Max = figure.Pad(slices.Min(s.vals), slices.Max(s.vals), 0.06, false)
		row = append(row, p)
	}
	size := spectrumSize
	if len(row) == 1 {
		size.Width = size.Width * 3 / 5
	}
	tiles := draw.Tiles{Rows: 1, Cols: len(row), PadX: vg.Points(24), PadTop: vg.Points(4), PadBottom: vg.Points(4), PadLeft: vg.Points(4), PadRight: vg.Points(10)}
	return figure.SaveGridTitled([][]*plot.Plot{row}, tiles, size, title, path)
}

// Sizes of the hessian figures (PNG at figure.DefaultDPI).
var (
	densitySize  = figure.Size{Width: 8 * vg.Inch, Height: 5 * vg.Inch}
	spectrumSize = figure.Size{Width: 9 * vg.Inch, Height: 4.5 * vg.Inch}
)
