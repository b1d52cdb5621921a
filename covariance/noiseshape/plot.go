package noiseshape

import (
	"errors"
	"fmt"
	"image/color"
	"math"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/sgn-project/sgn/internal/figure"
	"github.com/sgn-project/sgn/internal/stats"
)

// Figure geometry and style.
const (
	noiseHistBins = 80
	noiseCurveN   = 401
	noiseFigDPI   = 150
)

func colorHist() color.Color  { return color.RGBA{R: 150, G: 170, B: 200, A: 255} }
func colorGauss() color.Color { return color.RGBA{R: 200, G: 30, B: 30, A: 255} }
func colorSaS() color.Color   { return color.RGBA{R: 20, G: 110, B: 40, A: 255} }

// WritePanels draws the four-panel figure of Xie et al. (2021) for the batch
// size r.HistB and writes it as path+".png" and path+".svg":
// (a) the across-parameter noise of one minibatch with its Gaussian and
// SαS fits, (b) a synthetic SαS sample of the same size from that fit,
// (c) the standardised noise over the minibatches of the typical
// coordinate (median Anderson–Darling statistic) with N(0, 1) and its SαS
// fit, (d) a synthetic N(0, 1) sample of the same size. Every panel is a
// density histogram on a log scale, so the tails show; each spans the
// 0.05%–99.95% quantiles (at least ±4.5 robust standard deviations) around
// the median and says how many values fall outside; (b), drawn from (a)'s
// fit, shares (a)'s range (its own extremes would squeeze the bulk into one
// bar) and always states how many of its values lie outside. r must come from
// Analyze (the samples are not in the JSON).
func WritePanels(r *Analysis, path string) error {
	if r == nil || r.Figure == nil {
		return errors.New("noise figure: the report holds no samples; it must come from Analyze")
	}
	f := r.Figure
	panels := make([]*plot.Plot, 4)
	var err error
	if len(f.Params) >= 20 {
		fa := f.ParamsStable
		ra := ownRange(f.Params)
		panels[0], err = histPanel(
			fmt.Sprintf("(a) SGN across parameters, B = %d\none minibatch, %d values, α̂ = %s", f.BatchSize, len(f.Params), fmtTail(f.Params)),
			"gradient noise ξ (one value per parameter)", f.Params, ra, []densityCurve{
				gaussInRange(fmt.Sprintf("Gaussian fit σ=%.3g", f.ParamsGauss.Sigma), f.ParamsGauss, ra),
				stableFitCurve(fa),
			})
		if err != nil {
			return err
		}
		panels[1], err = histPanel(
			fmt.Sprintf("(b) synthetic Lévy noise: SαS(%s)\n%d values, α̂ = %s", stableLabel(fa), len(f.StableRef), fmtTail(f.StableRef)),
			"x", f.StableRef, histRange{lo: ra.lo, hi: ra.hi, name: "the range of (a)"}, []densityCurve{
				sasCurve(fmt.Sprintf("SαS α=%.2f, drawn from (infinite variance: no Gaussian fit)", fa.Alpha), fa),
			})
		if err != nil {
			return err
		}
	}
	if len(f.Coord) >= 20 {
		curves := []densityCurve{gaussCurve("N(0, 1)", stats.GaussianFit{Mean: 0, Sigma: 1})}
		if f.CoordStable != nil {
			curves = append(curves, stableFitCurve(*f.CoordStable))
		}
		panels[2], err = histPanel(
			fmt.Sprintf("(c) SGN across minibatches, B = %d: %s\n(the coordinate of median Anderson–Darling statistic), %d minibatches, α̂ = %s", f.BatchSize, coordLabel(f), len(f.Coord), fmtAlpha(f.CoordTailIndex)),
			"standardised noise", f.Coord, ownRange(f.Coord), curves)
		if err != nil {
			return err
		}
		panels[3], err = histPanel(
			fmt.Sprintf("(d) synthetic Gaussian noise: N(0, 1)\n%d values, α̂ = %s", len(f.GaussRef), fmtAlpha(f.GaussRefTailIndex)),
			"x", f.GaussRef, ownRange(f.GaussRef), []densityCurve{gaussCurve("N(0, 1)", stats.GaussianFit{Mean: 0, Sigma: 1})})
		if err != nil {
			return err
		}
	}
	for i, p := range panels {
		if p == nil {
			panels[i] = emptyPanel(fmt.Sprintf("(%c) not available: fewer than 20 non-constant values", 'a'+i))
		}
	}
	grid := [][]*plot.Plot{{panels[0], panels[1]}, {panels[2], panels[3]}}
	return writeGrid(grid, 12*vg.Inch, 9.5*vg.Inch, path)
}

