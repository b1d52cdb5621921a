package equilibrium

import (
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

// SaveFigure draws the three panels (vᵢ against λᵢ with the predictions;
// λᵢvᵢ against λᵢ; the fraction of E‖θ − θ₀‖² in the top-k eigenspace
// against k) and writes base.png and base.svg.
func (r *Report) SaveFigure(base string) error {
	pv, err := r.variancePlot(false)
	if err != nil {
		return err
	}
	pt, err := r.variancePlot(true)
	if err != nil {
		return err
	}
	pf, err := r.fractionPlot()
	if err != nil {
		return err
	}
	grid := [][]*plot.Plot{{pv, pt, pf}}
	return figure.SaveGrid(grid, draw.Tiles{Rows: 1, Cols: 3, PadX: vg.Millimeter * 4, PadTop: vg.Millimeter * 2, PadBottom: vg.Millimeter * 2, PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 2},
		figure.Size{Width: 33 * vg.Centimeter, Height: 11 * vg.Centimeter}, base)
}

// variancePlot draws vᵢ (or λᵢvᵢ when temp) against λᵢ, log-log:
// equilibrated directions with 95% intervals, the others grey, and the
// three predictions.
func (r *Report) variancePlot(temp bool) (*plot.Plot, error) {
	p := plot.New()
	p.X.Scale, p.Y.Scale = plot.LogScale{}, plot.LogScale{}
	p.X.Tick.Marker, p.Y.Tick.Marker = plot.LogTicks{Prec: 1}, plot.LogTicks{Prec: 1}
	p.X.Label.Text = "λᵢ (Hessian eigenvalue)"
	if temp {
		p.Title.Text = "temperature λᵢvᵢ"
		p.Y.Label.Text = "λᵢ·Var(uᵢᵀθ)"
	} else {
		p.Title.Text = "Var(uᵢᵀθ) along Hessian eigendirections"
		p.Y.Label.Text = "vᵢ = Var(uᵢᵀθ)"
	}
	// One legend, in the temperature panel's empty lower right.
	legend := temp
	p.Legend.Top, p.Legend.Left = false, false
	p.Legend.TextStyle.Font.Size = vg.Points(8)
	addLegend := func(name string, th ...plot.Thumbnailer) {
		if legend {
			p.Legend.Add(name, th...)
		}
	}
	scale := func(lam, v float64) float64 {
		if temp {
			return lam * v
		}
		return v
	}
	type series struct {
		name string
		col  color.Color
		val  func(d Direction) (v, lo, hi float64)
		pred func(d Direction) float64
		shp  draw.GlyphDrawer
	}
	ss := []series{
		{"SGD", colSGD, func(d Direction) (float64, float64, float64) {
			return d.VarSGD, float64(d.VarSGDCI95[0]), float64(d.VarSGDCI95[1])
		}, func(d Direction) float64 { return float64(d.PredSGDMeasuredC) }, draw.CircleGlyph{}},
		{"SGLD", colSGLD, func(d Direction) (float64, float64, float64) {
			return d.VarSGLD, float64(d.VarSGLDCI95[0]), float64(d.VarSGLDCI95[1])
		}, func(d Direction) float64 { return float64(d.PredSGLD) }, draw.TriangleGlyph{}},
	}
	var eq []Direction
	var other plotter.XYs
	for _, d := range r.Directions {
		if d.Lambda <= 0 {
			continue
		}
		if d.Equilibrated {
			eq = append(eq, d)
			continue
		}
		for _, s := range ss {
			if v, _, _ := s.val(d); v > 0 {
				other = append(other, plotter.XY{X: d.Lambda, Y: scale(d.Lambda, v)})
			}
		}
	}
	sort.Slice(eq, func(i, j int) bool { return eq[i].Lambda < eq[j].Lambda })
	if len(other) > 0 {
		sc, err := plotter.NewScatter(other)
		if err != nil {
			return nil, err
		}
		sc.GlyphStyle.Color, sc.GlyphStyle.Shape, sc.GlyphStyle.Radius = colGrey, draw.CrossGlyph{}, vg.Points(2)
		p.Add(sc)
		addLegend("not equilibrated", sc)
	}
	for _, s := range ss {
		var pts plotter.XYs
		var errs plotter.YErrors
		var pred plotter.XYs
		for _, d := range eq {
			v, lo, hi := s.val(d)
			if !(v > 0) {
				continue
			}
			y := scale(d.Lambda, v)
			pts = append(pts, plotter.XY{X: d.Lambda, Y: y})
			l := scale(d.Lambda, math.Max(lo, v*1e-3))
			errs = append(errs, struct{ Low, High float64 }{y - l, scale(d.Lambda, hi) - y})
			if pv := s.pred(d); pv > 0 {
				pred = append(pred, plotter.XY{X: d.Lambda, Y: scale(d.Lambda, pv)})
			}
		}
		if len(pts) == 0 {
			continue
		}
		sc, err := plotter.NewScatter(pts)
		if err != nil {
			return nil, err
		}
		sc.GlyphStyle.Color, sc.GlyphStyle.Shape, sc.GlyphStyle.Radius = s.col, s.shp, vg.Points(2.2)
		eb, err := plotter.NewYErrorBars(struct {
			plotter.XYs
			plotter.YErrors
		}{pts, errs})
		if err != nil {
			return nil, err
		}
		eb.LineStyle.Color = s.col
		p.Add(sc, eb)
		addLegend(s.name+" measured (95%)", sc)
		if len(pred) > 1 {
			ln, err := plotter.NewLine(pred)
			if err != nil {
				return nil, err
			}
			ln.Color, ln.Dashes = s.col, []vg.Length{vg.Points(4), vg.Points(2)}
			p.Add(ln)
			label := "SGD ηcᵢ/(λᵢ(2−ηλᵢ))"
			if s.name == "SGLD" {
				label = "SGLD 2D/(λᵢ(2−ηλᵢ))"
			}
			addLegend(label, ln)
		}
	}
	// C = H/B: η/(B(2 − ηλ)), a smooth curve over the equilibrated range.
	if len(eq) > 1 {
		eta, B := r.Settings.Eta, float64(r.Settings.BatchSize)
		lo, hi := eq[0].Lambda, eq[len(eq)-1].Lambda
		var hb plotter.XYs
		for k := 0; k <= 40; k++ {
			lam := lo * math.Pow(hi/lo, float64(k)/40)
			hb = append(hb, plotter.XY{X: lam, Y: scale(lam, eta/(B*(2-eta*lam)))})
		}
		ln, err := plotter.NewLine(hb)
		if err != nil {
			return nil, err
		}
		ln.Color, ln.Dashes = colSGD, []vg.Length{vg.Points(1), vg.Points(2)}
		p.Add(ln)
		addLegend("SGD with C = H/B", ln)
	}
	return p, nil
}

// fractionPlot draws the cumulative fraction of E‖θ − θ₀‖² in the top-k
// eigenspace against k, SGD, SGLD and the isotropic k/P.
func (r *Report) fractionPlot() (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = "low-dimensional diffusion"
	p.X.Label.Text = "k (top-k Hessian eigenspace)"
	p.Y.Label.Text = "fraction of E‖θ−θ₀‖² in the top-k"
	p.Y.Scale, p.Y.Tick.Marker = plot.LogScale{}, plot.LogTicks{Prec: 1}
	p.Legend.Top, p.Legend.Left = false, false
	p.Legend.TextStyle.Font.Size = vg.Points(8)
	ld := r.LowDim
	for _, s := range []struct {
		name string
		col  color.Color
		y    []float64
		dash []vg.Length
	}{{"SGD", colSGD, ld.FractionSGD, nil}, {"SGLD", colSGLD, ld.FractionSGLD, nil}, {"isotropic k/P", colGrey, ld.Isotropic, []vg.Length{vg.Points(3), vg.Points(2)}}} {
		var pts plotter.XYs
		for i, k := range ld.K {
			if s.y[i] > 0 { // log scale
				pts = append(pts, plotter.XY{X: float64(k), Y: s.y[i]})
			}
		}
		if len(pts) == 0 {
			continue
		}
		ln, err := plotter.NewLine(pts)
		if err != nil {
			return nil, err
		}
		ln.Color, ln.Width, ln.Dashes = s.col, vg.Points(1.5), s.dash
		p.Add(ln)
		p.Legend.Add(s.name, ln)
	}
	return p, nil
}
