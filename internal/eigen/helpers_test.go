package eigen

import (
	"math/rand/v2"

	"github.com/sgn-project/sgn/internal/synthtest"
	"gonum.org/v1/gonum/mat"
)

// randomMatrix returns an r×c matrix of independent standard normals.
func randomMatrix(r, c int, seed uint64) *mat.Dense {
	return synthtest.Gaussian(rand.New(rand.NewPCG(seed, 7)), r, c)
}

// randomSym returns the random symmetric n×n matrix R + Rᵀ.
func randomSym(n int, seed uint64) *mat.SymDense {
	r := randomMatrix(n, n, seed)
	a := mat.NewSymDense(n, nil)
	for i := 0; i < n; i++ {
		for j := i; j < n; j++ {
			a.SetSym(i, j, r.At(i, j)+r.At(j, i))
		}
	}
	return a
}