// WriteVsBatch draws the effect sizes of the noise across minibatches
// against the batch size and writes path+".png" and path+".svg": (a) each
// coordinate's excess kurtosis g₂ against its central-limit prediction
// κⱼ/B (log-log, one colour per B, the line g₂ = κ/B), (b) the medians of
// g₂ over coordinates, random and principal directions against B with
// their bootstrap intervals and the predictions κ/B, (c) the medians of
// the KS distance to the fitted normal with the Gaussian reference of the
// same size, (d) the tail index α̂ of the pooled sample as Simsekli et al.
// measure it, of the same pool with each coordinate standardised, and the
// median over coordinates. With one batch size only (a) is drawn: the
// others would be single points. Panel (a) needs the per-coordinate
// values of an Analysis from Analyze.
func WriteVsBatch(r *Analysis, path string) error {
	if r == nil || len(r.Batches) == 0 {
		return errors.New("noise figure: the analysis has no batch sizes")
	}
	bs := slices.Clone(r.Batches)
	slices.SortFunc(bs, func(a, b AtBatch) int { return a.BatchSize - b.BatchSize })
	ax := vsBatchAxes{bs: bs, ticks: make(plot.ConstantTicks, len(bs))}
	for i, b := range bs {
		ax.ticks[i] = plot.Tick{Value: float64(b.BatchSize), Label: fmt.Sprint(b.BatchSize)}
	}
	scatter, err := ax.kurtosisScatter()
	if err != nil {
		return fmt.Errorf("noise figure: %w", err)
	}
	if len(bs) == 1 {
		return writeGrid([][]*plot.Plot{{scatter}}, 8*vg.Inch, 6.5*vg.Inch, path)
	}
	kurt, err := ax.kurtosisPlot()
	if err != nil {
		return fmt.Errorf("noise figure: %w", err)
	}
	ks, err := ax.ksPlot()
	if err != nil {
		return fmt.Errorf("noise figure: %w", err)
	}
	tail, err := ax.tailIndexPlot()
	if err != nil {
		return fmt.Errorf("noise figure: %w", err)
	}
	return writeGrid([][]*plot.Plot{{scatter, kurt}, {ks, tail}}, 14*vg.Inch, 11*vg.Inch, path)
}

// batchColors are the colours of successive batch sizes in panel (a).
func batchColors() []color.Color {
	return []color.Color{color.RGBA{R: 200, G: 30, B: 30, A: 255}, color.RGBA{R: 230, G: 130, A: 255}, color.RGBA{G: 140, B: 60, A: 255},
		color.RGBA{B: 200, A: 255}, color.RGBA{R: 120, B: 160, A: 255}, color.RGBA{R: 90, G: 90, B: 90, A: 255}}
}

