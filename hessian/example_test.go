package hessian_test

import (
	"fmt"

	"github.com/sgn-project/sgn/hessian"
	"gonum.org/v1/gonum/mat"
)

// The path Laplacian tridiag(−1, 2, −1) of order 6 has the eigenvalues
// 2 − 2cos(kπ/7), k = 1…6: its largest are 2 + 2cos(π/7) ≈ 3.801938 and
// 2 + 2cos(2π/7) ≈ 3.246980, its smallest 2 − 2cos(π/7) ≈ 0.198062. With
// n = 6 the Krylov space is all of R⁶ and the pairs are exact.
func ExampleLanczos() {
	a := mat.NewSymDense(6, nil)
	for i := 0; i < 6; i++ {
		a.SetSym(i, i, 2)
		if i > 0 {
			a.SetSym(i-1, i, -1)
		}
	}
	sp, err := hessian.Lanczos(hessian.NewDense(a), 2, 1, hessian.LanczosOptions{Seed: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("top %.6f %.6f\n", sp.Top[0], sp.Top[1])
	fmt.Printf("bottom %.6f\n", sp.Bottom[0])
	fmt.Println("converged:", sp.Converged)
	// Output:
	// top 3.801938 3.246980
	// bottom 0.198062
	// converged: true
}

// For a diagonal matrix every Rademacher probe gives zᵀAz = Σ A_ii z_i² =
// tr A exactly, so Hutchinson's estimate is the trace with no error after
// its first 10 probes: here tr diag(1, 2, 3, 4) = 10.
func ExampleHutchinson() {
	a := mat.NewSymDense(4, []float64{
		1, 0, 0, 0,
		0, 2, 0, 0,
		0, 0, 3, 0,
		0, 0, 0, 4,
	})
	est, err := hessian.Hutchinson(hessian.NewDense(a), hessian.HutchinsonOptions{Seed: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("trace %g ± %g from %d probes\n", est.Estimate, est.StdErr, est.Samples)
	// Output:
	// trace 10 ± 0 from 10 probes
}
