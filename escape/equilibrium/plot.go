package equilibrium

import (
	"fmt"
	"image/color"
	"math"
	"sort"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/sgn-project/sgn/internal/figure"
)

var (
	colSGD  = color.RGBA{R: 31, G: 119, B: 180, A: 255}
	colSGLD = color.RGBA{R: 214, G: 39, B: 40, A: 255}
	colGrey = color.RGBA{R: 150, G: 150, B: 150, A: 255}
)

// Font sizes of the figure (points): readable at its written size and when
// the 36 cm figure is scaled to a page's width.
const (
	eqTitleSize  = 13
	eqLabelSize  = 12
	eqTickSize   = 10
	eqLegendSize = 11
)

// legendEntry is one line of the figure's shared legend.
type legendEntry struct {
	name string
	th   []plot.Thumbnailer
}

// numericallyZero reports whether λ is zero within the precision of the
// eigendecomposition, |λ| ≤ P·ε·λmax (Golub & Van Loan, Matrix
// Computations, 4th ed., §8.1: the eigenvalues of a symmetric matrix are
// computed to an absolute error of order ε‖H‖₂): its direction is
// degenerate, its v meaningless on a log axis.
func numericallyZero(lambda, lambdaMax float64, p int) bool {
	return math.Abs(lambda) <= float64(p)*0x1p-52*lambdaMax
}

// SaveFigure draws the three panels (vᵢ against λᵢ with the predictions;
// λᵢvᵢ against λᵢ; the shares of tr C and of E‖θ − θ_ref‖² in the top-k
// eigenspace against k) beside their shared legend, under a title that says which
// directions are left out of the log axes (λᵢ < 0 and the numerically zero
// ones), and writes base.png and base.svg.
func (r *Report) SaveFigure(base string) error {
	pv, entries, err := r.variancePlot(false)
	if err != nil {
		return err
	}
	pt, _, err := r.variancePlot(true)
	if err != nil {
		return err
	}
	pf, fracEntries, err := r.fractionPlot()
	if err != nil {
		return err
	}
	entries = append(entries, fracEntries...)
	leg := plot.New()
	leg.HideAxes()
	leg.Legend.Top, leg.Legend.Left = true, true
	leg.Legend.TextStyle.Font.Size = vg.Points(eqLegendSize)
	leg.Legend.ThumbnailWidth = vg.Points(24)
	for _, e := range entries {
		leg.Legend.Add(e.name, e.th...)
	}
	title := "SGD and SGLD around θ₀ along the Hessian's eigendirections (displacement measured from the " + centerName(r.Settings.Center) + ")"
	if note := r.leftOutNote(); note != "" {
		title += "\n" + note
	}
	size := figure.Size{Width: 36 * vg.Centimeter, Height: 13 * vg.Centimeter}
	return figure.SaveCanvas(size, base, func(dc draw.Canvas) {
		dc = draw.Crop(dc, vg.Millimeter*2, -vg.Millimeter*2, vg.Millimeter*2, -vg.Millimeter*1)
		figure.DrawTitle(&dc, title)
		w := dc.Max.X - dc.Min.X
		panels := draw.Crop(dc, 0, -0.2*w, 0, 0)
		legend := draw.Crop(dc, 0.81*w, 0, 0, 0)
		grid := [][]*plot.Plot{{pv, pt, pf}}
		cs := plot.Align(grid, draw.Tiles{Rows: 1, Cols: 3, PadX: vg.Millimeter * 8, PadTop: vg.Millimeter * 2, PadBottom: vg.Millimeter * 2, PadLeft: vg.Millimeter * 2}, panels)
		for j, p := range grid[0] {
			p.Draw(cs[0][j])
		}
		leg.Draw(legend)
	})
}

