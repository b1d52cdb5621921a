//go:build openblas

package gemm

import (
	"testing"

	"gonum.org/v1/netlib/blas/netlib"
)

// BenchmarkDgemmOpenBLAS: OpenBLAS through gonum's netlib binding, the
// reference for BenchmarkDgemm (run with OPENBLAS_NUM_THREADS=1 for one
// thread: make bench BLAS=openblas does).
func BenchmarkDgemmOpenBLAS(b *testing.B) { benchDgemm(b, netlib.Implementation{}, true) }
