package data

import (
	"fmt"
	"math/rand/v2"
)

// replacementStreamBase is added to the batch number t to give the PCG stream
// of batch t of a ReplacementSampler, so that its streams never meet those of
// an EpochSampler (stream = epoch) for the same seed.
const replacementStreamBase = 1 << 63

// randomSubset returns k distinct indices in [0,n) drawn uniformly without
// replacement, in the order drawn: the first k steps of a Fisher–Yates
// shuffle of 0..n−1 driven by rand.NewPCG(seed, subsetStream). The draws of
// a smaller k are a prefix of those of a larger k with the same seed.
func randomSubset(n, k int, seed uint64) []int {
	r := rand.New(rand.NewPCG(seed, subsetStream))
	// The shuffle of the identity 0..n−1, kept sparse: moved holds the
	// positions whose value is not their index, so the memory is O(k) and
	// not O(n) (n is the count an idx header declares).
	moved := make(map[int]int, 2*k)
	at := func(i int) int {
		if v, ok := moved[i]; ok {
			return v
		}
		return i
	}
	out := make([]int, k)
	for i := 0; i < k; i++ {
		j := i + r.IntN(n-i)
		vi, vj := at(i), at(j)
		moved[i], moved[j] = vj, vi
		out[i] = vj
	}
	return out
}

// SamplerState is the position of a sampler, enough to restore it exactly.
// An EpochSampler is at position Pos of epoch Epoch; a ReplacementSampler
// has drawn Drawn batches. Drawn of an EpochSampler is informative only.
type SamplerState struct {
	Epoch int   `json:"epoch"`
	Pos   int   `json:"pos"`
	Drawn int64 `json:"drawn"`
}

// EpochSampler draws minibatches without replacement: each epoch is a fresh
// uniform permutation of 0..n−1, drawn from
// rand.New(rand.NewPCG(seed, uint64(epoch))) by Fisher–Yates shuffling the
// identity, cut into consecutive batches. Its state is just (epoch, pos).
type EpochSampler struct {
	n, batch  int
	seed      uint64
	dropLast  bool
	epoch     int
	pos       int
	permEpoch int // the epoch perm was drawn for, −1 for none
	perm      []int
	out       []int
}

// NewEpochSampler returns a sampler of batches of size batch from n samples
// at epoch 0. When dropLast, the last n mod batch samples of each epoch's
// permutation are skipped; otherwise the last batch of an epoch is short.
// It returns an error unless 0 < batch ≤ n.
func NewEpochSampler(n, batch int, seed uint64, dropLast bool) (*EpochSampler, error) {
	if n <= 0 {
		return nil, fmt.Errorf("epoch sampler: %d samples, want at least 1", n)
	}
	if batch <= 0 || batch > n {
		return nil, fmt.Errorf("batch size %d is out of range: want 1..%d (the number of samples)", batch, n)
	}
	return &EpochSampler{
		n: n, batch: batch, seed: seed, dropLast: dropLast,
		permEpoch: -1,
		perm:      make([]int, n),
		out:       make([]int, 0, batch),
	}, nil
}

// BatchesPerEpoch returns the number of batches in one epoch: ⌊n/batch⌋
// when dropping the last partial batch, ⌈n/batch⌉ otherwise.
func (s *EpochSampler) BatchesPerEpoch() int {
	if s.dropLast {
		return s.n / s.batch
	}
	return (s.n + s.batch - 1) / s.batch
}

