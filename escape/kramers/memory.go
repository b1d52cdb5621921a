package kramers

import (
	"slices"
	"unsafe"

	"github.com/sgn-project/sgn/escape"
	"github.com/sgn-project/sgn/internal/sweep"
)

// NetworkBatchBytes bounds the bytes the minibatches of sgd on a network
// take beyond network.MemoryNeed: each of the MaxBatch runs a worker steps
// together holds the B indices of its minibatch (drawn with replacement, so
// B may exceed the samples), for the largest B of cfg. It is computed in
// float64, so an absurd B gives a huge number, not an overflow.
func NetworkBatchBytes(cfg Config, workers int) float64 {
	if cfg.Network == nil || !slices.Contains(cfg.Dynamics, escape.SGD) {
		return 0
	}
	var b float64
	for _, v := range cfg.BatchSize {
		b = max(b, v)
	}
	return float64(max(workers, 1)) * MaxBatch * 8 * b
}

// RunsBytes bounds the bytes the bookkeeping of cfg's runs takes: one task
// per run (point, run, seed) and, for a single point (RunOne), its record,
// collected in a slice that grows by doubling (so up to twice the records
// at once), and the seeds and outcomes of the batches the workers take
// (garbage once a batch is recorded). A sweep streams its records to
// runs.jsonl and keeps the tasks.
func RunsBytes(cfg Config) float64 {
	runs := float64(cfg.numPoints()) * float64(cfg.Runs)
	task := float64(unsafe.Sizeof(sweep.Task{}) + unsafe.Sizeof(uint64(0)) + unsafe.Sizeof(escape.Outcome{}))
	if cfg.numPoints() == 1 {
		return runs * (task + 2*float64(unsafe.Sizeof(RunRecord{})))
	}
	return runs * task
}

// SweepConfig returns the checked configuration in the sweep folder dir
// (its config.json), without reading its runs.
func SweepConfig(dir string) (Config, error) {
	d, err := sweeps.Inspect(dir)
	return d.Config, err
}
