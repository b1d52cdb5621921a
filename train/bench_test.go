package train

import (
	"fmt"
	"testing"

	"github.com/sgn-project/sgn/data"
	"github.com/sgn-project/sgn/internal/cputime"
	"github.com/sgn-project/sgn/model"
)

// BenchmarkTrain is sgn train's loop — minibatch gathering, the Gorgonia
// engine's step, the SGD update — on 784-100-10 relu, B = 128, one epoch of
// the first 12,800 MNIST training images, with 1 and 2 workers (the same
// trajectory, bit for bit). samples/s is the log's samples_per_sec: the
// training steps' throughput, the epoch's evaluation excluded;
// cpu-samples/s the samples per second of process CPU time over whole
// runs (evaluations included), which time-sharing with other processes
// does not dilute.
func BenchmarkTrain(b *testing.B) {
	tr, err := data.Load(data.Options{Split: "train", Pool: 1, First: 12800})
	if err != nil {
		b.Fatal(err)
	}
	te, err := data.Load(data.Options{Split: "test", Pool: 1, First: 128})
	if err != nil {
		b.Fatal(err)
	}
	s := Settings{LR: 0.05, BatchSize: 128, Epochs: 1, Seed: 1, Engine: EngineGorgonia, Pool: 1, TrainFirst: 12800, TestFirst: 128}
	for _, w := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers=%d", w), func(b *testing.B) {
			var rate float64
			c0 := cputime.Process()
			for i := 0; i < b.N; i++ {
				m, err := model.New(model.Config{Layers: []int{784, 100, 10}, Activation: model.ReLU, Seed: 1})
				if err != nil {
					b.Fatal(err)
				}
				sum, err := Run(m, tr, te, Options{Settings: s, OutDir: b.TempDir(), Workers: w, Version: "bench"})
				if err != nil {
					b.Fatal(err)
				}
				rate += sum.Final.SamplesPerSec
			}
			b.ReportMetric(rate/float64(b.N), "samples/s")
			if cpu := cputime.Process() - c0; cpu > 0 {
				b.ReportMetric(float64(b.N*s.TrainFirst)/cpu, "cpu-samples/s")
			}
		})
	}
}
