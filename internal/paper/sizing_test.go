package paper

import (
	"slices"
	"testing"
	"time"
)

// The sizes fit the data and the network: the rows analysed at most N,
// every batch size at most a quarter of them, eigendirections at most P.
func TestSizeFitsSmallData(t *testing.T) {
	for _, s := range []Shape{{N: 8, D: 2, Classes: 2, P: 9}, {N: 48, D: 6, Classes: 3, P: 74}, {N: 300, D: 10, Classes: 7, P: 500},
		{N: 60000, D: 49, Classes: 10, P: 1242}, {N: 1000, D: 3, Classes: 2, P: 3}} {
		for _, quick := range []bool{true, false} {
			z, err := Size(s, quick, 0, 2)
			if err != nil {
				t.Fatalf("%+v quick %v: %v", s, quick, err)
			}
			q := max(1, z.First/4)
			if z.First < 1 || z.First > s.N {
				t.Errorf("%+v: First %d not in 1..%d", s, z.First, s.N)
			}
			if z.CovBatch < 1 || z.CovBatch > q || z.EqBatch < 1 || z.EqBatch > q {
				t.Errorf("%+v: B of C %d, of the chains %d: want 1..%d", s, z.CovBatch, z.EqBatch, q)
			}
			if len(z.NoiseBatches) == 0 || slices.Max(z.NoiseBatches) > q || slices.Min(z.NoiseBatches) < 1 {
				t.Errorf("%+v: noise batch sizes %v: want 1..%d", s, z.NoiseBatches, q)
			}
			for _, b := range z.EscapeBatches {
				if b < 1 || b > float64(q) {
					t.Errorf("%+v: escape batch size %v: want 1..%d", s, b, q)
				}
			}
			if slices.Max(z.SelBatches) > max(1, z.SelFirst/4) || z.SelFirst > s.N {
				t.Errorf("%+v: selection batch sizes %v on %d rows", s, z.SelBatches, z.SelFirst)
			}
			if z.HessianTopK < 1 || z.HessianTopK > s.P || z.EqTopK > s.P || z.EqTopK+max(0, z.EqBulk) > s.P {
				t.Errorf("%+v: top-k %d, chains top-k %d bulk %d: more than P = %d", s, z.HessianTopK, z.EqTopK, z.EqBulk, s.P)
			}
			if z.EqBulk == 0 {
				t.Errorf("%+v: bulk 0 (the chains read 0 as their default): want -1 for none", s)
			}
			if z.EqSteps/z.EqEvery < z.EqBatches || z.EqSnapshot > z.EqSteps {
				t.Errorf("%+v: %d steps every %d: fewer samples than %d batch means", s, z.EqSteps, z.EqEvery, z.EqBatches)
			}
		}
	}
}

// The exact sizes of two cases, by hand from the rules.
func TestSizeExact(t *testing.T) {
	z, err := Size(Shape{N: 48, D: 6, Classes: 3, P: 74}, true, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	if z.First != 48 || z.CovBatch != 12 || !slices.Equal(z.NoiseBatches, []int{4}) || z.HessianTopK != 5 || z.Trace || z.Density || !z.Full ||
		z.EqBatch != 12 || z.EqTopK != 40 || z.EqBulk != 34 || !slices.Equal(z.EscapeBatches, []float64{9, 10, 11, 12}) ||
		z.EscapeRuns != quickEscapeRuns || z.SelFirst != 48 || !slices.Equal(z.SelBatches, []int{12}) || z.SelRuns != 1 {
		t.Errorf("quick on N = 48, P = 74: %+v", z)
	}
	z, err = Size(Shape{N: 60000, D: 49, Classes: 10, P: 1242}, false, 0, 2)
	if err != nil {
		t.Fatal(err)
	}
	if z.First != 2000 || z.CovBatch != 64 || !slices.Equal(z.NoiseBatches, []int{4, 16, 64, 256}) || z.HessianTopK != 20 || !z.Trace || !z.Density || z.Full ||
		z.EqSteps != 20000 || z.EqTopK != 40 || z.EqBulk != 40 || !slices.Equal(z.EscapeBatches, []float64{13, 14, 15, 16}) ||
		z.EscapeRuns != 100 || z.EscapeMaxSteps != 25000 || z.SelFirst != 10000 || len(z.SelBatches)*len(z.SelEtas)*z.SelRuns != 24 {
		t.Errorf("full on MNIST, P = 1242: %+v", z)
	}
}

// A budget scales the full sizes down, never below the quick ones, and
// more time never gives smaller sizes.
func TestSizeBudget(t *testing.T) {
	s := Shape{N: 60000, D: 49, Classes: 10, P: 1242}
	quick, _ := Size(s, true, 0, 2)
	full, _ := Size(s, false, 0, 2)
	prev := quick
	for _, b := range []time.Duration{time.Second, time.Minute, 10 * time.Minute, time.Hour, 10 * time.Hour, 1000 * time.Hour} {
		z, err := Size(s, false, b, 2)
		if err != nil {
			t.Fatal(err)
		}
		if z.First < prev.First || z.EqSteps < prev.EqSteps || z.EscapeRuns < prev.EscapeRuns || z.Minibatches < prev.Minibatches {
			t.Errorf("budget %v: %+v smaller than a smaller budget's %+v", b, z, prev)
		}
		if z.First > full.First || z.EqSteps > full.EqSteps || z.EscapeRuns > full.EscapeRuns {
			t.Errorf("budget %v: %+v beyond the full sizes", b, z)
		}
		prev = z
	}
	if z, _ := Size(s, false, time.Second, 2); z.First != quick.First || z.EqSteps != quick.EqSteps {
		t.Errorf("a second's budget: %+v, want the quick sizes", z)
	}
	if z, _ := Size(s, false, 1000*time.Hour, 2); z.First != full.First || z.EqSteps != full.EqSteps || z.EscapeRuns != full.EscapeRuns {
		t.Errorf("a long budget: %+v, want the full sizes", z)
	}
}

// Data of fewer than 8 rows are refused, naming the rows.
func TestSizeRefusesTinyData(t *testing.T) {
	if _, err := Size(Shape{N: 7, D: 2, Classes: 2, P: 9}, true, 0, 1); err == nil {
		t.Error("7 rows accepted")
	}
}