// kurtosisScatter is panel (a): per coordinate, g₂ against κⱼ/B.
func (ax vsBatchAxes) kurtosisScatter() (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = "(a) per coordinate: excess kurtosis g₂ across minibatches\nagainst the central-limit prediction κⱼ/B (κⱼ: per-sample gradients)"
	p.X.Label.Text = "κⱼ/B (predicted)"
	p.Y.Label.Text = "g₂ measured"
	p.X.Scale, p.Y.Scale = plot.LogScale{}, plot.LogScale{}
	p.X.Tick.Marker, p.Y.Tick.Marker = plot.LogTicks{Prec: -1}, plot.LogTicks{Prec: -1}
	p.Legend.Top, p.Legend.Left = true, true
	p.Add(plotter.NewGrid())
	lo, hi := math.Inf(1), math.Inf(-1)
	cols := batchColors()
	drawn := 0
	for i, b := range ax.bs {
		var xy plotter.XYs
		for _, c := range b.coordShapes {
			pred := c.PerSampleExcessKurtosis / float64(b.BatchSize)
			if c.ExcessKurtosis > 0 && pred > 0 {
				xy = append(xy, plotter.XY{X: pred, Y: c.ExcessKurtosis})
				lo, hi = math.Min(lo, pred), math.Max(hi, math.Max(pred, c.ExcessKurtosis))
			}
		}
		if len(xy) == 0 {
			continue
		}
		s, err := plotter.NewScatter(xy)
		if err != nil {
			return nil, err
		}
		s.GlyphStyle.Color, s.GlyphStyle.Radius, s.GlyphStyle.Shape = cols[i%len(cols)], vg.Points(1.3), draw.CircleGlyph{}
		p.Add(s)
		p.Legend.Add(fmt.Sprintf("B = %d (%d of %d coordinates; g₂ ≤ 0 not shown)", b.BatchSize, len(xy), len(b.coordShapes)), s)
		drawn++
	}
	if drawn == 0 {
		p.Title.Text += "\n(no coordinate with positive g₂ and κ: nothing to draw)"
		p.X.Scale, p.Y.Scale = plot.LinearScale{}, plot.LinearScale{}
		p.X.Tick.Marker, p.Y.Tick.Marker = plot.DefaultTicks{}, plot.DefaultTicks{}
		return p, nil
	}
	l, err := plotter.NewLine(plotter.XYs{{X: lo, Y: lo}, {X: hi, Y: hi}})
	if err != nil {
		return nil, err
	}
	l.Color, l.Width, l.Dashes = color.Black, vg.Points(1.2), []vg.Length{vg.Points(5), vg.Points(3)}
	p.Add(l)
	p.Legend.Add("g₂ = κ/B (central limit)", l)
	// A margin of 3% of the decades each axis spans: no point on an axis.
	p.X.Min, p.X.Max = figure.Pad(p.X.Min, p.X.Max, 0.03, true)
	p.Y.Min, p.Y.Max = figure.Pad(p.Y.Min, p.Y.Max, 0.03, true)
	return p, nil
}

// effectOf returns the Effect of a view at one batch size, or nil.
type effectOf func(AtBatch) *Effect

// effectView is one series of the effect-size panels: which effect sizes,
// and the legend name, colour and glyph they are drawn with.
type effectView struct {
	name  string
	eff   effectOf
	color color.Color
	shape draw.GlyphDrawer
}

// effectViews returns the effect-size panels' three series: along
// coordinates, random directions and principal directions (named
// principal).
func effectViews(principal string) []effectView {
	return []effectView{
		{"per coordinate", coordsEffect, colorBlue(), draw.TriangleGlyph{}},
		{"random directions", randomEffect, colorGauss(), draw.CircleGlyph{}},
		{principal, principalEffect, colorSaS(), draw.SquareGlyph{}},
	}
}

func coordsEffect(b AtBatch) *Effect {
	if e := b.AcrossMinibatches.EffectSize; e != nil {
		return e.Coordinates
	}
	return nil
}

func randomEffect(b AtBatch) *Effect {
	if e := b.AcrossMinibatches.EffectSize; e != nil {
		return e.RandomDirections
	}
	return nil
}

func principalEffect(b AtBatch) *Effect {
	if e := b.AcrossMinibatches.EffectSize; e != nil {
		return e.PrincipalDirections
	}
	return nil
}

