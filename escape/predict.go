package escape

import (
	"fmt"
	"math"
)

// Theorem names used in Prediction.Theorem.
const (
	Theorem1 = "theorem-1-sgld-kramers"
	Theorem2 = "theorem-2-sgd"
)

// Prediction is what theory says about the escape rate of one point; rates
// are per unit time t = η·steps. Fields that do not apply are nil.
type Prediction struct {
	// Theorem is Theorem1 (SGLD) or Theorem2 (SGD dynamics).
	Theorem string `json:"theorem"`
	// Curvature holds H_ae, H_be, log(−det H_b/det H_a) and ΔL from the exact
	// Hessians at the minimum and the col.
	Curvature Curvature `json:"curvature"`
	// Rate and NegLogRate are Theorem 1's γ and −log γ.
	Rate       *float64 `json:"rate_per_time,omitempty"`
	NegLogRate *float64 `json:"neg_log_rate_per_time,omitempty"`
	// RateS0, RateS1 (and their −log) are Theorem 2's γ at s = 0 and s = 1;
	// the rate for s ∈ (0, 1) lies between them.
	RateS0       *float64 `json:"rate_per_time_s0,omitempty"`
	RateS1       *float64 `json:"rate_per_time_s1,omitempty"`
	NegLogRateS0 *float64 `json:"neg_log_rate_per_time_s0,omitempty"`
	NegLogRateS1 *float64 `json:"neg_log_rate_per_time_s1,omitempty"`
	// ExactRate is the exact rate of the continuous-time SGLD process
	// (1-D landscapes, col criterion; see ExactRate1D): Kramers' formula
	// without its low-temperature approximation, and without the O(η) bias
	// of the discrete steps.
	ExactRate *float64 `json:"exact_rate_per_time,omitempty"`
}

// AnalyticPrediction is the PredictFunc of the analytic landscapes: Theorem
// 1 for sgld, Theorem 2 for sgd-diffusion, nothing for gd or for a
// criterion other than "col" (the theorems predict the rate of crossing
// the col).
func AnalyticPrediction(p Point) (*Prediction, error) {
	if p.Criterion.Kind != CriterionCol || !(p.Dynamics.UsesTemperature() || p.Dynamics.UsesBatch()) {
		return nil, nil
	}
	an, err := NewLandscape(p.Landscape, p.Sharpness)
	if err != nil {
		return nil, err
	}
	c, err := ValleyCurvature(an, an.Valley)
	if err != nil {
		return nil, fmt.Errorf("landscape %q: %w", p.Landscape.Name, err)
	}
	pr := &Prediction{Curvature: c}
	if p.Dynamics.UsesTemperature() {
		pr.Theorem = Theorem1
		nl := Theorem1NegLogRate(c, p.Temperature)
		pr.NegLogRate, pr.Rate = Finite(nl), Finite(math.Exp(-nl))
		if r, ok := ExactRate1D(an, p.Criterion, p.Temperature); ok {
			pr.ExactRate = Finite(r)
		}
		return pr, nil
	}
	pr.Theorem = Theorem2
	n0 := Theorem2NegLogRate(c, p.Eta, p.BatchSize, 0)
	n1 := Theorem2NegLogRate(c, p.Eta, p.BatchSize, 1)
	pr.NegLogRateS0, pr.RateS0 = Finite(n0), Finite(math.Exp(-n0))
	pr.NegLogRateS1, pr.RateS1 = Finite(n1), Finite(math.Exp(-n1))
	return pr, nil
}

// Finite returns &x, or nil when x is NaN or infinite (JSON has no such
// numbers): the form of an optional number in the experiments' JSON files.
func Finite(x float64) *float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	return &x
}

// FinitePair returns the JSON pair [lo, hi] of an interval, with null for
// an end that is NaN or infinite.
func FinitePair(lo, hi float64) []any {
	f := func(x float64) any {
		if p := Finite(x); p != nil {
			return *p
		}
		return nil
	}
	return []any{f(lo), f(hi)}
}
