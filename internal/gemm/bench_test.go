package gemm

import (
	"math/rand/v2"
	"runtime"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// The GEMMs of one training step of 784-100-10 at batch 128 (first layer):
// forward z = a·Wᵀ, backward ∇W = δᵀ·a and δ·W, and the Gorgonia graph's
// feature-major forward W·aᵀ.
var trainingShapes = []struct {
	name    string
	tA, tB  blas.Transpose
	m, n, k int
}{
	{"128x784x100_NT", blas.NoTrans, blas.Trans, 128, 100, 784},
	{"64x784x100_NT", blas.NoTrans, blas.Trans, 64, 100, 784}, // one of two chunks
	{"100x128x784_TN", blas.Trans, blas.NoTrans, 100, 784, 128},
	{"128x100x784_NN", blas.NoTrans, blas.NoTrans, 128, 784, 100},
	{"100x784x128_NN", blas.NoTrans, blas.NoTrans, 100, 128, 784},
	// The second layer (100 → 10): forward, ∇W and δ·W.
	{"128x100x10_NT", blas.NoTrans, blas.Trans, 128, 10, 100},
	{"10x128x100_TN", blas.Trans, blas.NoTrans, 10, 100, 128},
	{"128x10x100_NN", blas.NoTrans, blas.NoTrans, 128, 100, 10},
}

// benchDgemm reports GFLOP/s (2mnk per call) of impl on the training shapes;
// for single-threaded implementations also GFLOP/s per CPU-second of the
// calling thread (cpu-GFLOP/s), which time-sharing with other processes
// does not dilute.
func benchDgemm(b *testing.B, impl blas.Float64, singleThread bool) {
	for _, s := range trainingShapes {
		b.Run(s.name, func(b *testing.B) {
			r := rand.New(rand.NewPCG(1, 1))
			rand := func(n int) []float64 {
				x := make([]float64, n)
				for i := range x {
					x[i] = r.Float64()
				}
				return x
			}
			lda, ldb := s.k, s.n
			if s.tA != blas.NoTrans {
				lda = s.m
			}
			if s.tB != blas.NoTrans {
				ldb = s.k
			}
			a, bb, c := rand(s.m*s.k), rand(s.k*s.n), rand(s.m*s.n)
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			b.ResetTimer()
			c0, cpuOK := threadCPU()
			for i := 0; i < b.N; i++ {
				impl.Dgemm(s.tA, s.tB, s.m, s.n, s.k, 1, a, lda, bb, ldb, 0, c, s.n)
			}
			c1, _ := threadCPU()
			flop := 2 * float64(s.m*s.n*s.k) * float64(b.N)
			b.ReportMetric(flop/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			if singleThread && cpuOK && c1 > c0 {
				b.ReportMetric(flop/(c1-c0).Seconds()/1e9, "cpu-GFLOP/s")
			}
		})
	}
}

// BenchmarkDgemm: this package's Dgemm (one thread) on the training shapes.
func BenchmarkDgemm(b *testing.B) { benchDgemm(b, Implementation{}, true) }

// BenchmarkDgemmGonum: gonum's native Dgemm, the reference it replaces
// (parallel over GOMAXPROCS threads).
func BenchmarkDgemmGonum(b *testing.B) { benchDgemm(b, gonum.Implementation{}, false) }

var _ blas.Float64 = Implementation{}
