// Package domain names the sets of values a numeric setting accepts, for
// the checks of the command layer (internal/cli, flags) and of the
// libraries' settings (escape.Given, JSON fields), so that both refuse a
// value with the same words.
package domain

import "math"

// Domain is the set of values a numeric setting accepts when it is given.
type Domain int

// The domains of numeric settings.
const (
	Positive    Domain = iota // a positive finite number
	NonNegative               // a finite number ≥ 0
	PositiveInt               // an integer ≥ 1
	AtLeastZero               // an integer ≥ 0
)

// Want is the domain in words, as a refusal says it.
func (d Domain) Want() string {
	return [...]string{"a positive number", "a number ≥ 0", "a positive integer", "an integer ≥ 0"}[d]
}

// Contains reports whether v is in the domain.
func (d Domain) Contains(v float64) bool {
	if math.IsInf(v, 0) || math.IsNaN(v) {
		return false
	}
	switch d {
	case Positive:
		return v > 0
	case NonNegative:
		return v >= 0
	case PositiveInt:
		return v >= 1 && v == math.Trunc(v)
	default:
		return v >= 0 && v == math.Trunc(v)
	}
}

// First returns the first of errs that is not nil: the first rule broken of
// a list of checks, in order (the flag checks of internal/cli, the
// settings' checks of escape.Given).
func First(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