// leftOutNote says which directions the log axes leave out: λᵢ < 0 and the
// numerically zero ones (numericallyZero); "" when none.
func (r *Report) leftOutNote() string {
	neg, zero := 0, 0
	lmax := r.lambdaMax()
	for _, d := range r.Directions {
		switch {
		case numericallyZero(d.Lambda, lmax, r.Minimum.NumParams):
			zero++
		case d.Lambda < 0:
			neg++
		}
	}
	var parts []string
	if neg > 0 {
		parts = append(parts, fmt.Sprintf("%d with λᵢ < 0", neg))
	}
	if zero > 0 {
		parts = append(parts, fmt.Sprintf("%d with |λᵢ| ≤ Pε·λmax = %.1e (numerically zero, degenerate)", zero, float64(r.Minimum.NumParams)*0x1p-52*lmax))
	}
	switch len(parts) {
	case 0:
		return ""
	case 1:
		return fmt.Sprintf("(of %d directions, %s are not drawn)", len(r.Directions), parts[0])
	}
	return fmt.Sprintf("(of %d directions, %s and %s are not drawn)", len(r.Directions), parts[0], parts[1])
}

// lambdaMax is the largest eigenvalue among the directions.
func (r *Report) lambdaMax() float64 {
	m := 0.0
	for _, d := range r.Directions {
		m = math.Max(m, d.Lambda)
	}
	return m
}

// styleEq sets the figure's fonts on a panel.
func styleEq(p *plot.Plot) {
	figure.Fonts{Title: eqTitleSize, Label: eqLabelSize, Tick: eqTickSize}.Apply(p)
}

// variancePlot draws vᵢ (or λᵢvᵢ when temp) against λᵢ, log-log:
// equilibrated directions with 95% intervals, the others grey, and the
// three predictions; directions with λᵢ ≤ 0 or numerically zero are left
// out. It returns the legend entries of its series.
func (r *Report) variancePlot(temp bool) (*plot.Plot, []legendEntry, error) {
	vp := newVariancePanel(temp)
	eq, notEq := r.drawnDirections()
	other, far := r.notEquilibrated(eq, notEq, vp.scale)
	if err := vp.addNotEquilibrated(other, far); err != nil {
		return nil, nil, err
	}
	for _, s := range varianceDynamics {
		if err := vp.addSeries(s, eq); err != nil {
			return nil, nil, err
		}
	}
	if err := vp.addHOverB(eq, r.Settings.Eta, float64(r.Settings.BatchSize)); err != nil {
		return nil, nil, err
	}
	vp.p.X.Min, vp.p.X.Max = logRange(vp.xlo, vp.xhi)
	vp.p.Y.Min, vp.p.Y.Max = logRange(vp.ylo, vp.yhi)
	if !(vp.xlo <= vp.xhi) {
		vp.p.Title.Text += " (no direction to draw)"
	}
	return vp.p, vp.entries, nil
}

// variancePanel is a panel of variancePlot while it is drawn: the plot,
// its legend entries and the range of what it holds.
type variancePanel struct {
	p       *plot.Plot
	temp    bool
	entries []legendEntry
	// xlo, xhi, ylo and yhi bound every point, interval end and
	// prediction drawn.
	xlo, xhi, ylo, yhi float64
}

// newVariancePanel is the empty log-log panel of vᵢ (λᵢvᵢ when temp)
// against λᵢ.
func newVariancePanel(temp bool) *variancePanel {
	p := plot.New()
	p.X.Scale, p.Y.Scale = figure.LogScale{}, figure.LogScale{}
	p.X.Tick.Marker, p.Y.Tick.Marker = figure.LogTicks{MaxLabels: 6}, figure.LogTicks{MaxLabels: 7}
	p.X.Label.Text = "λᵢ (Hessian eigenvalue)"
	if temp {
		p.Title.Text = "temperature λᵢvᵢ"
		p.Y.Label.Text = "λᵢ·Var(uᵢᵀθ)"
	} else {
		p.Title.Text = "variance vᵢ along uᵢ"
		p.Y.Label.Text = "vᵢ = Var(uᵢᵀθ)"
	}
	styleEq(p)
	p.Add(plotter.NewGrid())
	return &variancePanel{p: p, temp: temp, xlo: math.Inf(1), xhi: math.Inf(-1), ylo: math.Inf(1), yhi: math.Inf(-1)}
}

