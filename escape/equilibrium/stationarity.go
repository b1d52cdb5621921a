package equilibrium

import (
	"math"
	"sort"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/sgn-project/sgn/internal/stats"
)

// linearFit returns the least-squares line a + b·j of x against its index
// j = 0 … n−1 (stats.FitLine).
func linearFit(x []float64) (a, b float64) {
	if len(x) < 2 {
		if len(x) == 1 {
			return x[0], 0
		}
		return 0, 0
	}
	j := make([]float64, len(x))
	for i := range j {
		j[i] = float64(i)
	}
	f, err := stats.FitLine(j, x)
	if err != nil { // not reached: two or more distinct indices
		return math.NaN(), math.NaN()
	}
	return f.Intercept, f.Slope
}

// detrend returns x minus its least-squares line in the sample index: the
// series with its slow drift removed.
func detrend(x []float64) []float64 {
	a, b := linearFit(x)
	y := make([]float64, len(x))
	for j, v := range x {
		y[j] = v - (a + b*float64(j))
	}
	return y
}

// lossDrift returns the stationarity gate of a loss series y: the mean of
// its last quarter minus that of its first, divided by the standard
// deviation within the last quarter (the fluctuation of the loss where the
// chain is nearest stationarity). A stationary series moves by a small
// fraction of its fluctuation between the quarters; a relaxing or
// descending one (linear or exponential) by several. It is NaN with fewer
// than 8 values or no spread.
func lossDrift(y []float64) float64 {
	n := len(y)
	if n < 8 {
		return math.NaN()
	}
	mean := func(x []float64) float64 {
		var m float64
		for _, v := range x {
			m += v
		}
		return m / float64(len(x))
	}
	first, last := y[:n/4], y[3*n/4:]
	ml := mean(last)
	var ss float64
	for _, v := range last {
		ss += (v - ml) * (v - ml)
	}
	sd := math.Sqrt(ss / float64(len(last)-1))
	if !(sd > 0) {
		return math.NaN()
	}
	return (ml - mean(first)) / sd
}

// medianCI returns the median of x and a distribution-free confidence
// interval of level conf for it: the order statistics x₍ₗ₎, x₍ᵤ₎ with
// l the largest and u the smallest rank such that the Binomial(n, ½)
// count below the median falls in [l, u) with probability ≥ conf
// (Conover, "Practical Nonparametric Statistics", 1999, §3.2). With too few
// values for the level the interval is the whole range.
func medianCI(x []float64, conf float64) (med, lo, hi float64) {
	n := len(x)
	if n == 0 {
		return math.NaN(), math.NaN(), math.NaN()
	}
	med = stats.Median(x)
	s := append([]float64(nil), x...)
	sort.Float64s(s)
	bin := distuv.Binomial{N: float64(n), P: 0.5}
	// Largest l (1-based) with P(K ≤ l−1) ≤ (1−conf)/2.
	l := 0
	for k := 1; k <= n; k++ {
		if bin.CDF(float64(k-1)) <= (1-conf)/2 {
			l = k
		}
	}
	if l == 0 {
		return med, s[0], s[n-1]
	}
	return med, s[l-1], s[n-l]
}
