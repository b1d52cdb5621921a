package covariance

import (
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sgn-project/sgn/hessian"
)

func TestWriteFigure(t *testing.T) {
	lambda := spectrum()
	h, G := constructed(lambda, lambda)
	g, _ := NewGradientsFromMatrix(G)
	a, err := AnalyzeOperator(g, hessian.NewDense(h), Options{BatchSizes: []int{16, 4}, Mode: ModeFull, HeatmapK: 12})
	if err != nil {
		t.Fatal(err)
	}
	base := filepath.Join(t.TempDir(), "cvh")
	if err := WriteFigure(base, []Panel{{Name: "exact", Analysis: a}, {Name: "again", Analysis: a}}); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(base + ".png")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("the PNG does not decode: %v", err)
	}
	// 14 in × (5 in per panel) at 96 dpi
	if b := img.Bounds(); b.Dx() != 1344 || b.Dy() != 960 {
		t.Errorf("PNG is %d×%d, want 1344×960", b.Dx(), b.Dy())
	}
	svg, err := os.ReadFile(base + ".svg")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"C = H/B", "exact: cᵢ against λᵢ/B, 20 eigenvalues in [", "again: cᵢ", "B = 16: 20 points", "B = 4: 20 points", "slope 1.00 (95% CI 1.00 to 1.00), r 1.000", "UᵀCU, top 12", "λᵢ/B (nats)", "log₁₀ |entry|"} {
		if !strings.Contains(string(svg), want) {
			t.Errorf("the SVG lacks %q", want)
		}
	}
	if strings.Contains(string(svg), "warning: the fit has only") {
		t.Error("a fit over 20 points warns of few points")
	}
	// Six eigenvalues in the window: the fit is drawn with its interval and
	// a warning in the legend.
	few := []float64{2e-4, 1e-3, 5e-3, 2.5e-2, 0.1, 0.4, 3, 1.5, 1e-5, 0}
	h, G = constructed(few, few)
	g, _ = NewGradientsFromMatrix(G)
	if a, err = AnalyzeOperator(g, hessian.NewDense(h), Options{BatchSizes: []int{16}, Mode: ModeFull, HeatmapK: 6}); err != nil {
		t.Fatal(err)
	}
	if err := WriteFigure(base, []Panel{{Name: "few", Analysis: a}}); err != nil {
		t.Fatal(err)
	}
	if svg, err = os.ReadFile(base + ".svg"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"slope 1.00 (95% CI 1.00 to 1.00)", "warning: the fit has only 6 points"} {
		if !strings.Contains(string(svg), want) {
			t.Errorf("the figure of a six-point fit lacks %q", want)
		}
	}
	if err := WriteFigure(base, nil); err == nil {
		t.Error("no panels: want an error")
	}
	if err := WriteFigure(base, []Panel{{Name: "empty"}}); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Errorf("panel without analysis: error %v", err)
	}
}

func TestPowerTicks(t *testing.T) {
	labels := func(lo, hi float64) []string {
		var out []string
		for _, tk := range (powerTicks{}).Ticks(lo, hi) {
			if tk.Label != "" {
				out = append(out, tk.Label)
			}
		}
		return out
	}
	if got := strings.Join(labels(1e-6, 1e-2), " "); got != "1e-6 1e-5 1e-4 0.001 0.01" {
		t.Errorf("ticks on [1e-6, 1e-2]: %q", got)
	}
	if got := strings.Join(labels(1.5e-4, 8e-4), " "); got != "2e-4 5e-4" {
		t.Errorf("ticks on [1.5e-4, 8e-4]: %q", got)
	}
	if got := strings.Join(labels(3e-6, 4e-5), " "); got != "5e-6 1e-5 2e-5" {
		t.Errorf("ticks on [3e-6, 4e-5]: %q", got)
	}
	if got := strings.Join(labels(0.5, 300), " "); got != "1 10 100" {
		t.Errorf("ticks on [0.5, 300]: %q", got)
	}
}
