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
	rows := make([]*figureRow, len(panels))
	for i, p := range panels {
		if p.Analysis == nil || len(p.Analysis.Comparisons) == 0 || p.Analysis.Sigma == nil {
			return fmt.Errorf("covariance figure: panel %q has no analysis", p.Name)
		}
		r, err := newFigureRow(p)
		if err != nil {
			return err
		}
		rows[i] = r
	}
	h := rowHeight * vg.Length(len(panels))
	return figure.SaveCanvas(figure.Size{Width: figWidth, Height: h}, path, func(dc draw.Canvas) {
		for i, r := range rows {
			top := h - rowHeight*vg.Length(i)
			r.draw(draw.Canvas{Canvas: dc.Canvas, Rectangle: vg.Rectangle{
				Min: vg.Point{X: 0, Y: top - rowHeight}, Max: vg.Point{X: figWidth, Y: top}}})
		}
	})
}

// figureRow holds the plots of one model's row: the scatter, the heat maps
// of UᵀCU and Λ/B, and their colour bar.
type figureRow struct {
	scatter  *plot.Plot
	heat     [2]*plot.Plot
	colorBar *plot.Plot
}

// newFigureRow builds the plots of one model's row.
func newFigureRow(p Panel) (*figureRow, error) {
	a := p.Analysis
	sc, err := scatterPlot(p)
	if err != nil {
		return nil, err
	}
	r := &figureRow{scatter: sc}
	k := a.HeatmapK
	B := float64(a.Comparisons[0].BatchSize)
	cm := make([]float64, k*k)
	hm := make([]float64, k*k)
	vmax := math.Inf(-1)
	for i := 0; i < k; i++ {
		for j := 0; j < k; j++ {
			cm[i*k+j] = math.Log10(math.Abs(a.Sigma.At(i, j) / B))
			if i == j {
				hm[i*k+j] = math.Log10(math.Abs(a.Lambda[i] / B))
			} else {
				hm[i*k+j] = math.Inf(-1)
			}
			vmax = max(vmax, cm[i*k+j], hm[i*k+j])
		}
	}
	if math.IsInf(vmax, 0) || math.IsNaN(vmax) {
		return nil, fmt.Errorf("covariance figure: panel %q: the top block is zero", p.Name)
	}
	vmax = math.Ceil(vmax*2) / 2
	vmin := vmax - heatDecades
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
// size, with the line C = H/B and the fit of the first batch size.
func scatterPlot(p Panel) (*plot.Plot, error) {
	a := p.Analysis
	first := a.Comparisons[0]
	pl := plot.New()
	pl.Title.Text = fmt.Sprintf("%s: uᵢᵀCuᵢ against λᵢ/B for %g < λᵢ < %g", p.Name, first.Window.Min, first.Window.Max)
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
		pl.Legend.Add(fmt.Sprintf("least squares (B = %d): slope %.2f, r %.3f", first.BatchSize, f.Slope, f.R), fit)
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
	p.Title.TextStyle.Font.Size = vg.Points(titleSize)
	for _, ax := range []*plot.Axis{&p.X, &p.Y} {
		ax.Label.TextStyle.Font.Size = vg.Points(labelSize)
		ax.Tick.Label.Font.Size = vg.Points(tickSize)
	}
	p.Legend.TextStyle.Font.Size = vg.Points(legendSize)
}
