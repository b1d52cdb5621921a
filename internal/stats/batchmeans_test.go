package stats

import (
	"math"
	"math/rand/v2"
	"testing"
)

// ar1 returns n values of the stationary AR(1) process x_{t+1} = φx_t + ε_t,
// ε ~ N(0, 1), started from its stationary law N(0, 1/(1−φ²)).
func ar1(rng *rand.Rand, n int, phi float64) []float64 {
	x := make([]float64, n)
	x[0] = rng.NormFloat64() / math.Sqrt(1-phi*phi)
	for t := 1; t < n; t++ {
		x[t] = phi*x[t-1] + rng.NormFloat64()
	}
	return x
}

// TestBatchMeansCoverageAR1: on an AR(1) sequence of known mean 0 and
// variance 1/(1−φ²), φ = 0.9, the 95% batch-means intervals of the mean and
// of the variance cover the truth in about 95% of seeded repetitions, while
// the independent-samples interval (one value per batch) covers far less.
func TestBatchMeansCoverageAR1(t *testing.T) {
	const (
		reps = 400
		n    = 20000
		phi  = 0.9
	)
	variance := 1 / (1 - phi*phi)
	var covMean, covVar, covNaive int
	for r := 0; r < reps; r++ {
		rng := rand.New(rand.NewPCG(uint64(r), 17))
		x := ar1(rng, n, phi)
		m, err := BatchMeans(x, 20, 0.95)
		if err != nil {
			t.Fatal(err)
		}
		v, err := VarianceBatchMeans(x, 20, 0.95)
		if err != nil {
			t.Fatal(err)
		}
		naive, err := VarianceBatchMeans(x, n, 0.95)
		if err != nil {
			t.Fatal(err)
		}
		if m.Covers(0) {
			covMean++
		}
		if v.Covers(variance) {
			covVar++
		}
		if naive.Covers(variance) {
			covNaive++
		}
	}
	// Binomial(400, 0.95) has standard deviation 0.011: ±3.2 of them.
	for _, c := range []struct {
		name string
		k    int
	}{{"mean", covMean}, {"variance", covVar}} {
		if f := float64(c.k) / reps; f < 0.915 || f > 0.985 {
			t.Errorf("95%% batch-means interval of the %s covers the truth in %.3f of %d AR(1) runs, want about 0.95", c.name, f, reps)
		}
	}
	if f := float64(covNaive) / reps; f > 0.7 {
		t.Errorf("the independent-samples interval covers the AR(1) variance in %.3f of runs: expected far below 0.95 (φ = %v)", f, phi)
	}
}

// TestBatchMeansExact checks the interval against a hand computation.
func TestBatchMeansExact(t *testing.T) {
	// 9 values, 2 batches of 4: the first value is dropped.
	x := []float64{100, 1, 2, 3, 4, 5, 6, 7, 8}
	iv, err := BatchMeans(x, 2, 0.95)
	if err != nil {
		t.Fatal(err)
	}
	// batch means 2.5 and 6.5; mean 4.5; s² = 8; se = √(8/2) = 2; t_{1,0.975} = 12.7062047
	const tq = 12.706204736174707
	if math.Abs(iv.Value-4.5) > 1e-15 || math.Abs(iv.Hi-(4.5+2*tq)) > 1e-9 || math.Abs(iv.Lo-(4.5-2*tq)) > 1e-9 {
		t.Errorf("BatchMeans = %+v, want 4.5 ± %v", iv, 2*tq)
	}
	for _, bad := range []struct {
		x     []float64
		b     int
		level float64
	}{{x, 1, 0.95}, {x[:1], 2, 0.95}, {x, 2, 1}, {x, 2, 0}} {
		if _, err := BatchMeans(bad.x, bad.b, bad.level); err == nil {
			t.Errorf("BatchMeans(%d values, %d batches, level %v): no error", len(bad.x), bad.b, bad.level)
		}
	}
}
