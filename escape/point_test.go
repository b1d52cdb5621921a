package escape

import (
	"strconv"
	"testing"
)

func TestFormatSetting(t *testing.T) {
	eta, trC, n := 0.05, 24.0, 5.0
	d := eta * trC / (2 * n) // computed at run time, as matched noise is
	if s := strconv.FormatFloat(d, 'g', -1, 64); s != "0.12000000000000002" {
		t.Fatalf("η·tr C/(2n) = 0.05·24/10 is %s here, not the value this test is about", s)
	}
	for _, c := range []struct {
		v    float64
		want string
	}{
		{d, "0.12"},
		{0.12, "0.12"},
		{0.05, "0.05"},
		{1e-5, "1e-05"},
		{16, "16"},
		{0.123456789012, "0.123456789012"}, // 12 digits as given: kept
		{2.0 / 3, "0.666666666667"},
		{1e300 * 3, "3e+300"},
	} {
		if got := FormatSetting(c.v); got != c.want {
			t.Errorf("FormatSetting(%v) = %q, want %q", c.v, got, c.want)
		}
	}
	p := Point{Dynamics: SGLD, Sharpness: 2, Eta: 0.05, Temperature: d}
	if got, want := p.Label(), "sgld k=2 η=0.05 D=0.12"; got != want {
		t.Errorf("Label() = %q, want %q", got, want)
	}
}
