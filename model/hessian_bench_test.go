package model

import (
	"runtime"
	"testing"
	"time"

	"github.com/sgn-project/sgn/data"
	"github.com/sgn-project/sgn/hessian"
	"gonum.org/v1/gonum/mat"
)

// Benchmarks of the exact Hessian-vector products and Hessian spectra. The
// figure model is 49-16-16-10 tanh (P = 1242) on the first
// 2,000 training images pooled by 4; the mnist preset is 784-100-10 relu
// (P = 79,510). Run with
//
//	go test ./model/ -run '^$' -bench 'Figure2000|Mnist' -benchtime 5x
//	go test ./model/ -run '^$' -bench LanczosTop20Mnist10000 -benchtime 1x
//
// Hv ≤ 2× a gradient is read off BenchmarkGradientFigure2000 against
// BenchmarkHvFigure2000 (and BenchmarkGradient1024 against BenchmarkHv1024 in
// bench_test.go for the mnist shape), which also report the ratio directly.

// benchMNIST loads the first n images of the MNIST training split pooled
// by pool, or skips the benchmark when MNIST cannot be found.
func benchMNIST(b *testing.B, pool, n int) Batch {
	b.Helper()
	s, err := data.Load(data.Options{Split: "train", Pool: pool, First: n})
	if err != nil {
		b.Skipf("MNIST not available: %v", err)
	}
	return Batch{X: s.X, Y: s.Y}
}

func benchFigureModel(b *testing.B) *MLP {
	m, err := New(Config{Layers: []int{49, 16, 16, 10}, Activation: Tanh, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	return m
}

func benchMnistModel(b *testing.B) *MLP {
	m, err := New(Config{Layers: []int{784, 100, 10}, Activation: ReLU, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	return m
}

// benchGradientSeconds returns the seconds of one full-batch gradient (mean over
// reps runs), for the ratio metrics.
func benchGradientSeconds(b *testing.B, m *MLP, x Batch, reps int) float64 {
	g := make([]float64, m.NumParams())
	w := runtime.NumCPU()
	start := time.Now()
	for range reps {
		if _, err := m.Evaluate(m.Theta, x, g, w); err != nil {
			b.Fatal(err)
		}
	}
	return time.Since(start).Seconds() / float64(reps)
}

// BenchmarkGradientFigure2000 is one gradient of the mean loss of the
// figure model over 2,000 MNIST images.
func BenchmarkGradientFigure2000(b *testing.B) {
	m := benchFigureModel(b)
	x := benchMNIST(b, 4, 2000)
	g := make([]float64, m.NumParams())
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := m.Evaluate(m.Theta, x, g, runtime.NumCPU()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHvFigure2000 is one Hessian-vector product over the same samples
// (the forward and backward pass cached by NewHessian are not timed: a
// Lanczos or Hutchinson run reuses them for every product). It reports
// hv/grad, the time of a product over the time of a gradient.
func BenchmarkHvFigure2000(b *testing.B) {
	m := benchFigureModel(b)
	x := benchMNIST(b, 4, 2000)
	benchHvRatio(b, m, x)
}

// BenchmarkHvMnist1024 is BenchmarkHv1024 on real MNIST images (pool 1) with
// the hv/grad ratio reported.
func BenchmarkHvMnist1024(b *testing.B) {
	m := benchMnistModel(b)
	x := benchMNIST(b, 1, 1024)
	benchHvRatio(b, m, x)
}

func benchHvRatio(b *testing.B, m *MLP, x Batch) {
	h, err := m.NewHessian(m.Theta, x, runtime.NumCPU())
	if err != nil {
		b.Fatal(err)
	}
	v := append([]float64(nil), m.Theta...)
	out := make([]float64, len(v))
	grad := benchGradientSeconds(b, m, x, 5)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		h.MulVec(out, v)
	}
	b.StopTimer()
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N)/grad, "hv/grad")
}

// BenchmarkMulMatFigure2000 multiplies 64 dense directions at once by the
// block R-operator; compare with 64 × BenchmarkHvFigure2000.
func BenchmarkMulMatFigure2000(b *testing.B) {
	m := benchFigureModel(b)
	x := benchMNIST(b, 4, 2000)
	h, err := m.NewHessian(m.Theta, x, runtime.NumCPU())
	if err != nil {
		b.Fatal(err)
	}
	P := m.NumParams()
	v := blockDirections(m.Layout, 1)
	_, k0 := v.Dims()
	const k = 64
	V := mat.NewDense(P, k, nil)
	for j := 0; j < k; j++ {
		for i := 0; i < P; i++ {
			V.Set(i, j, v.At(i, j%k0)+float64(j))
		}
	}
	dst := mat.NewDense(P, k, nil)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		h.MulMat(dst, V)
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N*k)*1e3, "ms/direction")
}

// BenchmarkFullHessianFigure2000 assembles the whole 1242×1242 Hessian of the
// figure model over 2,000 images with hessian.Full (blocks of 64 unit
// vectors through MulMat), including NewHessian's cached pass; the target is
// under 2 s.
func BenchmarkFullHessianFigure2000(b *testing.B) {
	m := benchFigureModel(b)
	x := benchMNIST(b, 4, 2000)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		h, err := m.NewHessian(m.Theta, x, runtime.NumCPU())
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := hessian.Full(h, 64, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLanczosTop20Mnist10000 computes the 20 largest eigenpairs of the
// Hessian of the mnist preset model (784-100-10 relu, P = 79,510) at its
// initialisation over the first 10,000 training images, by Lanczos with
// full reorthogonalisation at the default tolerance 1e-6. It reports the
// Krylov dimension reached. Run it with -benchtime 1x.
func BenchmarkLanczosTop20Mnist10000(b *testing.B) {
	m := benchMnistModel(b)
	x := benchMNIST(b, 1, 10000)
	b.ResetTimer()
	iters := 0
	for i := 0; i < b.N; i++ {
		h, err := m.NewHessian(m.Theta, x, runtime.NumCPU())
		if err != nil {
			b.Fatal(err)
		}
		sp, err := hessian.Lanczos(h, 20, 0, hessian.LanczosOptions{Seed: 1})
		if err != nil {
			b.Fatal(err)
		}
		iters = sp.Iterations
		if !sp.Converged {
			b.Logf("not converged after %d iterations", sp.Iterations)
		}
	}
	b.ReportMetric(float64(iters), "iterations")
}
