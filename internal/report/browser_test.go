package report

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/sgn-project/sgn/internal/figure"
)

// buildPage builds the report of the folders below root with experiments
// and writes its page into root/paper; it returns the report and that
// folder.
func buildPage(t *testing.T, root string, experiments ...ClaimsFunc) (*Report, string) {
	t.Helper()
	r, err := Build([]string{root}, "browser-test", experiments)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(root, "paper")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := Write(r, out); err != nil {
		t.Fatal(err)
	}
	return r, out
}

// chromium returns the path of a headless-capable Chromium; without one
// it skips the test, or fails it under CI (.ci/run installs Chromium).
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium is not installed: .ci/run installs it (apt-get install chromium)")
	}
	t.Skip("no chromium on PATH")
	return ""
}

// TestPageInChromium loads a report page in a real browser: the page's
// script must run (it logs "sgn-report-ok N" with N the number of claim
// sections), no console error may appear, and the DOM must hold every
// claim's section. CI installs Chromium (.ci/run); elsewhere the test is
// skipped when no Chromium is installed.
func TestPageInChromium(t *testing.T) {
	bin := chromium(t)
	root := t.TempDir()
	cvh := filepath.Join(root, "cvh")
	os.MkdirAll(cvh, 0o755)
	os.WriteFile(filepath.Join(cvh, "m.json"), []byte("minimum"), 0o644)
	p := plot.New()
	p.Title.Text = "uᵢᵀCuᵢ against λᵢ/B"
	s, err := plotter.NewScatter(plotter.XYs{{X: 1, Y: 1}, {X: 2, Y: 2.1}, {X: 3, Y: 2.9}})
	if err != nil {
		t.Fatal(err)
	}
	p.Add(s)
	if err := figure.Save(p, figure.Size{Width: 4 * vg.Inch, Height: 3 * vg.Inch}, filepath.Join(cvh, "fig")); err != nil {
		t.Fatal(err)
	}
	r, out := buildPage(t, root, fakeExperiment("cvh-minimum", "m.json"), fakeExperiment("cvh-trained", "t.json"))
	page := "file://" + filepath.Join(out, "index.html")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
		"--no-first-run", "--user-data-dir="+filepath.Join(root, "profile"),
		"--enable-logging=stderr", "--v=0", "--virtual-time-budget=5000", "--dump-dom", page)
	var dom, log strings.Builder
	cmd.Stdout, cmd.Stderr = &dom, &log
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium --dump-dom: %v\n%s", err, log.String())
	}
	n := len(r.Claims)
	if !strings.Contains(log.String(), "sgn-report-ok "+strconv.Itoa(n)) {
		t.Fatalf("the page's script did not report %d claim sections; browser log:\n%s", n, log.String())
	}
	consoleError := regexp.MustCompile(`(?i)CONSOLE.*(Uncaught|error)|:ERROR:CONSOLE`)
	if m := consoleError.FindString(log.String()); m != "" {
		t.Fatalf("console error in the page: %s", m)
	}
	if !strings.Contains(dom.String(), `data-claims="`+strconv.Itoa(n)+`"`) {
		t.Fatal("the rendered DOM does not hold the claim count the script set")
	}
	for _, c := range r.Claims {
		if !strings.Contains(dom.String(), `id="claim-`+c.ID+`"`) {
			t.Errorf("rendered page lacks the section of %s", c.ID)
		}
	}
	if !strings.Contains(dom.String(), "<svg") {
		t.Error("the rendered page has no inline SVG figure")
	}
}

