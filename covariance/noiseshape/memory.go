package noiseshape

// MemoryNeed estimates the bytes Analyze holds at its peak for a model of p
// parameters and n samples with these options (defaults filled in as
// Analyze fills them): the Minibatches×Coords noise matrix and one working
// copy of it for the statistics, the pooled across-parameter sample and one
// copy, three length-P vectors per worker and the full gradient ḡ. It is
// computed in float64, so absurd options give a huge number, not an
// overflow. Invalid options are an error, as in Analyze.
func (opt Options) MemoryNeed(p, n int) (float64, error) {
	o, err := opt.withDefaults(p, n)
	if err != nil {
		return 0, err
	}
	m := float64(o.Minibatches)
	tPool := float64(max(1, min(o.Minibatches, o.PoolCap/p)))
	words := 2*float64(o.Coords)*m + 2*tPool*float64(p) + float64(3*o.Workers+1)*float64(p)
	return 8 * words, nil
}
