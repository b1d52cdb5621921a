package figure

import (
	"math"
	"reflect"
	"testing"

	"gonum.org/v1/plot"
)

// labels returns the labelled ticks' labels in order of value.
func labels(ts []plot.Tick) []string {
	var out []string
	var vals []float64
	for _, t := range ts {
		if t.Label != "" {
			out = append(out, t.Label)
			vals = append(vals, t.Value)
		}
	}
	for i := 1; i < len(vals); i++ {
		if vals[i] <= vals[i-1] {
			return append(out, "(not increasing)")
		}
	}
	return out
}

func TestTicks(t *testing.T) {
	for _, c := range []struct {
		n        int
		min, max float64
		want     []string
	}{
		{6, -0.1, 4.9, []string{"0", "1", "2", "3", "4"}},
		{6, 0, 1, []string{"0", "0.2", "0.4", "0.6", "0.8", "1"}},
		{6, -0.07, 0.01, []string{"-0.06", "-0.04", "-0.02", "0"}},
		{4, 0.065, 0.5, []string{"0.1", "0.2", "0.3", "0.4", "0.5"}},
		{6, 1e-4, 5e-4, []string{"1e-4", "2e-4", "3e-4", "4e-4", "5e-4"}},
		{6, 0, 2e6, []string{"0", "5e5", "1e6", "1.5e6", "2e6"}},
		{6, 3.1, 3.3, []string{"3.1", "3.15", "3.2", "3.25", "3.3"}},
	} {
		if got := labels(Ticks{N: c.n}.Ticks(c.min, c.max)); !reflect.DeepEqual(got, c.want) {
			t.Errorf("Ticks{%d}(%g, %g) = %q, want %q", c.n, c.min, c.max, got, c.want)
		}
	}
}

func TestLogTicks(t *testing.T) {
	for _, c := range []struct {
		min, max float64
		want     []string
	}{
		{1e-4, 100, []string{"1e-4", "0.001", "0.01", "0.1", "1", "10", "100"}},
		{0.5, 20, []string{"1", "10"}},
		{1e-17, 1, []string{"1e-15", "1e-12", "1e-9", "1e-6", "0.001", "1"}},
		{2, 8, []string{"2", "8"}},
		{1e4, 1e6, []string{"10000", "1e5", "1e6"}},
	} {
		if got := labels(LogTicks{}.Ticks(c.min, c.max)); !reflect.DeepEqual(got, c.want) {
			t.Errorf("LogTicks(%g, %g) = %q, want %q", c.min, c.max, got, c.want)
		}
	}
	// Minor ticks at 2…9 on a short range, none on a long one.
	if n := len(LogTicks{}.Ticks(1, 100)); n != 3+16 {
		t.Errorf("LogTicks(1, 100): %d ticks, want 3 labelled and 16 minor", n)
	}
	if n := len(LogTicks{}.Ticks(1e-10, 1)); n != 11 {
		t.Errorf("LogTicks(1e-10, 1): %d ticks, want 11", n)
	}
}

func TestIntTicks(t *testing.T) {
	if got := labels(IntTicks{}.Ticks(0.5, 20.5)); !reflect.DeepEqual(got, []string{"5", "10", "15", "20"}) {
		t.Errorf("IntTicks(0.5, 20.5) = %q", got)
	}
	if got := labels(IntTicks{}.Ticks(0.5, 5.5)); !reflect.DeepEqual(got, []string{"1", "2", "3", "4", "5"}) {
		t.Errorf("IntTicks(0.5, 5.5) = %q", got)
	}
}

func TestPad(t *testing.T) {
	if lo, hi := Pad(0, 10, 0.05, false); lo != -0.5 || hi != 10.5 {
		t.Errorf("Pad(0, 10, 0.05) = %g, %g", lo, hi)
	}
	if lo, hi := Pad(1, 100, 0.5, true); math.Abs(lo-0.1) > 1e-12 || math.Abs(hi-1000) > 1e-9 {
		t.Errorf("Pad(1, 100, 0.5, log) = %g, %g", lo, hi)
	}
	if lo, hi := Pad(3, 3, 0.1, false); lo != 2.7 || hi != 3.3 {
		t.Errorf("Pad(3, 3, 0.1) = %g, %g", lo, hi)
	}
}

// TestLogScale: plot.LogScale's positions, except the arithmetic midpoint
// of the range (where gonum/plot reserves a centred label's space), which
// is 0.5.
func TestLogScale(t *testing.T) {
	for _, x := range []float64{1e-3, 0.01, 0.5, 1, 7} {
		if got, want := (LogScale{}).Normalize(1e-3, 10, x), (plot.LogScale{}).Normalize(1e-3, 10, x); got != want {
			t.Errorf("Normalize(1e-3, 10, %g) = %g, want %g", x, got, want)
		}
	}
	if got := (LogScale{}).Normalize(1e-3, 10, 0.5*(1e-3+10)); got != 0.5 {
		t.Errorf("the midpoint normalises to %g, want 0.5", got)
	}
}