// Next returns the next batch of indices and whether it is the last batch of
// its epoch. The slice belongs to the sampler and is overwritten by the next
// call.
func (s *EpochSampler) Next() (idx []int, epochEnd bool) {
	if s.permEpoch != s.epoch {
		r := rand.New(rand.NewPCG(s.seed, uint64(s.epoch)))
		for i := range s.perm {
			s.perm[i] = i
		}
		r.Shuffle(s.n, func(i, j int) { s.perm[i], s.perm[j] = s.perm[j], s.perm[i] })
		s.permEpoch = s.epoch
	}
	end := min(s.pos+s.batch, s.n)
	s.out = append(s.out[:0], s.perm[s.pos:end]...)
	s.pos = end
	if s.pos == s.n || (s.dropLast && s.n-s.pos < s.batch) {
		s.epoch++
		s.pos = 0
		epochEnd = true
	}
	return s.out, epochEnd
}

// State returns the position of the sampler: the batch Next returns next is
// the one at Pos of epoch Epoch. Drawn counts the batches drawn since epoch 0.
func (s *EpochSampler) State() SamplerState {
	return SamplerState{
		Epoch: s.epoch,
		Pos:   s.pos,
		Drawn: int64(s.epoch)*int64(s.BatchesPerEpoch()) + int64(s.pos/s.batch),
	}
}

// Restore moves the sampler to st, as returned by State of a sampler with the
// same n, batch, seed and dropLast; the following batches are then those
// that sampler drew. Drawn is ignored. It returns an error if st cannot be a
// position of this sampler.
func (s *EpochSampler) Restore(st SamplerState) error {
	switch {
	case st.Epoch < 0:
		return fmt.Errorf("sampler state: epoch %d is negative", st.Epoch)
	case st.Pos < 0 || st.Pos >= s.n:
		return fmt.Errorf("sampler state: position %d is out of range 0..%d", st.Pos, s.n-1)
	case st.Pos%s.batch != 0:
		return fmt.Errorf("sampler state: position %d is not a multiple of the batch size %d", st.Pos, s.batch)
	case s.dropLast && st.Pos+s.batch > s.n:
		return fmt.Errorf("sampler state: position %d leaves less than a batch of %d in an epoch of %d", st.Pos, s.batch, s.n)
	}
	s.epoch, s.pos = st.Epoch, st.Pos
	return nil
}

// ReplacementSampler draws minibatches with replacement: each index is i.i.d.
// uniform on 0..n−1, the noise model of the SGD theory (C = Σ/B). Batch t
// (counting from 0) is drawn from its own generator
// rand.New(rand.NewPCG(seed, 1<<63 + t)), so restoring a state is O(1).
type ReplacementSampler struct {
	n     int
	seed  uint64
	drawn int64
	out   []int
}

// NewReplacementSampler returns a sampler of batches of size batch from n
// samples, drawn with replacement. It returns an error unless n > 0 and
// batch > 0 (batch may exceed n).
func NewReplacementSampler(n, batch int, seed uint64) (*ReplacementSampler, error) {
	if n <= 0 {
		return nil, fmt.Errorf("replacement sampler: %d samples, want at least 1", n)
	}
	if batch <= 0 {
		return nil, fmt.Errorf("batch size %d is out of range: want at least 1", batch)
	}
	return &ReplacementSampler{n: n, seed: seed, out: make([]int, batch)}, nil
}

// Next returns the next batch of indices. The slice belongs to the sampler
// and is overwritten by the next call.
func (s *ReplacementSampler) Next() []int {
	r := rand.New(rand.NewPCG(s.seed, replacementStreamBase+uint64(s.drawn)))
	for k := range s.out {
		s.out[k] = r.IntN(s.n)
	}
	s.drawn++
	return s.out
}

// State returns the number of batches drawn (Drawn); Epoch and Pos are 0.
func (s *ReplacementSampler) State() SamplerState {
	return SamplerState{Drawn: s.drawn}
}

// Restore moves the sampler to st: the next batch is batch st.Drawn. It
// returns an error if Drawn is negative.
func (s *ReplacementSampler) Restore(st SamplerState) error {
	if st.Drawn < 0 {
		return fmt.Errorf("sampler state: %d batches drawn is negative", st.Drawn)
	}
	s.drawn = st.Drawn
	return nil
}
