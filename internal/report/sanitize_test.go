package report

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// hostileSVG carries every way an SVG inlined in HTML can run script or
// fetch a foreign resource; each payload logs "sgn-pwned" or fetches from
// 127.0.0.1:9 if it runs.
const hostileSVG = `<?xml version="1.0"?>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" xmlns:h="http://www.w3.org/1999/xhtml"
  width="120pt" height="60pt" onload="console.log('sgn-pwned onload')">
<script>console.log('sgn-pwned script')</script>
<script><![CDATA[console.log('sgn-pwned cdata')]]></script>
<SCRIPT>console.log('sgn-pwned upper')</SCRIPT>
<svg:script xmlns:svg="http://www.w3.org/2000/svg">console.log('sgn-pwned prefixed')</svg:script>
<style>@import url(http://127.0.0.1:9/pwned.css); rect { fill: red }</style>
<g onclick="console.log('sgn-pwned click')" ONMOUSEOVER="console.log('sgn-pwned over')">
  <rect id="r1" width="10" height="10" style="fill:#123456;background:url(http://127.0.0.1:9/bg.png)"/>
  <rect width="10" height="10" fill="url(http://127.0.0.1:9/fill.svg#p)"/>
  <path d="M0 0 L10 10" style="stroke:#000000"/>
</g>
<a href="javascript:console.log('sgn-pwned link')"><text x="5" y="20">click</text></a>
<a xlink:href="javascript:console.log('sgn-pwned xlink')"><rect width="5" height="5"/></a>
<image x="0" y="0" width="5" height="5" href="http://127.0.0.1:9/img.png" onerror="console.log('sgn-pwned onerror')"/>
<image x="0" y="0" width="5" height="5" xlink:href="data:image/svg+xml;base64,PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciIG9ubG9hZD0iY29uc29sZS5sb2coJ3Nnbi1wd25lZCcpIi8+"/>
<use href="http://127.0.0.1:9/sprite.svg#x"/>
<use xlink:href="data:image/svg+xml,&lt;svg onload=console.log('sgn-pwned use')&gt;"/>
<foreignObject width="10" height="10"><h:iframe src="javascript:console.log('sgn-pwned iframe')"/><h:img src="x" onerror="console.log('sgn-pwned img')"/></foreignObject>
<animate attributeName="href" to="javascript:console.log('sgn-pwned animate')"/>
<set attributeName="onmouseover" to="console.log('sgn-pwned set')"/>
<text x="1" y="50">&lt;/svg&gt;&lt;script&gt;console.log('sgn-pwned text')&lt;/script&gt;</text>
<rect width="4" height="4" style="mask-image:image-set('http://127.0.0.1:9/set.png' 1x)"/>
<rect width="4" height="4" style="mask-image:-webkit-image-set('http://127.0.0.1:9/wset.png' 1x);fill:#000"/>
<rect width="4" height="4" style="mask-image:IMAGE-SET(&quot;http://127.0.0.1:9/upper.png&quot; 1x)"/>
<rect width="4" height="4" mask="image-set('http://127.0.0.1:9/attr.png' 1x)"/>
<rect width="4" height="4" style="mask-image:cross-fade(url(#r1), image('http://127.0.0.1:9/img.png'), 50%)"/>
<rect width="3" height="3" clip-path="url(#r1)" style="stroke:#000;fill:u\rl(http://127.0.0.1:9/esc)"/>
</svg>`

func TestSanitizeSVGDropsEveryVector(t *testing.T) {
	got, err := sanitizeSVG([]byte(hostileSVG), "fig")
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"<script", "<SCRIPT", ":script", "cdata", "onload", "onclick", "ONMOUSEOVER", "onerror",
		"javascript:", "127.0.0.1", "@import", "<style", "foreignObject", "iframe", "<animate", "<set", "data:image/svg",
		"<a ", `\`} {
		if strings.Contains(got, bad) {
			t.Errorf("sanitised SVG keeps %q:\n%s", bad, got)
		}
	}
	for _, keep := range []string{`<rect id="fig-r1" width="10" height="10">`, `<path d="M0 0 L10 10" style="stroke:#000000">`,
		`clip-path="url(#fig-r1)"`, `viewBox="0 0 120 60"`, `&lt;/svg&gt;&lt;script&gt;`} {
		if !strings.Contains(got, keep) {
			t.Errorf("sanitised SVG lost %q:\n%s", keep, got)
		}
	}
	if strings.Contains(got, `<text x="5" y="20">`) {
		t.Error("the content of a dropped link is kept")
	}
}

func TestSanitizeSVGKeepsAnEmbeddedRaster(t *testing.T) {
	in := `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="10pt" height="10pt" viewBox="0 0 10 10"><image width="1" height="1" xlink:href="data:image/png;base64,iVBORw0KGgo="/></svg>`
	got, err := sanitizeSVG([]byte(in), "p")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(got, `xlink:href="data:image/png;base64,iVBORw0KGgo="`) || strings.Count(got, "viewBox") != 1 {
		t.Errorf("sanitised: %s", got)
	}
}

func TestSanitizeSVGRejectsNonSVG(t *testing.T) {
	for _, in := range []string{"", "<html><script>x</script></html>", "<svg", `<svg xmlns="http://www.w3.org/2000/svg">&xxe;</svg>`,
		`<!DOCTYPE svg [<!ENTITY x "<script>console.log(1)</script>">]><svg xmlns="http://www.w3.org/2000/svg"><text>&x;</text></svg>`,
		`<svg xmlns="http://www.w3.org/2000/svg"></svg><script>console.log(1)</script>`} {
		if got, err := sanitizeSVG([]byte(in), "p"); err == nil {
			t.Errorf("%q accepted as %q", in, got)
		}
	}
}

// TestHostileSVGRunsNothingInChromium builds a page whose figure is
// hostileSVG and loads it in headless Chromium: no payload may log, and
// the rendered DOM holds none of them.
func TestHostileSVGRunsNothingInChromium(t *testing.T) {
	bin := chromium(t)
	root := t.TempDir()
	dir := filepath.Join(root, "cvh")
	os.MkdirAll(dir, 0o755)
	os.WriteFile(filepath.Join(dir, "m.json"), []byte("minimum"), 0o644)
	os.WriteFile(filepath.Join(dir, "fig.svg"), []byte(hostileSVG), 0o644)
	_, out := buildPage(t, root, fakeExperiment("cvh-minimum", "m.json"))
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
		"--no-first-run", "--user-data-dir="+filepath.Join(root, "profile"),
		"--enable-logging=stderr", "--v=0", "--virtual-time-budget=5000", "--dump-dom", "file://"+filepath.Join(out, "index.html"))
	var dom, log strings.Builder
	cmd.Stdout, cmd.Stderr = &dom, &log
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium --dump-dom: %v\n%s", err, log.String())
	}
	if !strings.Contains(log.String(), "sgn-report-ok 1") {
		t.Fatalf("the page's own script did not run; browser log:\n%s", log.String())
	}
	if strings.Contains(log.String(), "sgn-pwned") {
		t.Fatalf("an injected payload ran; browser log:\n%s", log.String())
	}
	for _, bad := range []string{"onload=", "onerror=", "javascript:", "127.0.0.1", "<iframe", "foreignobject"} {
		if strings.Contains(strings.ToLower(dom.String()), strings.ToLower(bad)) {
			t.Errorf("the rendered page holds %q", bad)
		}
	}
	if !strings.Contains(dom.String(), `id="cvh-minimum-r1"`) {
		t.Error("the figure's drawing is not on the page")
	}
}
