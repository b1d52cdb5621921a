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
