package escape

import (
	"math"
	"math/rand/v2"
	"testing"
)

// Exact intervals with closed forms: for no escape the upper bound is
// −ln(0.025)/T (χ² with 2 degrees of freedom is exponential); for one escape
// the lower bound is −ln(0.975)/T.
func TestCensoredRateExact(t *testing.T) {
	const T = 1000.0
	r, lo, hi := CensoredRate(0, T)
	if r != 0 || lo != 0 || math.Abs(hi-(-math.Log(0.025)/T)) > 1e-12 {
		t.Errorf("d = 0: %g [%g, %g], want 0 [0, %g]", r, lo, hi, -math.Log(0.025)/T)
	}
	r, lo, _ = CensoredRate(1, T)
	if r != 1/T || math.Abs(lo-(-math.Log(0.975)/T)) > 1e-12 {
		t.Errorf("d = 1: %g, lower %g, want %g, %g", r, lo, 1/T, -math.Log(0.975)/T)
	}
	if r, _, _ := CensoredRate(3, 0); !math.IsNaN(r) {
		t.Errorf("zero exposure gives %g, want NaN", r)
	}
}

// On exponential times censored at c the estimator recovers the rate, and
// its 95% interval covers it in about 95% of data sets.
func TestCensoredRateOnExponentialTimes(t *testing.T) {
	rng := rand.New(rand.NewPCG(42, 1))
	const lambda, c = 0.01, 150.0 // a fifth of the runs censored
	sample := func(n int) (int, float64) {
		d, T := 0, 0.0
		for i := 0; i < n; i++ {
			x := rng.ExpFloat64() / lambda
			if x >= c {
				T += c
				continue
			}
			d++
			T += x
		}
		return d, T
	}
	d, T := sample(200000)
	r, _, _ := CensoredRate(d, T)
	if math.Abs(r-lambda) > 4*lambda/math.Sqrt(float64(d)) {
		t.Errorf("rate %g from %d escapes, want %g ± %g", r, d, lambda, 4*lambda/math.Sqrt(float64(d)))
	}
	covered := 0
	const reps = 400
	for i := 0; i < reps; i++ {
		d, T := sample(300)
		_, lo, hi := CensoredRate(d, T)
		if lo <= lambda && lambda <= hi {
			covered++
		}
	}
	// Binomial(400, 0.95): sd 1.1%; accept 0.91..0.99.
	if f := float64(covered) / reps; f < 0.91 || f > 0.99 {
		t.Errorf("95%% interval covered the rate in %.3f of data sets", f)
	}
}
