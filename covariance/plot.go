package covariance

import (
	"errors"
	"fmt"
	"image/color"
	"math"
	"slices"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/sgn-project/sgn/internal/figure"
)

// Panel is one row of the C-versus-H/B figure: a model's name and its
// analysis.
type Panel struct {
	Name     string
	Analysis *Analysis
}

// heatDecades is the dynamic range of the heat maps: entries smaller than
// 10^−heatDecades times the largest are drawn in the lowest colour.
const heatDecades = 4

// Font sizes of the figure (points), large enough to read when the 14-inch
// figure is printed on A4 or letter paper.
const (
	titleSize  = 15
	labelSize  = 13
	tickSize   = 11
	legendSize = 11
)

// Size of the figure: one row per panel.
const (
	figWidth  = 14 * vg.Inch
	rowHeight = 5 * vg.Inch
)

// WriteFigure draws the figure of the C(θ) = H(θ)/B test (Xie et al.
// 2021, Fig. 2) and writes path+".png" and path+".svg" atomically. Each
// panel gets a row: on the left a log–log scatter of cᵢ = uᵢᵀCuᵢ against
// λᵢ/B over the eigenvalues in the window, one colour per batch size, with
// the line C = H/B and the least-squares line of the first batch size; on
// the right heat maps of log₁₀|UᵀCU| and log₁₀|UᵀHU/B| = log₁₀ Λ/B on the top
// block of eigenvectors (first batch size), on one colour scale, so the eye
// compares both the diagonals and the off-diagonal part, which C = H/B makes
// zero.
func WriteFigure(path string, panels []Panel) error {
	if len(panels) == 0 {
		return errors.New("covariance figure: no panels")
	}
	// One colour scale for every row: the heat maps of the models compare.
	vmax := math.Inf(-1)
	for _, p := range panels {
		if p.Analysis == nil || len(p.Analysis.Comparisons) == 0 || p.Analysis.Sigma == nil {
			return fmt.Errorf("covariance figure: panel %q has no analysis", p.Name)
		}
		cm, hm := heatValues(p.Analysis)
		for i := range cm {
			vmax = max(vmax, cm[i], hm[i])
		}
	}
	if math.IsInf(vmax, 0) || math.IsNaN(vmax) {
		return errors.New("covariance figure: the top blocks are zero")
	}
	vmax = math.Ceil(vmax*2) / 2
	rows := make([]*figureRow, len(panels))
	for i, p := range panels {
		r, err := newFigureRow(p, vmax-heatDecades, vmax)
		if err != nil {
			return err
		}
		rows[i] = r
	}
	h := rowHeight * vg.Length(len(panels))
	return figure.SaveCanvas(figure.Size{Width: figWidth, Height: h}, path, func(dc draw.Canvas) {
		// A margin around the figure: no title or label touches the edge.
		dc = draw.Crop(dc, figMargin, -figMargin, figMargin, -figMargin)
		rh := (dc.Max.Y - dc.Min.Y) / vg.Length(len(rows))
		for i, r := range rows {
			top := dc.Max.Y - rh*vg.Length(i)
			r.draw(draw.Canvas{Canvas: dc.Canvas, Rectangle: vg.Rectangle{
				Min: vg.Point{X: dc.Min.X, Y: top - rh}, Max: vg.Point{X: dc.Max.X, Y: top}}})
		}
	})
}

// figMargin is the blank margin around the figure.
const figMargin = 0.2 * vg.Inch

// heatValues returns log₁₀|UᵀCU| and log₁₀|UᵀHU/B| (−Inf off the diagonal)
// on the top HeatmapK block of a, row-major, at the first batch size.
func heatValues(a *Analysis) (cm, hm []float64) {
	k := a.HeatmapK
	B := float64(a.Comparisons[0].BatchSize)
	cm = make([]float64, k*k)
	hm = make([]float64, k*k)
	for i := 0; i < k; i++ {
		for j := 0; j < k; j++ {
			cm[i*k+j] = math.Log10(math.Abs(a.Sigma.At(i, j) / B))
			if i == j {
				hm[i*k+j] = math.Log10(math.Abs(a.Lambda[i] / B))
			} else {
				hm[i*k+j] = math.Inf(-1)
			}
		}
	}
	return cm, hm
}

