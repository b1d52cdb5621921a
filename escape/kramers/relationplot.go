package kramers

import (
	"fmt"
	"image/color"
	"math"
	"sort"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/sgn-project/sgn/escape"
	"github.com/sgn-project/sgn/internal/figure"
)

// maxTheorySeries is the number of series up to which a figure also draws
// the theory for every series (beyond it the figure would be unreadable;
// fit.json has the numbers).
const maxTheorySeries = 4

// Figure is a plot with its legend, drawn beneath it.
type Figure struct {
	Plot   *plot.Plot
	Legend plot.Legend
}

// RelationFigure draws one relation: per series the measured −log γ with
// its 95% error bars and the least-squares line over the data's range
// (solid); with at most four series also the theory (dashed: Theorem 1 for
// SGLD, Theorem 2 at s = 0 for SGD; dotted: Theorem 2 at s = 1).
func RelationFigure(rel RelationFit) (*Figure, error) {
	return relationFigure(rel, false)
}

// relationFigure is RelationFigure; slopes adds each line's slope and its
// 95% interval to the legend (the figure of one relation, whose legend
// stands beneath the plot).
func relationFigure(rel RelationFit, slopes bool) (*Figure, error) {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("%s: −log γ against %s", rel.Dynamics, rel.XLabel)
	p.X.Label.Text = rel.XLabel
	p.Y.Label.Text = "−log γ (γ per unit time t = η·steps)"
	p.X.Tick.Marker, p.Y.Tick.Marker = figure.Ticks{N: 6}, figure.Ticks{N: 6}
	p.Add(plotter.NewGrid())
	leg := plot.NewLegend()
	leg.Top, leg.Left = true, true
	leg.TextStyle.Font.Size = vg.Points(10)
	// The axes span the points, their intervals and the lines drawn, with
	// a margin: no point sits on an axis.
	xlo, xhi, ylo, yhi := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	extend := func(xs, ys []float64) {
		for i, x := range xs {
			if i < len(ys) && !math.IsNaN(ys[i]) && !math.IsInf(ys[i], 0) {
				xlo, xhi = math.Min(xlo, x), math.Max(xhi, x)
				ylo, yhi = math.Min(ylo, ys[i]), math.Max(yhi, ys[i])
			}
		}
	}
	theory := len(rel.Series) <= maxTheorySeries
	if !theory {
		p.Title.Text += " (theory: fit.json)"
	}
	legendTheory := map[string]bool{}
	for i, s := range rel.Series {
		if len(s.X) == 0 {
			continue
		}
		col := plotutil.Color(i)
		pts := make(plotter.XYs, len(s.X))
		errs := make(plotter.YErrors, len(s.X))
		for j := range s.X {
			pts[j] = plotter.XY{X: s.X[j], Y: s.Y[j]}
			errs[j].Low = s.Y[j] - s.YLo[j]
			errs[j].High = s.YHi[j] - s.Y[j]
		}
		sc, eb, err := figure.PointsWithErrors(pts, errs, col, plotutil.Shape(i))
		if err != nil {
			return nil, err
		}
		p.Add(sc, eb)
		extend(s.X, s.YLo)
		extend(s.X, s.YHi)
		if theory {
			for _, pred := range [][]float64{s.pred, s.pred0, s.pred1} {
				if len(pred) == len(s.X) {
					extend(s.X, pred)
				}
			}
		}
		if s.Line != nil {
			lo, hi := s.X[0], s.X[0]
			for _, x := range s.X {
				lo, hi = math.Min(lo, x), math.Max(hi, x)
			}
			l := *s.Line
			ln, err := plotter.NewLine(plotter.XYs{{X: lo, Y: l.Intercept + l.Slope*lo}, {X: hi, Y: l.Intercept + l.Slope*hi}})
			if err != nil {
				return nil, err
			}
			ln.Color = col
			p.Add(ln)
			label := fixedLabel(s.Fixed)
			if slopes {
				label += fmt.Sprintf(": slope %.3g", l.Slope)
			}
			if slopes && l.SlopeCI != nil {
				label += fmt.Sprintf(" [%.3g, %.3g]", l.SlopeCI[0], l.SlopeCI[1])
			}
			leg.Add(label, sc, ln)
		} else {
			leg.Add(fixedLabel(s.Fixed), sc)
		}
		if theory {
			if err := addTheory(p, &leg, s, col, legendTheory); err != nil {
				return nil, err
			}
		}
	}
	if xlo <= xhi && ylo <= yhi {
		p.X.Min, p.X.Max = figure.Pad(xlo, xhi, 0.05, false)
		p.Y.Min, p.Y.Max = figure.Pad(ylo, yhi, 0.06, false)
	}
	return &Figure{Plot: p, Legend: leg}, nil
}

// themeLine returns a grey copy of a line for the legend of the theory.
func themeLine(l *plotter.Line) *plotter.Line {
	c := *l
	c.Color = color.Gray{Y: 80}
	return &c
}

// addTheory draws the predictions of series s as dashed lines of colour
// col (Theorem 1; Theorem 2 at s = 0 and s = 1), each name once in the
// legend.
func addTheory(p *plot.Plot, leg *plot.Legend, s SeriesFit, col color.Color, inLegend map[string]bool) error {
	names := []string{"Theorem 1", "Theorem 2, s = 0", "Theorem 2, s = 1"}
	for k, pred := range [][]float64{s.pred, s.pred0, s.pred1} {
		if len(pred) != len(s.X) {
			continue
		}
		xy := make(plotter.XYs, len(pred))
		for j := range pred {
			xy[j] = plotter.XY{X: s.X[j], Y: pred[j]}
		}
		ln, err := plotter.NewLine(xy)
		if err != nil {
			return err
		}
		ln.Color = col
		ln.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		if k == 2 {
			ln.Dashes = []vg.Length{vg.Points(1), vg.Points(2)}
		}
		p.Add(ln)
		if !inLegend[names[k]] {
			inLegend[names[k]] = true
			leg.Add(names[k], themeLine(ln))
		}
	}
	return nil
}

// fixedLabel formats the fixed parameters of a series for a legend.
func fixedLabel(m map[string]float64) string {
	short := map[string]string{"sharpness": "k", "batch_size": "B", "eta": "η", "temperature": "D"}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, short[k]+"="+escape.FormatSetting(m[k]))
	}
	return strings.Join(parts, " ")
}

// SaveFigure writes f as stem.png and stem.svg, each atomically: the plot
// (22 cm wide, 11 cm high, with a margin) over the whole width, and its legend centred
// beneath it in the height its entries take, so that neither the legend
// covers the data nor an empty strip stands beside the plot.
func SaveFigure(f *Figure, stem string) error {
	const w, h, gap = 22 * vg.Centimeter, 11 * vg.Centimeter, vg.Centimeter / 4
	r := f.Legend.Rectangle(draw.New(vgimg.New(w, h)))
	lw, lh := r.Max.X-r.Min.X, r.Max.Y-r.Min.Y
	x0 := max((w-lw)/2, 0)
	return figure.SaveCanvas(figure.Size{Width: w, Height: h + lh + 3*gap}, stem, func(dc draw.Canvas) {
		f.Plot.Draw(draw.Crop(dc, 0, -gap, lh+2*gap, -gap))
		f.Legend.Draw(draw.Crop(dc, x0, -x0, gap, -(h + 2*gap)))
	})
}