// add appends a legend entry.
func (vp *variancePanel) add(name string, th ...plot.Thumbnailer) {
	vp.entries = append(vp.entries, legendEntry{name, th})
}

// extend widens the range to hold (x, y).
func (vp *variancePanel) extend(x, y float64) {
	vp.xlo, vp.xhi = math.Min(vp.xlo, x), math.Max(vp.xhi, x)
	vp.ylo, vp.yhi = math.Min(vp.ylo, y), math.Max(vp.yhi, y)
}

// scale is the y of a variance v along a direction of eigenvalue lam: v,
// or λv on the temperature panel.
func (vp *variancePanel) scale(lam, v float64) float64 {
	if vp.temp {
		return lam * v
	}
	return v
}

// drawnDirections splits the directions the log axes can show (λᵢ > 0 and
// not numerically zero) into the equilibrated ones, by increasing λᵢ, and
// the others.
func (r *Report) drawnDirections() (eq, notEq []Direction) {
	lmax := r.lambdaMax()
	for _, d := range r.Directions {
		switch {
		case d.Lambda <= 0 || numericallyZero(d.Lambda, lmax, r.Minimum.NumParams):
		case d.Equilibrated:
			eq = append(eq, d)
		default:
			notEq = append(notEq, d)
		}
	}
	sort.Slice(eq, func(i, j int) bool { return eq[i].Lambda < eq[j].Lambda })
	return eq, notEq
}

// addNotEquilibrated draws the points of the directions that did not
// equilibrate in grey, and says in the legend how many are too far off to
// be drawn.
func (vp *variancePanel) addNotEquilibrated(other plotter.XYs, far int) error {
	for _, o := range other {
		vp.extend(o.X, o.Y)
	}
	if len(other) == 0 {
		return nil
	}
	sc, err := plotter.NewScatter(other)
	if err != nil {
		return err
	}
	sc.GlyphStyle.Color, sc.GlyphStyle.Shape, sc.GlyphStyle.Radius = colGrey, draw.CrossGlyph{}, vg.Points(2.5)
	vp.p.Add(sc)
	vp.add("not equilibrated (SGD and SGLD)", sc)
	if far > 0 {
		vp.add(fmt.Sprintf("%d > %d decades off, not drawn", far, farDecades))
	}
	return nil
}

// varianceSeries is one dynamics on the variance panels: its measured
// variance with the 95% interval, its predicted variance and how it is
// drawn.
type varianceSeries struct {
	name  string
	col   color.Color
	val   func(d Direction) (v, lo, hi float64)
	pred  func(d Direction) float64
	shp   draw.GlyphDrawer
	label string // of the prediction's line
}

// varianceDynamics are SGD, against ηcᵢ/(λᵢ(2−ηλᵢ)) with the measured cᵢ,
// and SGLD, against 2D/(λᵢ(2−ηλᵢ)).
var varianceDynamics = []varianceSeries{
	{"SGD", colSGD, func(d Direction) (float64, float64, float64) {
		return d.VarSGD, float64(d.VarSGDCI95[0]), float64(d.VarSGDCI95[1])
	}, func(d Direction) float64 { return float64(d.PredSGDMeasuredC) }, draw.CircleGlyph{},
		"SGD predicted ηcᵢ/(λᵢ(2−ηλᵢ))"},
	{"SGLD", colSGLD, func(d Direction) (float64, float64, float64) {
		return d.VarSGLD, float64(d.VarSGLDCI95[0]), float64(d.VarSGLDCI95[1])
	}, func(d Direction) float64 { return float64(d.PredSGLD) }, draw.TriangleGlyph{},
		"SGLD predicted 2D/(λᵢ(2−ηλᵢ))"},
}

