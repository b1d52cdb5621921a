package graph

import (
	"testing"
	"time"

	"github.com/sgn-project/sgn/model"
)

// The SGD step benchmarks: one step of 784-100-10 relu, float64 (the
// gradient and the update θ −= ηg), batch 128 (one chunk) and 256 (two chunks of 128, on one or two workers), in
// samples/s and samples per CPU-second of the whole process
// (cpu-samples/s: what time-sharing with other processes does not dilute;
// with two workers it counts both cores' time).
func benchNet(batch int) (*model.MLP, model.Batch) {
	m, _ := model.New(model.Config{Layers: []int{784, 100, 10}, Activation: model.ReLU, Seed: 1})
	return m, synthetic(batch, 784, 10, 1)
}

func BenchmarkSGDStepGorgonia(b *testing.B) { benchGorgonia(b, 128, 1) }
func BenchmarkSGDStepEngine(b *testing.B)   { benchEngine(b, 128) }

// BenchmarkSGDStepGorgonia2Workers: one chunk of 128, its large GEMMs cut
// between two goroutines (bit-identical to one).
func BenchmarkSGDStepGorgonia2Workers(b *testing.B) { benchGorgonia(b, 128, 2) }

// BenchmarkSGDStep256Gorgonia2Workers: two chunks on two goroutines
// (bit-identical to one).
func BenchmarkSGDStep256Gorgonia(b *testing.B)         { benchGorgonia(b, 256, 1) }
func BenchmarkSGDStep256Gorgonia2Workers(b *testing.B) { benchGorgonia(b, 256, 2) }
func BenchmarkSGDStep256Engine(b *testing.B)           { benchEngine(b, 256) }

func benchGorgonia(b *testing.B, batch, workers int) {
	m, x := benchNet(batch)
	gr, err := New(m, batch)
	if err != nil {
		b.Fatal(err)
	}
	gr.SetWorkers(workers)
	g := make([]float64, m.NumParams())
	b.ResetTimer()
	c0, ok := processCPU()
	for i := 0; i < b.N; i++ {
		if _, err := gr.Run(x.X, x.Y, g); err != nil {
			b.Fatal(err)
		}
		// The update as sgn train makes it, shared by the workers.
		if err := gr.Parallel(len(g), func(lo, hi int) {
			for k := lo; k < hi; k++ {
				m.Theta[k] -= 0.01 * g[k]
			}
		}); err != nil {
			b.Fatal(err)
		}
	}
	reportStep(b, batch, c0, ok)
}

// reportStep reports samples/s and, where the process CPU time is known,
// cpu-samples/s of a benchmark of steps of batch samples started at CPU
// time c0.
func reportStep(b *testing.B, batch int, c0 time.Duration, ok bool) {
	b.ReportMetric(float64(batch*b.N)/b.Elapsed().Seconds(), "samples/s")
	if c1, _ := processCPU(); ok && c1 > c0 {
		b.ReportMetric(float64(batch*b.N)/(c1-c0).Seconds(), "cpu-samples/s")
	}
}

func benchEngine(b *testing.B, batch int) {
	m, x := benchNet(batch)
	g := make([]float64, m.NumParams())
	ws := m.NewWorkspace(batch)
	b.ResetTimer()
	c0, ok := processCPU()
	for i := 0; i < b.N; i++ {
		if _, err := m.LossGrad(ws, m.Theta, x, g); err != nil {
			b.Fatal(err)
		}
		for k := range m.Theta {
			m.Theta[k] -= 0.01 * g[k]
		}
	}
	reportStep(b, batch, c0, ok)
}
