package model

import (
	"testing"
)

// BenchmarkHvVsGradient compares one Hessian-vector product with one
// gradient over the same 1,024 samples (issue: Hv ≤ 2× a gradient).
func BenchmarkGradient1024(b *testing.B) {
	m, _ := New(Config{Layers: []int{784, 100, 10}, Activation: ReLU, Seed: 1})
	x := synthetic(1024, 784, 10, 2)
	g := make([]float64, m.NumParams())
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.Evaluate(m.Theta, x, g, 2)
	}
}

func BenchmarkHv1024(b *testing.B) {
	m, _ := New(Config{Layers: []int{784, 100, 10}, Activation: ReLU, Seed: 1})
	x := synthetic(1024, 784, 10, 2)
	h, _ := m.NewHessian(m.Theta, x, 2)
	v := append([]float64(nil), m.Theta...)
	out := make([]float64, len(v))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		h.MulVec(out, v)
	}
}

func BenchmarkPerSample1024(b *testing.B) {
	m, _ := New(Config{Layers: []int{784, 100, 10}, Activation: ReLU, Seed: 1})
	x := synthetic(1024, 784, 10, 2)
	G := make([]float64, 1024*m.NumParams())
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.PerSampleGradients(m.Theta, x, G, 2)
	}
	b.ReportMetric(float64(1024*b.N)/b.Elapsed().Seconds(), "samples/s")
}