// addSeries draws s's measured values along the equilibrated directions eq
// with their 95% intervals, and its prediction as a dashed line.
func (vp *variancePanel) addSeries(s varianceSeries, eq []Direction) error {
	var pts plotter.XYs
	var errs plotter.YErrors
	var pred plotter.XYs
	for _, d := range eq {
		v, lo, hi := s.val(d)
		if !(v > 0) {
			continue
		}
		// An interval bound that is unknown (NaN, null in the JSON) or
		// on the wrong side is drawn at the point.
		if !(hi >= v) {
			hi = v
		}
		if !(lo <= v) {
			lo = v
		}
		y := vp.scale(d.Lambda, v)
		pts = append(pts, plotter.XY{X: d.Lambda, Y: y})
		vp.extend(d.Lambda, y)
		l := vp.scale(d.Lambda, math.Max(lo, v*1e-3))
		errs = append(errs, struct{ Low, High float64 }{y - l, vp.scale(d.Lambda, hi) - y})
		vp.extend(d.Lambda, l)
		vp.extend(d.Lambda, vp.scale(d.Lambda, hi))
		if pv := s.pred(d); pv > 0 {
			pred = append(pred, plotter.XY{X: d.Lambda, Y: vp.scale(d.Lambda, pv)})
			vp.extend(d.Lambda, vp.scale(d.Lambda, pv))
		}
	}
	if len(pts) == 0 {
		return nil
	}
	sc, eb, err := figure.PointsWithErrors(pts, errs, s.col, s.shp)
	if err != nil {
		return err
	}
	sc.GlyphStyle.Radius = vg.Points(2.5)
	vp.p.Add(sc, eb)
	vp.add(s.name+" measured, 95% interval", sc)
	if len(pred) > 1 {
		ln, err := plotter.NewLine(pred)
		if err != nil {
			return err
		}
		ln.Color, ln.Dashes, ln.Width = s.col, []vg.Length{vg.Points(5), vg.Points(2.5)}, vg.Points(1.2)
		vp.p.Add(ln)
		vp.add(s.label, ln)
	}
	return nil
}

// addHOverB draws SGD's variance predicted with C = H/B, η/(B(2 − ηλ)), as
// a smooth curve over the range of the equilibrated directions eq.
func (vp *variancePanel) addHOverB(eq []Direction, eta, B float64) error {
	if len(eq) < 2 {
		return nil
	}
	lo, hi := eq[0].Lambda, eq[len(eq)-1].Lambda
	var hb plotter.XYs
	for k := 0; k <= 40; k++ {
		lam := lo * math.Pow(hi/lo, float64(k)/40)
		hb = append(hb, plotter.XY{X: lam, Y: vp.scale(lam, eta/(B*(2-eta*lam)))})
		vp.extend(lam, vp.scale(lam, eta/(B*(2-eta*lam))))
	}
	ln, err := plotter.NewLine(hb)
	if err != nil {
		return err
	}
	ln.Color, ln.Dashes, ln.Width = colSGD, []vg.Length{vg.Points(1.5), vg.Points(2)}, vg.Points(1.5)
	vp.p.Add(ln)
	vp.add("SGD predicted with C = H/B", ln)
	return nil
}

// logRange is the padded range of a log axis holding [lo, hi]: a decade
// either side of a single value, and [0.1, 10] when nothing is drawn
// (lo > hi), so that an empty panel is still a valid log axis.
func logRange(lo, hi float64) (float64, float64) {
	switch {
	case lo < hi:
		return figure.Pad(lo, hi, 0.04, true)
	case lo == hi && lo > 0 && !math.IsInf(lo, 0):
		return lo / 10, hi * 10
	}
	return 0.1, 10
}

// farDecades is how far, in decades, from the equilibrated directions'
// measured and predicted values a direction that did not equilibrate is
// still drawn.
const farDecades = 4

