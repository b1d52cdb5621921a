package claims

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/sgn-project/sgn/escape"
	"github.com/sgn-project/sgn/escape/kramers"
	"github.com/sgn-project/sgn/internal/report"
	"github.com/sgn-project/sgn/internal/stats"
)

// Claim ids of the Kramers experiments.
const (
	ClaimSGLD            = "sgld-theorem1"
	ClaimNetwork         = "sgd-theorem2-network"
	ClaimNetworkBatchEta = "sgd-theorem2-network-batch-eta"
	ClaimDoubleWell      = "sgd-theorem2-doublewell"
	ClaimTwoWell         = "sgd-theorem2-sharpness"
	ClaimTwoWellBatchEta = "sgd-theorem2-batch-eta"
)

// The regime of Kramers' escape the claims require (Xie, Sato & Sugiyama,
// ICLR 2021, Assumptions 1–3): escapes exponential in time (CV of the
// escape times near 1), nearly every run escaped, a barrier of several
// temperatures, a converged step for the continuous-time theorems, and, for
// Theorem 2, noise bounded away from zero on the path.
const (
	regimeCVLo, regimeCVHi = 0.8, 1.25
	regimeEscaped          = 0.9
	regimeBarrierOverT     = 3
	regimeStepTolerance    = 0.1
	regimeNoiseFloor       = 0.05
	regimeGradNorm         = 1e-5
)

const (
	statementSGLD            = "SGLD escapes a minimum at Kramers' rate (Theorem 1): −log γ = ΔL/D − log(√(H_a|H_b|)/2π), linear in 1/D with slope ΔL."
	statementNetwork         = "On a network, SGD's −log γ grows linearly in 1/k: escape from a minimum is exponentially slower the flatter it is (Theorem 2)."
	statementNetworkBatchEta = "On a network, SGD's −log γ grows linearly in B and in 1/η: the batch size and the learning rate act exponentially (Theorem 2)."
	statementDoubleWell      = "Under the SGD diffusion with C = |H|/B on the double well, the slopes of −log γ lie in Theorem 2's range, for a path factor s ∈ (0, 1)."
	statementTwoWell         = "Under SGD's noise (positive on the path), −log γ is linear in 1/k with the slope of Theorem 2 for some s ∈ (0, 1): exponential in sharpness, where SGLD's dependence is polynomial (Theorem 1)."
	statementTwoWellBatchEta = "Under SGD's noise (positive on the path), −log γ is linear in B and in 1/η with the slopes of Theorem 2 for some s ∈ (0, 1)."
	produceSGLD              = "bin/sgn escape sweep --config escape/kramers/testdata/sweep.json --out out/sgld && bin/sgn escape fit out/sgld"
	produceFigure            = "make escape-figure"
)

