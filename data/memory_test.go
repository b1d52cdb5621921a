package data

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/sgn-project/sgn/internal/memlimit"
)

// TestCheckExportMemory: a selection refused past its ExportBytes with
// what to change, accepted at it; a bad selection is the selection's error.
func TestCheckExportMemory(t *testing.T) {
	o := Options{Split: "test", Pool: 2, First: 100}
	need, err := ExportBytes(o)
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckExportMemory(o, int64(math.Ceil(need))); err != nil {
		t.Errorf("at its need: %v", err)
	}
	var me *memlimit.Error
	if err := CheckExportMemory(o, int64(need)-1); !errors.As(err, &me) || me.Need != int64(need) ||
		me.Error() != fmt.Sprintf("the test selection at pool 2 needs about %d bytes, more than the limit of %d bytes; lower first or random, or raise pool", me.Need, me.Need-1) {
		t.Errorf("a byte below its need: %v", err)
	}
	var fe *FieldError
	if err := CheckExportMemory(Options{Split: "test", Pool: 3}, 1<<30); !errors.As(err, &fe) {
		t.Errorf("pool 3: %v; want a *FieldError", err)
	}
}

// TestExportBytesMatchesTheAllocations: what Load and ExportSet allocate
// for selections of the real MNIST (TotalAlloc, at least their peak) is
// within ExportBytes and at least 80% of it.
func TestExportBytesMatchesTheAllocations(t *testing.T) {
	dir, err := FindMNIST("")
	if err != nil {
		t.Skipf("real MNIST not available: %v", err)
	}
	out := filepath.Join(t.TempDir(), "x.safetensors")
	for _, o := range []Options{
		{Dir: dir, Split: "train", Pool: 1, First: 3000},
		{Dir: dir, Split: "test", Pool: 2},
		{Dir: dir, Split: "train", Pool: 1, Random: 2000, Seed: 3},
	} {
		bound, err := ExportBytes(o)
		if err != nil {
			t.Fatal(err)
		}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		s, err := Load(o)
		if err != nil {
			t.Fatal(err)
		}
		if err := ExportSet(out, s, nil); err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&after)
		got := float64(after.TotalAlloc - before.TotalAlloc)
		t.Logf("%+v: allocated %.0f, bound %.0f (ratio %.3f)", o, got, bound, got/bound)
		if got > bound || got < 0.8*bound {
			t.Errorf("%s: allocated %.0f bytes, bound %.0f (ratio %.3f): want 0.8 ≤ ratio ≤ 1", s.Selection, got, bound, got/bound)
		}
	}
	if _, err := ExportBytes(Options{Split: "train", Pool: 3}); err == nil {
		t.Errorf("pool 3 accepted")
	}
}
