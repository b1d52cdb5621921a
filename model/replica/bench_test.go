package replica

import (
	"testing"

	"github.com/sgn-project/sgn/internal/cputime"
	"github.com/sgn-project/sgn/model"
	"github.com/sgn-project/sgn/model/modeltest"
)

// BenchmarkLoss49_8_10: the full loss of the escape figure's network
// (49-8-10 tanh) on 1,000 samples, the check of the loss criterion that
// dominates a network escape run, in samples/s.
func BenchmarkLoss49_8_10(b *testing.B) {
	m, x := modeltest.Net(b, []int{49, 8, 10}, model.Tanh, 1000, 1)
	e, err := New(m.Layers, model.Tanh, x.X, x.Y)
	if err != nil {
		b.Fatal(err)
	}
	c0 := cputime.Process()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		e.Loss(m.Theta)
	}
	b.ReportMetric(float64(b.N*e.N())/b.Elapsed().Seconds(), "samples/s")
	perCPU(b, c0, b.N*e.N(), "samples/cpu-s")
}

// BenchmarkSGD49_8_10: one minibatch gradient of 16 samples on the same
// network, the step of a network escape run, in samples/s.
func BenchmarkSGD49_8_10(b *testing.B) {
	m, x := modeltest.Net(b, []int{49, 8, 10}, model.Tanh, 1000, 1)
	e, err := New(m.Layers, model.Tanh, x.X, x.Y)
	if err != nil {
		b.Fatal(err)
	}
	idx := make([]int, 16)
	for k := range idx {
		idx[k] = (k * 61) % e.N()
	}
	g := make([]float64, m.Layout.P)
	c0 := cputime.Process()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		e.LossGrad(m.Theta, idx, g)
	}
	b.ReportMetric(float64(b.N*len(idx))/b.Elapsed().Seconds(), "samples/s")
	perCPU(b, c0, b.N*len(idx), "samples/cpu-s")
}

// BenchmarkLosses49_8_10: the full losses of 100 replicas of the same
// network (different θ; the runs of a point of the builtin sweeps) in one
// call of Losses, in replica-samples/s.
func BenchmarkLosses49_8_10(b *testing.B) {
	m, x := modeltest.Net(b, []int{49, 8, 10}, model.Tanh, 1000, 1)
	e, err := New(m.Layers, model.Tanh, x.X, x.Y)
	if err != nil {
		b.Fatal(err)
	}
	thetas := make([][]float64, 100)
	for r := range thetas {
		thetas[r] = append([]float64(nil), m.Theta...)
		thetas[r][r%len(thetas[r])] += 0.01
	}
	out := make([]float64, len(thetas))
	c0 := cputime.Process()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		e.Losses(thetas, out)
	}
	b.ReportMetric(float64(b.N*e.N()*len(thetas))/b.Elapsed().Seconds(), "samples/s")
	perCPU(b, c0, b.N*e.N()*len(thetas), "samples/cpu-s")
}

// perCPU reports count per CPU-second of the process since c0 (what a
// shared machine dilutes least) as the metric unit.
func perCPU(b *testing.B, c0 float64, count int, unit string) {
	if cpu := cputime.Process() - c0; cpu > 0 {
		b.ReportMetric(float64(count)/cpu, unit)
	}
}