// Claims judges the Kramers claims of Xie et al. (2021) from dir: Theorem 1
// for SGLD from the fit.json (and rates.csv) of an SGLD sweep against 1/D,
// Theorem 2 on the network and on the double well from the escape
// figure's figure.json. A folder without the files gives the claims
// unmeasured.
func Claims(dir string) ([]report.Claim, error) {
	var out []report.Claim
	fit, err := kramers.ReadFit(dir)
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
	fig, err := kramers.ReadFigure(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		for _, u := range []struct {
			id   string
			row  report.Conclusion
			stmt string
		}{{ClaimNetwork, report.SharpnessEscape, statementNetwork}, {ClaimNetworkBatchEta, report.BatchOverEta, statementNetworkBatchEta},
			{ClaimDoubleWell, report.SharpnessEscape, statementDoubleWell},
			{ClaimTwoWell, report.SharpnessEscape, statementTwoWell}, {ClaimTwoWellBatchEta, report.BatchOverEta, statementTwoWellBatchEta}} {
			out = append(out, report.Unmeasured(u.id, u.row, u.stmt, "figure.json of the escape figure", produceFigure))
		}
	case err != nil:
		return nil, err
	default:
		src := report.Source{Path: filepath.Join(dir, kramers.FigureFile), Version: fig.Version, WallSeconds: fig.WallSeconds, CPUSeconds: fig.CPUSeconds}
		figure := report.FigureBeside(dir, "escape-figure.svg")
		out = append(out,
			networkClaim(fig, src, figure, ClaimNetwork, report.SharpnessEscape, statementNetwork, "inv-sharpness"),
			networkClaim(fig, src, figure, ClaimNetworkBatchEta, report.BatchOverEta, statementNetworkBatchEta, "batch-size", "inv-eta"),
			theorem2Claim(fig, src, figure, "doublewell-", ClaimDoubleWell, report.SharpnessEscape, statementDoubleWell, "inv-sharpness", "batch-size", "inv-eta"),
			theorem2Claim(fig, src, figure, "twowell-", ClaimTwoWell, report.SharpnessEscape, statementTwoWell, "inv-sharpness"),
			theorem2Claim(fig, src, figure, "twowell-", ClaimTwoWellBatchEta, report.BatchOverEta, statementTwoWellBatchEta, "batch-size", "inv-eta"))
	}
	return out, nil
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
func sgldClaim(dir string, fit *kramers.FitReport) (report.Claim, bool, error) {
	c := report.Claim{ID: ClaimSGLD, Conclusion: report.SharpnessEscape, Statement: statementSGLD,
		Sources: []report.Source{{Path: filepath.Join(dir, kramers.FitFile), Version: fit.Version, WallSeconds: fit.WallSeconds, CPUSeconds: fit.CPUSeconds}},
		Figure:  report.FigureBeside(dir, "fit-sgld-vs-inv-temperature.svg")}
	c.Rule = fmt.Sprintf("not-testable unless the escapes are Kramers' (median escape-time CV in [0.8, 1.25], ≥ 90%% escaped, ΔL/D ≥ 3) and the step has converged (the exact chain's rate moves < 10%% when η halves); then agrees when every fitted slope of −log γ against 1/D has a 95%% interval inside Theorem 1's slope ΔL ± δ and the measured rates lie within a factor %g of Kramers' rate; disagrees when a slope interval lies outside ΔL ± δ or every rate lies outside that factor; inconclusive when one straddles. δ = ln %g·Σ|xᵢ − x̄|/Σ(xᵢ − x̄)² over the series' 1/D values xᵢ is the largest change in the slope that rates within the factor %g of Kramers' at every point can make: Theorem 1 is the leading order in D/ΔL, and a point prediction ΔL would be refuted by any sample large enough to resolve its corrections (the exact chain's slope, shown beside, is not ΔL)", escape.KramersRateFactor, escape.KramersRateFactor, escape.KramersRateFactor)
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
			tol := stats.SlopeBound(s.X, nil, math.Log(escape.KramersRateFactor))
			e := report.Effect{Name: "slope of −log γ against 1/D" + fixedText(s.Fixed),
				Value: s.Line.Slope, Interval: report.IntervalOf(s.Line.Slope, s.Line.SlopeCI),
				Prediction: report.Interval{Lo: *s.PredictedSlope - tol, Hi: *s.PredictedSlope + tol}}
			if ref, ok := exactChainSlope(s, fit.Points); ok {
				e.Reference = &report.Quantity{Name: "slope of the exact chain's −log γ over the same points", Value: ref}
			}
			c.Effects = append(c.Effects, e)
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
				Value: math.Sqrt(lo * hi), Interval: report.Interval{Lo: lo, Hi: hi}, Prediction: report.Interval{Lo: 1 / escape.KramersRateFactor, Hi: escape.KramersRateFactor}})
		}
	}
	var pts []kramers.PointSummary
	for _, p := range fit.Points {
		if p.Dynamics == escape.SGLD {
			pts = append(pts, p)
		}
	}
	if len(pts) > 0 {
		c.Regime = append(kramersRegime(pts), exactRegime(pts)...)
		var ratios []float64
		for _, p := range pts {
			if p.MeasuredOverExactChain != nil {
				ratios = append(ratios, *p.MeasuredOverExactChain)
			}
		}
		if len(ratios) > 0 {
			c.Details = append(c.Details, report.Quantity{Name: "median measured rate over the exact finite-step chain's", Value: stats.Median(ratios)})
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

// exactChainSlope returns the slope of the exact finite-step chain's −log γ
// over the points of series s, false unless every point has one.
func exactChainSlope(s kramers.SeriesFit, points []kramers.PointSummary) (float64, bool) {
	ys := make([]float64, 0, len(s.Points))
	for _, idx := range s.Points {
		for _, p := range points {
			if p.Point == idx && p.Exact != nil && p.Exact.ChainRate != nil && *p.Exact.ChainRate > 0 {
				ys = append(ys, -math.Log(*p.Exact.ChainRate))
				break
			}
		}
	}
	if len(ys) < 2 || len(ys) != len(s.X) {
		return 0, false
	}
	f, err := stats.FitLine(s.X, ys)
	return f.Slope, err == nil
}

// rateRatios returns the range of measured/predicted rates of dynamics d in
// dir/rates.csv, and its path ("" without the file).
func rateRatios(dir string, d escape.Dynamics) (lo, hi float64, path string, err error) {
	path = filepath.Join(dir, kramers.RatesFile)
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

// panelsOf returns the figure's panels of builtin prefix whose variable is
// in vars.
func panelsOf(fig *kramers.FigureReport, prefix string, vars ...string) []kramers.PanelResult {
	var out []kramers.PanelResult
	for _, p := range fig.Panels {
		if strings.HasPrefix(p.Builtin, prefix) && slices.Contains(vars, p.Variable) {
			out = append(out, p)
		}
	}
	return out
}

// kramersRegime returns the regime checks of Kramers' escape over the
// points: the median escape-time CV, the smallest escaped fraction and the
// smallest barrier over temperature.
func kramersRegime(points []kramers.PointSummary) []report.RegimeCheck {
	var cvs []float64
	esc, bt := math.Inf(1), math.Inf(1)
	for _, p := range points {
		if p.EscapeTimeCV != nil {
			cvs = append(cvs, *p.EscapeTimeCV)
		}
		esc = math.Min(esc, p.EscapedFraction)
		if p.BarrierOverTemperature != nil {
			bt = math.Min(bt, *p.BarrierOverTemperature)
		}
	}
	checks := []report.RegimeCheck{
		report.Between("median escape-time CV over the points (1 for exponential escape)", stats.Median(cvs), regimeCVLo, regimeCVHi).
			WithReach("a barrier of more temperatures (larger B/η or criterion delta) and a start at a true minimum, so that escapes are rare events"),
		report.AtLeast("smallest fraction of runs escaped", esc, regimeEscaped).WithReach("a larger max_steps"),
	}
	if !math.IsInf(bt, 1) {
		checks = append(checks, report.AtLeast("smallest barrier over temperature ΔL/T", bt, regimeBarrierOverT).
			WithReach("smaller η/B (SGD) or D (SGLD)"))
	}
	return checks
}

// exactRegime returns the checks that a continuous-time Theorem 2 applies
// to 1-D points with exact references: the step converged (rate at η over
// rate at η/2 at fixed B/η within regimeStepTolerance of 1) and the noise
// bounded away from 0 on the path.
func exactRegime(points []kramers.PointSummary) []report.RegimeCheck {
	step, floor := 0.0, math.Inf(1)
	n := 0
	for _, p := range points {
		if p.Exact == nil {
			continue
		}
		n++
		if p.Exact.StepRatio != nil {
			step = math.Max(step, math.Abs(*p.Exact.StepRatio-1))
		} else {
			step = math.Inf(1)
		}
		if p.Exact.NoiseFloor != nil {
			floor = math.Min(floor, *p.Exact.NoiseFloor)
		}
	}
	if n == 0 {
		return nil
	}
	return []report.RegimeCheck{
		report.AtLeast("smallest noise on the escape path, min D(x)/D(a)", floor, regimeNoiseFloor).
			WithReach("a noise that stays positive on the path, e.g. SGD's own noise of a finite sum (panels g–i, sgd-diffusion-finite-sum on the twowell); under |H| the continuous diffusion never crosses the inflection point and only finite steps escape"),
		report.AtMost("largest |rate(η)/rate(η/2) − 1| at fixed B/η (exact chain)", step, regimeStepTolerance).
			WithReach("a smaller step η at fixed B/η"),
	}
}

// allPoints concatenates the points of panels.
func allPoints(ps []kramers.PanelResult) []kramers.PointSummary {
	var out []kramers.PointSummary
	for _, p := range ps {
		out = append(out, p.Points...)
	}
	return out
}

// slopeEffect is the effect of a panel's fitted slope against the
// prediction pred, with the slope of the exact chain's −log γ over the same
// points as its reference when every point has one.
func slopeEffect(p kramers.PanelResult, pred report.Interval) (report.Effect, bool) {
	if p.Relation == nil || len(p.Relation.Series) == 0 || p.Relation.Series[0].Line == nil {
		return report.Effect{}, false
	}
	l := p.Relation.Series[0].Line
	e := report.Effect{Name: "slope of −log γ against " + variableLabel[p.Variable], Value: l.Slope,
		Interval: report.IntervalOf(l.Slope, l.SlopeCI), Prediction: pred}
	var xs, ys []float64
	for i, idx := range p.Relation.Series[0].Points {
		for _, pt := range p.Points {
			if pt.Point == idx && pt.Exact != nil && pt.Exact.ChainRate != nil && *pt.Exact.ChainRate > 0 {
				xs = append(xs, p.Relation.Series[0].X[i])
				ys = append(ys, -math.Log(*pt.Exact.ChainRate))
			}
		}
	}
	if len(xs) >= 2 && len(xs) == len(p.Relation.Series[0].Points) {
		if f, err := stats.FitLine(xs, ys); err == nil {
			e.Reference = &report.Quantity{Name: "slope of the exact chain's −log γ over the same points", Value: f.Slope}
		}
	}
	return e, true
}

// networkClaim judges Theorem 2 on the network panels of the figure whose
// variables are vars, behind the regime checks of Kramers' escape at a
// true minimum.
func networkClaim(fig *kramers.FigureReport, src report.Source, figure, id string, row report.Conclusion, statement string, vars ...string) report.Claim {
	c := report.Claim{ID: id, Conclusion: row, Statement: statement, At: "the true minimum of the regularised loss (minimum.json of each panel)",
		Sources: []report.Source{src}, Figure: figure}
	c.Rule = "not-testable unless the escapes are Kramers' (median escape-time CV in [0.8, 1.25], ≥ 90% of runs escaped) from a minimum (‖∇L‖ ≤ 1e-5); then agrees when each slope's 95% interval lies above 0, disagrees when one lies below 0, inconclusive when one straddles 0"
	ps := panelsOf(fig, "mlp-", vars...)
	grad := 0.0
	for _, p := range ps {
		if e, ok := slopeEffect(p, report.Above(0)); ok {
			c.Effects = append(c.Effects, e)
			if l := p.Relation.Series[0].Line; l.R2 != nil {
				c.Details = append(c.Details, report.Quantity{Name: "R² against " + variableLabel[p.Variable], Value: *l.R2})
			}
		}
		if p.Minimum != nil {
			grad = math.Max(grad, p.Minimum.GradNorm)
		}
	}
	if len(ps) < len(vars) {
		c.Verdict = report.Inconclusive
		c.Finding = fmt.Sprintf("Only %d of the %d network panels are in figure.json.", len(ps), len(vars))
		return c
	}
	c.Regime = append(kramersRegime(allPoints(ps)), report.AtMost("‖∇L‖ at θ₀", grad, regimeGradNorm).WithReach("minimizer lbfgs with grad_tol ≤ 1e-6 and a weight_decay"))
	c.Judge()
	c.Finding = "Minibatch SGD on the MLP from the true minimum: " + summarise(c.Effects) + "."
	if len(c.Effects) == 0 {
		c.Finding = fmt.Sprintf("Minibatch SGD on the MLP from the true minimum: no slope could be fitted (%d of %d runs escaped).", escapedRuns(ps), totalRuns(ps))
	}
	return c
}

// theorem2Claim judges Theorem 2's band [slope at s = 1, slope at s = 0]
// on the 1-D panels of builtin prefix whose variables are vars, behind the
// regime checks of Kramers' escape and of Theorem 2 (step converged, noise
// positive on the path), with the exact chain's slope beside each measured
// one.
func theorem2Claim(fig *kramers.FigureReport, src report.Source, figure, prefix, id string, row report.Conclusion, statement string, vars ...string) report.Claim {
	c := report.Claim{ID: id, Conclusion: row, Statement: statement, Sources: []report.Source{src}, Figure: figure}
	c.Rule = "not-testable unless the escapes are Kramers' (median escape-time CV in [0.8, 1.25], ≥ 90% escaped, ΔL/T ≥ 3), the step has converged (the exact chain's rate moves < 10% when η halves at fixed B/η) and the noise stays above 5% of its value at the minimum on the whole path; then agrees when each slope's 95% interval lies inside Theorem 2's range [slope at s = 1, slope at s = 0], disagrees when one lies outside, inconclusive when one straddles an end"
	ps := panelsOf(fig, prefix, vars...)
	for _, p := range ps {
		if p.Relation == nil || len(p.Relation.Series) == 0 {
			continue
		}
		s := p.Relation.Series[0]
		if s.PredictedSlopeS0 == nil || s.PredictedSlopeS1 == nil {
			continue
		}
		lo, hi := math.Min(*s.PredictedSlopeS0, *s.PredictedSlopeS1), math.Max(*s.PredictedSlopeS0, *s.PredictedSlopeS1)
		if e, ok := slopeEffect(p, report.Interval{Lo: lo, Hi: hi}); ok {
			c.Effects = append(c.Effects, e)
		}
		v := variableLabel[p.Variable]
		if s.SFromSlope != nil {
			c.Details = append(c.Details, report.Quantity{Name: "s implied by the slope against " + v, Value: *s.SFromSlope})
		}
		var ss []float64
		for _, pt := range p.Points {
			if pt.Exact != nil && pt.Exact.ContinuousS != nil {
				ss = append(ss, *pt.Exact.ContinuousS)
			}
		}
		if len(ss) > 0 {
			c.Details = append(c.Details, report.Quantity{Name: "median s of the exact continuous escape (" + v + " panel)", Value: stats.Median(ss)})
		}
	}
	if len(c.Effects) == 0 {
		c.Verdict = report.Inconclusive
		c.Finding = "figure.json has no " + prefix + " panel with Theorem 2's range."
		return c
	}
	pts := allPoints(ps)
	c.Regime = append(kramersRegime(pts), exactRegime(pts)...)
	c.Judge()
	c.Finding = summarise(c.Effects) + "."
	return c
}

// escapedRuns and totalRuns count the runs of panels ps that escaped and
// all their runs.
func escapedRuns(ps []kramers.PanelResult) int {
	n := 0
	for _, p := range ps {
		n += p.Escaped
	}
	return n
}

func totalRuns(ps []kramers.PanelResult) int {
	n := 0
	for _, p := range ps {
		n += p.Runs
	}
	return n
}

// summarise writes effects as "name value [lo, hi]", joined by "; ".
func summarise(es []report.Effect) string {
	var parts []string
	for _, e := range es {
		parts = append(parts, fmt.Sprintf("%s %.4g %v", e.Name, e.Value, e.Interval))
	}
	return strings.Join(parts, "; ")
}
