package gemm

import "testing"

// BenchmarkKernel: each micro-kernel alone on L1-resident panels (k = 256),
// the ceiling the packed Dgemm approaches.
func BenchmarkKernel(b *testing.B) {
	for _, kern := range kernels() {
		b.Run(kern.name, func(b *testing.B) {
			const k = 256
			a := make([]float64, kern.mr*k)
			p := make([]float64, kern.nr*k)
			c := make([]float64, kern.mr*kern.nr)
			for i := range a {
				a[i] = 1e-3
			}
			for i := range p {
				p[i] = 1e-3
			}
			for i := 0; i < b.N; i++ {
				kern.fn(k, &a[0], &p[0], &c[0], kern.nr, 1)
			}
			b.ReportMetric(2*float64(kern.mr*kern.nr*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
