package kramers

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
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
