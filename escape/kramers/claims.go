package kramers

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/sgn-project/sgn/escape"
	"github.com/sgn-project/sgn/internal/report"
)

// Names of the files the claims read.
const (
	FitFile    = "fit.json"
	FigureFile = "figure.json"
	RatesFile  = "rates.csv"
)

// Claim ids of the Kramers experiments.
const (
	ClaimSGLD       = "sgld-theorem1"
	ClaimNetwork    = "sgd-theorem2-network"
	ClaimDoubleWell = "sgd-theorem2-doublewell"
)

const (
	statementSGLD       = "SGLD escapes a minimum at Kramers' rate (Theorem 1): −log γ = ΔL/D − log(√(H_a|H_b|)/2π), linear in 1/D with slope ΔL."
	statementNetwork    = "SGD escapes minima with −log γ linear in 1/k (sharpness), in B and in 1/η (Theorem 2), on a network."
	statementDoubleWell = "Under the SGD diffusion (noise covariance ηH/B) the slopes of −log γ lie in Theorem 2's range, for a path factor s ∈ (0, 1)."
	produceSGLD         = "bin/sgn escape sweep --config escape/kramers/testdata/sweep.json --out out/sgld && bin/sgn escape fit out/sgld"
	produceFigure       = "make escape-figure"
)

// ReadFit reads dir/fit.json; a file that is not a fit report is an error
// naming it.
func ReadFit(dir string) (*FitReport, error) {
	path := filepath.Join(dir, FitFile)
	var r FitReport
	if err := readJSON(path, &r); err != nil {
		return nil, err
	}
	if r.Relations == nil {
		return nil, fmt.Errorf("%s is not a fit report: no relations", path)
	}
	return &r, nil
}

// ReadFigure reads dir/figure.json; a file that is not the escape figure's
// report is an error naming it.
func ReadFigure(dir string) (*FigureReport, error) {
	path := filepath.Join(dir, FigureFile)
	var r FigureReport
	if err := readJSON(path, &r); err != nil {
		return nil, err
	}
	if r.Panels == nil {
		return nil, fmt.Errorf("%s is not the escape figure's report: no panels", path)
	}
	return &r, nil
}

// readJSON decodes the JSON object at path into v; null or a non-object is
// an error naming the file.
func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var probe any
	if err := json.Unmarshal(b, &probe); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if _, ok := probe.(map[string]any); !ok {
		return fmt.Errorf("%s: not a JSON object", path)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// Claims judges the Kramers claims of Xie et al. (2021) from dir: Theorem 1
// for SGLD from the fit.json (and rates.csv) of an SGLD sweep against 1/D,
// Theorem 2 on the network and on the double well from the escape
// figure's figure.json. A folder without the files gives the claims
// unmeasured.
func Claims(dir string) ([]report.Claim, error) {
	var out []report.Claim
	fit, err := ReadFit(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		out = append(out, report.Unmeasured(ClaimSGLD, report.SharpnessEscape, statementSGLD, "fit.json of an SGLD escape sweep", produceSGLD))
	case err != nil:
		return nil, err
	default:
		c, ok, err := sgldClaim(dir, fit)
		if err != nil {
			return nil, err
		}
		if !ok {
			c = report.Unmeasured(ClaimSGLD, report.SharpnessEscape, statementSGLD, "fit.json of an SGLD escape sweep", produceSGLD)
		}
		out = append(out, c)
	}
	fig, err := ReadFigure(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		out = append(out, report.Unmeasured(ClaimNetwork, report.SharpnessEscape, statementNetwork, "figure.json of the escape figure", produceFigure),
			report.Unmeasured(ClaimDoubleWell, report.SharpnessEscape, statementDoubleWell, "figure.json of the escape figure", produceFigure))
	case err != nil:
		return nil, err
	default:
		src := report.Source{Path: filepath.Join(dir, FigureFile), Version: fig.Version, WallSeconds: fig.WallSeconds}
		figure := svgBeside(dir, "escape-figure")
		out = append(out, networkClaim(fig, src, figure), doubleWellClaim(fig, src, figure))
	}
	return out, nil
}

// svgBeside returns dir/stem.svg if it exists, else "".
func svgBeside(dir, stem string) string {
	p := filepath.Join(dir, stem+".svg")
	if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
		return p
	}
	return ""
}

