package selection

import (
	"fmt"
	"image/color"
	"math"
	"sort"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/sgn-project/sgn/escape"
	"github.com/sgn-project/sgn/internal/figure"
)

// DrawFigure draws the selection figure into stem.png and stem.svg: log
// P(flat)/P(sharp) against B/η for the SGD kinds (left) and against 1/D
// for sgld (right); per dynamics the measured points with their 95% error
// bars and the fitted line (solid), and the theory: Theorem 2 at s = 0 and
// s = 1 (grey dashed, dotted) or Theorem 1 (grey dashed), and the exact
// continuous-time ratio in 1-D (thin, the dynamics' colour). A panel with
// no points is left out; the panels share their vertical scale.
func DrawFigure(rs []Result, fits []Fit, stem string) error {
	var sgd, ld []Result
	for _, r := range rs {
		if usesTemperature(r.Point.Dynamics) {
			ld = append(ld, r)
		} else {
			sgd = append(sgd, r)
		}
	}
	var row []*plot.Plot
	for _, group := range [][]Result{sgd, ld} {
		if len(group) == 0 {
			continue
		}
		p, err := panel(group, fits)
		if err != nil {
			return err
		}
		row = append(row, p)
	}
	if len(row) == 0 {
		return fmt.Errorf("nothing to draw: no point has replicas")
	}
	// One vertical scale for both panels, from 0: SGLD's nearly constant
	// ratio then shows beside SGD's growing one.
	lo, hi := 0.0, 0.0
	for _, p := range row {
		lo, hi = math.Min(lo, p.Y.Min), math.Max(hi, p.Y.Max)
	}
	for _, p := range row {
		p.Y.Min, p.Y.Max = lo, hi
	}
	const w, h = 13 * vg.Centimeter, 11 * vg.Centimeter
	size := figure.Size{Width: w * vg.Length(len(row)), Height: h}
	return figure.SaveGrid([][]*plot.Plot{row}, draw.Tiles{Rows: 1, Cols: len(row), PadX: vg.Centimeter / 2}, size, stem)
}

// panel draws one group of results (all SGD kinds, or sgld).
func panel(rs []Result, fits []Fit) (*plot.Plot, error) {
	p := plot.New()
	_, against := rs[0].Abscissa()
	if against == "1/D" {
		p.Title.Text = "SGLD: polynomial preference (Theorem 1)"
		p.X.Label.Text = "1/D"
	} else {
		p.Title.Text = "SGD: exponential preference (Theorem 2)"
		p.X.Label.Text = "B/η"
	}
	p.Y.Label.Text = "log P(flat)/P(sharp)"
	p.Add(plotter.NewGrid())
	p.Legend.Top, p.Legend.Left = true, true
	p.Legend.TextStyle.Font.Size = vg.Points(10)
	order, by := byDynamics(rs)
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, r := range rs {
		x, _ := r.Abscissa()
		lo, hi = math.Min(lo, x), math.Max(hi, x)
	}
	// The theory first (behind the points), once per panel.
	if pr := rs[0].Prediction; pr != nil {
		if err := addTheory(p, pr, against, lo, hi); err != nil {
			return nil, err
		}
	}
	for k, d := range order {
		if err := addDynamics(p, k, d, by[d], fits, lo, hi); err != nil {
			return nil, err
		}
	}
	// A margin around what was drawn: no interval ends on an axis.
	p.Y.Min, p.Y.Max = figure.Pad(p.Y.Min, p.Y.Max, 0.05, false)
	return p, nil
}

