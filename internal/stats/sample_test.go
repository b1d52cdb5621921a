package stats

import (
	"math"
	"slices"
	"testing"
)

// TestStandardize: {1, …, 5} has mean 3 and maximum-likelihood variance 2,
// so its z-scores are (x − 3)/√2; a constant sample gives zeros.
func TestStandardize(t *testing.T) {
	x := []float64{1, 2, 3, 4, 5}
	z := make([]float64, len(x))
	Standardize(z, x)
	for i, v := range x {
		if want := (v - 3) / math.Sqrt2; math.Abs(z[i]-want) > 1e-15 {
			t.Errorf("z[%d] = %v, want %v", i, z[i], want)
		}
	}
	Standardize(z, []float64{7, 7, 7, 7, 7})
	if slices.ContainsFunc(z, func(v float64) bool { return v != 0 }) {
		t.Errorf("constant sample: %v, want zeros", z)
	}
}

// TestMedianInPlace: the middle value of an odd sample, the mean of the
// two middle values of an even one, NaN for none; the sample is sorted.
func TestMedianInPlace(t *testing.T) {
	v := []float64{5, 1, 4, 2, 3}
	if m := MedianInPlace(v); m != 3 || !slices.IsSorted(v) {
		t.Errorf("median %v of %v, want 3 and the sample sorted", m, v)
	}
	if m := MedianInPlace([]float64{4, 1, 3, 2}); m != 2.5 {
		t.Errorf("median %v, want 2.5", m)
	}
	if m := MedianInPlace(nil); !math.IsNaN(m) {
		t.Errorf("median of nothing %v, want NaN", m)
	}
}

// TestCentredInterval: replicates 0, 1, …, 100 (given shuffled) have
// 2.5%, 50% and 97.5% quantiles 2.5, 50 and 97.5, so the interval around
// an estimate of 10 is [10 − 47.5, 10 + 47.5]; replicates shifted up by 30
// give the same interval (the resampling's shift is removed).
func TestCentredInterval(t *testing.T) {
	reps := make([]float64, 101)
	for i := range reps {
		reps[i] = float64((i * 37) % 101)
	}
	if got := CentredInterval(10, reps); got != [2]float64{-37.5, 57.5} {
		t.Errorf("interval %v, want [-37.5, 57.5]", got)
	}
	for i := range reps {
		reps[i] += 30
	}
	if got := CentredInterval(10, reps); got != [2]float64{-37.5, 57.5} {
		t.Errorf("shifted replicates: interval %v, want [-37.5, 57.5]", got)
	}
}

// TestMomentShape: {0, 0, 0, 4} has deviations {−1, −1, −1, 3} from its
// mean 1, central moments m₂ = 3, m₃ = 6, m₄ = 21, so g₁ = 6/3^{3/2} =
// 2/√3 and g₂ = 21/9 − 3 = −2/3; a zero variance gives NaN.
func TestMomentShape(t *testing.T) {
	g1, g2 := MomentShape([3]float64{12, 24, 84}, 4)
	if math.Abs(g1-2/math.Sqrt(3)) > 1e-15 || math.Abs(g2+2.0/3) > 1e-15 {
		t.Errorf("g₁ = %v, g₂ = %v; want 2/√3 = %v and −2/3", g1, g2, 2/math.Sqrt(3))
	}
	if g1, g2 := MomentShape([3]float64{}, 4); !math.IsNaN(g1) || !math.IsNaN(g2) {
		t.Errorf("zero variance: %v, %v; want NaN", g1, g2)
	}
}

// TestMedianCI: for n = 10, P(K ≤ 1) = 11/1024 ≤ 0.025 < P(K ≤ 2) =
// 56/1024, so the 95% interval is [x₍₂₎, x₍₉₎]; for n = 5, P(K ≤ 0) = 1/32
// > 0.025, the whole range.
func TestMedianCI(t *testing.T) {
	x := []float64{9, 1, 8, 2, 7, 3, 6, 4, 5, 10}
	if med, lo, hi := MedianCI(x, 0.95); med != 5.5 || lo != 2 || hi != 9 {
		t.Errorf("median CI of 1…10: %v [%v, %v], want 5.5 [2, 9]", med, lo, hi)
	}
	if med, lo, hi := MedianCI([]float64{3, 1, 2, 5, 4}, 0.95); med != 3 || lo != 1 || hi != 5 {
		t.Errorf("median CI of 1…5: %v [%v, %v], want 3 [1, 5]", med, lo, hi)
	}
}
