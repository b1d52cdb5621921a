package escape

import (
	"encoding/json"
	"fmt"
	"strings"
)

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

// RefuseExplicitZeros returns a *FieldError for the first field of the JSON
// object raw, among fields, whose value is written as the number 0 where
// leaving the field out means its default: a config file that writes
// "dim": 0 or "check_every": 0 asks for something the program would
// silently replace. A field is a path of JSON names, e.g. "network",
// "check_every"; the section of the error is the path before the name.
// What is not a JSON object, and fields that are absent, are left to the
// decoder and to Validate.
func RefuseExplicitZeros(raw []byte, fields ...[]string) error {
	for _, path := range fields {
		v, ok := lookupJSON(raw, path)
		if !ok {
			continue
		}
		var x float64
		if json.Unmarshal(v, &x) == nil && x == 0 {
			section := strings.Join(path[:len(path)-1], " ")
			return FieldErrorf(section, path[len(path)-1], "0: leave the field out for its default (an explicit 0 is not a value)")
		}
	}
	return nil
}

// lookupJSON returns the value at path inside the JSON object raw.
func lookupJSON(raw []byte, path []string) (json.RawMessage, bool) {
	v := json.RawMessage(raw)
	for _, name := range path {
		var obj map[string]json.RawMessage
		if json.Unmarshal(v, &obj) != nil {
			return nil, false
		}
		if v = obj[name]; v == nil {
			return nil, false
		}
	}
	return v, true
}
