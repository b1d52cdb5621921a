//go:build !openblas

package model

import (
	"gonum.org/v1/gonum/blas/blas64"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/sgn-project/sgn/internal/gemm"
)

// UseBLAS installs the build's matrix products as the BLAS of gonum (the
// analysis engine), Gorgonia and its tensor package. In the default
// (pure-Go) build that is internal/gemm's packed assembly DGEMM (Goto & van
// de Geijn, "Anatomy of high-performance matrix multiplication", 2008), with
// gonum's native BLAS for the other routines. The BLAS of those packages is
// process-wide: a program calls UseBLAS once at start-up, before any
// computation (cmd/sgn's main does; so do the tests of the packages that
// train or analyse networks). Without it every engine runs on gonum's
// native BLAS, with the same mathematics and results equal to rounding.
func UseBLAS() {
	impl := gemm.Implementation{}
	blas64.Use(impl)
	G.Use(impl)
	tensor.Use(impl)
}
