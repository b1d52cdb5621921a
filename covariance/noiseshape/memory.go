package noiseshape

import (
	"fmt"

	"github.com/sgn-project/sgn/internal/memlimit"
)

// MemoryNeed estimates the bytes Analyze holds at its peak for a model of p
// parameters and n samples with these options (defaults filled in as
// Analyze fills them): the Minibatches×Coords noise matrix and one working
// copy of it for the statistics, the pooled across-parameter sample and one
// copy, three length-P vectors per worker and the full gradient ḡ; for the
// effect sizes, the random directions (R×Coords), their projections sorted
// with their permutation (2.5·R·M words), the first half of the noise
// matrix and three ⌊M/2⌋² matrices of the principal directions, and each
// worker's block of per-sample gradients. It is computed in float64, so
// absurd options give a huge number, not an overflow. Invalid options are
// an error, as in Analyze.
func (opt Options) MemoryNeed(p, n int) (float64, error) {
	o, err := opt.withDefaults(p, n)
	if err != nil {
		return 0, err
	}
	m := float64(o.Minibatches)
	k := float64(o.Coords)
	tPool := float64(max(1, min(o.Minibatches, o.PoolCap/p)))
	words := 2*k*m + 2*tPool*float64(p) + float64(3*o.Workers+1)*float64(p)
	r, m1 := float64(o.Directions), float64(o.Minibatches/2)
	words += r*k + 2.5*r*m + m1*k + 3*m1*m1 + float64(o.Workers)*float64(perSampleChunk(p)*p)
	return 8 * words, nil
}

// CheckMemory returns a *memlimit.Error when Analyze would hold more than
// limit bytes (MemoryNeed) for a model of p parameters on n samples,
// naming minibatches and coords as what to lower; nil when it fits or limit
// is 0. Invalid options are MemoryNeed's error.
func (opt Options) CheckMemory(p, n int, limit int64) error {
	need, err := opt.MemoryNeed(p, n)
	if err != nil {
		return err
	}
	return memlimit.Check(need, limit, fmt.Sprintf("on P = %d (the noise matrix and the pooled sample)", p),
		[]memlimit.Setting{{Name: "minibatches", Value: fmt.Sprint(opt.Minibatches)}}, memlimit.Lower("minibatches"), memlimit.Lower("coords"))
}
