package stats_test

import (
	"fmt"

	"github.com/sgn-project/sgn/internal/stats"
)

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
