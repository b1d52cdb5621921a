package noiseshape

import (
	"bytes"
	"fmt"
	"html"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/plot/vg"

	"github.com/sgn-project/sgn/internal/figure"
	"github.com/sgn-project/sgn/internal/stats"
)

func TestWriteNoiseFigures(t *testing.T) {
	o := leastSquaresOracle(500, logScales(200, 2), 3)
	rep, err := Analyze(o, Options{BatchSizes: []int{1, 4, 16}, Minibatches: 50, Seed: 2, Workers: 2}, nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := WritePanels(rep, filepath.Join(dir, "panels")); err != nil {
		t.Fatal(err)
	}
	if err := WriteVsBatch(rep, filepath.Join(dir, "vs_batch")); err != nil {
		t.Fatal(err)
	}
	// One batch size: the per-coordinate panel alone, not single points.
	one := *rep
	one.Batches = rep.Batches[2:]
	if err := WriteVsBatch(&one, filepath.Join(dir, "one_b")); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		w, h int
	}{{"panels", 1800, 1425}, {"vs_batch", 2100, 1650}, {"one_b", 1200, 975}} {
		b, err := os.ReadFile(filepath.Join(dir, c.name+".png"))
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := png.DecodeConfig(bytes.NewReader(b))
		if err != nil || cfg.Width != c.w || cfg.Height != c.h {
			t.Errorf("%s.png: %v, %dx%d; want a %dx%d PNG", c.name, err, cfg.Width, cfg.Height, c.w, c.h)
		}
		s, err := os.ReadFile(filepath.Join(dir, c.name+".svg"))
		if err != nil || !strings.Contains(string(s), "<svg") {
			t.Errorf("%s.svg: %v, not an SVG", c.name, err)
		}
	}
	// Too few non-constant parameters for panels (a) and (b): drawn empty.
	small := &tableOracle{n: 40, p: 3, g: make([]float64, 40*3)}
	for i := range 40 {
		copy(small.g[i*3:], []float64{float64(i % 7), 1, float64(i*i%11) - 5})
	}
	srep, err := Analyze(small, Options{BatchSizes: []int{4}, Minibatches: 30, Seed: 1, Workers: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(srep.Figure.Params) != 0 || len(srep.Figure.Coord) != 30 {
		t.Fatalf("figure data: %d params, %d coord values; want 0 and 30", len(srep.Figure.Params), len(srep.Figure.Coord))
	}
	if err := WritePanels(srep, filepath.Join(dir, "small")); err != nil {
		t.Fatal(err)
	}
	rep.Figure = nil
	if err := WritePanels(rep, filepath.Join(dir, "x")); err == nil {
		t.Error("WritePanels without samples: want an error")
	}
	if err := WriteVsBatch(&Analysis{}, filepath.Join(dir, "y")); err == nil {
		t.Error("WriteVsBatch without batches: want an error")
	}
}

// TestHistPanelDensity checks the histogram normalisation: the bars are
// counts/(n·w), so they integrate to the fraction of values inside the
// window, and the window of a uniform grid of values is the documented one.
func TestHistPanelDensity(t *testing.T) {
	x := make([]float64, 2001)
	for i := range x {
		x[i] = float64(i)/1000 - 1 // −1 … 1
	}
	lo, hi := histWindow(x)
	// Median 0; quantiles 0.0005 and 0.9995 at ∓0.999; ×1.1 → ±1.0989;
	// robust sd (1/1.349) × 4.5 = 3.336 is larger.
	if want := 4.5 / 1.349; math.Abs(hi-want) > 1e-12 || math.Abs(lo+want) > 1e-12 {
		t.Errorf("window [%v, %v], want ±%v", lo, hi, want)
	}
	h, outside := figure.NewLogHist(x, lo, hi, 80, nil)
	var integral float64
	for _, d := range h.Density {
		integral += d * h.Width
	}
	if outside != 0 || math.Abs(integral-1) > 1e-12 {
		t.Errorf("histogram integrates to %v with %d outside, want 1 and 0", integral, outside)
	}
	// A narrower window, edges between grid values: [−0.5005, 0.5005] holds
	// 1001 of the 2001 values, its first bin [−0.5005, −0.4004) 100.
	h, outside = figure.NewLogHist(x, -0.5005, 0.5005, 10, nil)
	integral = 0
	for _, d := range h.Density {
		integral += d * h.Width
	}
	if outside != 1000 || math.Abs(integral-1001.0/2001) > 1e-12 || math.Abs(h.Density[0]-100/(2001*0.1001)) > 1e-12 {
		t.Errorf("window [−0.5, 0.5]: integral %v, %d outside, first bar %v", integral, outside, h.Density[0])
	}
}

// TestHistPanelSharedRange: a panel drawn over another panel's range counts
// and states the values outside it (panel (b) over panel (a)'s range).
func TestHistPanelSharedRange(t *testing.T) {
	x := []float64{-100, -0.5, 0, 0.2, 0.4, 50, 3000}
	p, err := histPanel("t", "x", x, histRange{lo: -1, hi: 1, name: "the range of (a)"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := "x (the range of (a); 3 of 7 values outside it, not shown)"; p.X.Label.Text != want {
		t.Errorf("label %q, want %q", p.X.Label.Text, want)
	}
	if p.X.Min != -1 || p.X.Max != 1 {
		t.Errorf("x range [%v, %v], want [-1, 1]", p.X.Min, p.X.Max)
	}
	// Nothing outside: still stated when the range is another panel's.
	p, _ = histPanel("t", "x", []float64{0, 0.5}, histRange{lo: -1, hi: 1, name: "the range of (a)"}, nil)
	if !strings.Contains(p.X.Label.Text, "0 of 2 values outside") {
		t.Errorf("label %q does not state 0 values outside", p.X.Label.Text)
	}
}

// TestHistPanelCurvesNotDrawn: a stable fit at the lower bound of the
// table and a Gaussian wider than the panel are named in the legend with
// the reason and not drawn; a fit inside the table and a Gaussian that
// fits the panel are drawn.
func TestHistPanelCurvesNotDrawn(t *testing.T) {
	x := make([]float64, 400)
	for i := range x {
		x[i] = math.Sin(float64(i)) * float64(i%9)
	}
	r := ownRange(x)
	half := (r.hi - r.lo) / 2
	inside := stats.StableFit{Alpha: 1.3, Sigma: 1}
	bound := stats.StableFit{Alpha: 0.6, Sigma: 1, AtBound: "lower"}
	for _, c := range []struct {
		name   string
		curve  densityCurve
		drawn  bool
		legend string
	}{
		{"stable inside the table", stableFitCurve(inside), true, "SαS fit α=1.30"},
		{"stable at the lower bound", stableFitCurve(bound), false, "SαS fit α ≤ 0.60 (the table's bound): not drawn"},
		{"Gaussian inside the panel", gaussInRange("Gaussian fit", stats.GaussianFit{Sigma: half / 2}, r), true, "Gaussian fit"},
		{"Gaussian wider than the panel", gaussInRange("Gaussian fit", stats.GaussianFit{Sigma: 2 * half}, r), false,
			"Gaussian fit: wider than the panel, not drawn"},
		{"Gaussian as wide as the panel", gaussInRange("Gaussian fit", stats.GaussianFit{Sigma: half}, r), true, "Gaussian fit"},
	} {
		p, err := histPanel("t", "x", x, r, []densityCurve{c.curve})
		if err != nil {
			t.Fatal(err)
		}
		svg := filepath.Join(t.TempDir(), "p")
		if err := figure.Save(p, figure.Size{Width: 6 * vg.Inch, Height: 4 * vg.Inch}, svg); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(svg + ".svg")
		if err != nil {
			t.Fatal(err)
		}
		cr, cg, cb, _ := c.curve.color.RGBA()
		stroke := fmt.Sprintf("stroke:#%02X%02X%02X", cr>>8, cg>>8, cb>>8)
		if got := strings.Contains(string(b), stroke); got != c.drawn {
			t.Errorf("%s: drawn %v, want %v", c.name, got, c.drawn)
		}
		if !strings.Contains(string(b), html.EscapeString(c.legend)) {
			t.Errorf("%s: the legend lacks %q", c.name, c.legend)
		}
	}
}
