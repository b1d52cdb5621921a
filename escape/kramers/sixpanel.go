package kramers

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/sgn-project/sgn/escape/network"
	"github.com/sgn-project/sgn/internal/atomicfile"
	"github.com/sgn-project/sgn/internal/cputime"
	"github.com/sgn-project/sgn/internal/figure"
)

// FigurePanel is one panel of the escape figure: the relation
// Variable of the first dynamics of builtin config Builtin.
type FigurePanel struct {
	// Label is "a" … "f".
	Label string `json:"label"`
	// Builtin names the builtin config the panel's sweep runs.
	Builtin string `json:"builtin"`
	// Variable is the Variable.Name of the relation drawn, e.g. "batch-size".
	Variable string `json:"variable"`
	// Title is the panel's title before the fitted numbers.
	Title string `json:"title"`
}

// FigurePanels returns the panels of the escape figure: (a–c) the MLP on
// MNIST under minibatch SGD, −log γ against 1/k, B and 1/η; (d–f) the 1-D
// double well under the SGD diffusion with C = |H|/B, whose noise vanishes
// at the inflection points (Theorem 2 does not apply: only finite steps
// escape); (g–i) the 1-D two-well written as a finite sum, under the SGD
// diffusion with its own noise, positive on the whole path (Theorem 2's
// regime), the same three relations.
func FigurePanels() []FigurePanel {
	return []FigurePanel{
		{"a", "mlp-sharpness", "inv-sharpness", "(a) MLP, SGD"},
		{"b", "mlp-batch-size", "batch-size", "(b) MLP, SGD"},
		{"c", "mlp-eta", "inv-eta", "(c) MLP, SGD"},
		{"d", "doublewell-sharpness", "inv-sharpness", "(d) double well, SGD diffusion"},
		{"e", "doublewell-batch-size", "batch-size", "(e) double well, SGD diffusion"},
		{"f", "doublewell-eta", "inv-eta", "(f) double well, SGD diffusion"},
		{"g", "twowell-sharpness", "inv-sharpness", "(g) two-well, finite-sum SGD diffusion"},
		{"h", "twowell-batch-size", "batch-size", "(h) two-well, finite-sum SGD diffusion"},
		{"i", "twowell-eta", "inv-eta", "(i) two-well, finite-sum SGD diffusion"},
	}
}

// FigureOptions are the settings of RunFigure.
type FigureOptions struct {
	// Workers is the number of goroutines (GOMAXPROCS when ≤ 0).
	Workers int
	// Quick shrinks every sweep (QuickConfig) for tests and trials; its
	// results go to folders NAME-quick.
	Quick bool
	// Version is recorded in the outputs.
	Version string
	// Start is the command's start, from which figure.json counts its wall
	// and CPU seconds (the zero Clock: RunFigure's own start).
	Start cputime.Clock
	// Progress, if not nil, is called with the panel's builtin name, the
	// runs done and the runs of its sweep.
	Progress func(builtin string, done, total int)
	// Panels, when not nil, are the panels run and drawn in place of
	// FigurePanels(); Configs, when it holds a panel's builtin name, is
	// the sweep run for that panel in place of the builtin (e.g. the
	// network panels on another network, from its own minimum).
	Panels  []FigurePanel
	Configs map[string]Config
}

// PanelResult is the outcome of one panel.
type PanelResult struct {
	FigurePanel
	// Dir is the sweep folder, Hash its config hash.
	Dir  string `json:"dir"`
	Hash string `json:"config_hash"`
	// Relation is the fitted relation drawn (one series).
	Relation *RelationFit `json:"relation"`
	// Runs and Escaped count the sweep's runs.
	Runs    int `json:"runs"`
	Escaped int `json:"escaped"`
	// Seconds is the wall time of the panel's sweep (resumed runs cost
	// nothing) and PrepareSeconds the part spent preparing the network
	// minimum.
	Seconds        float64 `json:"seconds"`
	PrepareSeconds float64 `json:"prepare_seconds,omitempty"`
	// Minimum summarises the network minimum (nil for the double well):
	// Hessian λ_max in φ for each k of the sweep.
	Minimum *network.MinimumSummary `json:"minimum,omitempty"`
	// Points are the panel's points with their regime measures and exact
	// references (see FitReport.Points).
	Points []PointSummary `json:"points"`
}

