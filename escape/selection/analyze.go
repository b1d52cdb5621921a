package selection

import (
	"fmt"
	"math"
	"strings"

	"github.com/sgn-project/sgn/escape"
	"github.com/sgn-project/sgn/internal/stats"
)

// Result is the measurement and the theory of one point.
type Result struct {
	Point       Point
	Measurement Measurement
	Prediction  *Prediction
}

// Analyze measures every point of a sweep that has replicas and attaches
// its prediction.
func Analyze(d Data) ([]Result, error) {
	points := d.Config.Points()
	byPoint := make([][]Replica, len(points))
	for _, r := range d.Runs {
		byPoint[r.Point] = append(byPoint[r.Point], r.Result)
	}
	var out []Result
	for i, p := range points {
		if len(byPoint[i]) == 0 {
			continue
		}
		pr, err := Predict(p)
		if err != nil {
			return nil, fmt.Errorf("point %d (%s): %w", i, p.Label(), err)
		}
		out = append(out, Result{Point: p, Measurement: Measure(byPoint[i], p.Eta), Prediction: pr})
	}
	return out, nil
}

// Equilibrated reports whether the point's ratio means something: at least
// one transition each way, so that every replica is not simply where it
// started.
func (r Result) Equilibrated() bool {
	return r.Measurement.SharpToFlat > 0 && r.Measurement.FlatToSharp > 0
}

// Abscissa returns the fit variable of the point: B/η for the SGD kinds,
// 1/D for sgld, and its name.
func (r Result) Abscissa() (x float64, against string) {
	if usesTemperature(r.Point.Dynamics) {
		return 1 / r.Point.Temperature, "1/D"
	}
	return r.Point.BatchSize / r.Point.Eta, "B/eta"
}

// Fit is the line log P(flat)/P(sharp) = intercept + slope·x of one
// dynamics, x = B/η (SGD kinds) or 1/D (sgld), by least squares over its
// equilibrated points weighted by 1/σᵢ² (σᵢ from each point's 95%
// interval; equal weights when a point has none, see Weighting), with
// Student-t 95% intervals (nil with fewer than three points) and the
// theory's line beside it. Slope and Intercept are null when there is no
// line (fewer than two usable points). The intercept is the log-prefactor
// of the occupancy ratio, log(γ₁/γ₂) at B/η → 0 (1/D → 0): Theorem 2's
// prefactors |H_be|/2π are equal for the two valleys (intercept 0), the
// exact continuous-time ratio has its own (ExactIntercept).
type Fit struct {
	Dynamics    escape.Dynamics `json:"dynamics"`
	Against     string          `json:"against"`
	N           int             `json:"n"`
	Slope       *float64        `json:"slope"`
	SlopeCI     *[2]float64     `json:"slope_ci95"`
	Intercept   *float64        `json:"intercept"`
	InterceptCI *[2]float64     `json:"intercept_ci95"`
	R2          *float64        `json:"r2"`
	// ImpliedS (SGD kinds) solves Theorem 2's slope for s:
	// slope = PredictedSlopeS0 + s·(PredictedSlopeS1 − PredictedSlopeS0);
	// with equal barriers s = slope/(2ΔL·(1/h₂ − 1/h₁)).
	ImpliedS *float64 `json:"implied_s"`
	// ImpliedSCI maps the slope's interval through the same relation.
	ImpliedSCI *[2]float64 `json:"implied_s_ci95,omitempty"`
	// Theorem 1 (sgld): slope ΔL₁ − ΔL₂, intercept ½·log(det H(a₁)/det H(a₂)).
	PredictedSlope     *float64 `json:"predicted_slope,omitempty"`
	PredictedIntercept *float64 `json:"predicted_intercept,omitempty"`
	// PredictedSlopeTolerance (sgld) is how far from PredictedSlope the
	// fitted slope may lie when each valley's escape rate is within
	// escape.KramersRateFactor of Theorem 1's at every point: the log
	// ratio then within ±2·ln KramersRateFactor, and the slope within
	// stats.SlopeBound of that over the fitted points with their weights.
	PredictedSlopeTolerance *float64 `json:"predicted_slope_tolerance,omitempty"`
	// Theorem 2 (SGD kinds): slopes at s = 0 and s = 1 (intercept 0), and
	// PredictedSlopePathS with each valley's own path factor
	// (Theorem2PathSlope at PathS's s of the sharp and the flat valley;
	// 1-D finite-sum noise only): Theorem 2's prediction, of which a
	// common s (ImpliedS) is only a one-number summary.
	PredictedSlopeS0    *float64 `json:"predicted_slope_s0,omitempty"`
	PredictedSlopeS1    *float64 `json:"predicted_slope_s1,omitempty"`
	PredictedSlopePathS *float64 `json:"predicted_slope_path_s,omitempty"`
	// ExactSlope and ExactIntercept fit the exact continuous-time ratios
	// (1-D) over the same abscissae.
	ExactSlope     *float64 `json:"exact_slope,omitempty"`
	ExactIntercept *float64 `json:"exact_intercept,omitempty"`
	// Weighting says how the points were weighted: by 1/σᵢ², σᵢ the standard
	// error of log P(flat)/P(sharp) from its 95% interval, or equally when
	// some point has no interval. UnweightedSlope is the ordinary
	// least-squares slope beside it.
	Weighting       string   `json:"weighting"`
	UnweightedSlope *float64 `json:"unweighted_slope,omitempty"`
	// Note names the points left out.
	Note string `json:"note,omitempty"`
}

