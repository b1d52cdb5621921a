package selection

import (
	"math"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/sgn-project/sgn/escape"
)

// Measurement is what the replicas of one point measured together.
type Measurement struct {
	// Replicas is the number of independent trajectories.
	Replicas int `json:"replicas"`
	// FlatFraction is the mean over replicas of the fraction of measured
	// steps on the flat side of the col, with the 95% Student-t interval
	// across replicas (nil with fewer than two replicas).
	FlatFraction   float64     `json:"flat_fraction"`
	FlatFractionCI *[2]float64 `json:"flat_fraction_ci95"`
	// OccupancyRatio is P(flat)/P(sharp) = f/(1 − f) of the mean flat
	// fraction f; its interval maps the interval of f through the same
	// increasing function (an upper end f ≥ 1 gives +∞, written null).
	OccupancyRatio   float64    `json:"occupancy_ratio"`
	OccupancyRatioCI [2]float64 `json:"-"`
	// Rates per unit time t = η·steps: the censored-exponential maximum
	// likelihood transitions/exposure with the exact (Garwood) 95%
	// interval of escape.CensoredRate, per committed sojourn.
	RateSharpToFlat   float64    `json:"rate_sharp_to_flat"`
	RateSharpToFlatCI [2]float64 `json:"-"`
	RateFlatToSharp   float64    `json:"rate_flat_to_sharp"`
	RateFlatToSharpCI [2]float64 `json:"-"`
	// Transitions is the number of changes of committed valley, both ways.
	Transitions int64 `json:"transitions"`
	// SharpToFlat, FlatToSharp count them each way; SharpTime and FlatTime
	// are the exposures in unit time.
	SharpToFlat int64   `json:"sharp_to_flat"`
	FlatToSharp int64   `json:"flat_to_sharp"`
	SharpTime   float64 `json:"sharp_time"`
	FlatTime    float64 `json:"flat_time"`
}

// Measure combines the replicas of a point run with learning rate eta.
func Measure(reps []Replica, eta float64) Measurement {
	m := Measurement{Replicas: len(reps)}
	var se, fe int64
	fr := make([]float64, len(reps))
	for i, r := range reps {
		fr[i] = float64(r.FlatSteps) / float64(r.Steps)
		m.SharpToFlat += r.SharpToFlat
		m.FlatToSharp += r.FlatToSharp
		se += r.SharpExposure
		fe += r.FlatExposure
	}
	m.Transitions = m.SharpToFlat + m.FlatToSharp
	m.SharpTime, m.FlatTime = float64(se)*eta, float64(fe)*eta
	mean, lo, hi := meanCI(fr)
	m.FlatFraction = mean
	ratio := func(f float64) float64 {
		if f >= 1 {
			return math.Inf(1)
		}
		return math.Max(f, 0) / (1 - f)
	}
	m.OccupancyRatio = ratio(mean)
	if len(reps) >= 2 {
		m.FlatFractionCI = &[2]float64{lo, hi}
		m.OccupancyRatioCI = [2]float64{ratio(lo), ratio(hi)}
	} else {
		m.OccupancyRatioCI = [2]float64{math.NaN(), math.NaN()}
	}
	m.RateSharpToFlat, m.RateSharpToFlatCI[0], m.RateSharpToFlatCI[1] = escape.CensoredRate(int(m.SharpToFlat), m.SharpTime)
	m.RateFlatToSharp, m.RateFlatToSharpCI[0], m.RateFlatToSharpCI[1] = escape.CensoredRate(int(m.FlatToSharp), m.FlatTime)
	return m
}

// meanCI returns the mean of x and its 95% Student-t interval
// (NaN with fewer than two values).
func meanCI(x []float64) (mean, lo, hi float64) {
	n := float64(len(x))
	if len(x) == 0 {
		return math.NaN(), math.NaN(), math.NaN()
	}
	for _, v := range x {
		mean += v
	}
	mean /= n
	if len(x) < 2 {
		return mean, math.NaN(), math.NaN()
	}
	ss := 0.0
	for _, v := range x {
		ss += (v - mean) * (v - mean)
	}
	se := math.Sqrt(ss / (n - 1) / n)
	t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: n - 1}.Quantile(0.975)
	return mean, mean - t*se, mean + t*se
}
