package model

import "testing"

// The per-sample gradient benchmarks: per-sample gradients should
// reach at least 50% of the throughput of a plain gradient on the same batch
// (compare the samples/s of each pair, run back to back). For reference,
// PyTorch's vmap per-sample gradients reach about 1,400 samples/s and a
// per-sample loop about 5,800 samples/s for 784-100-10.

// benchPerSample times PerSampleGradients with 2 workers. G is written once
// before the timer starts, so the page faults of its first touch (650 MB for
// 784-100-10 at N = 1,024) are not counted.
func benchPerSample(b *testing.B, c Config, n int) {
	m, err := New(c)
	if err != nil {
		b.Fatal(err)
	}
	x := synthetic(n, c.Layers[0], m.NumClasses(), 2)
	G := make([]float64, n*m.NumParams())
	if err := m.PerSampleGradients(m.Theta, x, G, 2); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.PerSampleGradients(m.Theta, x, G, 2)
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "samples/s")
}

// benchPlainGradient times the gradient of the mean loss (Evaluate) with 2
// workers on the same batch as benchPerSample.
func benchPlainGradient(b *testing.B, c Config, n int) {
	m, err := New(c)
	if err != nil {
		b.Fatal(err)
	}
	x := synthetic(n, c.Layers[0], m.NumClasses(), 2)
	g := make([]float64, m.NumParams())
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.Evaluate(m.Theta, x, g, 2)
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "samples/s")
}

// The reference case: 784-100-10 relu, 1,024 samples (P = 79,510).
func BenchmarkPerSampleVsGradient1024(b *testing.B) {
	c := Config{Layers: []int{784, 100, 10}, Activation: ReLU, Seed: 1}
	b.Run("persample", func(b *testing.B) { benchPerSample(b, c, 1024) })
	b.Run("gradient", func(b *testing.B) { benchPlainGradient(b, c, 1024) })
}

// The figure model of `make figure`: 49-16-16-10 tanh, 2,000 samples
// (P = 1,242).
func BenchmarkPerSampleVsGradientFigure(b *testing.B) {
	c := Config{Layers: []int{49, 16, 16, 10}, Activation: Tanh, Seed: 1}
	b.Run("persample", func(b *testing.B) { benchPerSample(b, c, 2000) })
	b.Run("gradient", func(b *testing.B) { benchPlainGradient(b, c, 2000) })
}
