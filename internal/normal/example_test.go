package normal_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/sgn-project/sgn/internal/normal"
)

// Standard normals from a seeded PCG: the same seed gives the same
// numbers on every machine.
func ExampleZiggurat() {
	z := normal.NewZiggurat()
	src := rand.NewPCG(1, 2)
	x := make([]float64, 4)
	z.Fill(src, x)
	fmt.Printf("%.6f\n", x)
	// Output:
	// [1.457812 0.389815 0.842700 0.807306]
}