// TestPageLayoutInChromium lays a page out in a real browser at 600 and
// 1,000 px wide (two frames of one wrapper page): at both the page is no
// wider than its window, the overview table does not scroll inside its box
// (under 48rem each of its rows is a block), and a figure drawn smaller
// than the text column is shown at the column's width.
func TestPageLayoutInChromium(t *testing.T) {
	bin := chromium(t)
	root := t.TempDir()
	dir := filepath.Join(root, "exp")
	os.MkdirAll(dir, 0o755)
	p := plot.New()
	p.Title.Text = "a figure 4 inches wide"
	s, err := plotter.NewScatter(plotter.XYs{{X: 1, Y: 1}, {X: 2, Y: 2}})
	if err != nil {
		t.Fatal(err)
	}
	p.Add(s)
	fig, wide := filepath.Join(dir, "fig"), filepath.Join(dir, "wide")
	if err := figure.Save(p, figure.Size{Width: 4 * vg.Inch, Height: 3 * vg.Inch}, fig); err != nil {
		t.Fatal(err)
	}
	// A grid of panels drawn 31 cm (1,172 px) wide, wider than the column.
	if err := figure.Save(p, figure.Size{Width: 31 * vg.Centimeter, Height: 23 * vg.Centimeter}, wide); err != nil {
		t.Fatal(err)
	}
	// A finding as long as the real ones, with a path that has no break
	// opportunity (it made the overview table wider than a 600 px window).
	long := strings.Repeat("Occupancy of the flat valley against the sharp one: slope of log P(flat)/P(sharp) against B/eta 0.0189 [0.01784, 0.01996]; ", 4) +
		"judged at (equilibrium/minimum.safetensors) of escape/kramers/testdata/sweep.json."
	claims := func(d string) ([]Claim, error) {
		if d != dir {
			return nil, nil
		}
		c := Claim{ID: "sgd-theorem2-network-batch-eta", Conclusion: FlatMinima, Statement: "s", Rule: "r", Finding: long, Figure: fig + ".svg",
			Regime: []RegimeCheck{AtMost("median escape-time CV over the points (1 for exponential escape)", 1.11, 1.25)},
			Effects: []Effect{{Name: "sgd-diffusion-finite-sum: slope of log P(flat)/P(sharp) against B/eta", Value: 0.0189, Interval: Interval{0.01784, 0.01996}, Prediction: Interval{0, 1},
				Reference: &Quantity{Name: "Theorem 2's slope with each valley's path s", Value: 0.01877}}},
			Details: []Quantity{{Name: "sgd-diffusion-finite-sum: log-prefactor, the fitted intercept log P(flat)/P(sharp) at B/η → 0 (Theorem 2: 0)", Value: 0.5391, Interval: &Interval{0.5037, 0.5744}}},
			Sources: []Source{{Path: filepath.Join(d, "selection.json"), Version: "test",
				// four seeds of 20 digits: one line of them was wider than a 1000 px window
				Seeds: map[string]uint64{"bulk": 17911839290282890590, "lanczos": 8196980753821780235, "sgd": 10451216379200822465, "sgld": 13757245211066428519}}}}
		c.Judge()
		w := Claim{ID: "sgd-theorem2-batch-eta", Conclusion: FlatMinima, Statement: "s", Rule: "r", Finding: "f", Figure: wide + ".svg",
			Sources: []Source{{Path: filepath.Join(d, "figure.json"), Version: "test"}}}
		w.Judge()
		return []Claim{c, w}, nil
	}
	_, out := buildPage(t, root, claims)
	wrapper := `<!doctype html><html><body style="margin:0">
<iframe id="w600" src="index.html" style="width:600px;height:900px;border:0"></iframe>
<iframe id="w1000" src="index.html" style="width:1000px;height:900px;border:0"></iframe>
<iframe id="w1400" src="index.html" style="width:1400px;height:900px;border:0"></iframe>
<script>
function measure(id) {
  var d = document.getElementById(id).contentDocument, s = d.getElementById("summary");
  var col = d.querySelector("section.claim"), cs = d.defaultView.getComputedStyle(col);
  var inner = col.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
  var over = 0, ts = d.querySelectorAll("section.claim table");
  for (var i = 0; i < ts.length; i++) { over = Math.max(over, ts[i].scrollWidth - ts[i].clientWidth); }
  console.log("sgn-layout " + id + " page " + d.documentElement.scrollWidth + " summary " + s.scrollWidth + " " + s.clientWidth + " claimtables " + over +
    " figure " + Math.round(d.querySelector("figure svg").getBoundingClientRect().width) + " " + Math.round(inner) +
    " wide " + Math.round(d.querySelector("figure.wide svg").getBoundingClientRect().width));
}
window.onload = function () { measure("w600"); measure("w1000"); measure("w1400"); };
</script></body></html>`
	if err := os.WriteFile(filepath.Join(out, "wrapper.html"), []byte(wrapper), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
		"--no-first-run", "--allow-file-access-from-files", "--user-data-dir="+filepath.Join(root, "profile"),
		"--enable-logging=stderr", "--v=0", "--virtual-time-budget=5000", "--dump-dom", "file://"+filepath.Join(out, "wrapper.html"))
	var dom, log strings.Builder
	cmd.Stdout, cmd.Stderr = &dom, &log
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium --dump-dom: %v\n%s", err, log.String())
	}
	re := regexp.MustCompile(`sgn-layout (w\d+) page (\d+) summary (\d+) (\d+) claimtables (\d+) figure (\d+) (\d+) wide (\d+)`)
	got := re.FindAllStringSubmatch(log.String(), -1)
	if len(got) != 3 {
		t.Fatalf("the wrapper page did not measure the three frames; browser log:\n%s", log.String())
	}
	for _, m := range got {
		v := make([]int, 7)
		for i := range v {
			v[i], _ = strconv.Atoi(m[i+2])
		}
		width, _ := strconv.Atoi(strings.TrimPrefix(m[1], "w"))
		page, sumScroll, sumBox, over, figW, col, wideW := v[0], v[1], v[2], v[3], v[4], v[5], v[6]
		if page > width {
			t.Errorf("%d px: the page is %d px wide", width, page)
		}
		if sumScroll > sumBox {
			t.Errorf("%d px: the overview table scrolls inside its box (%d px of content in %d)", width, sumScroll, sumBox)
		}
		if over > 0 {
			t.Errorf("%d px: a claim's table is %d px wider than its box", width, over)
		}
		if figW < col-1 || figW > col+1 {
			t.Errorf("%d px: the 384 px figure is shown %d px wide in a column of %d", width, figW, col)
		}
		// The wide figure spans the window less 3rem, up to 73.5rem.
		if want := min(width-48, 1176); wideW < want-1 || wideW > want+1 {
			t.Errorf("%d px: the 1,172 px figure is shown %d px wide, want %d", width, wideW, want)
		}
	}
}
