package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/sgn-project/sgn/internal/atomicfile"
)

// RemoveOutputs removes an earlier page's report.json and index.html from
// dir, so that a run that fails never leaves them beside another run's, and
// returns the names removed.
func RemoveOutputs(dir string) ([]string, error) {
	return atomicfile.RemoveStale(dir, "report.json", "index.html")
}

// Write writes r as outDir/report.json and the page outDir/index.html,
// each atomically. The page is one self-contained file: figures are inlined
// as SVG, links to the source files are relative to outDir.
func Write(r *Report, outDir string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("report.json: %w", err)
	}
	if err := atomicfile.WriteBytes(filepath.Join(outDir, "report.json"), append(b, '\n')); err != nil {
		return err
	}
	page, err := Page(r, outDir)
	if err != nil {
		return err
	}
	return atomicfile.WriteBytes(filepath.Join(outDir, "index.html"), page)
}

// pageClaim is a claim with what the page shows of it.
type pageClaim struct {
	Claim
	FigureSVG template.HTML
	// FigureWide says the figure is drawn wider than the text column
	// (wideFigure): the page lets it span the window, up to its own width.
	FigureWide bool
	// FigureAbove is the id of the claim above that shows the same figure
	// ("" when this claim shows it): a figure is inlined once per page.
	FigureAbove string
	Links       []link
}

type link struct{ Href, Text string }

// Badge is what the page shows in the claim's verdict badge: its verdict,
// or "not-measured" when no folder given held its input.
func (c pageClaim) Badge() string {
	if !c.Measured() {
		return notMeasured
	}
	return string(c.Verdict)
}

// notMeasured is the badge and legend entry of the claims no folder given
// could measure; report.json keeps their verdict (inconclusive).
const notMeasured = "not-measured"

// pageRow is a row of the page with its claims.
type pageRow struct {
	Row
	Claims []pageClaim
}

// pageVerdict explains one verdict on the page.
type pageVerdict struct {
	Verdict string
	Count   int
	Meaning string
}

// verdictMeaning says what each verdict means, for the page's legend.
var verdictMeaning = map[Verdict]string{
	Agrees:       "every regime check passed and every measured interval lies inside the interval the theory predicts",
	Disagrees:    "every regime check passed and a measured interval lies wholly outside the prediction",
	Inconclusive: "the regime holds but an interval straddles an end of the prediction, or the measurement is missing",
	NotTestable:  "a regime check failed: the measurement is outside the regime the theory speaks of (the reason says which check, with its numbers, and the setting that would reach the regime)",
}

// Page renders r as a self-contained HTML page; links are relative to dir.
func Page(r *Report, dir string) ([]byte, error) {
	var rows []pageRow
	sources := map[string]Source{}
	var paths []string
	shown := map[string]string{} // figure path → the claim that shows it
	for _, row := range Rows() {
		pr := pageRow{Row: row}
		for _, c := range r.Claims {
			if c.Conclusion != row.ID {
				continue
			}
			pc := pageClaim{Claim: c}
			if above, ok := shown[c.Figure]; ok && c.Figure != "" {
				pc.FigureAbove = above
				pc.Links = append(pc.Links, link{relTo(dir, c.Figure), "figure (SVG)"})
			} else if c.Figure != "" {
				svg, err := inlineSVG(c.Figure, c.ID)
				if err != nil {
					return nil, err
				}
				pc.FigureSVG, pc.FigureWide = svg, wideFigure(string(svg))
				shown[c.Figure] = c.ID
				pc.Links = append(pc.Links, link{relTo(dir, c.Figure), "figure (SVG)"})
			}
			for _, s := range c.Sources {
				pc.Links = append(pc.Links, link{relTo(dir, s.Path), filepath.Base(s.Path)})
				if _, ok := sources[s.Path]; !ok {
					paths = append(paths, s.Path)
					sources[s.Path] = s
				}
			}
			pr.Claims = append(pr.Claims, pc)
		}
		rows = append(rows, pr)
	}
	var files []Source
	for _, p := range paths {
		files = append(files, sources[p])
	}
	costs := experimentCosts(files)
	n := r.Counts()
	var verdicts []pageVerdict
	for _, v := range Verdicts() {
		verdicts = append(verdicts, pageVerdict{string(v), n[v], verdictMeaning[v]})
	}
	if u := r.Unmeasured(); u > 0 {
		verdicts = append(verdicts, pageVerdict{notMeasured, u, "no folder given holds the file the claim is judged from (its verdict in report.json is inconclusive); the claim names the command that writes it"})
	}
	var b bytes.Buffer
	err := pageTemplate.Execute(&b, struct {
		Rows     []pageRow
		Verdicts []pageVerdict
		Claims   int
		Files    []Source
		Costs    []experimentCost
		P        Provenance
		JSON     string
	}{rows, verdicts, len(r.Claims), files, costs, r.Provenance, "report.json"})
	if err != nil {
		return nil, fmt.Errorf("rendering the report page: %w", err)
	}
	return b.Bytes(), nil
}

