package selection

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strconv"

	"github.com/sgn-project/sgn/escape"
	"github.com/sgn-project/sgn/internal/atomicfile"
)

// Output file names.
const (
	JSONFile   = "selection.json"
	CSVFile    = "selection.csv"
	FigureStem = "selection"
)

// RateUnit says per what the rates are.
const RateUnit = "per unit time t = η·steps"

// PointRecord is one point of selection.json and one row of selection.csv.
// Undefined numbers (no transition, a ratio with no upper bound, a
// prediction that does not apply) are null.
type PointRecord struct {
	Point       int             `json:"point"`
	Dynamics    escape.Dynamics `json:"dynamics"`
	BatchSize   *float64        `json:"batch_size"`
	Eta         float64         `json:"eta"`
	Temperature *float64        `json:"temperature"`
	// X is the fit abscissa: B/η (SGD kinds) or 1/D (sgld).
	X        float64 `json:"x"`
	Replicas int     `json:"replicas"`
	Steps    int64   `json:"steps_per_replica"`
	// OccupancyRatio is P(flat)/P(sharp): the fraction of time on the flat
	// side of the col over that on the sharp side.
	OccupancyRatio      *float64 `json:"occupancy_ratio"`
	OccupancyRatioCI    []any    `json:"occupancy_ratio_ci95"`
	LogOccupancyRatio   *float64 `json:"log_occupancy_ratio"`
	LogOccupancyRatioCI []any    `json:"log_occupancy_ratio_ci95"`
	FlatFraction        float64  `json:"flat_fraction"`
	RateSharpToFlat     *float64 `json:"rate_sharp_to_flat"`
	RateSharpToFlatCI   []any    `json:"rate_sharp_to_flat_ci95"`
	RateFlatToSharp     *float64 `json:"rate_flat_to_sharp"`
	RateFlatToSharpCI   []any    `json:"rate_flat_to_sharp_ci95"`
	Transitions         int64    `json:"transitions"`
	SharpToFlat         int64    `json:"transitions_sharp_to_flat"`
	FlatToSharp         int64    `json:"transitions_flat_to_sharp"`
	SharpTime           float64  `json:"time_sharp"`
	FlatTime            float64  `json:"time_flat"`
	// Equilibrated is false when no transition happened one way: the
	// ratio then only says where the replicas started.
	Equilibrated bool `json:"equilibrated"`
	// Theorem 1 (sgld).
	PredictedRatio           *float64 `json:"predicted_occupancy_ratio,omitempty"`
	PredictedRateSharpToFlat *float64 `json:"predicted_rate_sharp_to_flat,omitempty"`
	PredictedRateFlatToSharp *float64 `json:"predicted_rate_flat_to_sharp,omitempty"`
	// Theorem 2 (SGD kinds) at s = 0 and s = 1.
	PredictedRatioS0           *float64 `json:"predicted_occupancy_ratio_s0,omitempty"`
	PredictedRatioS1           *float64 `json:"predicted_occupancy_ratio_s1,omitempty"`
	PredictedRateSharpToFlatS0 *float64 `json:"predicted_rate_sharp_to_flat_s0,omitempty"`
	PredictedRateSharpToFlatS1 *float64 `json:"predicted_rate_sharp_to_flat_s1,omitempty"`
	PredictedRateFlatToSharpS0 *float64 `json:"predicted_rate_flat_to_sharp_s0,omitempty"`
	PredictedRateFlatToSharpS1 *float64 `json:"predicted_rate_flat_to_sharp_s1,omitempty"`
	// ImpliedS solves Theorem 2 for s from this point's ratio.
	ImpliedS *float64 `json:"implied_s,omitempty"`
	// PredictedExact is the continuous-time ratio (1-D; ExactRatio1D).
	PredictedExact *float64 `json:"predicted_occupancy_ratio_exact,omitempty"`
}

