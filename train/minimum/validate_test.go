package minimum

import (
	"errors"
	"math"
	"testing"
)

// TestValidate: the defaults pass; each bad value is a *FieldError naming
// its field.
func TestValidate(t *testing.T) {
	if err := (Settings{Decay: DefaultDecay}).Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	for _, c := range []struct {
		s     Settings
		field string
	}{
		{Settings{}, "weight_decay"},
		{Settings{Decay: math.Inf(1)}, "weight_decay"},
		{Settings{Decay: 1e-3, GradTol: -1}, "grad_tol"},
		{Settings{Decay: 1e-3, MaxIterations: -1}, "max_iterations"},
	} {
		var fe *FieldError
		if err := c.s.Validate(); !errors.As(err, &fe) || fe.Field != c.field {
			t.Errorf("%+v: %v; want a FieldError of %s", c.s, err, c.field)
		} else if f, d := fe.Option(); f != c.field || err.Error() != f+" "+d {
			t.Errorf("%+v: Option() = %q, %q for %q", c.s, f, d, err)
		}
	}
}
