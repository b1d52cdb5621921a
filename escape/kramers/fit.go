package kramers

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/sgn-project/sgn/escape"
	"github.com/sgn-project/sgn/internal/stats"
)

// PointRate is the measured and the predicted escape rate of one point.
type PointRate struct {
	Point    Point
	Estimate Estimate
	// Prediction is nil when theory says nothing about the point.
	Prediction *escape.Prediction
	// Reference is the exact escape of a 1-D analytic point
	// (escape.ExactReference1D), nil for other points.
	Reference *escape.Reference
}

// RatePerTime returns the escape rate per unit time t = η·steps and its
// 95% confidence interval: the per-step values divided by η.
func (r PointRate) RatePerTime() (rate, lo, hi float64) {
	e := r.Point.Eta
	return r.Estimate.Rate / e, r.Estimate.Lo / e, r.Estimate.Hi / e
}

// NegLogRate returns −log γ (γ per unit time) and its 95% confidence
// interval [−log hi, −log lo]; +Inf when nothing escaped.
func (r PointRate) NegLogRate() (v, lo, hi float64) {
	g, glo, ghi := r.RatePerTime()
	return -math.Log(g), -math.Log(ghi), -math.Log(glo)
}

// Ratio returns the measured rate over Theorem 1's (NaN when not SGLD).
func (r PointRate) Ratio() float64 {
	if r.Prediction == nil || r.Prediction.Rate == nil {
		return math.NaN()
	}
	g, _, _ := r.RatePerTime()
	return g / *r.Prediction.Rate
}

// S returns Theorem 2's s solved from the measured rate (NaN when not an
// SGD point or nothing escaped).
func (r PointRate) S() float64 {
	if r.Prediction == nil || r.Prediction.Theorem != escape.Theorem2 || r.Estimate.Escaped == 0 {
		return math.NaN()
	}
	nl, _, _ := r.NegLogRate()
	return escape.Theorem2S(r.Prediction.Curvature, r.Point.Eta, r.Point.BatchSize, nl)
}

// PointRates estimates the rate of every point of a sweep from its runs and
// attaches predict's prediction (predict may be nil) and, for a 1-D
// analytic point, its exact escape (escape.ExactReference1D). Points
// without runs are left out.
func PointRates(sd SweepData, predict PredictFunc) ([]PointRate, error) {
	points := sd.Config.Points()
	byPoint := make([][]RunRecord, len(points))
	for _, r := range sd.Runs {
		byPoint[r.Point] = append(byPoint[r.Point], r)
	}
	var out []PointRate
	for i, p := range points {
		if len(byPoint[i]) == 0 {
			continue
		}
		pr := PointRate{Point: p, Estimate: EstimateRate(byPoint[i])}
		if p.Network == nil {
			ref, err := escape.ExactReference1D(p.Point)
			if err != nil {
				return nil, fmt.Errorf("point %d (%s): exact reference: %w", i, p.Label(), err)
			}
			pr.Reference = ref
		}
		if predict != nil {
			pred, err := predict(p)
			if err != nil {
				return nil, fmt.Errorf("point %d (%s): %w", i, p.Label(), err)
			}
			pr.Prediction = pred
		}
		out = append(out, pr)
	}
	return out, nil
}

// Variable is the abscissa of a relation: a transform of one grid
// parameter.
type Variable struct {
	// Name is used in file names, e.g. "inv-sharpness".
	Name string
	// Label is the axis label, e.g. "1/k".
	Label string
	// Param is the grid parameter: "sharpness", "batch_size", "eta" or
	// "temperature".
	Param string
	x     func(p Point) float64
}