// notEquilibrated returns the points (λᵢ, scale(λᵢ, vᵢ)) of SGD and SGLD
// along the directions that did not equilibrate, and how many it leaves
// out: those more than farDecades decades from the range of the
// equilibrated directions' values, intervals and predictions (a direction
// that barely moved, v ~ 1e-27, would stretch the axis over twenty decades
// of nothing). With no equilibrated direction every point is kept.
func (r *Report) notEquilibrated(eq, notEq []Direction, scale func(lam, v float64) float64) (plotter.XYs, int) {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, d := range eq {
		for _, y := range []float64{d.VarSGD, float64(d.VarSGDCI95[1]), float64(d.PredSGDMeasuredC),
			d.VarSGLD, float64(d.VarSGLDCI95[1]), float64(d.PredSGLD)} {
			if y > 0 && !math.IsInf(y, 1) {
				lo, hi = math.Min(lo, scale(d.Lambda, y)), math.Max(hi, scale(d.Lambda, y))
			}
		}
	}
	var pts plotter.XYs
	far := 0
	for _, d := range notEq {
		for _, v := range []float64{d.VarSGD, d.VarSGLD} {
			if !(v > 0) {
				continue
			}
			y := scale(d.Lambda, v)
			if lo <= hi && (y < lo*math.Pow10(-farDecades) || y > hi*math.Pow10(farDecades)) {
				far++
				continue
			}
			pts = append(pts, plotter.XY{X: d.Lambda, Y: y})
		}
	}
	return pts, far
}

// fractionPlot draws against k the share of tr C in the top-k eigenspace
// (SGD's noise), the share of the displacement E‖θ − θ_ref‖² there (SGD,
// SGLD; θ_ref the gradient-descent path or θ₀, Settings.Center) and the
// isotropic k/P (SGLD's noise), and returns their legend entries.
func (r *Report) fractionPlot() (*plot.Plot, []legendEntry, error) {
	p := plot.New()
	p.Title.Text = "shares in the top-k eigenspace"
	p.X.Label.Text = "k (top-k Hessian eigenspace)"
	p.Y.Label.Text = "share of tr C and of the displacement"
	p.Y.Scale, p.Y.Tick.Marker = figure.LogScale{}, figure.LogTicks{MaxLabels: 7}
	p.X.Tick.Marker = figure.IntTicks{}
	styleEq(p)
	p.Add(plotter.NewGrid())
	var entries []legendEntry
	ld := r.LowDim
	ylo, yhi := math.Inf(1), math.Inf(-1)
	for _, s := range []struct {
		name string
		col  color.Color
		y    []float64
		dash []vg.Length
	}{{"tr C share: SGD noise", color.Black, ld.NoiseShare, nil},
		{"displacement share: SGD", colSGD, ld.FractionSGD, nil}, {"displacement share: SGLD", colSGLD, ld.FractionSGLD, nil},
		{"k/P: SGLD noise", colGrey, ld.Isotropic, []vg.Length{vg.Points(3), vg.Points(2)}}} {
		var pts plotter.XYs
		for i, k := range ld.K {
			if i < len(s.y) && s.y[i] > 0 { // log scale; a report without the series has none
				pts = append(pts, plotter.XY{X: float64(k), Y: s.y[i]})
				ylo, yhi = math.Min(ylo, s.y[i]), math.Max(yhi, s.y[i])
			}
		}
		if len(pts) == 0 {
			continue
		}
		ln, err := plotter.NewLine(pts)
		if err != nil {
			return nil, nil, err
		}
		ln.Color, ln.Width, ln.Dashes = s.col, vg.Points(1.5), s.dash
		p.Add(ln)
		entries = append(entries, legendEntry{s.name, []plot.Thumbnailer{ln}})
	}
	if len(ld.K) > 0 && ld.K[0] < ld.K[len(ld.K)-1] {
		p.X.Min, p.X.Max = figure.Pad(float64(ld.K[0]), float64(ld.K[len(ld.K)-1]), 0.03, false)
	}
	p.Y.Min, p.Y.Max = logRange(ylo, yhi)
	if !(ylo <= yhi) {
		p.Title.Text += " (nothing to draw)"
	}
	return p, entries, nil
}
