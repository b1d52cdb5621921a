package selection

import (
	"unsafe"

	"github.com/sgn-project/sgn/internal/sweep"
)

// SweepBytes bounds the bytes the bookkeeping of cfg's replicas takes in a
// sweep and its fit: one task per replica while they are simulated, then
// every replica's record read back from runs.jsonl and its result grouped
// by point. The simulators themselves hold a few vectors of the
// landscape's dimension. It is computed in float64, so absurd counts give a
// huge number, not an overflow.
func SweepBytes(cfg Config) float64 {
	n := float64(len(cfg.Points())) * float64(cfg.Replicas)
	per := unsafe.Sizeof(sweep.Task{}) + unsafe.Sizeof(sweep.Record[Replica]{}) + unsafe.Sizeof(Replica{})
	return n * float64(per)
}
