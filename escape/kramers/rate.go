package kramers

import (
	"math"

	"github.com/sgn-project/sgn/escape"
)

// Estimate is the escape rate of one point estimated from its runs.
//
// Escape times are modelled as exponential (geometric in steps) with
// right-censoring at the step limit. The maximum-likelihood rate is
// escapes / exposure, exposure being the total number of steps the runs
// were at risk: the escape step of an escaped run, the steps simulated of a
// censored one (Cox & Oakes, Analysis of Survival Data, §3.2). Its 95%
// confidence interval is the exact (Garwood) interval for a Poisson count
// with that exposure: [χ²_{2d}(0.025), χ²_{2d+2}(0.975)]/(2·exposure).
type Estimate struct {
	// Runs is the number of runs and Escaped how many escaped.
	Runs    int `json:"runs"`
	Escaped int `json:"escaped"`
	// Exposure is the total number of steps at risk.
	Exposure float64 `json:"exposure_steps"`
	// Rate is the escape rate per step and Lo, Hi its 95% confidence interval.
	Rate float64 `json:"rate_per_step"`
	Lo   float64 `json:"rate_per_step_lo"`
	Hi   float64 `json:"rate_per_step_hi"`
	// MeanEscapeStep is the mean escape step of the runs that escaped (NaN
	// when none did); censoring biases it low, the MLE mean is 1/Rate.
	MeanEscapeStep float64 `json:"-"`
	// CV is the coefficient of variation of the escape steps of the runs
	// that escaped (escape.EscapeTimeCV): 1 for Kramers' exponential escape,
	// well below 1 for a drift-like exit. NaN with fewer than two escapes.
	CV float64 `json:"-"`
}

// EstimateRate estimates the escape rate from run records.
func EstimateRate(records []RunRecord) Estimate {
	e := Estimate{Runs: len(records)}
	sum := 0.0
	for _, r := range records {
		e.Exposure += float64(r.Result.Step)
		if r.Result.Escaped {
			e.Escaped++
			sum += float64(r.Result.Step)
		}
	}
	e.Rate, e.Lo, e.Hi = escape.CensoredRate(e.Escaped, e.Exposure)
	outcomes := make([]escape.Outcome, len(records))
	for i, r := range records {
		outcomes[i] = r.Result
	}
	e.CV, _ = escape.EscapeTimeCV(outcomes)
	e.MeanEscapeStep = math.NaN()
	if e.Escaped > 0 {
		e.MeanEscapeStep = sum / float64(e.Escaped)
	}
	return e
}

// EscapedFraction returns Escaped/Runs (NaN without runs).
func (e Estimate) EscapedFraction() float64 {
	if e.Runs == 0 {
		return math.NaN()
	}
	return float64(e.Escaped) / float64(e.Runs)
}