// figureRow holds the plots of one model's row: the scatter, the heat maps
// of UᵀCU and Λ/B, and their colour bar.
type figureRow struct {
	scatter  *plot.Plot
	heat     [2]*plot.Plot
	colorBar *plot.Plot
}

// newFigureRow builds the plots of one model's row, its heat maps on the
// colour scale [vmin, vmax] (log₁₀ of the entries).
func newFigureRow(p Panel, vmin, vmax float64) (*figureRow, error) {
	a := p.Analysis
	sc, err := scatterPlot(p)
	if err != nil {
		return nil, err
	}
	r := &figureRow{scatter: sc}
	k := a.HeatmapK
	B := float64(a.Comparisons[0].BatchSize)
	cm, hm := heatValues(a)
	cmap := moreland.ExtendedBlackBody()
	cmap.SetMin(vmin)
	cmap.SetMax(vmax)
	pal := cmap.Palette(256)
	r.heat[0] = heatPlot(cm, k, vmin, vmax, pal, fmt.Sprintf("UᵀCU, top %d (B = %d)", k, int(B)))
	r.heat[1] = heatPlot(hm, k, vmin, vmax, pal, fmt.Sprintf("UᵀHU/B = Λ/B, top %d", k))
	cb := plot.New()
	cb.Add(&plotter.ColorBar{ColorMap: cmap, Vertical: true})
	cb.HideX()
	cb.Y.Padding = 0
	cb.Y.Label.Text = "log₁₀ |entry|"
	styleFonts(cb)
	r.colorBar = cb
	return r, nil
}

// draw draws the row on c: the scatter on the left 42%, the two heat maps
// side by side, the colour bar at the right edge.
func (r *figureRow) draw(c draw.Canvas) {
	w := c.Max.X - c.Min.X
	sub := func(x0, x1 float64) draw.Canvas {
		return draw.Canvas{Canvas: c.Canvas, Rectangle: vg.Rectangle{
			Min: vg.Point{X: c.Min.X + vg.Length(x0)*w, Y: c.Min.Y},
			Max: vg.Point{X: c.Min.X + vg.Length(x1)*w, Y: c.Max.Y}}}
	}
	r.scatter.Draw(sub(0, 0.42))
	for i, hp := range r.heat {
		x0 := 0.44 + 0.25*float64(i)
		hp.Draw(sub(x0, x0+0.25))
	}
	cbc := sub(0.945, 1)
	cbc.Min.Y += 0.55 * vg.Inch
	cbc.Max.Y -= 0.35 * vg.Inch
	r.colorBar.Draw(cbc)
}

