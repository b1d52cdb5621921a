package kramers

import (
	"testing"

	"github.com/sgn-project/sgn/escape"
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