// Record returns the JSON record of r.
func (r Result) Record() PointRecord {
	p, m := r.Point, r.Measurement
	x, _ := r.Abscissa()
	rec := PointRecord{Point: p.Index, Dynamics: p.Dynamics, Eta: p.Eta, X: x, Replicas: m.Replicas, Steps: p.Steps,
		FlatFraction: m.FlatFraction, Transitions: m.Transitions, SharpToFlat: m.SharpToFlat, FlatToSharp: m.FlatToSharp,
		SharpTime: m.SharpTime, FlatTime: m.FlatTime, Equilibrated: r.Equilibrated()}
	if usesBatch(p.Dynamics) {
		rec.BatchSize = escape.Finite(p.BatchSize)
	}
	if usesTemperature(p.Dynamics) {
		rec.Temperature = escape.Finite(p.Temperature)
	}
	rec.OccupancyRatio = escape.Finite(m.OccupancyRatio)
	rec.OccupancyRatioCI = escape.FinitePair(m.OccupancyRatioCI[0], m.OccupancyRatioCI[1])
	rec.LogOccupancyRatio = escape.Finite(math.Log(m.OccupancyRatio))
	rec.LogOccupancyRatioCI = escape.FinitePair(math.Log(m.OccupancyRatioCI[0]), math.Log(m.OccupancyRatioCI[1]))
	rec.RateSharpToFlat, rec.RateSharpToFlatCI = escape.Finite(m.RateSharpToFlat), escape.FinitePair(m.RateSharpToFlatCI[0], m.RateSharpToFlatCI[1])
	rec.RateFlatToSharp, rec.RateFlatToSharpCI = escape.Finite(m.RateFlatToSharp), escape.FinitePair(m.RateFlatToSharpCI[0], m.RateFlatToSharpCI[1])
	if pr := r.Prediction; pr != nil {
		rec.PredictedRatio, rec.PredictedRateSharpToFlat, rec.PredictedRateFlatToSharp = pr.Ratio, pr.RateSharpToFlat, pr.RateFlatToSharp
		rec.PredictedRatioS0, rec.PredictedRatioS1 = pr.RatioS0, pr.RatioS1
		rec.PredictedRateSharpToFlatS0, rec.PredictedRateSharpToFlatS1 = pr.RateSharpToFlatS0, pr.RateSharpToFlatS1
		rec.PredictedRateFlatToSharpS0, rec.PredictedRateFlatToSharpS1 = pr.RateFlatToSharpS0, pr.RateFlatToSharpS1
		rec.PredictedExact = pr.Exact
		if r.Equilibrated() {
			rec.ImpliedS = escape.Finite(pr.ImpliedS(m.OccupancyRatio))
		}
	}
	return rec
}

// LandscapeSummary describes the landscape of a report: the spec and
// what follows from it.
type LandscapeSummary struct {
	Spec escape.TwoWellSpec `json:"spec"`
	// SharpMin, FlatMin are a₁ and a₂ along θ₁ (the col is at 0);
	// SharpThreshold, FlatThreshold the points a trajectory must reach to
	// be committed to a valley (half way from the col).
	SharpMin       float64 `json:"sharp_min"`
	FlatMin        float64 `json:"flat_min"`
	SharpThreshold float64 `json:"sharp_threshold"`
	FlatThreshold  float64 `json:"flat_threshold"`
	// LogDetRatio is log(det H(a₁)/det H(a₂)).
	LogDetRatio float64 `json:"log_det_ratio_sharp_over_flat"`
	// PathSSharp and PathSFlat (1-D) are the s of Theorem 2 that the
	// finite-sum noise gives each valley in the continuous-time limit
	// (PathS); null in n-D.
	PathSSharp *float64 `json:"path_s_sharp"`
	PathSFlat  *float64 `json:"path_s_flat"`
}

// Summarize describes the landscape of spec.
func Summarize(spec escape.TwoWellSpec) (LandscapeSummary, error) {
	tw, err := escape.NewTwoWell(spec)
	if err != nil {
		return LandscapeSummary{}, err
	}
	p, err := Predict(Point{Dynamics: SGLD, Temperature: 1, Eta: 1, Landscape: spec})
	if err != nil {
		return LandscapeSummary{}, err
	}
	c1, c2 := tw.Thresholds()
	_, icpt := Theorem1Line(p.Sharp, p.Flat)
	s1, s2 := PathS(tw)
	a1, a2 := tw.Minima()
	return LandscapeSummary{Spec: tw.Spec(), SharpMin: a1, FlatMin: a2, SharpThreshold: c1, FlatThreshold: c2, LogDetRatio: 2 * icpt,
		PathSSharp: escape.Finite(s1), PathSFlat: escape.Finite(s2)}, nil
}

