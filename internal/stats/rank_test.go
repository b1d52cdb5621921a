package stats

import (
	"math"
	"testing"
)

func TestRanksWithTies(t *testing.T) {
	got := Ranks([]float64{10, 20, 10, 30, 20, 20})
	want := []float64{1.5, 4, 1.5, 6, 4, 4}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("Ranks = %v, want %v", got, want)
		}
	}
}

// Spearman's ρ against the textbook formula 1 − 6Σd²/(n(n²−1)) on a sample
// without ties, and against known values: monotone (±1) and a worked case.
func TestSpearman(t *testing.T) {
	x := []float64{86, 97, 99, 100, 101, 103, 106, 110, 112, 113}
	y := []float64{2, 20, 28, 27, 50, 29, 7, 17, 6, 12}
	rho, err := Spearman(x, y)
	if err != nil {
		t.Fatal(err)
	}
	// The worked example of Wikipedia's "Spearman's rank correlation
	// coefficient": Σd² = 194, ρ = 1 − 6·194/(10·99) = −29/165.
	if want := -29.0 / 165; math.Abs(rho-want) > 1e-14 {
		t.Fatalf("ρ = %.17g, want %.17g", rho, want)
	}
	inc, _ := Spearman([]float64{1, 2, 3, 4}, []float64{1, 8, 27, 64})
	dec, _ := Spearman([]float64{1, 2, 3, 4}, []float64{4, 3, 2.5, -9})
	if inc != 1 || dec != -1 {
		t.Fatalf("monotone samples: ρ = %g and %g, want 1 and −1", inc, dec)
	}
	if _, err := Spearman([]float64{1, 1, 1}, []float64{1, 2, 3}); err == nil {
		t.Fatal("no error for a constant sample")
	}
}
