package escape_test

import (
	"fmt"

	"github.com/sgn-project/sgn/escape"
)

// Kramers' rate of SGLD out of the double well L(x) = ΔL(kx² − 1)² with
// ΔL = 1 and k = 2 at temperature D = 0.2 (Theorem 1 of Xie, Sato &
// Sugiyama 2021): −log γ = ΔL/D − log(√(H_a|H_b|)/2π), with the curvatures
// H_a = 8kΔL at the minimum and H_b = −4kΔL at the col from the exact
// Hessians.
func ExampleTheorem1NegLogRate() {
	an, err := escape.NewLandscape(escape.LandscapeSpec{Name: escape.DoubleWellName, Barrier: 1}, 2)
	if err != nil {
		fmt.Println(err)
		return
	}
	c, err := escape.ValleyCurvature(an, an.Valley)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("H_a = %.4g, H_b = %.4g, ΔL = %.4g\n", c.HAe, c.HBe, c.Barrier)
	fmt.Printf("−log γ = %.6f\n", escape.Theorem1NegLogRate(c, 0.2))
	// Output:
	// H_a = 16, H_b = -8, ΔL = 1
	// −log γ = 4.411862
}

// The censored maximum-likelihood escape rate: 3 escapes over 1000 steps
// at risk, with its exact 95% (Garwood) interval.
func ExampleCensoredRate() {
	rate, lo, hi := escape.CensoredRate(3, 1000)
	fmt.Printf("%.4f [%.5f, %.5f]\n", rate, lo, hi)
	// Output:
	// 0.0030 [0.00062, 0.00877]
}

// One run of SGLD from the minimum of the 1-D double well until it crosses
// the col: the same seed gives the same escape step.
func ExampleAnalyticSimulator() {
	sim, err := escape.AnalyticSimulator(escape.Point{
		Dynamics: escape.SGLD, Sharpness: 1, Eta: 0.01, Temperature: 0.25, MaxSteps: 1_000_000,
		Landscape: escape.LandscapeSpec{Name: escape.DoubleWellName, Barrier: 1},
		Criterion: escape.Criterion{Kind: escape.CriterionCol},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for seed := uint64(1); seed <= 3; seed++ {
		o, err := sim.Run(seed)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("seed %d: escaped %v at step %d\n", seed, o.Escaped, o.Step)
	}
	// Output:
	// seed 1: escaped true at step 13606
	// seed 2: escaped true at step 11672
	// seed 3: escaped true at step 8515
}
