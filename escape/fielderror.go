package escape

import "fmt"

// FieldError is an invalid field of a configuration — Config, its
// LandscapeSpec, NetworkSpec and Criterion, or a configuration of another
// package built on them (escape/selection). Section names the part that
// holds the field ("landscape", "network", `criterion "distance":`,
// "twowell"; empty at the top level), Field is its JSON name and Detail the
// value and what is expected. The message, "section field detail", is what
// the author of a config file reads; a command whose flags set the fields
// maps Field to its flag.
type FieldError struct {
	Section, Field, Detail string
}

// Error returns "section field detail" (without the section when empty).
func (e *FieldError) Error() string {
	if e.Section == "" {
		return e.Field + " " + e.Detail
	}
	return e.Section + " " + e.Field + " " + e.Detail
}

// FieldErrorf returns a *FieldError with a formatted detail.
func FieldErrorf(section, field, format string, args ...any) error {
	return &FieldError{Section: section, Field: field, Detail: fmt.Sprintf(format, args...)}
}
