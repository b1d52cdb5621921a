package stats

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// Interval is an estimate with a two-sided confidence interval [Lo, Hi].
type Interval struct {
	Value, Lo, Hi float64
}

// Covers reports whether x lies in [Lo, Hi].
func (iv Interval) Covers(x float64) bool { return iv.Lo <= x && x <= iv.Hi }

// BatchMeans estimates the mean of a stationary, autocorrelated sequence x
// with a confidence interval of the given level (e.g. 0.95) by the method
// of non-overlapping batch means (Schmeiser, "Batch size effects in the
// analysis of simulation output", Operations Research 30(3), 1982): x is cut
// into batches of equal length ⌊n/b⌋ (the first n mod b values, the ones
// nearest the start, are dropped), and with Ȳ₁…Ȳ_b the batch means, Ȳ their
// mean and s² their sample variance, the interval is
//
//	Ȳ ± t_{b−1, (1+level)/2} · s/√b.
//
// The interval is valid when a batch is long compared with the integrated
// autocorrelation time of x (the batch means are then nearly independent and
// nearly normal); b = 20…30 batches is the usual choice. With b = n it is the
// ordinary t interval for independent samples.
//
// It returns an error when batches < 2, x has fewer than batches values, or
// level is not in (0, 1).
func BatchMeans(x []float64, batches int, level float64) (Interval, error) {
	n := len(x)
	switch {
	case batches < 2:
		return Interval{}, fmt.Errorf("batch means: %d batches, want at least 2", batches)
	case n < batches:
		return Interval{}, fmt.Errorf("batch means: %d values for %d batches, want at least one value per batch", n, batches)
	case !(level > 0 && level < 1):
		return Interval{}, fmt.Errorf("batch means: level %v, want a number in (0, 1)", level)
	}
	size := n / batches
	x = x[n-size*batches:]
	means := make([]float64, batches)
	for j := range means {
		var s float64
		for _, v := range x[j*size : (j+1)*size] {
			s += v
		}
		means[j] = s / float64(size)
	}
	var mean float64
	for _, m := range means {
		mean += m
	}
	mean /= float64(batches)
	var ss float64
	for _, m := range means {
		ss += (m - mean) * (m - mean)
	}
	se := math.Sqrt(ss / float64(batches-1) / float64(batches))
	t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(batches - 1)}.Quantile((1 + level) / 2)
	return Interval{Value: mean, Lo: mean - t*se, Hi: mean + t*se}, nil
}

// VarianceBatchMeans estimates the variance of a stationary, autocorrelated
// sequence x with a confidence interval: the batch-means interval
// (BatchMeans) of the squared deviations (x_t − x̄)², x̄ the mean of the
// values used. The mean's own error changes the estimate by a relative
// O(τ/n), τ the integrated autocorrelation time, negligible beside the
// interval's width when the batches are long compared with τ.
func VarianceBatchMeans(x []float64, batches int, level float64) (Interval, error) {
	if len(x) < batches || batches < 2 {
		return BatchMeans(x, batches, level) // the same argument errors
	}
	used := x[len(x)-(len(x)/batches)*batches:]
	var mean float64
	for _, v := range used {
		mean += v
	}
	mean /= float64(len(used))
	sq := make([]float64, len(used))
	for i, v := range used {
		sq[i] = (v - mean) * (v - mean)
	}
	return BatchMeans(sq, batches, level)
}
