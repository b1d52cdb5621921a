package kramers

import (
	"fmt"
	"testing"

	"github.com/sgn-project/sgn/data"
	"github.com/sgn-project/sgn/escape"
	"github.com/sgn-project/sgn/escape/network"
	"github.com/sgn-project/sgn/internal/cputime"
	"github.com/sgn-project/sgn/model"
)

// benchRuns runs b.N runs of p on two workers and reports steps per second.
func benchRuns(b *testing.B, p Point) {
	sim, err := AnalyticSimulator(p)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	recs, err := RunPoint(sim, 1, b.N, 2, nil)
	if err != nil {
		b.Fatal(err)
	}
	steps := 0.0
	for _, r := range recs {
		steps += float64(r.Result.Step)
	}
	b.ReportMetric(steps/b.Elapsed().Seconds(), "steps/s")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkSGLD1D: SGLD on the 1-D double well (ΔL/D = 6.7, η = 10⁻³, runs
// of up to 10⁶ steps) on 2 workers. Target: ≥ 10⁸ steps/s on 2 cores.
func BenchmarkSGLD1D(b *testing.B) {
	benchRuns(b, dwPoint(escape.SGLD, 1, 1e-3, 0, 0.15, 1_000_000))
}

// BenchmarkSGDDiffusion1D: sgd-diffusion on the 1-D double well, 2 workers.
func BenchmarkSGDDiffusion1D(b *testing.B) {
	benchRuns(b, dwPoint(escape.SGDDiffusion, 1, 0.01, 1, 0, 1_000_000))
}

// BenchmarkSGLD2D: SGLD on a 2-D double well through the generic n-D loop.
func BenchmarkSGLD2D(b *testing.B) {
	p := dwPoint(escape.SGLD, 1, 1e-3, 0, 0.15, 100_000)
	p.Landscape = escape.LandscapeSpec{Name: escape.DoubleWellName, Barrier: 1, Dim: 2, Transverse: []float64{2}, ColRatio: 4}
	benchRuns(b, p)
}

// BenchmarkNetworkRunsWorkers: whole runs of a network escape point
// (49-8-10 tanh on the first 1,000 MNIST images pooled by 4, as the builtin
// mlp sweeps, brought near a minimum by 300 steps of gradient descent;
// SGD B = 16, η = 0.2, the loss criterion δ = 0.05 checked every 10 steps,
// at most 4,000 steps), 16 runs per iteration through RunPoint on 1 and 2
// workers: runs/s and runs per CPU-second. On an idle machine the ratio of
// the two runs/s is the sweeps' scaling on two cores (each worker takes
// the next run as it finishes one); per CPU-second they should be equal.
func BenchmarkNetworkRunsWorkers(b *testing.B) {
	if _, err := data.FindMNIST(""); err != nil {
		b.Skipf("MNIST not found: %v", err)
	}
	spec := network.Spec{Layers: []int{49, 8, 10}, Activation: model.Tanh, First: 1000, WeightDecay: 1e-3,
		Minimizer: network.MinimizerGD, GDMaxSteps: 300, GDEta: 0.3, CheckEvery: 10}
	mn, err := network.PrepareMinimum(spec, "", b.TempDir(), 2)
	if err != nil {
		b.Fatal(err)
	}
	p := escape.Point{Dynamics: escape.SGD, Sharpness: 1, BatchSize: 16, Eta: 0.2, MaxSteps: 4000,
		Criterion: escape.Criterion{Kind: escape.CriterionLoss, Delta: 0.05}}
	sim, err := network.Factory(mn)(p)
	if err != nil {
		b.Fatal(err)
	}
	const runs = 16
	for _, w := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers=%d", w), func(b *testing.B) {
			c0 := cputime.Process()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := RunPoint(sim, uint64(i+1), runs, w, nil); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N*runs)/b.Elapsed().Seconds(), "runs/s")
			if cpu := cputime.Process() - c0; cpu > 0 {
				b.ReportMetric(float64(b.N*runs)/cpu, "runs/cpu-s")
			}
		})
	}
}