// scatterPlot draws cᵢ against λᵢ/B on log–log axes, one series per batch
// size, the model Fisher's fᵢ/B of the first batch size (when known) in
// grey rings, with the line C = H/B and the fit of the first batch size.
func scatterPlot(p Panel) (*plot.Plot, error) {
	a := p.Analysis
	first := a.Comparisons[0]
	pl := plot.New()
	// The eigenvalues the points are (not the window asked for, which
	// they may fill only in part).
	pl.Title.Text = fmt.Sprintf("%s: cᵢ against λᵢ/B, %d eigenvalues", p.Name, first.Selected)
	if len(first.X) > 0 {
		B := float64(first.BatchSize)
		pl.Title.Text += fmt.Sprintf(" in [%.2g, %.2g]", slices.Min(first.X)*B, slices.Max(first.X)*B)
	}
	// Short axis label: gonum/plot v0.17 pads a log axis as if a centred
	// label sat at the right end, so a long one would squeeze the data.
	pl.X.Label.Text = "λᵢ/B (nats)"
	pl.Y.Label.Text = "cᵢ = uᵢᵀCuᵢ (nats²)"
	pl.X.Scale, pl.Y.Scale = plot.LogScale{}, plot.LogScale{}
	pl.X.Tick.Marker, pl.Y.Tick.Marker = powerTicks{}, powerTicks{}
	pl.Legend.Top = true
	pl.Legend.Left = true
	pl.Add(plotter.NewGrid())
	lo, hi := math.Inf(1), math.Inf(-1)
	for i, c := range a.Comparisons {
		if len(c.X) == 0 {
			continue
		}
		xy := make(plotter.XYs, len(c.X))
		for j := range c.X {
			xy[j] = plotter.XY{X: c.X[j], Y: c.Y[j]}
			lo = min(lo, c.X[j], c.Y[j])
			hi = max(hi, c.X[j], c.Y[j])
		}
		s, err := plotter.NewScatter(xy)
		if err != nil {
			return nil, fmt.Errorf("covariance.WriteFigure: %w", err)
		}
		s.GlyphStyle.Color = plotutil.Color(i)
		s.GlyphStyle.Shape = draw.CircleGlyph{}
		s.GlyphStyle.Radius = vg.Points(2)
		pl.Add(s)
		pl.Legend.Add(fmt.Sprintf("B = %d: %d points, median c/(λ/B) %.2f", c.BatchSize, len(c.X), c.MedianRatio), s)
	}
	if math.IsInf(lo, 0) {
		return nil, fmt.Errorf("covariance.WriteFigure: panel %q has no point with c > 0 in the window", p.Name)
	}
	// The model Fisher along the same directions, fᵢ/B: where the points
	// sit between C and H/B (C ≈ F_emp/B, F ≈ H).
	if first.Fisher != nil && len(first.F) == len(first.X) {
		var xy plotter.XYs
		for j, f := range first.F {
			if f > 0 {
				xy = append(xy, plotter.XY{X: first.X[j], Y: f})
				lo, hi = min(lo, f), max(hi, f)
			}
		}
		if len(xy) > 0 {
			s, err := plotter.NewScatter(xy)
			if err != nil {
				return nil, fmt.Errorf("covariance.WriteFigure: %w", err)
			}
			s.GlyphStyle.Color = color.Gray{Y: 120}
			s.GlyphStyle.Shape = draw.RingGlyph{}
			s.GlyphStyle.Radius = vg.Points(2)
			pl.Add(s)
			pl.Legend.Add(fmt.Sprintf("fᵢ/B, model Fisher (B = %d): median cᵢB/fᵢ %.2f, fᵢ/λᵢ %.2f", first.BatchSize,
				first.Fisher.MedianEmpiricalOverFisher, first.Fisher.MedianFisherOverHessian), s)
		}
	}
	lo, hi = lo/2, hi*2
	ident, err := plotter.NewLine(plotter.XYs{{X: lo, Y: lo}, {X: hi, Y: hi}})
	if err != nil {
		return nil, err
	}
	ident.LineStyle.Width = vg.Points(1.5)
	ident.LineStyle.Dashes = []vg.Length{vg.Points(6), vg.Points(3)}
	pl.Add(ident)
	pl.Legend.Add("C = H/B", ident)
	if f := first.Fit; f != nil {
		x0, x1 := slices.Min(first.X), slices.Max(first.X)
		fit, err := plotter.NewLine(plotter.XYs{
			{X: x0, Y: math.Pow(10, f.Intercept+f.Slope*math.Log10(x0))},
			{X: x1, Y: math.Pow(10, f.Intercept+f.Slope*math.Log10(x1))}})
		if err != nil {
			return nil, err
		}
		fit.LineStyle.Width = vg.Points(1.5)
		fit.LineStyle.Color = color.RGBA{R: 200, A: 255}
		pl.Add(fit)
		pl.Legend.Add(fmt.Sprintf("least squares (B = %d): slope %.2f (95%% CI %.2f to %.2f), r %.3f", first.BatchSize, f.Slope, f.SlopeCI95[0], f.SlopeCI95[1], f.R), fit)
		if f.Decades < MinFitDecades {
			pl.Legend.Add(fmt.Sprintf("warning: the fit spans %.2g decades of λ/B", f.Decades))
		}
		if f.N < FewPoints {
			pl.Legend.Add(fmt.Sprintf("warning: the fit has only %d points", f.N))
		}
	}
	pl.X.Min, pl.X.Max, pl.Y.Min, pl.Y.Max = lo, hi, lo, hi
	styleFonts(pl)
	return pl, nil
}

