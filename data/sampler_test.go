package data

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// epoch draws one whole epoch and checks that only its last batch ends it.
func epoch(t *testing.T, s *EpochSampler) [][]int {
	t.Helper()
	var batches [][]int
	for k := 0; ; k++ {
		b, end := s.Next()
		batches = append(batches, append([]int(nil), b...))
		if end {
			return batches
		}
		if k > 1000 {
			t.Fatal("epoch never ends")
		}
	}
}

func TestEpochSamplerVisitsEachIndexOnce(t *testing.T) {
	const n, batch = 103, 10
	for _, dropLast := range []bool{false, true} {
		s, err := NewEpochSampler(n, batch, 42, dropLast)
		if err != nil {
			t.Fatal(err)
		}
		var prev []int
		for e := 0; e < 3; e++ {
			batches := epoch(t, s)
			wantBatches, wantSeen := 11, n
			if dropLast {
				wantBatches, wantSeen = 10, 100
			}
			if len(batches) != wantBatches || s.BatchesPerEpoch() != wantBatches {
				t.Fatalf("dropLast=%v epoch %d: %d batches (BatchesPerEpoch %d), want %d", dropLast, e, len(batches), s.BatchesPerEpoch(), wantBatches)
			}
			seen := make([]int, n)
			var all []int
			for k, b := range batches {
				want := batch
				if k == 10 {
					want = 3
				}
				if len(b) != want {
					t.Errorf("dropLast=%v epoch %d batch %d: size %d, want %d", dropLast, e, k, len(b), want)
				}
				for _, i := range b {
					seen[i]++
				}
				all = append(all, b...)
			}
			total := 0
			for i, c := range seen {
				if c > 1 || (!dropLast && c != 1) {
					t.Fatalf("dropLast=%v epoch %d: index %d seen %d times", dropLast, e, i, c)
				}
				total += c
			}
			if total != wantSeen {
				t.Errorf("dropLast=%v epoch %d: %d indices seen, want %d", dropLast, e, total, wantSeen)
			}
			if st := s.State(); st.Epoch != e+1 || st.Pos != 0 || st.Drawn != int64((e+1)*wantBatches) {
				t.Errorf("state after epoch %d: %+v", e, st)
			}
			if slices.Equal(all, prev) {
				t.Errorf("epochs %d and %d drew the same permutation", e-1, e)
			}
			prev = all
		}
	}
}

func TestEpochSamplerPermutationIsDocumented(t *testing.T) {
	// Epoch e is the Fisher–Yates shuffle of 0..n−1 by rand.NewPCG(seed, e).
	const n, batch, seed = 50, 7, 3
	s, _ := NewEpochSampler(n, batch, seed, false)
	for e := 0; e < 3; e++ {
		var got []int
		for _, b := range epoch(t, s) {
			got = append(got, b...)
		}
		want := identity(n)
		r := rand.New(rand.NewPCG(seed, uint64(e)))
		r.Shuffle(n, func(i, j int) { want[i], want[j] = want[j], want[i] })
		if !slices.Equal(got, want) {
			t.Fatalf("epoch %d: %v, want %v", e, got, want)
		}
	}
}

func TestEpochSamplerDeterministicAndRestore(t *testing.T) {
	const n, batch = 37, 5
	for _, dropLast := range []bool{false, true} {
		a, _ := NewEpochSampler(n, batch, 7, dropLast)
		b, _ := NewEpochSampler(n, batch, 7, dropLast)
		c, _ := NewEpochSampler(n, batch, 8, dropLast)
		same := true
		for k := 0; k < 30; k++ {
			x, ex := a.Next()
			xs := append([]int(nil), x...)
			y, ey := b.Next()
			z, _ := c.Next()
			if !slices.Equal(xs, y) || ex != ey {
				t.Fatalf("dropLast=%v batch %d: same seed, different batches %v %v", dropLast, k, xs, y)
			}
			same = same && slices.Equal(xs, z)
		}
		if same {
			t.Errorf("dropLast=%v: seeds 7 and 8 gave the same 30 batches", dropLast)
		}
		// Save mid-epoch, draw on, then restore a fresh sampler and compare.
		for _, skip := range []int{0, 3, 7, 9, 16} {
			s, _ := NewEpochSampler(n, batch, 11, dropLast)
			for k := 0; k < skip; k++ {
				s.Next()
			}
			st := s.State()
			var want [][]int
			var wantEnd []bool
			for k := 0; k < 20; k++ {
				x, e := s.Next()
				want = append(want, append([]int(nil), x...))
				wantEnd = append(wantEnd, e)
			}
			r, _ := NewEpochSampler(n, batch, 11, dropLast)
			r.Next() // a restored sampler forgets where it was
			if err := r.Restore(st); err != nil {
				t.Fatalf("Restore(%+v): %v", st, err)
			}
			if got := r.State(); got != st {
				t.Errorf("State after Restore(%+v) = %+v", st, got)
			}
			for k := 0; k < 20; k++ {
				x, e := r.Next()
				if !slices.Equal(x, want[k]) || e != wantEnd[k] {
					t.Fatalf("dropLast=%v skip %d: batch %d after restore %v %v, want %v %v", dropLast, skip, k, x, e, want[k], wantEnd[k])
				}
			}
		}
	}
}

