package selection

import (
	"sync"
	"sync/atomic"
	"testing"

	"github.com/sgn-project/sgn/escape"
	"github.com/sgn-project/sgn/internal/seed"
)

// runReplicas runs n replicas of p on workers goroutines (test helper).
func runReplicas(tb testing.TB, p Point, n, workers int) []Replica {
	sim, err := NewSimulator(p)
	if err != nil {
		tb.Fatal(err)
	}
	out := make([]Replica, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				r, err := sim.Run(seed.Derive(1, uint64(p.Index), uint64(i)))
				if err != nil {
					mu.Lock()
					first = err
					mu.Unlock()
					return
				}
				out[i] = r
			}
		}()
	}
	wg.Wait()
	if first != nil {
		tb.Fatal(first)
	}
	return out
}

func benchPoint(b *testing.B, p Point) {
	p.Steps = 1_000_000
	b.ResetTimer()
	runReplicas(b, p, b.N, 2)
	b.ReportMetric(float64(b.N)*float64(p.Steps)/b.Elapsed().Seconds(), "steps/s")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkTwoWellSGLD1D: SGLD on the 1-D two-valley landscape, replicas of
// 10⁶ steps on 2 workers (compare with escape's BenchmarkSGLD1D).
func BenchmarkTwoWellSGLD1D(b *testing.B) {
	benchPoint(b, Point{Dynamics: SGLD, Eta: 0.01, Temperature: 0.2})
}

// BenchmarkTwoWellSGDDiffusion1D: sgd-diffusion-finite-sum (noise η²S(θ)/B), 2 workers.
func BenchmarkTwoWellSGDDiffusion1D(b *testing.B) {
	benchPoint(b, Point{Dynamics: SGDDiffusionFiniteSum, Eta: 0.01, BatchSize: 0.05})
}

// BenchmarkTwoWellSGD1D: minibatch SGD on the finite sum, B = 4, 2 workers.
func BenchmarkTwoWellSGD1D(b *testing.B) {
	benchPoint(b, Point{Dynamics: SGD, Eta: 0.01, BatchSize: 4})
}

// BenchmarkTwoWellSGD2D: minibatch SGD in 2-D (generic n-D loop), 2 workers.
func BenchmarkTwoWellSGD2D(b *testing.B) {
	benchPoint(b, Point{Dynamics: SGD, Eta: 0.01, BatchSize: 4, Landscape: escape.TwoWellSpec{Dim: 2}})
}