// Variables returns the relations fitted for a dynamics: for SGD dynamics
// −log γ against 1/k, B and 1/η (Theorem 2: linear in each); for SGLD
// against log k (Theorem 1: slope −1, a polynomial dependence) and 1/D
// (slope ΔL); none for gd.
func Variables(dynamics escape.Dynamics) []Variable {
	switch {
	case dynamics.UsesBatch():
		return []Variable{
			{"inv-sharpness", "1/k", "sharpness", func(p Point) float64 { return 1 / p.Sharpness }},
			{"batch-size", "B", "batch_size", func(p Point) float64 { return p.BatchSize }},
			{"inv-eta", "1/η", "eta", func(p Point) float64 { return 1 / p.Eta }},
		}
	case dynamics.UsesTemperature():
		return []Variable{
			{"log-sharpness", "log k", "sharpness", func(p Point) float64 { return math.Log(p.Sharpness) }},
			{"inv-temperature", "1/D", "temperature", func(p Point) float64 { return 1 / p.Temperature }},
		}
	}
	return nil
}

// paramValue returns the grid parameter name of p.
func paramValue(p Point, name string) float64 {
	switch name {
	case "sharpness":
		return p.Sharpness
	case "batch_size":
		return p.BatchSize
	case "eta":
		return p.Eta
	case "temperature":
		return p.Temperature
	}
	return math.NaN()
}

// SeriesFit is the line fitted to the points of one relation that share
// every grid parameter but the relation's.
type SeriesFit struct {
	// Fixed holds the other grid parameters of the series.
	Fixed map[string]float64 `json:"fixed"`
	// Points are the point indices, X the abscissae, Y = −log γ (γ per unit
	// time) with its 95% interval [YLo, YHi], of the points that escaped.
	Points []int     `json:"points"`
	X      []float64 `json:"x"`
	Y      []float64 `json:"y"`
	YLo    []float64 `json:"y_lo"`
	YHi    []float64 `json:"y_hi"`
	// Line is the least-squares line through (X, Y); nil with fewer than two
	// distinct X.
	Line *stats.LineFit `json:"line"`
	// PredictedSlope is the slope of Theorem 1's −log γ over the same X
	// (SGLD); PredictedSlopeS0/S1 are Theorem 2's at s = 0 and s = 1 (SGD),
	// and SFromSlope solves the measured slope for s: Theorem 2's −log γ is
	// linear in s, so slope(s) = slope₀ + s·(slope₁ − slope₀).
	PredictedSlope   *float64 `json:"predicted_slope,omitempty"`
	PredictedSlopeS0 *float64 `json:"predicted_slope_s0,omitempty"`
	PredictedSlopeS1 *float64 `json:"predicted_slope_s1,omitempty"`
	SFromSlope       *float64 `json:"s_from_slope,omitempty"`
	// Note says why a series has no line or left points out.
	Note string `json:"note,omitempty"`
	// predicted curves for the figure (Theorem 1, or Theorem 2 at s = 0, 1)
	pred, pred0, pred1 []float64
}

// Label names the series by its fixed parameters, e.g. "B=2 η=0.05".
func (s SeriesFit) Label() string { return fixedLabel(s.Fixed) }

// RelationFit is one relation: −log γ of one dynamics against one Variable.
type RelationFit struct {
	// Name is "<dynamics>-vs-<variable>", the figure's file name stem after
	// "fit-".
	Name     string          `json:"name"`
	Dynamics escape.Dynamics `json:"dynamics"`
	Variable string          `json:"variable"`
	XLabel   string          `json:"x_label"`
	Series   []SeriesFit     `json:"series"`
}

// FitRelations fits, for every dynamics and every Variable of it whose
// parameter takes at least two values, −log γ (γ per unit time) against the
// variable, one line per series of points sharing the other parameters.
// Points where nothing escaped have −log γ = ∞ and are left out (noted).
func FitRelations(rates []PointRate) []RelationFit {
	var dyns []escape.Dynamics
	byDyn := map[escape.Dynamics][]PointRate{}
	for _, r := range rates {
		d := r.Point.Dynamics
		if _, ok := byDyn[d]; !ok {
			dyns = append(dyns, d)
		}
		byDyn[d] = append(byDyn[d], r)
	}
	var out []RelationFit
	for _, d := range dyns {
		rs := byDyn[d]
		for _, v := range Variables(d) {
			distinct := map[float64]bool{}
			for _, r := range rs {
				distinct[paramValue(r.Point, v.Param)] = true
			}
			if len(distinct) < 2 {
				continue
			}
			out = append(out, fitRelation(d, v, rs))
		}
	}
	return out
}

