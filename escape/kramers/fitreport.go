package kramers

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"

	"github.com/sgn-project/sgn/escape"
	"github.com/sgn-project/sgn/internal/atomicfile"
	"github.com/sgn-project/sgn/internal/cputime"
)

// RateUnit says which γ the −log γ of the outputs uses.
const RateUnit = "per unit time t = η·steps (rate per step divided by η)"

// RateSummary is the JSON form of a PointRate. Rates per step and per unit
// time come with their 95% confidence intervals; undefined numbers are
// null.
type RateSummary struct {
	Runs            int      `json:"runs"`
	Escaped         int      `json:"escaped"`
	EscapedFraction float64  `json:"escaped_fraction"`
	ExposureSteps   float64  `json:"exposure_steps"`
	RatePerStep     *float64 `json:"rate_per_step"`
	RatePerStepCI   []any    `json:"rate_per_step_ci95"`
	RatePerTime     *float64 `json:"rate_per_time"`
	RatePerTimeCI   []any    `json:"rate_per_time_ci95"`
	// NegLogRate is −log γ with γ per unit time; null when nothing escaped.
	NegLogRate   *float64 `json:"neg_log_rate_per_time"`
	NegLogRateCI []any    `json:"neg_log_rate_per_time_ci95"`
	// MeanEscapeStep and MeanEscapeTime average the runs that escaped
	// (biased low by censoring); MeanEscapeTimeMLE is 1/γ per unit time.
	MeanEscapeStep    *float64 `json:"mean_escape_step_escaped"`
	MeanEscapeTime    *float64 `json:"mean_escape_time_escaped"`
	MeanEscapeTimeMLE *float64 `json:"mean_escape_time_mle"`
	// Prediction is the theory (null when none applies).
	Prediction *escape.Prediction `json:"prediction"`
	// MeasuredOverPredicted is γ/γ_Theorem1 (SGLD); MeasuredOverExact is γ
	// over the exact continuous-time rate (1-D SGLD); S is Theorem 2's s
	// solved from the measured rate (SGD).
	MeasuredOverPredicted *float64 `json:"measured_over_predicted,omitempty"`
	MeasuredOverExact     *float64 `json:"measured_over_exact,omitempty"`
	S                     *float64 `json:"s_fitted,omitempty"`
	// EtaHMax is η·λ_max(H(a)); at 2 or more the minimum is unstable even
	// without noise and the runs escape by the instability of the step.
	EtaHMax *float64 `json:"eta_h_a_max,omitempty"`
	// EscapeTimeCV is the coefficient of variation of the escape steps
	// (1 for Kramers' exponential escape); BarrierOverTemperature is ΔL/T,
	// T the temperature of the dynamics at the minimum (D, or η·H_ae/(2B)).
	EscapeTimeCV           *float64 `json:"escape_time_cv"`
	BarrierOverTemperature *float64 `json:"barrier_over_temperature,omitempty"`
	// Exact is the exact escape of a 1-D analytic point (null otherwise);
	// MeasuredOverExactChain is the measured rate over its chain rate.
	Exact                  *escape.Reference `json:"exact,omitempty"`
	MeasuredOverExactChain *float64          `json:"measured_over_exact_chain,omitempty"`
}

