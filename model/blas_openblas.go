//go:build openblas

package model

import (
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/netlib/blas/netlib"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// UseBLAS installs the build's matrix products as the BLAS of gonum (the
// analysis engine), Gorgonia and its tensor package. With the build tag
// openblas (make build BLAS=openblas) that is the C BLAS linked through
// gonum.org/v1/netlib (OpenBLAS from Debian's libopenblas-dev). The BLAS of
// those packages is process-wide: a program calls UseBLAS once at start-up,
// before any computation (cmd/sgn's main does; so do the tests of the
// packages that train or analyse networks).
func UseBLAS() {
	impl := netlib.Implementation{}
	blas64.Use(impl)
	G.Use(impl)
	tensor.Use(impl)
}