// FigureReport is the content of figure.json.
type FigureReport struct {
	Version string `json:"version"`
	Quick   bool   `json:"quick"`
	Workers int    `json:"workers"`
	// RateUnit says which γ is fitted.
	RateUnit string        `json:"rate_unit"`
	Panels   []PanelResult `json:"panels"`
	// Figure is the stem of the figure files (.png and .svg).
	Figure string `json:"figure"`
	// WallSeconds is the wall time of this invocation; SweepSeconds the
	// sum of the panels' sweep times and PrepareSeconds the part of it
	// spent preparing network minima (done by every shard again).
	WallSeconds    float64 `json:"wall_seconds"`
	SweepSeconds   float64 `json:"sweep_seconds"`
	PrepareSeconds float64 `json:"prepare_seconds"`
	// CPUSeconds is the process CPU time (user + system, all threads) of
	// this invocation, beside WallSeconds.
	CPUSeconds float64 `json:"cpu_seconds"`
}

// ShardCost returns the time each shard spends preparing network minima
// when the figure's sweeps are sharded (every shard of a network sweep
// prepares its minimum again) and the number of network sweeps.
func (r FigureReport) ShardCost() (seconds float64, networks int) {
	one := 0.0
	for _, p := range r.Panels {
		if p.Minimum != nil {
			one, networks = max(one, p.PrepareSeconds), networks+1
		}
	}
	return float64(networks) * one, networks
}

// QuickConfig shrinks a config for a quick trial: at most 8 runs per
// point and 500 steps per run (200,000 for analytic landscapes), and a
// network of 200 images trained for 200 steps.
func QuickConfig(c Config) Config {
	c.Runs = min(c.Runs, 8)
	if c.Network != nil {
		n := *c.Network
		n.First, n.CheckEvery = 200, 5
		if n.Minimizer == network.MinimizerGD {
			n.GDMaxSteps = 200
		} else {
			n.MaxIterations = 200
		}
		c.Network = &n
		c.MaxSteps = min(c.MaxSteps, 500)
	} else {
		c.MaxSteps = min(c.MaxSteps, 200_000)
	}
	return c
}

// RunFigure runs the sweeps of the figure's panels into out/<builtin>
// (resumable: rerunning continues them), fits them (rates.csv, fit.json
// and figures in each folder) and draws the nine panels into
// out/escape-figure.png and .svg, with out/figure.json holding the fitted
// slopes, R² and times.
func RunFigure(out string, opt FigureOptions) (FigureReport, error) {
	clock := opt.Start
	if clock.IsZero() {
		clock = cputime.Start()
	}
	rep := FigureReport{Version: opt.Version, Quick: opt.Quick, Workers: opt.Workers, RateUnit: RateUnit}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return rep, fmt.Errorf("cannot create output folder: %w", err)
	}
	var minima []*network.Minimum // prepared minima, shared by panels of the same spec
	panels := opt.Panels
	if panels == nil {
		panels = FigurePanels()
	}
	for _, pan := range panels {
		pr, err := runPanel(out, pan, opt, &minima)
		if err != nil {
			return rep, err
		}
		rep.SweepSeconds += pr.Seconds
		rep.PrepareSeconds += pr.PrepareSeconds
		rep.Panels = append(rep.Panels, pr)
	}
	stem := filepath.Join(out, "escape-figure")
	if err := DrawPanels(rep.Panels, stem); err != nil {
		return rep, err
	}
	rep.Figure = "escape-figure"
	rep.WallSeconds, rep.CPUSeconds = clock.Wall(), clock.CPU()
	return rep, atomicfile.WriteJSON(filepath.Join(out, FigureFile), rep)
}

