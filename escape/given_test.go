package escape

import (
	"errors"
	"github.com/sgn-project/sgn/internal/domain"
	"testing"
)

// TestGiven: a setting given where it does not apply, or given with a value
// outside its domain, is refused by a *FieldError naming it as the caller
// does; a setting left out is never checked (its zero means the default).
func TestGiven(t *testing.T) {
	flags := Given{Set: map[string]bool{"radius": true, "max_steps": true, "transverse": true}, Name: func(f string) string { return "--" + f }}
	json := Given{Set: flags.Set}
	for _, c := range []struct {
		err  error
		want string
	}{
		{flags.Only(false, "--criterion distance", "delta", "radius"), "--radius applies to --criterion distance only"},
		{json.Only(false, "criterion distance", "radius"), "radius applies to criterion distance only"},
		{flags.Only(true, "anything", "radius"), ""},
		{flags.Only(false, "anything", "delta"), ""},
		{flags.In(domain.Positive, "radius", 0), "--radius 0: want a positive number"},
		{flags.In(domain.Positive, "radius", 1e-6), ""},
		{flags.In(domain.Positive, "delta", -1), ""}, // not given
		{flags.In(domain.PositiveInt, "max_steps", 1e7), ""},
		{flags.In(domain.PositiveInt, "max_steps", 0), "--max_steps 0: want a positive integer"},
		{flags.In(domain.PositiveInt, "max_steps", -20000000), "--max_steps -20000000: want a positive integer"},
		{flags.In(domain.AtLeastZero, "max_steps", 0), ""},
		{flags.In(domain.AtLeastZero, "max_steps", 2.5), "--max_steps 2.5: want an integer ≥ 0"},
		{flags.In(domain.NonNegative, "radius", 0), ""},
		{flags.In(domain.NonNegative, "radius", -0.5), "--radius -0.5: want a number ≥ 0"},
		{flags.In(domain.Positive, "transverse", 2, 0, 1.5), "--transverse 2,0,1.5: want a positive number"},
		{json.In(domain.Positive, "transverse", 2, 1e-7), ""},
	} {
		got := ""
		if c.err != nil {
			got = c.err.Error()
			if fe := (*FieldError)(nil); !errors.As(c.err, &fe) {
				t.Errorf("%v: not a *FieldError", c.err)
			}
		}
		if got != c.want {
			t.Errorf("got %q, want %q", got, c.want)
		}
	}
}