// Summary returns the JSON form of r.
func (r PointRate) Summary() RateSummary {
	e := r.Estimate
	g, glo, ghi := r.RatePerTime()
	s := RateSummary{
		Runs: e.Runs, Escaped: e.Escaped, EscapedFraction: e.EscapedFraction(), ExposureSteps: e.Exposure,
		RatePerStep: escape.Finite(e.Rate), RatePerStepCI: escape.FinitePair(e.Lo, e.Hi),
		RatePerTime: escape.Finite(g), RatePerTimeCI: escape.FinitePair(glo, ghi),
		MeanEscapeStep:        escape.Finite(e.MeanEscapeStep),
		MeanEscapeTime:        escape.Finite(e.MeanEscapeStep * r.Point.Eta),
		MeanEscapeTimeMLE:     escape.Finite(1 / g),
		Prediction:            r.Prediction,
		MeasuredOverPredicted: escape.Finite(r.Ratio()),
		S:                     escape.Finite(r.S()),
	}
	if e.Escaped > 0 {
		nl, lo, hi := r.NegLogRate()
		s.NegLogRate, s.NegLogRateCI = escape.Finite(nl), escape.FinitePair(lo, hi)
	} else {
		s.NegLogRateCI = escape.FinitePair(-math.Log(ghi), math.Inf(1))
	}
	if r.Prediction != nil {
		s.EtaHMax = escape.Finite(r.Point.Eta * r.Prediction.Curvature.HAMax)
	}
	if r.Prediction != nil && r.Prediction.ExactRate != nil {
		s.MeasuredOverExact = escape.Finite(g / *r.Prediction.ExactRate)
	}
	s.EscapeTimeCV = escape.Finite(e.CV)
	if r.Prediction != nil {
		s.BarrierOverTemperature = escape.Finite(r.Prediction.Curvature.Barrier / escape.Temperature(r.Point.Point, r.Prediction.Curvature.HAe))
	}
	if r.Reference != nil {
		s.Exact = r.Reference
		if r.Reference.ChainRate != nil {
			s.MeasuredOverExactChain = escape.Finite(g / *r.Reference.ChainRate)
		}
	}
	return s
}

// fmtNum formats a number for CSV: shortest representation, empty when
// undefined.
func fmtNum(x float64) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return ""
	}
	return strconv.FormatFloat(x, 'g', -1, 64)
}

func fmtPtr(p *float64) string {
	if p == nil {
		return ""
	}
	return fmtNum(*p)
}

// ratesHeader returns the header of rates.csv.
func ratesHeader() []string {
	return []string{"point", "dynamics", "sharpness", "batch_size", "eta", "temperature",
		"runs", "escaped", "escaped_fraction", "exposure_steps",
		"rate_per_step", "rate_per_step_lo", "rate_per_step_hi",
		"rate_per_time", "rate_per_time_lo", "rate_per_time_hi",
		"neg_log_rate_per_time", "neg_log_rate_per_time_lo", "neg_log_rate_per_time_hi",
		"mean_escape_step_escaped", "theorem",
		"predicted_rate_per_time", "measured_over_predicted", "exact_rate_per_time",
		"predicted_rate_per_time_s0", "predicted_rate_per_time_s1", "s_fitted",
		"escape_time_cv", "barrier_over_temperature",
		"exact_chain_rate_per_time", "measured_over_exact_chain", "exact_continuous_rate_per_time",
		"step_ratio", "noise_floor_on_path", "s_exact_chain"}
}

// WriteRatesCSV writes one row per point to path
// atomically; empty cells are undefined numbers.
func WriteRatesCSV(path string, rates []PointRate) error {
	return atomicfile.Write(path, func(f io.Writer) error {
		w := csv.NewWriter(f)
		if err := w.Write(ratesHeader()); err != nil {
			return err
		}
		for _, r := range rates {
			p, e := r.Point, r.Estimate
			g, glo, ghi := r.RatePerTime()
			nl, nlo, nhi := r.NegLogRate()
			pred := r.Prediction
			if pred == nil {
				pred = &escape.Prediction{}
			}
			row := []string{strconv.Itoa(p.Index), string(p.Dynamics), fmtNum(p.Sharpness), fmtNum(p.BatchSize), fmtNum(p.Eta), fmtNum(p.Temperature),
				strconv.Itoa(e.Runs), strconv.Itoa(e.Escaped), fmtNum(e.EscapedFraction()), fmtNum(e.Exposure),
				fmtNum(e.Rate), fmtNum(e.Lo), fmtNum(e.Hi),
				fmtNum(g), fmtNum(glo), fmtNum(ghi),
				fmtNum(nl), fmtNum(nlo), fmtNum(nhi),
				fmtNum(e.MeanEscapeStep), pred.Theorem,
				fmtPtr(pred.Rate), fmtNum(r.Ratio()), fmtPtr(pred.ExactRate),
				fmtPtr(pred.RateS0), fmtPtr(pred.RateS1), fmtNum(r.S())}
			sum := r.Summary()
			ref := r.Reference
			if ref == nil {
				ref = &escape.Reference{}
			}
			row = append(row, fmtPtr(sum.EscapeTimeCV), fmtPtr(sum.BarrierOverTemperature),
				fmtPtr(ref.ChainRate), fmtPtr(sum.MeasuredOverExactChain), fmtPtr(ref.ContinuousRate),
				fmtPtr(ref.StepRatio), fmtPtr(ref.NoiseFloor), fmtPtr(ref.ChainS))
			if err := w.Write(row); err != nil {
				return err
			}
		}
		w.Flush()
		return w.Error()
	})
}

