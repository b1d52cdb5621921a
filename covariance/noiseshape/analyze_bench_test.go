package noiseshape

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// cheapOracle gives sample i the gradient u + aᵢ·v + cᵢ·w (two fixed
// directions v, w), so a minibatch gradient costs O(B + P) and the
// benchmark measures the analysis, not the model.
type cheapOracle struct {
	u, v, w []float64
	a, c    []float64
}

func newCheapOracle(p, n int) *cheapOracle {
	r := rand.New(rand.NewPCG(1, 2))
	o := &cheapOracle{u: make([]float64, p), v: make([]float64, p), w: make([]float64, p), a: make([]float64, n), c: make([]float64, n)}
	for j := range p {
		o.u[j], o.v[j], o.w[j] = r.NormFloat64(), r.NormFloat64(), r.ExpFloat64()
	}
	for i := range n {
		o.a[i], o.c[i] = r.NormFloat64(), r.NormFloat64()
	}
	return o
}

func (o *cheapOracle) Dim() int        { return len(o.u) }
func (o *cheapOracle) NumSamples() int { return len(o.a) }
func (o *cheapOracle) MeanGradient(dst []float64, idx []int) error {
	var sa, sc float64
	for _, i := range idx {
		sa += o.a[i]
		sc += o.c[i]
	}
	sa /= float64(len(idx))
	sc /= float64(len(idx))
	for j := range dst {
		dst[j] = o.u[j] + sa*o.v[j] + sc*o.w[j]
	}
	return nil
}

// BenchmarkAnalyzeNoise runs Analyze on a P = 80,000 oracle whose
// gradients cost O(P), with 2000 analysed coordinates and the default pool
// of 2M values, one worker. "stream" reports the per-minibatch cost of the
// streaming step alone (noise, range update, matrix and pool copies, plus
// the oracle's O(P)); "batch" a whole batch size of 200 minibatches
// including the post-stream statistics, whose per-minibatch share it
// reports as ns/minibatch.
func BenchmarkAnalyzeNoise(b *testing.B) {
	const p, n, m = 80000, 60000, 200
	o := newCheapOracle(p, n)
	b.Run("stream", func(b *testing.B) {
		gbar, err := fullGradient(o, p, n, (n+fullGradientChunk-1)/fullGradientChunk, 1, nil)
		if err != nil {
			b.Fatal(err)
		}
		coords := chooseCoords(p, DefaultCoords, 1)
		tPool := DefaultPoolCap / p
		mat := make([]float64, len(coords)*m)
		pool := make([]float64, tPool*p)
		lo, hi, xi := make([]float64, p), make([]float64, p), make([]float64, p)
		idx := make([]int, 16)
		b.ReportAllocs()
		b.ResetTimer()
		for k := 0; k < b.N; k++ {
			t := k % m
			if err := minibatchNoise(o, gbar, 1, t, idx, xi); err != nil {
				b.Fatal(err)
			}
			for j, v := range xi {
				lo[j] = min(lo[j], v)
				hi[j] = max(hi[j], v)
			}
			for c, j := range coords {
				mat[c*m+t] = xi[j]
			}
			if t < tPool {
				copy(pool[t*p:(t+1)*p], xi)
			}
		}
	})
	for _, w := range []int{1, 2} {
		b.Run(fmt.Sprintf("batch/workers=%d", w), func(b *testing.B) {
			b.ReportAllocs()
			for k := 0; k < b.N; k++ {
				if _, err := Analyze(o, Options{BatchSizes: []int{16}, Minibatches: m, Seed: 1, Workers: w}, nil); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*m), "ns/minibatch")
		})
	}
}