// kurtosisPlot is panel (b): the medians of g₂ against B, log-log.
func (ax vsBatchAxes) kurtosisPlot() (*plot.Plot, error) {
	p := ax.newPlot("(b) median excess kurtosis g₂ across minibatches\n(bars: 95% bootstrap intervals; dashed: κ/B; a Gaussian has g₂ = 0)", "median g₂ (log scale; values ≤ 0 not shown)")
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	views := effectViews("principal directions")
	for _, v := range views {
		eff := v.eff
		err := ax.addSeries(p, []vsSeries{
			{v.name, func(b AtBatch) (float64, bool) {
				if e := eff(b); e != nil && e.MedianExcessKurtosis > 0 {
					return e.MedianExcessKurtosis, true
				}
				return 0, false
			}, false, v.shape, v.color},
			{v.name + ": κ/B", func(b AtBatch) (float64, bool) {
				if e := eff(b); e != nil && e.PredictedMedianExcessKurtosis > 0 {
					return e.PredictedMedianExcessKurtosis, true
				}
				return 0, false
			}, true, nil, v.color},
		})
		if err != nil {
			return nil, err
		}
		var ebs []figure.ErrorBar
		for _, b := range ax.bs {
			if e := eff(b); e != nil && e.MedianExcessKurtosisCI[0] > 0 {
				ebs = append(ebs, figure.ErrorBar{X: float64(b.BatchSize), Y: e.MedianExcessKurtosis, Lo: e.MedianExcessKurtosisCI[0], Hi: e.MedianExcessKurtosisCI[1]})
			}
		}
		if len(ebs) > 0 {
			p.Add(&figure.ErrorBars{Bars: ebs, Color: v.color})
		}
	}
	p.Y.Max *= 10 // a band above the data for the legend
	return p, nil
}

// ksPlot is panel (c): the medians of the KS distance against B with the
// Gaussian reference of the same size.
func (ax vsBatchAxes) ksPlot() (*plot.Plot, error) {
	p := ax.newPlot("(c) median KS distance to the fitted normal\n(bars: 95% bootstrap intervals; grey: a Gaussian sample of the same size)", "median KS distance")
	views := effectViews("principal directions (half the minibatches)")
	for _, v := range views {
		eff := v.eff
		if err := ax.addSeries(p, []vsSeries{{v.name, func(b AtBatch) (float64, bool) {
			if e := eff(b); e != nil {
				return e.MedianKS, true
			}
			return 0, false
		}, false, v.shape, v.color}}); err != nil {
			return nil, err
		}
		var ebs []figure.ErrorBar
		for _, b := range ax.bs {
			if e := eff(b); e != nil && e.MedianKSCI != nil {
				ebs = append(ebs, figure.ErrorBar{X: float64(b.BatchSize), Y: e.MedianKS, Lo: e.MedianKSCI[0], Hi: e.MedianKSCI[1]})
			}
		}
		if len(ebs) > 0 {
			p.Add(&figure.ErrorBars{Bars: ebs, Color: v.color})
		}
	}
	err := ax.addSeries(p, []vsSeries{
		{"Gaussian reference, M minibatches (median)", func(b AtBatch) (float64, bool) {
			if e := b.AcrossMinibatches.EffectSize; e != nil && e.GaussianReference != nil {
				return e.GaussianReference.KS, true
			}
			return 0, false
		}, true, nil, colorGrey()},
		{"Gaussian reference, M/2 minibatches (median)", func(b AtBatch) (float64, bool) {
			if e := b.AcrossMinibatches.EffectSize; e != nil && e.GaussianReferencePrincipal != nil {
				return e.GaussianReferencePrincipal.KS, true
			}
			return 0, false
		}, true, nil, color.RGBA{R: 180, G: 180, B: 180, A: 255}},
	})
	if err != nil {
		return nil, err
	}
	p.Y.Min = 0
	p.Y.Max *= 1.35 // a band above the data for the legend
	return p, nil
}

// Colours of the noise-vs-batch figure (the Gaussian colour is colorGauss).
func colorBlue() color.Color   { return color.RGBA{B: 200, A: 255} }
func colorGrey() color.Color   { return color.RGBA{R: 120, G: 120, B: 120, A: 255} }
func colorOrange() color.Color { return color.RGBA{R: 230, G: 130, A: 255} }