// runPanel runs and fits the sweep of one panel in out/<builtin>; a network
// panel reuses a minimum of minima prepared with the same spec, and adds
// its own.
func runPanel(out string, pan FigurePanel, opt FigureOptions, minima *[]*network.Minimum) (PanelResult, error) {
	cfg, given := opt.Configs[pan.Builtin]
	if !given {
		var err error
		if cfg, err = BuiltinConfig(pan.Builtin); err != nil {
			return PanelResult{}, err
		}
	}
	dir := filepath.Join(out, pan.Builtin)
	if opt.Quick {
		cfg = QuickConfig(cfg)
		dir += "-quick"
	}
	pr := PanelResult{FigurePanel: pan, Dir: dir, Hash: cfg.Hash()}
	sopt := SweepOptions{Workers: opt.Workers, Version: opt.Version}
	if opt.Progress != nil {
		sopt.Progress = func(done, total int) { opt.Progress(pan.Builtin, done, total) }
	}
	t0 := time.Now()
	if cfg.Network != nil {
		for _, m := range *minima {
			if reflect.DeepEqual(m.Spec, *cfg.Network) {
				if _, err := os.Stat(filepath.Join(dir, network.MinimumFile)); err != nil {
					if err := m.Write(dir); err != nil {
						return pr, err
					}
				}
			}
		}
		_, mn, err := NetworkSweep(dir, cfg, sopt)
		if err != nil {
			return pr, fmt.Errorf("panel (%s) %s: %w", pan.Label, pan.Builtin, err)
		}
		pr.Minimum = mn.Summary(cfg.Sharpness)
		pr.PrepareSeconds = mn.PrepareSeconds()
		*minima = append(*minima, mn)
	} else if _, err := Sweep(dir, cfg, AnalyticSimulator, sopt); err != nil {
		return pr, fmt.Errorf("panel (%s) %s: %w", pan.Label, pan.Builtin, err)
	}
	pr.Seconds = time.Since(t0).Seconds()
	res, err := Fit(dir, dir, opt.Version, cputime.Clock{})
	if err != nil {
		return pr, err
	}
	for i := range res.Relations {
		if res.Relations[i].Variable == pan.Variable {
			pr.Relation = &res.Relations[i]
		}
	}
	pr.Points = PointSummaries(res.Rates)
	pr.Runs = len(res.Data.Runs)
	for _, r := range res.Data.Runs {
		if r.Result.Escaped {
			pr.Escaped++
		}
	}
	return pr, nil
}

// PanelTitle returns the title of a panel with its fitted slope and R².
func PanelTitle(p PanelResult) string {
	t := p.Title
	if p.Relation == nil || len(p.Relation.Series) == 0 || p.Relation.Series[0].Line == nil {
		return t + ": no line (too few points escaped)"
	}
	l := p.Relation.Series[0].Line
	t += fmt.Sprintf(": slope %.3g", l.Slope)
	if l.SlopeCI != nil {
		t += fmt.Sprintf(" ± %.2g", (l.SlopeCI[1]-l.SlopeCI[0])/2)
	}
	if l.R2 != nil {
		t += fmt.Sprintf(", R² = %.3f", *l.R2)
	}
	return t
}

// addCVLabels writes "CV x" below each point of the panel's first series:
// the coefficient of variation of its escape steps (escape.EscapeTimeCV),
// 1 for Kramers' exponential escape (Kramers 1940).
func addCVLabels(pl *plot.Plot, p PanelResult) error {
	cv := map[int]*float64{}
	for _, q := range p.Points {
		cv[q.Point] = q.EscapeTimeCV
	}
	if p.Relation == nil || len(p.Relation.Series) == 0 {
		return nil
	}
	s := p.Relation.Series[0]
	var xys plotter.XYs
	var text []string
	for j, i := range s.Points {
		if c := cv[i]; c != nil && j < len(s.X) && j < len(s.YLo) {
			xys = append(xys, plotter.XY{X: s.X[j], Y: s.YLo[j]})
			text = append(text, fmt.Sprintf("CV %.2f", *c))
		}
	}
	if len(xys) == 0 {
		return nil
	}
	l, err := plotter.NewLabels(plotter.XYLabels{XYs: xys, Labels: text})
	if err != nil {
		return err
	}
	for i := range l.TextStyle {
		l.TextStyle[i].Font.Size = vg.Points(8)
		l.TextStyle[i].XAlign, l.TextStyle[i].YAlign = draw.XCenter, draw.YTop
	}
	pl.Add(l)
	return nil
}