// addTheory draws the theory's lines of a panel over [lo, hi]: Theorem 1
// against 1/D, Theorem 2 at s = 0 and s = 1 against B/η.
func addTheory(p *plot.Plot, pr *Prediction, against string, lo, hi float64) error {
	grey := color.Gray{Y: 90}
	type th struct {
		name        string
		slope, icpt float64
		dashes      []vg.Length
	}
	var lines []th
	if against == "1/D" {
		s, i := Theorem1Line(pr.Sharp, pr.Flat)
		lines = append(lines, th{name: "Theorem 1", slope: s, icpt: i, dashes: []vg.Length{vg.Points(4), vg.Points(3)}})
	} else {
		s0, s1 := Theorem2Slopes(pr.Sharp, pr.Flat)
		lines = append(lines, th{name: "Theorem 2, s = 0", slope: s0, dashes: []vg.Length{vg.Points(4), vg.Points(3)}},
			th{name: "Theorem 2, s = 1", slope: s1, dashes: []vg.Length{vg.Points(1), vg.Points(2)}})
	}
	for _, t := range lines {
		ln, err := plotter.NewLine(plotter.XYs{{X: lo, Y: t.icpt + t.slope*lo}, {X: hi, Y: t.icpt + t.slope*hi}})
		if err != nil {
			return err
		}
		ln.Color, ln.Dashes, ln.Width = grey, t.dashes, vg.Points(1.2)
		p.Add(ln)
		p.Legend.Add(t.name, ln)
	}
	return nil
}

// addDynamics draws the points of dynamics d (k-th of the panel, its colour
// and glyph), their intervals, the exact curve and the fitted line.
func addDynamics(p *plot.Plot, k int, d escape.Dynamics, g []Result, fits []Fit, lo, hi float64) error {
	sort.Slice(g, func(i, j int) bool { a, _ := g[i].Abscissa(); b, _ := g[j].Abscissa(); return a < b })
	col := plotutil.Color(k)
	var pts plotter.XYs
	var errs plotter.YErrors
	var exact plotter.XYs
	for _, r := range g {
		x, _ := r.Abscissa()
		if r.Prediction != nil && r.Prediction.Exact != nil {
			exact = append(exact, plotter.XY{X: x, Y: math.Log(*r.Prediction.Exact)})
		}
		m := r.Measurement
		y := math.Log(m.OccupancyRatio)
		if !r.Equilibrated() || math.IsInf(y, 0) || math.IsNaN(y) {
			continue
		}
		var e struct{ Low, High float64 }
		if l := math.Log(m.OccupancyRatioCI[0]); !math.IsInf(l, 0) && !math.IsNaN(l) {
			e.Low = y - l
		}
		if h := math.Log(m.OccupancyRatioCI[1]); !math.IsInf(h, 0) && !math.IsNaN(h) {
			e.High = h - y
		}
		pts = append(pts, plotter.XY{X: x, Y: y})
		errs = append(errs, e)
	}
	if len(exact) > 1 {
		ln, err := plotter.NewLine(exact)
		if err != nil {
			return err
		}
		ln.Color, ln.Width = col, vg.Points(0.6)
		ln.Dashes = []vg.Length{vg.Points(6), vg.Points(2)}
		p.Add(ln)
		p.Legend.Add(string(d)+" exact (continuous time)", ln)
	}
	if len(pts) == 0 {
		return nil
	}
	sc, eb, err := figure.PointsWithErrors(pts, errs, col, plotutil.Shape(k))
	if err != nil {
		return err
	}
	p.Add(sc, eb)
	label := string(d)
	for _, f := range fits {
		if f.Dynamics != d || f.Slope == nil {
			continue
		}
		ln, err := plotter.NewLine(plotter.XYs{{X: lo, Y: *f.Intercept + *f.Slope*lo}, {X: hi, Y: *f.Intercept + *f.Slope*hi}})
		if err != nil {
			return err
		}
		ln.Color = col
		p.Add(ln)
		label = fmt.Sprintf("%s: slope %.3g", d, *f.Slope)
		if f.ImpliedS != nil {
			label += fmt.Sprintf(", s = %.2f", *f.ImpliedS)
		}
		p.Legend.Add(label, sc, ln)
	}
	if label == string(d) {
		p.Legend.Add(label, sc)
	}
	return nil
}