// experimentCost is one row of the page's "what each experiment cost"
// table: the file an experiment's command wrote, the command, and the wall
// and CPU seconds it recorded.
type experimentCost struct {
	File, Command string
	Wall, CPU     float64
}

// experimentCosts returns one row per source file that records a wall or
// CPU time, in page order (one folder may hold the files of two commands,
// as the two selection experiments' fits).
func experimentCosts(files []Source) []experimentCost {
	var out []experimentCost
	seen := map[string]bool{}
	for _, f := range files {
		if (f.WallSeconds == 0 && f.CPUSeconds == 0) || seen[f.Path] {
			continue
		}
		seen[f.Path] = true
		out = append(out, experimentCost{File: f.Path, Command: strings.Join(f.Command, " "), Wall: f.WallSeconds, CPU: f.CPUSeconds})
	}
	return out
}

// relTo returns p relative to dir when possible, else p.
func relTo(dir, p string) string {
	ad, err1 := filepath.Abs(dir)
	ap, err2 := filepath.Abs(p)
	if err1 != nil || err2 != nil {
		return p
	}
	r, err := filepath.Rel(ad, ap)
	if err != nil {
		return p
	}
	return filepath.ToSlash(r)
}

// inlineSVG reads an SVG file and returns it ready to inline: rebuilt
// from the whitelist of sanitizeSVG (nothing that runs or fetches), ids
// prefixed with the claim's id so that two figures never share one, and a
// viewBox so that it scales to the page.
func inlineSVG(path, prefix string) (template.HTML, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("figure %s: %w", path, err)
	}
	s, err := sanitizeSVG(b, prefix)
	if err != nil {
		return "", fmt.Errorf("figure %s: %w", path, err)
	}
	return template.HTML(s), nil
}

// svgWidth finds the width of an SVG's outer element in points, as
// gonum/plot writes it (width="878.74pt").
var svgWidth = regexp.MustCompile(`^<svg[^>]*\swidth="([0-9.]+)pt"`)

// wideFigure reports whether an inlined SVG is drawn wider than 700 pt
// (933 px, the text column of the page): a grid of panels such as the nine
// of the escape figure, whose text would shrink below its written size.
func wideFigure(svg string) bool {
	m := svgWidth.FindStringSubmatch(svg)
	if m == nil {
		return false
	}
	w, err := strconv.ParseFloat(m[1], 64)
	return err == nil && w > 700
}

