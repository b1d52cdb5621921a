//go:build openblas

package model

import (
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/netlib/blas/netlib"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// With the build tag openblas (make build BLAS=openblas), gonum's BLAS
// (the analysis engine), Gorgonia's and its tensor package's all run on the
// C BLAS linked through gonum.org/v1/netlib (OpenBLAS from Debian's
// libopenblas-dev). The choice is made once at start-up.
func init() {
	impl := netlib.Implementation{}
	blas64.Use(impl)
	G.Use(impl)
	tensor.Use(impl)
}