// DrawPanels draws the panels' relations (points with 95% error bars, the
// fitted line and, where the theory applies, Theorem 2's lines) as a grid
// of three columns into stem.png and stem.svg, each written atomically.
func DrawPanels(panels []PanelResult, stem string) error {
	if len(panels) == 0 {
		return errors.New("no panels to draw")
	}
	const cols = 3
	rows := (len(panels) + cols - 1) / cols
	grid := make([][]*plot.Plot, rows)
	for i := range grid {
		grid[i] = make([]*plot.Plot, cols)
	}
	keep := make([][]figure.Keepout, len(panels))
	for i, p := range panels {
		var pl *plot.Plot
		if p.Relation != nil {
			fig, err := RelationFigure(*p.Relation)
			if err != nil {
				return err
			}
			pl = fig.Plot
			pl.Legend = fig.Legend
			pl.Legend.Top, pl.Legend.Left = true, true
			keep[i] = relationKeepout(*p.Relation)
			if err := addCVLabels(pl, p); err != nil {
				return err
			}
		} else {
			pl = plot.New()
		}
		// Two lines (what the panel shows; its fit), so the title fits
		// the panel's width.
		pl.Title.Text = strings.Replace(PanelTitle(p), ": ", "\n", 1)
		pl.Title.TextStyle.Font.Size = vg.Points(10)
		// A label that fits the panel's height (t = η·steps as in
		// every fit's figure).
		pl.Y.Label.Text = "−log γ (γ per unit time)"
		grid[i/cols][i%cols] = pl
	}
	// 10 × 7.3 cm a panel: at the width of a page (or of the claims page)
	// the 10-point text stays readable.
	const w, h = 31 * vg.Centimeter, 23 * vg.Centimeter
	t := draw.Tiles{Rows: rows, Cols: cols, PadX: vg.Centimeter, PadY: vg.Centimeter,
		PadTop: vg.Centimeter / 2, PadBottom: vg.Centimeter / 2, PadLeft: vg.Centimeter / 2, PadRight: vg.Centimeter / 2}
	size := figure.Size{Width: w, Height: h}
	// Each legend in a corner where it covers no point, interval, CV
	// label, fitted or theory line (above the data when none is free).
	canvases := figure.GridCanvases(grid, t, size)
	for i := range panels {
		if keep[i] != nil {
			figure.PlaceLegend(grid[i/cols][i%cols], canvases[i/cols][i%cols], keep[i])
		}
	}
	return figure.SaveGrid(grid, t, size, stem)
}

// cvLabelHeight and cvLabelHalfWidth bound the "CV x" label addCVLabels
// hangs beneath a point (8-point text).
const cvLabelHeight, cvLabelHalfWidth vg.Length = 10, 18

// relationKeepout lists what a panel's legend must not cover: each
// point's 95% interval with its CV label beneath, the fitted line over the
// points' range, and the theory's lines where RelationFigure draws them.
func relationKeepout(rel RelationFit) []figure.Keepout {
	var keep []figure.Keepout
	theory := len(rel.Series) <= maxTheorySeries
	for i, s := range rel.Series {
		for j, x := range s.X {
			if j < len(s.YLo) && j < len(s.YHi) {
				k := figure.Keepout{XYs: plotter.XYs{{X: x, Y: s.YLo[j]}, {X: x, Y: s.YHi[j]}}}
				if i == 0 { // the series addCVLabels labels
					k.Below, k.HalfWidth = cvLabelHeight, cvLabelHalfWidth
				}
				keep = append(keep, k)
			}
		}
		if s.Line != nil && len(s.X) > 0 {
			lo, hi := slices.Min(s.X), slices.Max(s.X)
			keep = append(keep, figure.Keepout{XYs: plotter.XYs{
				{X: lo, Y: s.Line.Intercept + s.Line.Slope*lo}, {X: hi, Y: s.Line.Intercept + s.Line.Slope*hi}}})
		}
		if !theory {
			continue
		}
		for _, pred := range [][]float64{s.pred, s.pred0, s.pred1} {
			if len(pred) == len(s.X) && len(pred) > 0 {
				xy := make(plotter.XYs, len(pred))
				for j := range pred {
					xy[j] = plotter.XY{X: s.X[j], Y: pred[j]}
				}
				keep = append(keep, figure.Keepout{XYs: xy})
			}
		}
	}
	return keep
}
