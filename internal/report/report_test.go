package report

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeJSON writes v as JSON to dir/name, creating dir.
func writeJSON(t *testing.T, dir, name string, v any) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// decode turns a Go literal into the generic form readDoc gives.
func decode(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

type m = map[string]any

func TestSGLDClaimUsesSlopeIntervalsAndRates(t *testing.T) {
	dir := t.TempDir()
	fit := func(lo, hi float64) m {
		return m{"relations": []m{{"dynamics": "sgld", "variable": "inv-temperature", "series": []m{
			{"fixed": m{"sharpness": 1, "eta": 0.001}, "line": m{"slope": (lo + hi) / 2, "slope_ci95": []float64{lo, hi}}, "predicted_slope": 1.0},
		}}}}
	}
	rates := "point,dynamics,measured_over_predicted\n0,sgld,0.92\n1,sgld,0.99\n2,gd,\n"
	if err := os.WriteFile(filepath.Join(dir, "rates.csv"), []byte(rates), 0o644); err != nil {
		t.Fatal(err)
	}
	in := &inputs{sgld: &doc{path: filepath.Join(dir, "fit.json"), v: decode(t, fit(0.9, 1.1))}}
	c := sgldTheorem1(in)
	if c.Verdict != Agrees {
		t.Fatalf("slope interval [0.9, 1.1] around ΔL = 1 and rates 0.92–0.99: %s", c.Verdict)
	}
	if len(c.Sources) != 2 {
		t.Fatalf("sources %v: want fit.json and rates.csv", c.Sources)
	}
	in.sgld.v = decode(t, fit(1.05, 1.3))
	if got := sgldTheorem1(in).Verdict; got != Disagrees {
		t.Fatalf("slope interval [1.05, 1.3] misses ΔL = 1: %s", got)
	}
	os.WriteFile(filepath.Join(dir, "rates.csv"), []byte("point,dynamics,measured_over_predicted\n0,sgld,0.7\n"), 0o644)
	in.sgld.v = decode(t, fit(0.9, 1.1))
	if got := sgldTheorem1(in).Verdict; got != Inconclusive {
		t.Fatalf("a rate at 0.7 × Kramers: %s, want inconclusive", got)
	}
}

func escapeFigureDoc(netLo []float64, r2 float64, dwCI [2]float64) m {
	var panels []m
	for i, v := range []string{"inv-sharpness", "batch-size", "inv-eta"} {
		panels = append(panels, m{"builtin": "mlp-" + v, "variable": v, "relation": m{"series": []m{
			{"line": m{"slope": netLo[i] + 0.1, "slope_ci95": []float64{netLo[i], netLo[i] + 0.2}, "r2": r2}}}}})
	}
	panels = append(panels, m{"builtin": "doublewell-batch-size", "variable": "batch-size", "relation": m{"series": []m{
		{"line": m{"slope": (dwCI[0] + dwCI[1]) / 2, "slope_ci95": dwCI}, "predicted_slope_s0": 5.0, "predicted_slope_s1": 2.5, "s_from_slope": 1.04}}}})
	return m{"panels": panels}
}

func TestEscapeFigureClaims(t *testing.T) {
	for _, c := range []struct {
		name           string
		doc            m
		wantNet, wantD Verdict
	}{
		{"all as theory", escapeFigureDoc([]float64{5.9, 0.56, 0.52}, 0.99, [2]float64{2.6, 3.0}), Agrees, Agrees},
		{"a slope reaches 0", escapeFigureDoc([]float64{5.9, -0.01, 0.52}, 0.99, [2]float64{2.32, 2.46}), Disagrees, Disagrees},
		{"poor fit", escapeFigureDoc([]float64{5.9, 0.56, 0.52}, 0.9, [2]float64{4.9, 5.5}), Inconclusive, Agrees},
	} {
		in := &inputs{escapeFigure: &doc{path: "x/figure.json", v: decode(t, c.doc)}}
		if got := sgdNetwork(in).Verdict; got != c.wantNet {
			t.Errorf("%s: network %s, want %s", c.name, got, c.wantNet)
		}
		if got := sgdDoubleWell(in).Verdict; got != c.wantD {
			t.Errorf("%s: double well %s, want %s", c.name, got, c.wantD)
		}
	}
}

func TestSelectionClaims(t *testing.T) {
	two := func(sgdLo, sgldLo, sgldHi float64) m {
		return m{"fits": []m{
			{"dynamics": "sgd", "against": "B/eta", "slope": sgdLo + 1, "slope_ci95": []float64{sgdLo, sgdLo + 2}, "implied_s": 0.5},
			{"dynamics": "sgld", "against": "1/D", "slope": (sgldLo + sgldHi) / 2, "slope_ci95": []float64{sgldLo, sgldHi}, "predicted_slope": 0.0},
		}}
	}
	for _, c := range []struct {
		doc  m
		want Verdict
	}{{two(0.5, -0.1, 0.1), Agrees}, {two(-0.5, -0.1, 0.1), Disagrees}, {two(0.5, 0.05, 0.3), Disagrees}} {
		in := &inputs{selection: &doc{path: "x/selection.json", v: decode(t, c.doc)}}
		if got := selectionTwoValley(in).Verdict; got != c.want {
			t.Errorf("%v: %s, want %s", c.doc, got, c.want)
		}
	}
	nets := func(lo, hi float64) m {
		return m{"fits": []m{{"of": "log lambda_max", "against": "log(eta/B)", "slope": (lo + hi) / 2, "slope_ci95": []float64{lo, hi}, "spearman": -0.8}}}
	}
	for _, c := range []struct {
		lo, hi float64
		want   Verdict
	}{{-0.6, -0.2, Agrees}, {0.1, 0.4, Disagrees}, {-0.2, 0.1, Inconclusive}} {
		in := &inputs{selectionNetworks: &doc{path: "x/selection-networks.json", v: decode(t, nets(c.lo, c.hi))}}
		if got := selectionNetworks(in).Verdict; got != c.want {
			t.Errorf("networks slope [%g, %g]: %s, want %s", c.lo, c.hi, got, c.want)
		}
	}
}

// fakeExperiment is an experiment whose output is dir/name: a claim
// judged at a minimum (regime passes) or not (regime fails), with the SVG
// beside it as its figure; unmeasured where the file is not.
func fakeExperiment(id, name string) ClaimsFunc {
	return func(dir string) ([]Claim, error) {
		p := filepath.Join(dir, name)
		b, err := os.ReadFile(p)
		if os.IsNotExist(err) {
			return []Claim{Unmeasured(id, NoiseCovariance, "C ≈ H/B near a minimum.", name, "make "+id)}, nil
		}
		if err != nil {
			return nil, err
		}
		grad := 1e-7
		if strings.Contains(string(b), "trained") {
			grad = 0.26
		}
		c := Claim{ID: id, Conclusion: NoiseCovariance, Statement: "C ≈ H/B near a minimum.", Rule: "r", Finding: "f",
			Regime:  []RegimeCheck{AtMost("‖∇L‖", grad, 1e-5).WithReach("start at the minimum")},
			Effects: []Effect{{Name: "median ratio", Value: 0.8, Interval: Point(0.8), Prediction: Interval{0.5, 2}}},
			Sources: []Source{{Path: p, Version: "test", Seeds: map[string]uint64{"bulk": 17911839290282890590}}}}
		if svg := filepath.Join(dir, "fig.svg"); fileExists(svg) {
			c.Figure = svg
		}
		c.Judge()
		return []Claim{c}, nil
	}
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

const testSVG = `<?xml version="1.0"?>
<!-- Generated -->
<svg width="100pt" height="50pt" viewBox="0 0 100 50" xmlns="http://www.w3.org/2000/svg"><defs><clipPath id="c1"><rect width="1" height="1"/></clipPath></defs><g clip-path="url(#c1)"/></svg>`

func TestBuildFindsFilesAndWritesAPage(t *testing.T) {
	root := t.TempDir()
	cvh := filepath.Join(root, "cvh")
	os.MkdirAll(filepath.Join(cvh, "deep"), 0o755)
	os.WriteFile(filepath.Join(cvh, "m.json"), []byte("minimum"), 0o644)
	os.WriteFile(filepath.Join(cvh, "fig.svg"), []byte(testSVG), 0o644)
	// a second measurement of the same claim further down is not taken
	os.WriteFile(filepath.Join(cvh, "deep", "m.json"), []byte("trained"), 0o644)
	trained := filepath.Join(root, "trained")
	os.MkdirAll(trained, 0o755)
	os.WriteFile(filepath.Join(trained, "t.json"), []byte("trained"), 0o644)
	r, err := Build([]string{root}, "v-test", []ClaimsFunc{fakeExperiment("cvh-minimum", "m.json"),
		fakeExperiment("cvh-trained", "t.json"), fakeExperiment("cvh-elsewhere", "none.json")})
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]Claim{}
	for _, c := range r.Claims {
		byID[c.ID] = c
	}
	if c := byID["cvh-minimum"]; c.Verdict != Agrees || c.Figure == "" || c.Sources[0].Path != filepath.Join(cvh, "m.json") {
		t.Errorf("cvh-minimum: %+v", c)
	}
	if c := byID["cvh-trained"]; c.Verdict != NotTestable || !strings.Contains(c.Reason, "0.26") {
		t.Errorf("cvh-trained: %+v", c)
	}
	if c := byID["cvh-elsewhere"]; c.Verdict != Inconclusive || c.Produce == "" || len(c.Sources) != 0 {
		t.Errorf("a claim without its file: %+v", c)
	}
	out := filepath.Join(root, "paper")
	os.MkdirAll(out, 0o755)
	if err := Write(r, out); err != nil {
		t.Fatal(err)
	}
	page, err := os.ReadFile(filepath.Join(out, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range r.Claims {
		if !strings.Contains(string(page), `id="claim-`+c.ID+`"`) {
			t.Errorf("page lacks the section of %s", c.ID)
		}
	}
	for _, row := range Rows() {
		if !strings.Contains(string(page), `id="row-`+string(row.ID)+`"`) {
			t.Errorf("page lacks the row %s", row.ID)
		}
	}
	for _, v := range Verdicts() {
		if !strings.Contains(string(page), verdictMeaning[v]) {
			t.Errorf("page does not explain %s", v)
		}
	}
	if !strings.Contains(string(page), "start at the minimum") || !strings.Contains(string(page), "≤ 1e-05") {
		t.Error("the page does not show the regime checks")
	}
	if strings.Contains(string(page), "<?xml") || !strings.Contains(string(page), `id="cvh-minimum-c1"`) ||
		!strings.Contains(string(page), `url(#cvh-minimum-c1)`) {
		t.Error("the inlined SVG keeps its prolog or its ids are not prefixed")
	}
	if !strings.Contains(string(page), `href="../cvh/m.json"`) {
		t.Error("the page does not link its source relative to itself")
	}
	var back map[string]any
	b, _ := os.ReadFile(filepath.Join(out, "report.json"))
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"id", "conclusion", "statement", "verdict", "regime", "effects", "rule", "sources"} {
		if at(back, "claims.0."+k) == nil {
			t.Errorf("report.json claims lack %q", k)
		}
	}
}

func TestBuildRejectsMissingFolderAndBadJSON(t *testing.T) {
	if _, err := Build(nil, "v", nil); err == nil {
		t.Fatal("no error without a folder")
	}
	if _, err := Build([]string{filepath.Join(t.TempDir(), "nope")}, "v", nil); err == nil {
		t.Fatal("no error for a missing folder")
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "fit.json"), []byte("{not json"), 0o644)
	_, err := Build([]string{dir}, "v", nil)
	if err == nil || !strings.Contains(err.Error(), "fit.json") {
		t.Fatalf("bad JSON: error %v does not name the file", err)
	}
}