// vsBatchAxes holds the batch sizes (ascending) of the noise-vs-batch
// figure and their ticks.
type vsBatchAxes struct {
	bs    []AtBatch
	ticks plot.ConstantTicks
}

// vsSeries is one line of the noise-vs-batch figure.
type vsSeries struct {
	name  string
	get   func(AtBatch) (float64, bool)
	dash  bool
	shape draw.GlyphDrawer
	color color.Color
}

// newPlot returns an empty plot with the batch sizes on a log x axis.
func (ax vsBatchAxes) newPlot(title, ylabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "batch size B"
	p.Y.Label.Text = ylabel
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = ax.ticks
	p.Legend.Top = true
	p.Add(plotter.NewGrid())
	return p
}

// addSeries draws each series (points joined by lines) with its legend
// entry; a series without any value is left out.
func (ax vsBatchAxes) addSeries(p *plot.Plot, ss []vsSeries) error {
	for _, s := range ss {
		var xy plotter.XYs
		for _, b := range ax.bs {
			if v, ok := s.get(b); ok {
				xy = append(xy, plotter.XY{X: float64(b.BatchSize), Y: v})
			}
		}
		if len(xy) == 0 {
			continue
		}
		l, pts, err := plotter.NewLinePoints(xy)
		if err != nil {
			return err
		}
		l.Color, pts.Color, pts.Shape = s.color, s.color, s.shape
		if s.dash {
			l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		}
		p.Add(l, pts)
		p.Legend.Add(s.name, l, pts)
	}
	return nil
}

// medianOf returns the median of the quartiles q picks, if any.
func medianOf(q func(AtBatch) *stats.Quartiles) func(AtBatch) (float64, bool) {
	return func(b AtBatch) (float64, bool) {
		if v := q(b); v != nil {
			return v.Median, true
		}
		return 0, false
	}
}

// tailIndexPlot is the left panel: α̂ of both views against B, with the
// quartiles over coordinates as bars and the Gaussian reference.
func (ax vsBatchAxes) tailIndexPlot() (*plot.Plot, error) {
	left := ax.newPlot("(d) tail index α̂ (Mohammadi et al. 2015)", "α̂ (2 = Gaussian)")
	err := ax.addSeries(left, []vsSeries{
		{"across parameters, one minibatch", func(b AtBatch) (float64, bool) {
			if s := b.AcrossParams.OneMinibatch; s != nil && s.TailIndex != nil {
				return *s.TailIndex, true
			}
			return 0, false
		}, false, draw.CircleGlyph{}, colorGauss()},
		{"across parameters, pooled (Simsekli et al.)", func(b AtBatch) (float64, bool) {
			if s := b.AcrossParams.Pooled; s != nil && s.TailIndex != nil {
				return *s.TailIndex, true
			}
			return 0, false
		}, false, draw.SquareGlyph{}, colorOrange()},
		{"pooled, each coordinate divided by its own σ", func(b AtBatch) (float64, bool) {
			if s := b.AcrossParams.PooledStandardized; s != nil && s.TailIndex != nil {
				return *s.TailIndex, true
			}
			return 0, false
		}, true, draw.SquareGlyph{}, colorOrange()},
		{"across minibatches, median over coordinates (bars: quartiles)", medianOf(func(b AtBatch) *stats.Quartiles {
			if c := b.AcrossMinibatches.Coordinates; c != nil {
				return c.TailIndex
			}
			return nil
		}), false, draw.TriangleGlyph{}, colorBlue()},
		{"Gaussian reference (across minibatches), median", medianOf(func(b AtBatch) *stats.Quartiles {
			if c := b.AcrossMinibatches.ReferenceGaussian; c != nil {
				return c.TailIndex
			}
			return nil
		}), true, draw.CrossGlyph{}, colorGrey()},
	})
	if err != nil {
		return nil, err
	}
	// Quartile bars of the across-minibatch α̂.
	var ebs []figure.ErrorBar
	for _, b := range ax.bs {
		if c := b.AcrossMinibatches.Coordinates; c != nil && c.TailIndex != nil {
			ebs = append(ebs, figure.ErrorBar{X: float64(b.BatchSize), Y: c.TailIndex.Median, Lo: c.TailIndex.Q1, Hi: c.TailIndex.Q3})
		}
	}
	if len(ebs) > 0 {
		left.Add(&figure.ErrorBars{Bars: ebs, Color: colorBlue()})
	}
	// Leave a band above the data for the legend; ticks only up to 2.
	left.Y.Min = math.Min(left.Y.Min, 1)
	left.Y.Max = 2 + 0.45*(2-left.Y.Min)
	left.Y.Tick.Marker = figure.CapTicks{Max: 2}
	return left, nil
}

