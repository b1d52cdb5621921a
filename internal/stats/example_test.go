package stats_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/sgn-project/sgn/internal/stats"
)

// The tail index of symmetric α-stable samples of 10,000 values: the
// estimator recovers α, and a Gaussian sample (α = 2) gives 2.
func ExampleTailIndex() {
	rng := rand.New(rand.NewPCG(1, 2))
	x := make([]float64, 10000)
	for _, alpha := range []float64{1.2, 1.6, 2} {
		if err := stats.SymStableSample(x, alpha, 1, rng); err != nil {
			panic(err)
		}
		a, err := stats.TailIndex(x)
		if err != nil {
			panic(err)
		}
		fmt.Printf("α = %.1f: α̂ = %.1f\n", alpha, a)
	}
	// Output:
	// α = 1.2: α̂ = 1.2
	// α = 1.6: α̂ = 1.6
	// α = 2.0: α̂ = 2.0
}

// McCulloch's quantile fit of a Cauchy sample (α = 1) of scale 2 centred
// at 3.
func ExampleFitSymStable() {
	rng := rand.New(rand.NewPCG(3, 4))
	x := make([]float64, 20000)
	if err := stats.SymStableSample(x, 1, 2, rng); err != nil {
		panic(err)
	}
	for i := range x {
		x[i] += 3
	}
	f, err := stats.FitSymStable(x)
	if err != nil {
		panic(err)
	}
	fmt.Printf("α = %.2f, σ = %.2f, location %.2f\n", f.Alpha, f.Sigma, f.Location)
	// Output:
	// α = 1.00, σ = 1.97, location 2.96
}

// A least-squares line through (1, 1), (2, 2), (3, 2): slope 1/2,
// intercept 2/3, R² = 3/4, and the 95% interval of the slope from
// Student's t with one degree of freedom.
func ExampleFitLine() {
	f, err := stats.FitLine([]float64{1, 2, 3}, []float64{1, 2, 2})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("slope %.4f [%.4f, %.4f], intercept %.4f, R² %.2f\n", f.Slope, f.SlopeCI[0], f.SlopeCI[1], f.Intercept, *f.R2)
	// Output:
	// slope 0.5000 [-3.1680, 4.1680], intercept 0.6667, R² 0.75
}

// The median of an even number of values is the mean of the middle two.
func ExampleMedian() {
	fmt.Println(stats.Median([]float64{4, -1, 2, 10}), stats.Median([]float64{3, 1, 2}))
	// Output:
	// 3 2
}
