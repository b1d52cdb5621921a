package kramers

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/plot/plotter"

	"github.com/sgn-project/sgn/internal/stats"
)

// TestDrawPanelsCVLabels checks that each point of a panel is labelled with
// its escape-time CV (null CVs left out) in the drawn figure.
func TestDrawPanelsCVLabels(t *testing.T) {
	cv0, cv2 := 0.97, 1.234
	p := PanelResult{
		FigurePanel: FigurePanel{Label: "b", Builtin: "mlp-batch-size", Variable: "batch-size", Title: "(b) test"},
		Relation: &RelationFit{Name: "sgd-vs-batch-size", Dynamics: "sgd", Variable: "batch-size", XLabel: "B",
			Series: []SeriesFit{{Fixed: map[string]float64{"eta": 0.2}, Points: []int{0, 1, 2},
				X: []float64{13, 14, 15}, Y: []float64{4, 5, 6}, YLo: []float64{3.5, 4.5, 5.5}, YHi: []float64{4.5, 5.5, 6.5}}}},
		Points: []PointSummary{{Point: 0, RateSummary: RateSummary{EscapeTimeCV: &cv0}}, {Point: 1},
			{Point: 2, RateSummary: RateSummary{EscapeTimeCV: &cv2}}},
	}
	stem := filepath.Join(t.TempDir(), "fig")
	if err := DrawPanels([]PanelResult{p}, stem); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(stem + ".svg")
	if err != nil {
		t.Fatal(err)
	}
	svg := string(b)
	if !strings.Contains(svg, "CV 0.97") || !strings.Contains(svg, "CV 1.23") {
		t.Errorf("figure lacks the CV labels CV 0.97 and CV 1.23")
	}
	if n := strings.Count(svg, "CV "); n != 2 {
		t.Errorf("figure has %d CV labels, want 2 (the null CV left out)", n)
	}
}

// TestRelationKeepout checks what a panel's legend must not cover: each
// point's interval (the first series' with its CV label), the fitted line
// over the points' range and the theory's lines, which a figure of more
// than maxTheorySeries series does not draw.
func TestRelationKeepout(t *testing.T) {
	s := SeriesFit{X: []float64{1, 2, 3}, Y: []float64{4, 5, 6}, YLo: []float64{3.5, 4.5, 5.5}, YHi: []float64{4.5, 5.5, 6.5},
		Line: &stats.LineFit{Slope: 1, Intercept: 3}, pred0: []float64{8, 10, 12}, pred1: []float64{2, 3, 4}}
	keep := relationKeepout(RelationFit{Series: []SeriesFit{s, s}})
	if len(keep) != 2*(3+1+2) {
		t.Fatalf("%d pieces, want 12 (per series 3 intervals, the line, 2 theory lines)", len(keep))
	}
	if k := keep[0]; len(k.XYs) != 2 || k.XYs[0].Y != 3.5 || k.XYs[1].Y != 4.5 || k.Below == 0 {
		t.Errorf("first interval %+v, want x = 1 from 3.5 to 4.5 with its CV label", k)
	}
	if k := keep[6]; k.Below != 0 {
		t.Errorf("the second series' interval carries a label: %+v", k)
	}
	if l := keep[3].XYs; len(l) != 2 || l[0] != (plotter.XY{X: 1, Y: 4}) || l[1] != (plotter.XY{X: 3, Y: 6}) {
		t.Errorf("fitted line %v, want (1, 4)–(3, 6)", l)
	}
	if l := keep[4].XYs; len(l) != 3 || l[2].Y != 12 {
		t.Errorf("Theorem 2 at s = 0: %v, want its three points up to 12", l)
	}
	many := relationKeepout(RelationFit{Series: []SeriesFit{s, s, s, s, s}})
	if len(many) != 5*4 {
		t.Errorf("%d pieces for five series, want 20 (no theory lines drawn)", len(many))
	}
}
