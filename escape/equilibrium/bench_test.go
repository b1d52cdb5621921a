package equilibrium

import (
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/sgn-project/sgn/model"
)

// benchNetwork is the figure preset's network (49-16-16-10 tanh, P =
// 1,242) on 2,000 synthetic samples (speed does not depend on the pixels).
func benchNetwork(b *testing.B) *Network {
	m, err := model.New(model.Config{Layers: []int{49, 16, 16, 10}, Activation: model.Tanh, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 2000
	x := make([]float64, n*49)
	for i := range x {
		x[i] = rng.Float64()
	}
	y := make([]int, n)
	for i := range y {
		y[i] = rng.IntN(10)
	}
	return &Network{Model: m, Data: model.Batch{X: x, Y: y}, Workers: 1}
}

// BenchmarkTrainingEngineStep is the reference: one SGD step of the
// training engine (model.LossGrad on a 64-sample minibatch, then the
// update), as train's gonum engine runs it.
func BenchmarkTrainingEngineStep(b *testing.B) {
	net := benchNetwork(b)
	m := net.Model
	ws := m.NewWorkspace(64)
	mb := model.Batch{X: net.Data.X[:64*49], Y: net.Data.Y[:64]}
	g := make([]float64, m.NumParams())
	theta := append([]float64(nil), m.Theta...)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := m.LossGrad(ws, theta, mb, g); err != nil {
			b.Fatal(err)
		}
		for k, v := range g {
			theta[k] -= 0.01 * v
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "steps/s")
}

// BenchmarkChainSGD is one step of the measurement's SGD chain (B = 64,
// minibatch drawn with replacement and gathered, sampling every 10 steps,
// projection on 80 directions by one GEMM per block of 64 samples).
func BenchmarkChainSGD(b *testing.B) { benchChain(b, SGD) }

// BenchmarkChainSGLD is one step of the SGLD chain (full-batch gradient
// over 2,000 samples plus P normals).
func BenchmarkChainSGLD(b *testing.B) { benchChain(b, SGLD) }

// BenchmarkFullGradient2000 is the reference of the SGLD step: one
// full-batch gradient over the same 2,000 samples with model.LossGrad.
func BenchmarkFullGradient2000(b *testing.B) {
	net := benchNetwork(b)
	m := net.Model
	ws := m.NewWorkspace(2000)
	g := make([]float64, m.NumParams())
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := m.LossGrad(ws, m.Theta, net.Data, g); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "steps/s")
}

func benchChain(b *testing.B, dyn string) {
	net := benchNetwork(b)
	P := net.Dim()
	U := mat.NewDense(P, 80, nil)
	for j := range 80 {
		U.Set(j, j, 1)
	}
	s := Settings{Eta: 0.01, BatchSize: 64, Steps: max(b.N, 10*DefaultBatches), Every: 10, BurnIn: 1}.Normalized()
	b.ResetTimer()
	r := newChainRun(net, net.Model.Theta, U, s, dyn, 1e-6, 1, func(int) {})
	if err := r.advance(s.BurnIn+s.Steps, 0, nil); err != nil {
		b.Fatal(err)
	}
	if _, err := r.finish(); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(s.Steps+1)/b.Elapsed().Seconds(), "steps/s")
}
