//go:build amd64

package gemm

import "golang.org/x/sys/cpu"

//go:noescape
func kernelAVX2(k int, a, b, c *float64, ldc int, alpha float64)

//go:noescape
func kernelAVX2Store(k int, a, b, c *float64, ldc int, alpha float64)

//go:noescape
func kernelAVX512(k int, a, b, c *float64, ldc int, alpha float64)

//go:noescape
func kernelAVX512Store(k int, a, b, c *float64, ldc int, alpha float64)

//go:noescape
func kernelAVX2Rows(k int, a *float64, lda int, b, c *float64, ldc int, alpha float64)

//go:noescape
func kernelAVX2RowsStore(k int, a *float64, lda int, b, c *float64, ldc int, alpha float64)

//go:noescape
func kernelAVX512Rows(k int, a *float64, lda int, b, c *float64, ldc int, alpha float64)

//go:noescape
func kernelAVX512RowsStore(k int, a *float64, lda int, b, c *float64, ldc int, alpha float64)

// kernels lists the micro-kernels this processor can run, best first.
func kernels() []microKernel {
	var ks []microKernel
	if cpu.X86.HasAVX512F {
		ks = append(ks, microKernel{name: "avx512", mr: 8, nr: 16, fn: kernelAVX512, store: kernelAVX512Store,
			rows: kernelAVX512Rows, rowsStore: kernelAVX512RowsStore})
	}
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		ks = append(ks, microKernel{name: "avx2", mr: 6, nr: 8, fn: kernelAVX2, store: kernelAVX2Store,
			rows: kernelAVX2Rows, rowsStore: kernelAVX2RowsStore})
	}
	return ks
}
