package stats

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestSkewnessExact(t *testing.T) {
	// {0, 0, 0, 3} is 3·Bernoulli(1/4): skewness (1 − 2p)/√(p(1 − p)) = 2/√3,
	// whatever the location and scale.
	for _, c := range []struct{ shift, scale float64 }{{0, 1}, {-5, 1}, {2, 0.01}, {0, -1}} {
		x := []float64{0, 0, 0, 3}
		for i := range x {
			x[i] = c.shift + c.scale*x[i]
		}
		want := 2 / math.Sqrt(3)
		if c.scale < 0 {
			want = -want
		}
		got, err := Skewness(x)
		if err != nil || math.Abs(got-want) > 1e-12 {
			t.Errorf("Skewness(%v) = %v, %v; want %v", x, got, err, want)
		}
	}
	// Symmetric samples have skewness 0.
	if got, err := Skewness([]float64{-2, -1, 0, 1, 2}); err != nil || got != 0 {
		t.Errorf("symmetric sample: %v, %v; want 0", got, err)
	}
}

func TestSkewnessExponentialSample(t *testing.T) {
	// The exponential law has skewness 2; g₁ of 10⁵ values has a standard
	// error of about √(Var) ≈ 0.1 (the sixth moment is large), so ±0.3.
	rng := rand.New(rand.NewPCG(5, 6))
	x := make([]float64, 100000)
	for i := range x {
		x[i] = rng.ExpFloat64() - 1
	}
	if got, err := Skewness(x); err != nil || math.Abs(got-2) > 0.3 {
		t.Errorf("exponential skewness %v, %v; want 2 ± 0.3", got, err)
	}
}

func TestSkewnessBadInput(t *testing.T) {
	for _, x := range [][]float64{nil, {1, 2}, {1, 1, 1}, {1, math.NaN(), 2}, {1, 2, math.Inf(1)}} {
		if _, err := Skewness(x); err == nil {
			t.Errorf("Skewness(%v): want an error", x)
		}
	}
}
