package equilibrium

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSaveFigureLeavesOutDegenerateDirections: a direction with λ = 7.6e-18
// (numerically zero against λmax = 4.4 and P = 1242: below P·ε·λmax =
// 1.2e-12) and one with λ < 0 stay off the log axes, and the title says so;
// the other directions set the axes' ranges.
func TestSaveFigureLeavesOutDegenerateDirections(t *testing.T) {
	r := &Report{Settings: Settings{Eta: 0.1, BatchSize: 64}}
	r.Minimum.NumParams = 1242
	for i, l := range []float64{4.4, 2, 1, 0.5, 0.2, 1e-3, 7.6e-18, -1e-4} {
		v := 1e-4 / l
		r.Directions = append(r.Directions, Direction{Index: i + 1, Lambda: l, Equilibrated: l > 0.1,
			VarSGD: v, VarSGDCI95: [2]Number{Number(v * 0.9), Number(v * 1.1)}, PredSGDMeasuredC: Number(v),
			VarSGLD: v / 2, VarSGLDCI95: [2]Number{Number(v * 0.45), Number(v * 0.55)}, PredSGLD: Number(v / 2)})
	}
	if r.Directions[6].VarSGD = 9.6e-27; !numericallyZero(7.6e-18, 4.4, 1242) || numericallyZero(1e-3, 4.4, 1242) {
		t.Fatal("numericallyZero: 7.6e-18 should be zero and 1e-3 not, for λmax 4.4 and P = 1242")
	}
	r.LowDim = LowDim{K: []int{1, 2, 3}, FractionSGD: []float64{0.1, 0.2, 0.3}, FractionSGLD: []float64{0.01, 0.02, 0.03}, Isotropic: []float64{1e-3, 2e-3, 3e-3}}
	note := r.leftOutNote()
	if !strings.Contains(note, "of 8 directions, 1 with λᵢ < 0 and 1 with |λᵢ| ≤ Pε·λmax = 1.2e-12") {
		t.Errorf("note %q", note)
	}
	p, _, err := r.variancePlot(false)
	if err != nil {
		t.Fatal(err)
	}
	if p.X.Min < 1e-4 || p.X.Max > 10 || p.Y.Min < 1e-6 {
		t.Errorf("axes [%g, %g] × [%g, …]: the degenerate direction stretched them", p.X.Min, p.X.Max, p.Y.Min)
	}
	base := filepath.Join(t.TempDir(), "eq")
	if err := r.SaveFigure(base); err != nil {
		t.Fatal(err)
	}
	svg, err := os.ReadFile(base + ".svg")
	if err != nil || !strings.Contains(string(svg), "numerically zero") {
		t.Errorf("the SVG lacks the note: %v", err)
	}
	// equilibrium.json says it too.
	dir := t.TempDir()
	if err := r.Write(dir); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Note string `json:"figure_note"`
	}
	b, err := os.ReadFile(filepath.Join(dir, JSONFile))
	if err != nil || json.Unmarshal(b, &got) != nil || !strings.HasPrefix(got.Note, "of 8 directions, 1 with λᵢ < 0 and 1 with |λᵢ| ≤ Pε·λmax") {
		t.Errorf("equilibrium.json's figure_note %q (%v)", got.Note, err)
	}
}

// TestVariancePlotLeavesOutFarNotEquilibrated: a direction that did not
// equilibrate and barely moved (λ = 1e-3, v = 1e-27, twenty decades below
// the rest) stays off the axes, is counted in the legend, and one that did
// not equilibrate within the data's range is drawn and sets the axes.
func TestVariancePlotLeavesOutFarNotEquilibrated(t *testing.T) {
	r := &Report{Settings: Settings{Eta: 0.1, BatchSize: 64}}
	r.Minimum.NumParams = 1242
	for i, l := range []float64{4.4, 2, 1, 0.5, 1e-3, 5e-3} {
		v := 1e-4 / l
		r.Directions = append(r.Directions, Direction{Index: i + 1, Lambda: l, Equilibrated: l > 0.1,
			VarSGD: v, VarSGDCI95: [2]Number{Number(v * 0.9), Number(v * 1.1)}, PredSGDMeasuredC: Number(v),
			VarSGLD: v / 2, VarSGLDCI95: [2]Number{Number(v * 0.45), Number(v * 0.55)}, PredSGLD: Number(v / 2)})
	}
	r.Directions[4].VarSGD, r.Directions[4].VarSGLD = 1e-27, 2e-27
	p, entries, err := r.variancePlot(false)
	if err != nil {
		t.Fatal(err)
	}
	if p.Y.Min < 1e-9 {
		t.Errorf("the y axis reaches %g: the far direction stretched it", p.Y.Min)
	}
	if p.X.Min > 5e-3 {
		t.Errorf("the x axis starts at %g: the near direction (λ = 5e-3) is off it", p.X.Min)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.name)
	}
	if !strings.Contains(strings.Join(names, "|"), "not equilibrated (SGD and SGLD)|2 > 4 decades off, not drawn") {
		t.Errorf("legend %q does not count the two points left out", names)
	}
}

// TestSaveFigureWithNothingToDraw: a report with no directions, one whose
// only direction has λ < 0, and one with a single equilibrated direction
// (a log axis of one value) are drawn, not a panic of the log scale; the
// panels with nothing on them say so.
func TestSaveFigureWithNothingToDraw(t *testing.T) {
	one := Direction{Index: 1, Lambda: 2, Equilibrated: true, VarSGD: 1e-3, VarSGDCI95: [2]Number{9e-4, 1.1e-3}, PredSGDMeasuredC: 1e-3,
		VarSGLD: 5e-4, VarSGLDCI95: [2]Number{4e-4, 6e-4}, PredSGLD: 5e-4}
	for _, c := range []struct {
		name  string
		dirs  []Direction
		empty bool
	}{{"none", nil, true}, {"negative", []Direction{{Index: 1, Lambda: -1, VarSGD: 1, VarSGLD: 1}}, true}, {"one", []Direction{one}, false}} {
		r := &Report{Settings: Settings{Eta: 0.1, BatchSize: 64}, Directions: c.dirs}
		r.Minimum.NumParams = 10
		base := filepath.Join(t.TempDir(), "eq")
		if err := r.SaveFigure(base); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		svg, err := os.ReadFile(base + ".svg")
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(string(svg), "no direction to draw"); got != c.empty {
			t.Errorf("%s: the SVG says 'no direction to draw': %v, want %v", c.name, got, c.empty)
		}
	}
}