// densityCurve is a density drawn over a histogram. A curve with a reason
// in notDrawn is not drawn: the legend names it and says why.
type densityCurve struct {
	name     string
	f        func(float64) float64
	color    color.Color
	dash     bool
	notDrawn string
}

// gaussInRange is gaussCurve over the range r, not drawn when σ exceeds
// r's half-width: over the panel such a density varies by less than a
// factor e^½, a flat line that would say nothing about the histogram.
func gaussInRange(name string, g stats.GaussianFit, r histRange) densityCurve {
	c := gaussCurve(name, g)
	if g.Sigma > (r.hi-r.lo)/2 {
		c.notDrawn = "wider than the panel, not drawn"
	}
	return c
}

// stableFitCurve is the density of a stable fit, not drawn when α lies at
// the lower bound of McCulloch's table: then α is a bound, not an
// estimate, and no fitted law is there to draw.
func stableFitCurve(f stats.StableFit) densityCurve {
	c := sasCurve("SαS fit "+stableLabel(f), f)
	if f.AtBound == "lower" {
		c.name = fmt.Sprintf("SαS fit α ≤ %.2f (the table's bound)", f.Alpha)
		c.notDrawn = "not drawn"
	}
	return c
}

func gaussCurve(name string, g stats.GaussianFit) densityCurve {
	return densityCurve{name: name, color: colorGauss(), f: func(x float64) float64 {
		z := (x - g.Mean) / g.Sigma
		return math.Exp(-0.5*z*z) / (g.Sigma * math.Sqrt(2*math.Pi))
	}}
}

func sasCurve(name string, s stats.StableFit) densityCurve {
	return densityCurve{name: name, color: colorSaS(), dash: true, f: func(x float64) float64 {
		return stats.SymStablePDF(x-s.Location, s.Alpha, s.Sigma)
	}}
}

// fmtTail formats the tail index of x as it is, as in the report.
func fmtTail(x []float64) string {
	a, err := stats.TailIndex(x)
	if err != nil {
		return "n/a"
	}
	return fmtAlpha(a)
}

// fmtAlpha formats a tail index, "n/a" for NaN, marked "(capped)" at
// stats.MaxTailIndex.
func fmtAlpha(a float64) string {
	switch {
	case math.IsNaN(a):
		return "n/a"
	case a == stats.MaxTailIndex:
		return fmt.Sprintf("%.2f (capped)", a)
	}
	return fmt.Sprintf("%.2f", a)
}

// histWindow returns the plotted range: the median ± the larger distance
// to the 0.05% and 99.95% quantiles, times 1.1, and at least ± 4.5 robust
// standard deviations (IQR/1.349).
func histWindow(sorted []float64) (lo, hi float64) {
	med := stats.QuantileSorted(sorted, 0.5)
	half := 1.1 * math.Max(med-stats.QuantileSorted(sorted, 0.0005), stats.QuantileSorted(sorted, 0.9995)-med)
	robust := (stats.QuantileSorted(sorted, 0.75) - stats.QuantileSorted(sorted, 0.25)) / 1.349
	half = math.Max(half, 4.5*robust)
	if !(half > 0) {
		half = math.Max(1e-300, math.Abs(med))
	}
	return med - half, med + half
}

// histRange is the x range of a histogram panel; name, if not empty, says
// whose range it is, and the panel then always states how many values lie
// outside it.
type histRange struct {
	lo, hi float64
	name   string
}