// format prints a number with four significant digits.
func format(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e6 {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.4g", v)
}

var pageTemplate = template.Must(template.New("page").Funcs(template.FuncMap{"f": format, "iv": Interval.String}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>sgn: the paper's claims, measured</title>
<style>
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #1b1b1b; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; }
h2 { font-size: 1.35rem; margin: 2rem 0 .3rem; border-bottom: 2px solid #999; }
h3 { font-size: 1.1rem; margin: 0 0 .3rem; }
.sub { color: #555; margin-top: 0; }
table { border-collapse: collapse; margin: .4rem 0; width: 100%; }
th, td { text-align: left; padding: .2rem .5rem; border-bottom: 1px solid #ddd; vertical-align: top; overflow-wrap: break-word; }
td.num { font-variant-numeric: tabular-nums; white-space: nowrap; }
td.seeds { font-variant-numeric: tabular-nums; } td.seeds span { white-space: nowrap; }
@media (max-width: 48rem) { td.num { white-space: normal; } table { display: block; overflow-x: auto; }
  #summary, #summary tbody, #summary tr, #summary td { display: block; }
  #summary tr:first-child { display: none; }
  #summary tr { border-bottom: 1px solid #ddd; padding: .3rem 0; }
  #summary td { border: 0; padding: .05rem .5rem; }
  #summary td:nth-child(-n+3) { display: inline-block; }
  section.claim table, section.claim tbody, section.claim tr, section.claim td { display: block; }
  section.claim tr:first-child th { display: none; }
  section.claim tr:first-child th:first-child { display: block; color: #555; font-size: .85rem; padding: .3rem .5rem 0; }
  section.claim tr { border-bottom: 1px solid #ddd; padding: .2rem 0; }
  section.claim td { border: 0; padding: .05rem .5rem; }
  section.claim td:first-child { font-weight: 600; }
  section.claim td[data-label]::before { content: attr(data-label) ": "; color: #555; }
  section.claim td:empty { display: none; } }
.verdict { display: inline-block; padding: .05rem .5rem; border-radius: .8rem; font-weight: 600; font-size: .85rem; white-space: nowrap; }
.agrees { background: #d8f0dc; color: #14532d; }
.disagrees { background: #fbd9d9; color: #7f1d1d; }
.inconclusive { background: #eee; color: #444; }
.not-testable { background: #fdf0c8; color: #713f12; }
.not-measured { background: #fff; color: #666; border: 1px dashed #999; }
.ok { color: #14532d; } .fail { color: #7f1d1d; font-weight: 600; }
section.claim { border: 1px solid #ccc; border-radius: .4rem; padding: .8rem 1rem; margin: 1.2rem 0; page-break-inside: avoid; }
.statement { font-style: italic; }
.rule, .reason { color: #444; font-size: .9rem; }
figure { margin: .6rem 0; }
figure svg { display: block; width: 100%; height: auto; }
figure.wide { width: min(calc(100vw - 3rem), 73.5rem); position: relative; left: 50%; transform: translateX(-50%); }
figure.wide svg { background: #fff; }
@media print { figure.wide { width: 100%; left: 0; transform: none; } }
.links a { margin-right: .8rem; }
code { background: #f4f4f4; padding: 0 .2rem; }
td code { overflow-wrap: anywhere; }
@media print { body { margin: 0; max-width: none; } section.claim { border-color: #999; } }
</style>
</head>
<body>
<h1>The claims of Xie, Sato &amp; Sugiyama (ICLR 2021), measured by sgn</h1>
<p class="sub">“A Diffusion Theory for Deep Learning Dynamics: Stochastic Gradient Descent Exponentially Favors Flat Minima.” Every number below was read from the files linked beside it; nothing on this page was fitted by hand. — <a href="{{.JSON}}">report.json</a></p>
<table id="verdicts">
<tr><th>verdict</th><th>claims</th><th>what it means</th></tr>
{{range .Verdicts}}<tr><td><span class="verdict {{.Verdict}}">{{.Verdict}}</span></td><td class="num">{{.Count}}</td><td>{{.Meaning}}</td></tr>
{{end}}</table>
<p>Each claim is judged only inside the regime its theory assumes (at a minimum, in quasi-equilibrium, in Kramers' regime of exponential escapes, with a converged step); the regime checks are measured and listed with each claim. Effect sizes carry 95% intervals and are compared with the interval the theory allows, with an exact or independent reference beside them where one exists.</p>
<table id="summary">
<tr><th>conclusion</th><th>claim</th><th>verdict</th><th>what was found</th></tr>
{{range .Rows}}{{$row := .}}{{range .Claims}}<tr><td><a href="#row-{{$row.ID}}">{{$row.Title}}</a></td><td><a href="#claim-{{.ID}}">{{.ID}}</a></td><td><span class="verdict {{.Badge}}">{{.Badge}}</span></td><td>{{.Finding}}</td></tr>
{{end}}{{end}}</table>
{{range .Rows}}
<section class="row" id="row-{{.ID}}">
<h2>{{.Title}}</h2>
<p>{{.Summary}}</p>
{{if not .Claims}}<p><i>No claim of this row was measured.</i></p>{{end}}
{{range .Claims}}
<section class="claim" id="claim-{{.ID}}" data-verdict="{{.Badge}}">
<h3>{{.ID}} <span class="verdict {{.Badge}}">{{.Badge}}</span></h3>
<p class="statement">{{.Statement}}</p>
{{if .At}}<p>Judged at {{.At}}.</p>{{end}}
<p>{{.Finding}}</p>
{{if .Reason}}<p class="reason"><b>Not testable:</b> {{.Reason}}</p>{{end}}
{{if .Regime}}<table class="regime"><tr><th>regime check</th><th>measured</th><th>required</th><th></th></tr>
{{range .Regime}}<tr><td>{{.Name}}</td><td class="num" data-label="measured">{{f .Measured}}</td><td class="num" data-label="required">{{.Required}}</td><td>{{if .OK}}<span class="ok">ok</span>{{else}}<span class="fail">fails</span>{{with .Reach}} — {{.}}{{end}}{{end}}</td></tr>
{{end}}</table>{{end}}
{{if .Effects}}<table class="effects"><tr><th>effect size</th><th>value</th><th>95% interval</th><th>predicted</th><th>reference</th><th></th></tr>
{{range .Effects}}<tr><td>{{.Name}}</td><td class="num" data-label="value">{{f .Value}}</td><td class="num" data-label="95% interval">{{iv .Interval}}</td><td class="num" data-label="predicted">{{iv .Prediction}}</td><td class="ref" data-label="reference">{{with .Reference}}{{.Name}} {{f .Value}}{{with .Interval}} {{iv .}}{{end}}{{end}}</td><td><span class="verdict {{.Verdict}}">{{.Verdict}}</span></td></tr>
{{end}}</table>{{end}}
{{if .Details}}<table class="details"><tr><th>also measured</th><th>value</th><th>interval</th></tr>
{{range .Details}}<tr><td>{{.Name}}</td><td class="num" data-label="value">{{f .Value}}</td><td class="num" data-label="interval">{{with .Interval}}{{iv .}}{{end}}</td></tr>
{{end}}</table>{{end}}
<p class="rule"><b>Rule:</b> {{.Rule}}{{if .Produce}} — run <code>{{.Produce}}</code>{{end}}</p>
{{if .FigureSVG}}<figure{{if .FigureWide}} class="wide"{{end}}>{{.FigureSVG}}</figure>{{end}}
{{with .FigureAbove}}<p class="figure-above">Its figure is shown with <a href="#claim-{{.}}">{{.}}</a> above.</p>{{end}}
{{if .Links}}<p class="links">{{range .Links}}<a href="{{.Href}}">{{.Text}}</a>{{end}}</p>{{end}}
</section>
{{end}}
</section>
{{end}}
<section id="provenance">
<h2>Provenance</h2>
{{with .P.Subject}}<h3>The network and data measured</h3>
<table class="subject"><tr><th></th><th>file</th><th>SHA-256</th><th>what</th></tr>
<tr><td>model</td><td><code>{{.Model.File}}</code></td><td><code>{{.Model.SHA256}}</code></td><td>layers {{range $i, $w := .Model.Layers}}{{if $i}}–{{end}}{{$w}}{{end}}, {{.Model.Activation}}, P = {{.Model.Params}}, stored {{.Model.DType}}{{if .Model.Widened}} (widened to float64 for the analyses){{end}}{{with .Model.Source}}; {{.}}{{end}}</td></tr>
<tr><td>data</td><td><code>{{.Data.File}}</code></td><td><code>{{.Data.SHA256}}</code></td><td>N = {{.Data.N}}, d = {{.Data.D}}, {{.Data.Classes}} classes</td></tr>
{{with .Test}}<tr><td>test data</td><td><code>{{.File}}</code></td><td><code>{{.SHA256}}</code></td><td>N = {{.N}}, d = {{.D}}, {{.Classes}} classes</td></tr>
{{end}}</table>{{end}}
{{if .P.NotRun}}<h3>Experiments not run</h3>
<table class="not-run"><tr><th>experiment</th><th>folder</th><th>why</th></tr>
{{range .P.NotRun}}<tr><td>{{.Experiment}}</td><td><code>{{.Folder}}</code></td><td>not run, because {{.Reason}}</td></tr>
{{end}}</table>{{end}}
<p>Report built by sgn {{.P.ReportVersion}} on {{.P.Machine.Cores}} cores ({{.P.Machine.CPU}}, {{.P.Machine.OS}}) from {{range .P.Inputs}}<code>{{.}}</code> {{end}}</p>
<table><tr><th>file</th><th>version</th><th>wall time (s)</th><th>seeds</th><th>data digest</th></tr>
{{range .Files}}<tr><td><code>{{.Path}}</code></td><td>{{.Version}}</td><td class="num">{{with .WallSeconds}}{{f .}}{{end}}</td><td class="seeds">{{range $k, $v := .Seeds}}<span>{{$k}} {{$v}}</span> {{end}}</td><td><code>{{.DataDigest}}</code></td></tr>
{{end}}</table>
{{if .Costs}}<h3>What each experiment cost</h3>
<table class="costs"><tr><th>file</th><th>command</th><th>wall time (s)</th><th>CPU time (s)</th></tr>
{{range .Costs}}<tr><td><code>{{.File}}</code></td><td><code>{{.Command}}</code></td><td class="num">{{with .Wall}}{{f .}}{{end}}</td><td class="num">{{with .CPU}}{{f .}}{{end}}</td></tr>
{{end}}</table>{{end}}
{{range .Files}}{{if .Command}}<p><code>{{range .Command}}{{.}} {{end}}</code></p>{{end}}{{end}}
</section>
<script>
(function () {
  var n = document.querySelectorAll("section.claim").length;
  document.body.setAttribute("data-claims", String(n));
  console.log("sgn-report-ok " + n);
})();
</script>
</body>
</html>
`))
