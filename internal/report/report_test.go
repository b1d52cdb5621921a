package report

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

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
		src := Source{Path: p, Version: "test", Seeds: map[string]uint64{"bulk": 17911839290282890590}}
		if strings.Contains(string(b), "trained") {
			grad = 0.26
		} else {
			// what the command recorded it cost
			src.Command, src.WallSeconds, src.CPUSeconds = []string{"sgn", "covariance", "--first", "2000"}, 98.5, 190.5
		}
		c := Claim{ID: id, Conclusion: NoiseCovariance, Statement: "C ≈ H/B near a minimum.", Rule: "r", Finding: "f",
			Regime:  []RegimeCheck{AtMost("‖∇L‖", grad, 1e-5).WithReach("start at the minimum")},
			Effects: []Effect{{Name: "median ratio", Value: 0.8, Interval: Point(0.8), Prediction: Interval{0.5, 2}}},
			Sources: []Source{src}}
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
	checkPage(t, string(page), r, cvh, trained)
	b, _ := os.ReadFile(filepath.Join(out, "report.json"))
	checkReportJSON(t, b, filepath.Join(cvh, "m.json"))
}

// checkPage checks the page TestBuildFindsFilesAndWritesAPage writes for r:
// every claim, row and verdict, the regime checks, the inlined figure, the
// links and the cost table of the folders cvh (cost recorded) and trained
// (none).
func checkPage(t *testing.T, page string, r *Report, cvh, trained string) {
	t.Helper()
	for _, c := range r.Claims {
		if !strings.Contains(page, `id="claim-`+c.ID+`"`) {
			t.Errorf("page lacks the section of %s", c.ID)
		}
	}
	for _, row := range Rows() {
		if !strings.Contains(page, `id="row-`+string(row.ID)+`"`) {
			t.Errorf("page lacks the row %s", row.ID)
		}
	}
	for _, v := range Verdicts() {
		if !strings.Contains(page, verdictMeaning[v]) {
			t.Errorf("page does not explain %s", v)
		}
	}
	if !strings.Contains(page, "start at the minimum") || !strings.Contains(page, "≤ 1e-05") {
		t.Error("the page does not show the regime checks")
	}
	if strings.Contains(page, "<?xml") || !strings.Contains(page, `id="cvh-minimum-c1"`) ||
		!strings.Contains(page, `url(#cvh-minimum-c1)`) {
		t.Error("the inlined SVG keeps its prolog or its ids are not prefixed")
	}
	if !strings.Contains(page, `href="../cvh/m.json"`) {
		t.Error("the page does not link its source relative to itself")
	}
	// The cost table: one row per file whose command recorded its cost
	// (cvh/m.json), none for a file that recorded none (trained).
	_, costs, ok := strings.Cut(page, "What each experiment cost")
	costs, _, _ = strings.Cut(costs, "</table>")
	if !ok || strings.Count(costs, "<tr>") != 2 || !strings.Contains(costs, "<code>"+filepath.Join(cvh, "m.json")+"</code>") ||
		!strings.Contains(costs, "sgn covariance --first 2000") || !strings.Contains(costs, ">98.5<") ||
		!strings.Contains(costs, ">190.5<") || strings.Contains(costs, trained) {
		t.Errorf("the page's cost table: %q", costs)
	}
}

// checkReportJSON checks report.json (b): the fields of a claim, and the
// wall and CPU seconds of source typed.
func checkReportJSON(t *testing.T, b []byte, source string) {
	t.Helper()
	var back struct {
		Claims []map[string]json.RawMessage `json:"claims"`
	}
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	// report.json carries the cost, typed.
	var typed Report
	if err := json.Unmarshal(b, &typed); err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, c := range typed.Claims {
		for _, s := range c.Sources {
			if s.Path == source {
				found = s.WallSeconds == 98.5 && s.CPUSeconds == 190.5
			}
		}
	}
	if !found {
		t.Error("report.json does not carry the wall and CPU seconds of cvh/m.json")
	}
	for _, k := range []string{"id", "conclusion", "statement", "verdict", "regime", "effects", "rule", "sources"} {
		if len(back.Claims) == 0 || back.Claims[0][k] == nil {
			t.Errorf("report.json claims lack %q", k)
		}
	}
}

func TestBuildOfNoFolderMissingFolderAndBadJSON(t *testing.T) {
	// No folder (a run whose every experiment failed) is a page of no
	// claims, with its provenance.
	if r, err := Build(nil, "v", []ClaimsFunc{fakeExperiment("x", "none.json")}); err != nil || len(r.Claims) != 0 || r.Provenance.ReportVersion != "v" {
		t.Fatalf("no folder: %+v, %v; want a page of no claims", r, err)
	}
	if _, err := Build([]string{filepath.Join(t.TempDir(), "nope")}, "v", nil); err == nil {
		t.Fatal("no error for a missing folder")
	}
	// An experiment's error (its file cannot be read) is Build's error.
	dir := t.TempDir()
	bad := func(d string) ([]Claim, error) {
		return nil, errors.New(filepath.Join(d, "m.json") + ": not a report")
	}
	_, err := Build([]string{dir}, "v", []ClaimsFunc{fakeExperiment("x", "none.json"), bad})
	if err == nil || !strings.Contains(err.Error(), "m.json") {
		t.Fatalf("an experiment's error %v is not returned", err)
	}
}

// TestPageInlinesAFigureOnce: two claims judged from one folder share its
// figure; the page inlines it with the first and points the second to it,
// and the column of references wraps instead of running off the page.
func TestPageInlinesAFigureOnce(t *testing.T) {
	dir := t.TempDir()
	fig := filepath.Join(dir, "fig.svg")
	if err := os.WriteFile(fig, []byte(testSVG), 0o644); err != nil {
		t.Fatal(err)
	}
	claim := func(id string) Claim {
		c := Claim{ID: id, Conclusion: NoiseCovariance, Statement: "s", Rule: "r", Finding: "f", Figure: fig,
			Effects: []Effect{{Name: "median ratio", Value: 0.8, Interval: Point(0.8), Prediction: Interval{0.5, 2},
				Reference: &Quantity{Name: "a reference with a long name", Value: 1}}}}
		c.Judge()
		return c
	}
	page, err := Page(&Report{Claims: []Claim{claim("first"), claim("second")}}, dir)
	if err != nil {
		t.Fatal(err)
	}
	s := string(page)
	if n := strings.Count(s, "<svg"); n != 1 {
		t.Errorf("the shared figure is inlined %d times, want once", n)
	}
	if !strings.Contains(s, `<a href="#claim-first">first</a> above`) {
		t.Error("the second claim does not point to the figure shown with the first")
	}
	if strings.Count(s, `href="fig.svg"`) != 2 {
		t.Error("each claim should link its figure's file")
	}
	if !strings.Contains(s, `<td class="ref" data-label="reference">a reference with a long name 1</td>`) {
		t.Error("the reference is not in a cell that wraps")
	}
}