// otherParams lists the grid parameters a series holds fixed.
func otherParams(p Point, varParam string) map[string]float64 {
	m := map[string]float64{}
	for _, name := range []string{"sharpness", "batch_size", "eta", "temperature"} {
		if name == varParam {
			continue
		}
		if v := paramValue(p, name); v != 0 {
			m[name] = v
		}
	}
	return m
}

func seriesKey(m map[string]float64) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k + "=" + strconv.FormatFloat(m[k], 'g', -1, 64) + ";")
	}
	return b.String()
}

func fitRelation(dyn escape.Dynamics, v Variable, rs []PointRate) RelationFit {
	rel := RelationFit{Name: string(dyn) + "-vs-" + v.Name, Dynamics: dyn, Variable: v.Name, XLabel: v.Label}
	var keys []string
	groups := map[string][]PointRate{}
	for _, r := range rs {
		k := seriesKey(otherParams(r.Point, v.Param))
		if _, ok := groups[k]; !ok {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], r)
	}
	for _, k := range keys {
		g := groups[k]
		sort.SliceStable(g, func(i, j int) bool { return v.x(g[i].Point) < v.x(g[j].Point) })
		s := SeriesFit{Fixed: otherParams(g[0].Point, v.Param)}
		var dropped []string
		allPred, allPred2 := true, true
		for _, r := range g {
			if r.Estimate.Escaped == 0 {
				dropped = append(dropped, fmt.Sprintf("point %d (no escape)", r.Point.Index))
				continue
			}
			y, lo, hi := r.NegLogRate()
			s.Points = append(s.Points, r.Point.Index)
			s.X = append(s.X, v.x(r.Point))
			s.Y = append(s.Y, y)
			s.YLo = append(s.YLo, lo)
			s.YHi = append(s.YHi, hi)
			p := r.Prediction
			if p != nil && p.NegLogRate != nil {
				s.pred = append(s.pred, *p.NegLogRate)
			} else {
				allPred = false
			}
			if p != nil && p.NegLogRateS0 != nil && p.NegLogRateS1 != nil {
				s.pred0 = append(s.pred0, *p.NegLogRateS0)
				s.pred1 = append(s.pred1, *p.NegLogRateS1)
			} else {
				allPred2 = false
			}
		}
		if !allPred {
			s.pred = nil
		}
		if !allPred2 {
			s.pred0, s.pred1 = nil, nil
		}
		if len(dropped) > 0 {
			s.Note = "left out: " + strings.Join(dropped, ", ")
		}
		line, err := stats.FitLine(s.X, s.Y)
		if err != nil {
			s.Note = strings.TrimPrefix(s.Note+"; no line: "+err.Error(), "; ")
			rel.Series = append(rel.Series, s)
			continue
		}
		s.Line = &line
		if s.pred != nil {
			if pl, err := stats.FitLine(s.X, s.pred); err == nil {
				s.PredictedSlope = escape.Finite(pl.Slope)
			}
		}
		if s.pred0 != nil {
			l0, err0 := stats.FitLine(s.X, s.pred0)
			l1, err1 := stats.FitLine(s.X, s.pred1)
			if err0 == nil && err1 == nil {
				s.PredictedSlopeS0 = escape.Finite(l0.Slope)
				s.PredictedSlopeS1 = escape.Finite(l1.Slope)
				if l1.Slope != l0.Slope {
					s.SFromSlope = escape.Finite((line.Slope - l0.Slope) / (l1.Slope - l0.Slope))
				}
			}
		}
		rel.Series = append(rel.Series, s)
	}
	return rel
}
