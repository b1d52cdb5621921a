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
