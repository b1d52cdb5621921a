package covariance

import (
	"testing"

	"github.com/sgn-project/sgn/model"
)

// BenchmarkAnalyzeFigureSize runs the full-mode analysis of one model the
// size of the figure preset (49-16-16-10 tanh, P = 1,242) on 2,000 samples.
func BenchmarkAnalyzeFigureSize(b *testing.B) {
	m, _ := model.New(model.Config{Layers: []int{49, 16, 16, 10}, Activation: model.Tanh, Seed: 1})
	x := tinyBatch(2000, 49, 10, 1)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Analyze(m, x, Options{BatchSizes: []int{64}, Mode: ModeFull, Workers: 2}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkProjectSigmaMNIST projects Σ of the mnist preset's size
// (784-100-10 relu, P = 79,510) on 100 directions with G streamed: N = 512
// samples through a 64 MiB budget (chunks of 26 rows).
func BenchmarkProjectSigmaMNIST(b *testing.B) {
	m, _ := model.New(model.Config{Layers: []int{784, 100, 10}, Activation: model.ReLU, Seed: 1})
	x := tinyBatch(512, 784, 10, 1)
	g, err := NewGradients(m, m.Theta, x, GradientOptions{MemoryBudget: 64 << 20, Workers: 2})
	if err != nil {
		b.Fatal(err)
	}
	U := randomMatrix(m.NumParams(), 100, 2)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, _, err := g.ProjectSigma(U); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(512*b.N)/b.Elapsed().Seconds(), "samples/s")
}