// heatPlot draws the k×k matrix z (row-major, row 1 at the top).
func heatPlot(z []float64, k int, vmin, vmax float64, pal palette.Palette, title string) *plot.Plot {
	pl := plot.New()
	pl.Title.Text = title
	hm := plotter.NewHeatMap(heatGrid{z: z, k: k}, pal)
	hm.Min, hm.Max = vmin, vmax
	cols := pal.Colors()
	hm.Underflow, hm.Overflow, hm.NaN = cols[0], cols[len(cols)-1], cols[0]
	pl.Add(hm)
	pl.X.Label.Text = "eigenvector j (1 = largest λ)"
	pl.Y.Label.Text = "eigenvector i"
	pl.Y.Scale = plot.InvertedScale{Normalizer: plot.LinearScale{}}
	pl.X.Min, pl.X.Max = 0.5, float64(k)+0.5
	pl.Y.Min, pl.Y.Max = 0.5, float64(k)+0.5
	pl.X.Tick.Marker, pl.Y.Tick.Marker = indexTicks{}, indexTicks{}
	styleFonts(pl)
	return pl
}

// heatGrid is a k×k matrix as a plotter.GridXYZ; −Inf maps to NaN.
type heatGrid struct {
	z []float64
	k int
}

// Dims implements plotter.GridXYZ with Z, X and Y.
func (g heatGrid) Dims() (c, r int) { return g.k, g.k }

// Z returns entry (r, c), NaN for −Inf (drawn in the lowest colour).
func (g heatGrid) Z(c, r int) float64 {
	v := g.z[r*g.k+c]
	if math.IsInf(v, -1) {
		return math.NaN()
	}
	return v
}

// X is the 1-based column index.
func (g heatGrid) X(c int) float64 { return float64(c + 1) }

// Y is the 1-based row index.
func (g heatGrid) Y(r int) float64 { return float64(r + 1) }

// powerTicks marks a log axis: labelled major ticks at the powers of
// ten, minor ticks at 2…9 times them, the ones at 2 and 5 labelled too when
// the axis holds fewer than two powers of ten.
type powerTicks struct{}

// Ticks implements plot.Ticker.
func (powerTicks) Ticks(lo, hi float64) []plot.Tick {
	var t []plot.Tick
	k0, k1 := int(math.Floor(math.Log10(lo))), int(math.Ceil(math.Log10(hi)))
	majors := 0
	for k := k0; k <= k1; k++ {
		if v := math.Pow(10, float64(k)); v >= lo && v <= hi {
			majors++
		}
	}
	for k := k0; k <= k1; k++ {
		for m := 1; m < 10; m++ {
			v := float64(m) * math.Pow(10, float64(k))
			if v < lo || v > hi {
				continue
			}
			if m == 1 || (majors < 2 && (m == 2 || m == 5)) {
				t = append(t, plot.Tick{Value: v, Label: tickLabel(m, k)})
			} else {
				t = append(t, plot.Tick{Value: v})
			}
		}
	}
	return t
}

// tickLabel writes m·10ᵏ as a decimal for −3 ≤ k ≤ 3 and as me±k beyond
// (the plot's font has no superscript minus).
func tickLabel(m, k int) string {
	if k >= -3 && k <= 3 {
		return strconv.FormatFloat(float64(m)*math.Pow(10, float64(k)), 'f', max(0, -k), 64)
	}
	return fmt.Sprintf("%de%d", m, k)
}

// indexTicks labels 1 and every fifth index.
type indexTicks struct{}

// Ticks implements plot.Ticker.
func (indexTicks) Ticks(lo, hi float64) []plot.Tick {
	var t []plot.Tick
	for i := math.Ceil(lo); i <= hi; i++ {
		if i == 1 || int(i)%5 == 0 {
			t = append(t, plot.Tick{Value: i, Label: fmt.Sprint(int(i))})
		} else {
			t = append(t, plot.Tick{Value: i})
		}
	}
	return t
}

// styleFonts sets the figure's font sizes on a plot.
func styleFonts(p *plot.Plot) {
	figure.Fonts{Title: titleSize, Label: labelSize, Tick: tickSize, Legend: legendSize}.Apply(p)
}