func TestEpochSamplerErrors(t *testing.T) {
	for _, c := range []struct{ n, batch int }{{10, 0}, {10, -1}, {10, 11}, {0, 1}} {
		if _, err := NewEpochSampler(c.n, c.batch, 1, false); err == nil {
			t.Errorf("NewEpochSampler(%d, %d): no error", c.n, c.batch)
		}
	}
	if _, err := NewEpochSampler(10, 10, 1, true); err != nil {
		t.Errorf("NewEpochSampler(10, 10): %v", err)
	}
	s, _ := NewEpochSampler(10, 3, 1, true)
	for _, st := range []SamplerState{{Epoch: -1}, {Pos: -3}, {Pos: 10}, {Pos: 4}, {Pos: 9}} {
		if err := s.Restore(st); err == nil {
			t.Errorf("Restore(%+v): no error", st)
		}
	}
	if err := s.Restore(SamplerState{Epoch: 5, Pos: 6}); err != nil {
		t.Errorf("Restore(epoch 5 pos 6): %v", err)
	}
}

func TestReplacementSamplerUniform(t *testing.T) {
	const n, batch, draws = 10, 7, 20000
	s, err := NewReplacementSampler(n, batch, 5)
	if err != nil {
		t.Fatal(err)
	}
	count := make([]float64, n)
	for k := 0; k < draws; k++ {
		b := s.Next()
		if len(b) != batch {
			t.Fatalf("batch of %d, want %d", len(b), batch)
		}
		for _, i := range b {
			if i < 0 || i >= n {
				t.Fatalf("index %d out of range", i)
			}
			count[i]++
		}
	}
	// Each count is Binomial(M, 1/n) with M = draws·batch samples.
	m, p := float64(draws*batch), 1.0/n
	mean, sigma := m*p, math.Sqrt(m*p*(1-p))
	for i, c := range count {
		if math.Abs(c-mean) > 5*sigma {
			t.Errorf("index %d drawn %v times, want %v ± %.1f (5σ)", i, c, mean, 5*sigma)
		}
	}
	if st := s.State(); st.Drawn != draws {
		t.Errorf("State().Drawn = %d, want %d", st.Drawn, draws)
	}
}

func TestReplacementSamplerRestore(t *testing.T) {
	a, _ := NewReplacementSampler(100, 16, 9)
	for k := 0; k < 13; k++ {
		a.Next()
	}
	st := a.State()
	var want [][]int
	for k := 0; k < 10; k++ {
		want = append(want, append([]int(nil), a.Next()...))
	}
	b, _ := NewReplacementSampler(100, 16, 9)
	b.Next()
	if err := b.Restore(st); err != nil {
		t.Fatal(err)
	}
	for k := 0; k < 10; k++ {
		if got := b.Next(); !slices.Equal(got, want[k]) {
			t.Fatalf("batch %d after restore: %v, want %v", k, got, want[k])
		}
	}
	c, _ := NewReplacementSampler(100, 16, 10)
	c.Restore(st)
	if slices.Equal(c.Next(), want[0]) {
		t.Errorf("seeds 9 and 10 drew the same batch")
	}
	if err := b.Restore(SamplerState{Drawn: -1}); err == nil {
		t.Errorf("Restore(Drawn -1): no error")
	}
	for _, c := range []struct{ n, batch int }{{10, 0}, {0, 5}, {-1, 5}} {
		if _, err := NewReplacementSampler(c.n, c.batch, 1); err == nil {
			t.Errorf("NewReplacementSampler(%d, %d): no error", c.n, c.batch)
		}
	}
}
