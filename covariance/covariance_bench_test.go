package covariance

import (
	"testing"

	"github.com/sgn-project/sgn/model"
	"gonum.org/v1/gonum/mat"
)

// benchSym returns a random symmetric n×n matrix.
func benchSym(n int) *mat.SymDense {
	r := randomMatrix(n, n, 1)
	a := mat.NewSymDense(n, nil)
	for i := 0; i < n; i++ {
		for j := i; j < n; j++ {
			a.SetSym(i, j, r.At(i, j)+r.At(j, i))
		}
	}
	return a
}

// BenchmarkEigenTop1242 is the eigen step of `make figure` (P = 1,242,
// vectors for the top half), the path Analyze takes.
func BenchmarkEigenTop1242(b *testing.B) {
	a := benchSym(1242)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := eigenTop(a, func([]float64) int { return 640 }, eigenTol); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEigenSym1242 is gonum's complete eigensolver (dsyev) on the same
// matrix, for comparison.
func BenchmarkEigenSym1242(b *testing.B) {
	a := benchSym(1242)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var es mat.EigenSym
		if !es.Factorize(a, true) {
			b.Fatal("no convergence")
		}
	}
}

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
// samples through a 64 MiB budget (chunks of 105 rows).
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
