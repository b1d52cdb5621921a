//go:build !openblas

package model

import (
	"gonum.org/v1/gonum/blas/blas64"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/sgn-project/sgn/internal/gemm"
)

// In the default (pure-Go) build, gonum's BLAS (the analysis engine),
// Gorgonia's and its tensor package's all run their matrix products on
// internal/gemm's packed assembly DGEMM (gonum's native BLAS for the rest).
// The choice is made once at start-up.
func init() {
	impl := gemm.Implementation{}
	blas64.Use(impl)
	G.Use(impl)
	tensor.Use(impl)
}