// byDynamics groups rs by dynamics: the dynamics in order of first
// appearance and the results of each, in their order in rs.
func byDynamics(rs []Result) (order []escape.Dynamics, by map[escape.Dynamics][]Result) {
	by = map[escape.Dynamics][]Result{}
	for _, r := range rs {
		if _, ok := by[r.Point.Dynamics]; !ok {
			order = append(order, r.Point.Dynamics)
		}
		by[r.Point.Dynamics] = append(by[r.Point.Dynamics], r)
	}
	return order, by
}

// FitAll fits one line per dynamics over the results (in dynamics order of
// first appearance); a dynamics with fewer than two usable abscissae has a
// Fit with only its Note.
func FitAll(rs []Result) []Fit {
	order, by := byDynamics(rs)
	var fits []Fit
	for _, d := range order {
		fits = append(fits, fitDynamics(d, by[d]))
	}
	return fits
}

func fitDynamics(dyn escape.Dynamics, rs []Result) Fit {
	_, against := rs[0].Abscissa()
	f := Fit{Dynamics: dyn, Against: against}
	var xs, ys, ex, ws []float64
	var dropped []string
	for _, r := range rs {
		x, _ := r.Abscissa()
		q := r.Measurement.OccupancyRatio
		if !r.Equilibrated() || !(q > 0) || math.IsInf(q, 0) {
			dropped = append(dropped, fmt.Sprintf("point %d (%s: %d/%d transitions)", r.Point.Index, r.Point.Label(), r.Measurement.SharpToFlat, r.Measurement.FlatToSharp))
			continue
		}
		xs = append(xs, x)
		ys = append(ys, math.Log(q))
		// σ of log q from its 95% interval (NaN without one).
		ci := r.Measurement.OccupancyRatioCI
		sd := (math.Log(ci[1]) - math.Log(ci[0])) / (2 * 1.959963984540054)
		ws = append(ws, 1/(sd*sd))
		if r.Prediction != nil && r.Prediction.Exact != nil {
			ex = append(ex, math.Log(*r.Prediction.Exact))
		}
	}
	if len(dropped) > 0 {
		f.Note = "left out (no transition one way: the ratio is where the replicas started): " + strings.Join(dropped, ", ")
	}
	p := rs[0].Prediction
	if p != nil {
		if usesTemperature(dyn) {
			s, i := Theorem1Line(p.Sharp, p.Flat)
			f.PredictedSlope, f.PredictedIntercept = escape.Finite(s), escape.Finite(i)
		} else {
			s0, s1 := Theorem2Slopes(p.Sharp, p.Flat)
			f.PredictedSlopeS0, f.PredictedSlopeS1 = escape.Finite(s0), escape.Finite(s1)
			if tw, err := escape.NewTwoWell(rs[0].Point.Landscape); err == nil && (dyn == SGD || dyn == SGDDiffusionFiniteSum) {
				a, b := PathS(tw)
				f.PredictedSlopePathS = escape.Finite(Theorem2PathSlope(p.Sharp, p.Flat, a, b))
			}
		}
	}
	f.N = len(xs)
	weighted := len(ws) > 0
	for _, w := range ws {
		weighted = weighted && w > 0 && !math.IsInf(w, 0) && !math.IsNaN(w)
	}
	if len(xs) < 2 {
		f.Note = strings.TrimPrefix(fmt.Sprintf("%s; no line through %d point (a line needs two)", f.Note, len(xs)), "; ")
		return f
	}
	var line stats.LineFit
	var err error
	if weighted {
		f.Weighting = "1/σ² of log P(flat)/P(sharp), σ from each point's 95% interval"
		line, err = stats.FitLineWeighted(xs, ys, ws)
		if ols, err := stats.FitLine(xs, ys); err == nil {
			f.UnweightedSlope = escape.Finite(ols.Slope)
		}
	} else {
		f.Weighting = "equal (a point has no interval)"
		line, err = stats.FitLine(xs, ys)
	}
	if err != nil {
		f.Note = strings.TrimPrefix(f.Note+"; no line: "+err.Error(), "; ")
		return f
	}
	f.Slope, f.Intercept, f.SlopeCI, f.InterceptCI, f.R2 = escape.Finite(line.Slope), escape.Finite(line.Intercept), line.SlopeCI, line.InterceptCI, line.R2
	if f.PredictedSlope != nil {
		var w []float64
		if weighted {
			w = ws
		}
		f.PredictedSlopeTolerance = escape.Finite(stats.SlopeBound(xs, w, 2*math.Log(escape.KramersRateFactor)))
	}
	if f.PredictedSlopeS0 != nil && *f.PredictedSlopeS1 != *f.PredictedSlopeS0 {
		s0, s1 := *f.PredictedSlopeS0, *f.PredictedSlopeS1
		impl := func(slope float64) float64 { return (slope - s0) / (s1 - s0) }
		f.ImpliedS = escape.Finite(impl(line.Slope))
		if f.SlopeCI != nil {
			a, b := impl(f.SlopeCI[0]), impl(f.SlopeCI[1])
			f.ImpliedSCI = &[2]float64{math.Min(a, b), math.Max(a, b)}
		}
	}
	if len(ex) == len(xs) {
		if el, err := stats.FitLine(xs, ex); err == nil {
			f.ExactSlope, f.ExactIntercept = escape.Finite(el.Slope), escape.Finite(el.Intercept)
		}
	}
	return f
}
