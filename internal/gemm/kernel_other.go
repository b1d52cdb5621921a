//go:build !amd64

package gemm

// kernels lists the micro-kernels this processor can run: none here, so
// Dgemm is gonum's.
func kernels() []microKernel { return nil }
