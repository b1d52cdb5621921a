package escape

import (
	"errors"
	"runtime"
	"testing"
)

// A dimension beyond MaxDim (2⁴⁰, or 10⁷) is refused as a *FieldError
// naming dim before anything of its size is allocated, by the landscape
// and the twowell specs alike.
func TestDimensionBoundBeforeAllocation(t *testing.T) {
	for _, dim := range []int{1 << 40, 10_000_000, MaxDim + 1} {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err := NewLandscape(LandscapeSpec{Name: DoubleWellName, Barrier: 1, Dim: dim, Transverse: []float64{2}}, 1)
		tw := TwoWellSpec{Dim: dim}
		tw.Normalize()
		errTw := tw.Validate()
		runtime.ReadMemStats(&after)
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != "dim" {
			t.Errorf("doublewell dim %d: %v, want a FieldError of dim", dim, err)
		}
		if !errors.As(errTw, &fe) || fe.Field != "dim" {
			t.Errorf("twowell dim %d: %v, want a FieldError of dim", dim, errTw)
		}
		if d := after.TotalAlloc - before.TotalAlloc; d > 1<<20 {
			t.Errorf("dim %d: %d bytes allocated before the refusal", dim, d)
		}
	}
	if _, err := NewLandscape(LandscapeSpec{Name: DoubleWellName, Barrier: 1, Dim: 3}, 1); err != nil {
		t.Errorf("dim 3: %v", err)
	}
}
