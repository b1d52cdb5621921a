package seed

import "testing"

// The reference values are the first outputs of the SplitMix64 reference
// implementation (Vigna's splitmix64.c) started from state 0 and 1234567.
func TestSplitMix64Reference(t *testing.T) {
	for _, c := range []struct {
		state uint64
		want  []uint64
	}{
		{0, []uint64{0xe220a8397b1dcdaf, 0x6e789e6aa1b965f4, 0x06c45d188009454f}},
		{1234567, []uint64{6457827717110365317, 3203168211198807973, 9817491932198370423}},
	} {
		x := c.state
		for i, w := range c.want {
			got := SplitMix64(x)
			x += Golden
			if got != w {
				t.Errorf("state %d output %d: got %#x want %#x", c.state, i, got, w)
			}
			if s := Stream(c.state, uint64(i+1)); s != w {
				t.Errorf("Stream(%d, %d) = %#x, want %#x", c.state, i+1, s, w)
			}
		}
	}
}

func TestDeriveChains(t *testing.T) {
	s, p, r := uint64(42), uint64(3), uint64(17)
	want := SplitMix64(SplitMix64(SplitMix64(s)^p) ^ r)
	if got := Derive(s, p, r); got != want {
		t.Fatalf("Derive = %#x, want %#x", got, want)
	}
	if Derive(s) != SplitMix64(s) {
		t.Fatal("Derive with no coordinates is not SplitMix64(s)")
	}
	if Derive(s, 0, 1) == Derive(s, 1, 0) {
		t.Fatal("Derive does not separate coordinates")
	}
}
