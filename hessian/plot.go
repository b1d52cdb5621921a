package hessian

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"

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
	return savePlot(p, path)
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
	return savePlot(p, path)
}

// savePlot renders p as PNG and SVG and writes each file atomically.
func savePlot(p *plot.Plot, path string) error {
	for _, format := range []string{"png", "svg"} {
		wt, err := p.WriterTo(6*vg.Inch, 4*vg.Inch, format)
		if err != nil {
			return fmt.Errorf("rendering %s.%s: %w", path, format, err)
		}
		var b bytes.Buffer
		if _, err := wt.WriteTo(&b); err != nil {
			return fmt.Errorf("rendering %s.%s: %w", path, format, err)
		}
		if err := writeAtomic(path+"."+format, b.Bytes()); err != nil {
			return err
		}
	}
	return nil
}

// writeAtomic writes b to path through a temporary file in the same folder
// and a rename, so path holds the old or the complete new content. (hessian
// may not import the project's data package, whose WriteBytesAtomic this
// mirrors.)
func writeAtomic(path string, b []byte) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err = f.Write(b); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err = os.Chmod(f.Name(), 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