// FitReport is the content of fit.json.
type FitReport struct {
	Version    string `json:"version"`
	ConfigHash string `json:"config_hash"`
	Config     Config `json:"config"`
	// RateUnit and Y say what is fitted.
	RateUnit string `json:"rate_unit"`
	Y        string `json:"y"`
	// RunsFound and RunsTotal count the runs read and the runs of the sweep.
	RunsFound int `json:"runs_found"`
	RunsTotal int `json:"runs_total"`
	// Relations are the fitted relations; Figures the figure files (without
	// extension; .png and .svg exist).
	Relations []RelationFit `json:"relations"`
	Figures   []string      `json:"figures"`
	// Points are the measured and exact escape of every point, with what
	// the regime checks of the claims read (escape-time CV, escaped
	// fraction, barrier over temperature, the exact references).
	Points []PointSummary `json:"points"`
	// WallSeconds and CPUSeconds are what the command that wrote the fit
	// cost from its start (its process CPU time: user + system, all
	// threads); 0 (absent) when not recorded.
	WallSeconds float64 `json:"wall_seconds,omitempty"`
	CPUSeconds  float64 `json:"cpu_seconds,omitempty"`
}

// PointSummary is one point of a sweep with its RateSummary.
type PointSummary struct {
	Point       int             `json:"point"`
	Dynamics    escape.Dynamics `json:"dynamics"`
	Sharpness   float64         `json:"sharpness"`
	BatchSize   float64         `json:"batch_size,omitempty"`
	Eta         float64         `json:"eta"`
	Temperature float64         `json:"temperature,omitempty"`
	RateSummary
}

// PointSummaries returns the PointSummary of every rate, in order.
func PointSummaries(rates []PointRate) []PointSummary {
	out := make([]PointSummary, len(rates))
	for i, r := range rates {
		p := r.Point
		out[i] = PointSummary{Point: p.Index, Dynamics: p.Dynamics, Sharpness: p.Sharpness, BatchSize: p.BatchSize,
			Eta: p.Eta, Temperature: p.Temperature, RateSummary: r.Summary()}
	}
	return out
}

// WriteFit writes the fit of the sweep folder's data into dir: rates.csv,
// fit.json and fit-<relation>.png/.svg, fit.json with the wall and CPU
// seconds since start (none for the zero Clock). It returns the files
// written.
func WriteFit(dir string, sd SweepData, rates []PointRate, rels []RelationFit, version string, start cputime.Clock) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("cannot create output folder: %w", err)
	}
	var files []string
	path := filepath.Join(dir, RatesFile)
	if err := WriteRatesCSV(path, rates); err != nil {
		return nil, err
	}
	files = append(files, path)
	rep := FitReport{Version: version, ConfigHash: sd.Hash, Config: sd.Config, RateUnit: RateUnit, Points: PointSummaries(rates),
		Y:         "−log γ, γ per unit time; lines are ordinary least squares with 95% t intervals",
		RunsFound: len(sd.Runs), RunsTotal: len(sd.Config.Points()) * sd.Config.Runs, Relations: rels}
	if rep.Relations == nil {
		rep.Relations = []RelationFit{}
	}
	rep.Figures = []string{}
	for _, rel := range rels {
		fig, err := relationFigure(rel, true)
		if err != nil {
			return files, err
		}
		stem := filepath.Join(dir, "fit-"+rel.Name)
		if err := SaveFigure(fig, stem); err != nil {
			return files, err
		}
		rep.Figures = append(rep.Figures, "fit-"+rel.Name)
		files = append(files, stem+".png", stem+".svg")
	}
	rep.WallSeconds, rep.CPUSeconds = start.Wall(), start.CPU()
	path = filepath.Join(dir, FitFile)
	if err := atomicfile.WriteJSON(path, rep); err != nil {
		return files, err
	}
	return append(files, path), nil
}
