package domain

import (
	"errors"
	"math"
	"testing"
)

// TestContains: each domain on its edges, non-integers and non-finite values.
func TestContains(t *testing.T) {
	for _, c := range []struct {
		d    Domain
		v    float64
		want bool
	}{
		{Positive, 1e-300, true}, {Positive, 0, false}, {Positive, -1, false}, {Positive, math.Inf(1), false},
		{NonNegative, 0, true}, {NonNegative, -1e-300, false}, {NonNegative, math.NaN(), false},
		{PositiveInt, 1, true}, {PositiveInt, 0, false}, {PositiveInt, 1.5, false}, {PositiveInt, 1e7, true},
		{AtLeastZero, 0, true}, {AtLeastZero, 2.5, false}, {AtLeastZero, -1, false},
	} {
		if got := c.d.Contains(c.v); got != c.want {
			t.Errorf("%s contains %v: %v, want %v", c.d.Want(), c.v, got, c.want)
		}
	}
	if PositiveInt.Want() != "a positive integer" || NonNegative.Want() != "a number ≥ 0" {
		t.Errorf("words: %q, %q", PositiveInt.Want(), NonNegative.Want())
	}
}

// TestFirst: the first error that is not nil, in order; nil for none.
func TestFirst(t *testing.T) {
	a, b := errors.New("a"), errors.New("b")
	if First(nil, a, b) != a || First(nil, b, a) != b || First(nil, nil) != nil || First() != nil {
		t.Errorf("First does not return the first error")
	}
}
