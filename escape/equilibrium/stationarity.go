package equilibrium

import "math"

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
