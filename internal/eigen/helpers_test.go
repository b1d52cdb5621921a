package eigen

import (
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
)

// randomMatrix returns an r×c matrix of independent standard normals.
func randomMatrix(r, c int, seed uint64) *mat.Dense {
	rng := rand.New(rand.NewPCG(seed, 7))
	m := mat.NewDense(r, c, nil)
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			m.Set(i, j, rng.NormFloat64())
		}
	}
	return m
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
