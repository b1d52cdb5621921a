package stats

import (
	"fmt"
	"math"
	"sort"
)

// Ranks returns the ranks of x, 1 … n, ties given the mean of the ranks
// they span (fractional ranking).
func Ranks(x []float64) []float64 {
	n := len(x)
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return x[idx[a]] < x[idx[b]] })
	r := make([]float64, n)
	for i := 0; i < n; {
		j := i + 1
		for j < n && x[idx[j]] == x[idx[i]] {
			j++
		}
		mean := float64(i+j+1) / 2 // ranks i+1 … j
		for k := i; k < j; k++ {
			r[idx[k]] = mean
		}
		i = j
	}
	return r
}

// Spearman returns Spearman's rank correlation ρ of x and y: Pearson's
// correlation of their fractional ranks (Spearman 1904), which handles ties.
// It needs at least two points and neither sample constant.
func Spearman(x, y []float64) (float64, error) {
	if len(x) != len(y) || len(x) < 2 {
		return 0, fmt.Errorf("spearman: need two samples of equal length ≥ 2, got %d and %d", len(x), len(y))
	}
	rx, ry := Ranks(x), Ranks(y)
	mx, vx := MeanVar(rx)
	my, vy := MeanVar(ry)
	if vx == 0 || vy == 0 {
		return 0, fmt.Errorf("spearman: a sample is constant")
	}
	var c float64
	for i := range rx {
		c += (rx[i] - mx) * (ry[i] - my)
	}
	c /= float64(len(rx) - 1)
	return c / math.Sqrt(vx*vy), nil
}