// interval converts a slope interval, Point(v) when there is none.
func interval(v float64, ci *[2]float64) report.Interval {
	if ci == nil {
		return report.Point(v)
	}
	return report.Interval{Lo: ci[0], Hi: ci[1]}
}

// fixedText describes the fixed settings of a fitted series.
func fixedText(fixed map[string]float64) string {
	var parts []string
	for _, k := range []string{"sharpness", "batch_size", "eta", "temperature"} {
		if v, ok := fixed[k]; ok {
			parts = append(parts, fmt.Sprintf("%s %g", map[string]string{"sharpness": "k", "batch_size": "B", "eta": "η", "temperature": "D"}[k], v))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

// sgldClaim judges Theorem 1 from an SGLD fit against 1/D; ok is false when
// the fit has no such relation.
func sgldClaim(dir string, fit *FitReport) (report.Claim, bool, error) {
	c := report.Claim{ID: ClaimSGLD, Conclusion: report.SharpnessEscape, Statement: statementSGLD,
		Sources: []report.Source{{Path: filepath.Join(dir, FitFile), Version: fit.Version}},
		Figure:  svgBeside(dir, "fit-sgld-vs-inv-temperature")}
	c.Rule = "agrees when every fitted slope of −log γ against 1/D has a 95% interval containing Theorem 1's slope ΔL and the measured rates lie within a factor 1.25 of Kramers' rate; disagrees when a slope interval excludes ΔL or every rate lies outside that factor"
	found := false
	for _, r := range fit.Relations {
		if r.Dynamics != escape.SGLD || r.Variable != "inv-temperature" {
			continue
		}
		found = true
		for _, s := range r.Series {
			if s.Line == nil || s.PredictedSlope == nil {
				continue
			}
			c.Effects = append(c.Effects, report.Effect{Name: "slope of −log γ against 1/D" + fixedText(s.Fixed),
				Value: s.Line.Slope, Interval: interval(s.Line.Slope, s.Line.SlopeCI), Prediction: report.Point(*s.PredictedSlope)})
		}
	}
	if !found {
		return c, false, nil
	}
	lo, hi, src, err := rateRatios(dir, escape.SGLD)
	if err != nil {
		return c, false, err
	}
	if src != "" {
		c.Sources = append(c.Sources, report.Source{Path: src})
		if lo <= hi {
			c.Effects = append(c.Effects, report.Effect{Name: "measured/Kramers rate (smallest … largest over the points)",
				Value: math.Sqrt(lo * hi), Interval: report.Interval{Lo: lo, Hi: hi}, Prediction: report.Interval{Lo: 0.8, Hi: 1.25}})
		}
	}
	c.Judge()
	if len(c.Effects) == 0 {
		c.Finding = "The fit has no SGLD line against 1/D."
	} else {
		c.Finding = "SGLD on the double well: " + summarise(c.Effects) + "."
	}
	return c, true, nil
}

// rateRatios returns the range of measured/predicted rates of dynamics d in
// dir/rates.csv, and its path ("" without the file).
func rateRatios(dir string, d escape.Dynamics) (lo, hi float64, path string, err error) {
	path = filepath.Join(dir, RatesFile)
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, 0, "", nil
	}
	if err != nil {
		return 0, 0, "", err
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return 0, 0, "", fmt.Errorf("%s: %w", path, err)
	}
	col := map[string]int{}
	if len(rows) > 0 {
		for i, h := range rows[0] {
			col[h] = i
		}
	}
	di, ok1 := col["dynamics"]
	ri, ok2 := col["measured_over_predicted"]
	if !ok1 || !ok2 {
		return 0, 0, "", fmt.Errorf("%s: no dynamics or measured_over_predicted column", path)
	}
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, r := range rows[1:] {
		if len(r) <= max(di, ri) || r[di] != string(d) || r[ri] == "" {
			continue
		}
		x, err := strconv.ParseFloat(r[ri], 64)
		if err != nil {
			return 0, 0, "", fmt.Errorf("%s: measured_over_predicted %q: %w", path, r[ri], err)
		}
		lo, hi = math.Min(lo, x), math.Max(hi, x)
	}
	return lo, hi, path, nil
}

// variableLabel names a relation's variable as the page writes it.
var variableLabel = map[string]string{"inv-sharpness": "1/k", "batch-size": "B", "inv-eta": "1/η"}

// networkClaim judges Theorem 2 on the network panels of the figure.
func networkClaim(fig *FigureReport, src report.Source, figure string) report.Claim {
	c := report.Claim{ID: ClaimNetwork, Conclusion: report.SharpnessEscape, Statement: statementNetwork,
		Sources: []report.Source{src}, Figure: figure}
	c.Rule = "agrees when each of the three slopes has a 95% interval above 0 and R² ≥ 0.95; disagrees when a slope interval lies below 0; inconclusive when an interval straddles 0 or a fit is poor (R² < 0.95)"
	poor := false
	n := 0
	for _, p := range fig.Panels {
		if !strings.HasPrefix(p.Builtin, "mlp-") || p.Relation == nil || len(p.Relation.Series) == 0 || p.Relation.Series[0].Line == nil {
			continue
		}
		l := p.Relation.Series[0].Line
		n++
		v := variableLabel[p.Variable]
		c.Effects = append(c.Effects, report.Effect{Name: "slope of −log γ against " + v, Value: l.Slope,
			Interval: interval(l.Slope, l.SlopeCI), Prediction: report.Above(0)})
		if l.R2 != nil {
			c.Details = append(c.Details, report.Quantity{Name: "R² against " + v, Value: *l.R2})
			poor = poor || *l.R2 < 0.95
		}
		if p.Minimum != nil {
			c.Details = append(c.Details, report.Quantity{Name: "‖∇L‖ at θ₀ (" + v + " panel)", Value: p.Minimum.GradNorm})
		}
	}
	c.Judge()
	if c.Verdict == report.Agrees && poor {
		c.Verdict = report.Inconclusive
	}
	if n < 3 {
		c.Verdict = report.Inconclusive
		c.Finding = fmt.Sprintf("Only %d of the three network panels are in figure.json.", n)
		return c
	}
	c.Finding = "Minibatch SGD on the MLP: " + summarise(c.Effects) + "."
	return c
}

// doubleWellClaim judges Theorem 2's range on the double-well panels.
func doubleWellClaim(fig *FigureReport, src report.Source, figure string) report.Claim {
	c := report.Claim{ID: ClaimDoubleWell, Conclusion: report.SharpnessEscape, Statement: statementDoubleWell,
		Sources: []report.Source{src}, Figure: figure}
	c.Rule = "agrees when each slope's 95% interval lies inside Theorem 2's range [slope at s = 1, slope at s = 0]; disagrees when an interval lies outside it; inconclusive when one straddles an end"
	for _, p := range fig.Panels {
		if !strings.HasPrefix(p.Builtin, "doublewell-") || p.Relation == nil || len(p.Relation.Series) == 0 {
			continue
		}
		s := p.Relation.Series[0]
		if s.Line == nil || s.PredictedSlopeS0 == nil || s.PredictedSlopeS1 == nil {
			continue
		}
		v := variableLabel[p.Variable]
		lo, hi := math.Min(*s.PredictedSlopeS0, *s.PredictedSlopeS1), math.Max(*s.PredictedSlopeS0, *s.PredictedSlopeS1)
		c.Effects = append(c.Effects, report.Effect{Name: "slope of −log γ against " + v, Value: s.Line.Slope,
			Interval: interval(s.Line.Slope, s.Line.SlopeCI), Prediction: report.Interval{Lo: lo, Hi: hi}})
		if s.SFromSlope != nil {
			c.Details = append(c.Details, report.Quantity{Name: "implied s against " + v, Value: *s.SFromSlope})
		}
	}
	c.Judge()
	if len(c.Effects) == 0 {
		c.Finding = "figure.json has no double-well panel with Theorem 2's range."
		return c
	}
	c.Finding = "On the double well: " + summarise(c.Effects) + "."
	return c
}

// summarise writes effects as "name value [lo, hi]", joined by "; ".
func summarise(es []report.Effect) string {
	var parts []string
	for _, e := range es {
		parts = append(parts, fmt.Sprintf("%s %.4g %v", e.Name, e.Value, e.Interval))
	}
	return strings.Join(parts, "; ")
}