// Report is selection.json.
type Report struct {
	Version    string           `json:"version"`
	Config     Config           `json:"config"`
	ConfigHash string           `json:"config_hash"`
	Landscape  LandscapeSummary `json:"landscape"`
	RateUnit   string           `json:"rate_unit"`
	Points     []PointRecord    `json:"points"`
	Fits       []Fit            `json:"fits"`
	// WallSeconds and CPUSeconds are what the command that wrote the report
	// cost from its start (its process CPU time: user + system, all
	// threads); 0 (absent) when not recorded.
	WallSeconds float64 `json:"wall_seconds,omitempty"`
	CPUSeconds  float64 `json:"cpu_seconds,omitempty"`
}

// NewReport assembles the report of a sweep.
func NewReport(d Data, rs []Result, fits []Fit, version string) (Report, error) {
	ls, err := Summarize(d.Config.Landscape)
	if err != nil {
		return Report{}, err
	}
	rep := Report{Version: version, Config: d.Config, ConfigHash: d.Hash, Landscape: ls, RateUnit: RateUnit, Fits: fits}
	for _, r := range rs {
		rep.Points = append(rep.Points, r.Record())
	}
	return rep, nil
}

// Write writes dir/selection.json, dir/selection.csv and the figure
// dir/selection.png/.svg, each atomically, and returns their paths. A
// single point is a table, not a figure: then no figure is drawn (and an
// earlier run's is removed); selection.csv holds the point.
func (rep Report) Write(dir string, rs []Result) ([]string, error) {
	jsonPath := filepath.Join(dir, JSONFile)
	if err := atomicfile.WriteJSON(jsonPath, rep); err != nil {
		return nil, err
	}
	csvPath := filepath.Join(dir, CSVFile)
	if err := atomicfile.WriteBytes(csvPath, rep.csv()); err != nil {
		return nil, err
	}
	stem := filepath.Join(dir, FigureStem)
	if len(rs) < 2 {
		for _, ext := range []string{".png", ".svg"} {
			if err := os.Remove(stem + ext); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return nil, err
			}
		}
		return []string{jsonPath, csvPath}, nil
	}
	if err := DrawFigure(rs, rep.Fits, stem); err != nil {
		return nil, err
	}
	return []string{jsonPath, csvPath, stem + ".png", stem + ".svg"}, nil
}

// csv renders the points as CSV (empty cells for nulls).
func (rep Report) csv() []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write([]string{"point", "dynamics", "batch_size", "eta", "temperature", "x", "replicas", "steps_per_replica",
		"occupancy_ratio", "occupancy_ratio_lo", "occupancy_ratio_hi", "rate_sharp_to_flat", "rate_sharp_to_flat_lo", "rate_sharp_to_flat_hi",
		"rate_flat_to_sharp", "rate_flat_to_sharp_lo", "rate_flat_to_sharp_hi", "transitions", "equilibrated",
		"predicted_occupancy_ratio", "predicted_occupancy_ratio_s0", "predicted_occupancy_ratio_s1", "predicted_occupancy_ratio_exact", "implied_s"})
	f := func(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
	p := func(x *float64) string {
		if x == nil {
			return ""
		}
		return f(*x)
	}
	a := func(v any) string {
		if x, ok := v.(float64); ok {
			return f(x)
		}
		return ""
	}
	for _, r := range rep.Points {
		_ = w.Write([]string{strconv.Itoa(r.Point), string(r.Dynamics), p(r.BatchSize), f(r.Eta), p(r.Temperature), f(r.X),
			strconv.Itoa(r.Replicas), strconv.FormatInt(r.Steps, 10),
			p(r.OccupancyRatio), a(r.OccupancyRatioCI[0]), a(r.OccupancyRatioCI[1]),
			p(r.RateSharpToFlat), a(r.RateSharpToFlatCI[0]), a(r.RateSharpToFlatCI[1]),
			p(r.RateFlatToSharp), a(r.RateFlatToSharpCI[0]), a(r.RateFlatToSharpCI[1]),
			strconv.FormatInt(r.Transitions, 10), strconv.FormatBool(r.Equilibrated),
			p(r.PredictedRatio), p(r.PredictedRatioS0), p(r.PredictedRatioS1), p(r.PredictedExact), p(r.ImpliedS)})
	}
	w.Flush()
	return b.Bytes()
}
