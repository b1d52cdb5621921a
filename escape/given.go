package escape

import (
	"github.com/sgn-project/sgn/internal/domain"
	"math"
	"strconv"
	"strings"
)

// Given is how a caller gave the settings of a one-point run one by one (a
// command line): the fields it set explicitly, by JSON name, and how it
// names a field in a message (a command: its flag, "--col-ratio"; nil: the
// JSON name). The settings' Check methods (kramers.RunSettings,
// selection.RunSettings) use it to refuse a field given where it does not
// apply, and an explicit value outside its domain.Domain where leaving the field
// out means its default. Their errors are *FieldError whose Field is the
// caller's name.
type Given struct {
	Set  map[string]bool
	Name func(field string) string
}

// N is the caller's name of field.
func (g Given) N(field string) string {
	if g.Name == nil {
		return field
	}
	return g.Name(field)
}

// Only refuses the first of fields that was given, when ok is false: "F
// applies to WHERE only".
func (g Given) Only(ok bool, where string, fields ...string) error {
	if ok {
		return nil
	}
	for _, f := range fields {
		if g.Set[f] {
			return &FieldError{Field: g.N(f), Detail: "applies to " + where + " only"}
		}
	}
	return nil
}

// In refuses field, if it was given, when one of its values (a list of
// one or more) is outside d: "F V: want D", V the values comma-separated.
func (g Given) In(d domain.Domain, field string, values ...float64) error {
	if !g.Set[field] {
		return nil
	}
	for _, v := range values {
		if !d.Contains(v) {
			s := make([]string, len(values))
			for i, v := range values {
				s[i] = strconv.FormatFloat(v, 'g', -1, 64)
				if d >= domain.PositiveInt && v == math.Trunc(v) {
					s[i] = strconv.FormatFloat(v, 'f', -1, 64)
				}
			}
			return &FieldError{Field: g.N(field), Detail: strings.Join(s, ",") + ": want " + d.Want()}
		}
	}
	return nil
}
