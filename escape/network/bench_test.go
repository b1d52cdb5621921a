package network

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/sgn-project/sgn/escape"
	"github.com/sgn-project/sgn/internal/cputime"
	"github.com/sgn-project/sgn/model"
	"github.com/sgn-project/sgn/model/graph"
	"github.com/sgn-project/sgn/model/modeltest"
	"github.com/sgn-project/sgn/model/replica"
)

// The speed benchmarks of the network dynamics use a 10-16-2 tanh MLP on
// synthetic data (1000 samples of 10 standard-normal features, 2 random
// classes): the size of a PyTorch reference run measured at about 9,400
// SGD steps/s per core at batch 16, not MNIST. Both run on one goroutine.

// BenchmarkReplicaSGD10_16_2 steps one replica of minibatch SGD (B = 16,
// with replacement, distance check every step) with the escape engine and
// reports replica-steps per second on one core. Target: ≥ 94,000.
func BenchmarkReplicaSGD10_16_2(b *testing.B) {
	m, data := modeltest.Net(b, []int{10, 16, 2}, model.Tanh, 1000, 1)
	e, err := replica.New(m.Layers, m.Activation, data.X, data.Y)
	if err != nil {
		b.Fatal(err)
	}
	p := escape.Point{Dynamics: escape.SGD, Sharpness: 1, BatchSize: 16, Eta: 1e-3, MaxSteps: int64(b.N), Criterion: escape.Criterion{Kind: escape.CriterionDistance, Radius: 1e9}}
	s, err := newSimulator(testMinimum(m, data, 1), e, p)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	if _, err := s.Run(1); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "replica-steps/s")
}

// BenchmarkGorgoniaSGD10_16_2 is the same SGD step through graph.New
// (the Gorgonia graph: minibatch gather, forward, backward, update), for
// comparison.
func BenchmarkGorgoniaSGD10_16_2(b *testing.B) {
	m, data := modeltest.Net(b, []int{10, 16, 2}, model.Tanh, 1000, 1)
	gr, err := graph.New(m, 16)
	if err != nil {
		b.Fatal(err)
	}
	defer gr.Close()
	rng := rand.New(rand.NewPCG(1, 2))
	idx := make([]int, 16)
	grad := make([]float64, m.Layout.P)
	var mb model.Batch
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for j := range idx {
			idx[j] = rng.IntN(1000)
		}
		mb = m.Gather(data, idx, mb)
		if _, err := gr.Run(mb.X, mb.Y, grad); err != nil {
			b.Fatal(err)
		}
		for j, g := range grad {
			m.Theta[j] -= 1e-3 * g
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "replica-steps/s")
}

// BenchmarkReplicaSteps49_8_10 is the work of the runs of a point of the
// builtin mlp-eta sweep on synthetic samples: 49-8-10 tanh, N = 1,000, SGD
// with B = 16 drawn with replacement, weight decay 1e-3 in the gradient,
// the full loss CE + (λ/2)‖θ‖² checked every 10 steps (against a level it
// never reaches), for R = 1, 16 and 100 runs stepped together (RunBatch;
// R = 1 is Run). b.N counts replica-steps (R runs of ⌈b.N/R⌉ steps). It
// reports replica-steps/s and replica-steps per CPU-second (process CPU
// time, which a shared machine dilutes least);
// internal/speedref/replica_steps.py is the same work in PyTorch, its
// replicas stacked and stepped together by batched products
// (internal/speedref/compare.sh replicas runs both).
func BenchmarkReplicaSteps49_8_10(b *testing.B) {
	m, data := modeltest.Net(b, []int{49, 8, 10}, model.Tanh, 1000, 1)
	e, err := replica.New(m.Layers, m.Activation, data.X, data.Y)
	if err != nil {
		b.Fatal(err)
	}
	mn := testMinimum(m, data, 10)
	mn.Spec.WeightDecay = 1e-3
	for _, R := range []int{1, 16, 100} {
		b.Run(fmt.Sprintf("R=%d", R), func(b *testing.B) {
			steps := (b.N + R - 1) / R
			p := escape.Point{Dynamics: escape.SGD, Sharpness: 1, BatchSize: 16, Eta: 0.01, MaxSteps: int64(steps),
				Criterion: escape.Criterion{Kind: escape.CriterionLoss, Delta: 1e9}}
			s, err := newSimulator(mn, e, p)
			if err != nil {
				b.Fatal(err)
			}
			seeds := make([]uint64, R)
			for i := range seeds {
				seeds[i] = uint64(i + 1)
			}
			c0 := cputime.Process()
			b.ResetTimer()
			out, errs := s.RunBatch(seeds)
			b.StopTimer()
			for i, o := range out {
				if errs != nil && errs[i] != nil {
					b.Fatal(errs[i])
				}
				if o.Escaped || o.Step != int64(steps) {
					b.Fatalf("run %d ended at step %d of %d (escaped %v)", i, o.Step, steps, o.Escaped)
				}
			}
			b.ReportMetric(float64(R*steps)/b.Elapsed().Seconds(), "replica-steps/s")
			if cpu := cputime.Process() - c0; cpu > 0 {
				b.ReportMetric(float64(R*steps)/cpu, "replica-steps/cpu-s")
			}
		})
	}
}