// ownRange is x's own histWindow.
func ownRange(x []float64) histRange {
	lo, hi := histWindow(stats.Sorted(x))
	return histRange{lo: lo, hi: hi}
}

// histPanel draws a density histogram of x on a log scale over the range r,
// with curves.
func histPanel(title, xlabel string, x []float64, r histRange, curves []densityCurve) (*plot.Plot, error) {
	lo, hi := r.lo, r.hi
	h, outside := figure.NewLogHist(x, lo, hi, noiseHistBins, colorHist())
	floor := h.Floor
	_, _, _, top := h.DataRange()
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = xlabel
	switch {
	case r.name != "":
		p.X.Label.Text += fmt.Sprintf(" (%s; %d of %d values outside it, not shown)", r.name, outside, len(x))
	case outside > 0:
		p.X.Label.Text += fmt.Sprintf(" (%d of %d values outside the range not shown)", outside, len(x))
	}
	p.Y.Label.Text = "density (log scale)"
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	p.Add(h)
	p.Legend.Add("histogram", h)
	for _, c := range curves {
		if c.notDrawn != "" {
			p.Legend.Add(c.name + ": " + c.notDrawn)
			continue
		}
		var xy plotter.XYs
		for i := range noiseCurveN {
			xv := lo + (hi-lo)*float64(i)/float64(noiseCurveN-1)
			if yv := c.f(xv); yv >= floor && !math.IsInf(yv, 0) {
				xy = append(xy, plotter.XY{X: xv, Y: yv})
				top = math.Max(top, yv)
			}
		}
		if len(xy) < 2 {
			p.Legend.Add(c.name + ": below the panel's floor, not drawn")
			continue
		}
		l, err := plotter.NewLine(xy)
		if err != nil {
			return nil, fmt.Errorf("noise figure: %s: %w", c.name, err)
		}
		l.Color, l.Width = c.color, vg.Points(1.5)
		if c.dash {
			l.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
		}
		p.Add(l)
		p.Legend.Add(c.name, l)
	}
	p.X.Min, p.X.Max = lo, hi
	p.Y.Min, p.Y.Max = floor, 3*top
	p.Legend.Top = true
	return p, nil
}

func emptyPanel(title string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.HideAxes()
	return p
}

// writeGrid draws the plots as a grid of tiles (rows of plots, aligned with
// plot.Align) and writes path+".png" (150 dpi) and path+".svg" atomically.
func writeGrid(grid [][]*plot.Plot, width, height vg.Length, path string) error {
	tiles := draw.Tiles{Rows: len(grid), Cols: len(grid[0]), PadX: vg.Millimeter * 6, PadY: vg.Millimeter * 6,
		PadTop: vg.Millimeter * 2, PadBottom: vg.Millimeter * 2, PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 2}
	if err := figure.SaveGrid(grid, tiles, figure.Size{Width: width, Height: height, DPI: noiseFigDPI}, path); err != nil {
		return fmt.Errorf("noise figure: %w", err)
	}
	return nil
}

// stableLabel writes a stable fit's α, saying when McCulloch's table
// clamped it at one of its ends (α = 0.6 or 2): the sample's tails lie
// beyond what the table can fit, and α is a bound, not an estimate.
func stableLabel(f stats.StableFit) string {
	switch f.AtBound {
	case "lower":
		return fmt.Sprintf("α=%.2f, clamped at the fit's lower bound", f.Alpha)
	case "upper":
		return "α=2 (at the bound: the Gaussian)"
	}
	return fmt.Sprintf("α=%.2f", f.Alpha)
}

// coordLabel names the coordinate of panel (c): its tensor and index when
// known ("fc1.weight[3,17]") and its flat index.
func coordLabel(f *FigureData) string {
	if f.CoordName != "" {
		return fmt.Sprintf("%s (θ index %d)", f.CoordName, f.CoordIndex)
	}
	return fmt.Sprintf("parameter %d", f.CoordIndex)
}
