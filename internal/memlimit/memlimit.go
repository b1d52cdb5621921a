// Package memlimit is the one refusal of options whose buffers, estimated
// before anything is allocated, need more memory than a limit allows: Error,
// which every library's memory check returns (covariance, hessian/analysis,
// covariance/noiseshape, escape/equilibrium and its displacement, data). It
// says what needs how much and which options lower the estimate, the one
// that lowers it most first, by the options' own names (snake case, as the
// libraries' option errors name them), which a command spells as its flags
// (internal/cli.MemoryUsage).
//
// It imports nothing of the project.
package memlimit

import (
	"fmt"
	"math"
	"strings"
)

// Setting is an option whose value sizes the need, by its name in snake
// case ("minibatches") and its value as given ("1000"); an empty Value is
// a switch ("full").
type Setting struct{ Name, Value string }

// Lever is a change of one option that lowers the estimate: Do is "lower",
// "raise", "drop" (a switch left out) or "use" (Option set to Value, e.g.
// mode matfree).
type Lever struct{ Do, Option, Value string }

// Lower, Raise, Drop and Use are the levers of their verbs.
func Lower(option string) Lever { return Lever{Do: "lower", Option: option} }

// Raise is the lever that raises option (a larger value needs less memory).
func Raise(option string) Lever { return Lever{Do: "raise", Option: option} }

// Drop is the lever that leaves the switch option out.
func Drop(option string) Lever { return Lever{Do: "drop", Option: option} }

// Use is the lever that sets option to value.
func Use(option, value string) Lever { return Lever{Do: "use", Option: option, Value: value} }

// Error refuses options that need about Need bytes, more than Limit:
// Settings (the options whose values size it, in the order said) followed
// by What (e.g. "on P = 1242 (the noise matrix and the pooled sample)"),
// and the Levers that lower the need, the most effective first.
type Error struct {
	Settings    []Setting
	What        string
	Need, Limit int64
	Levers      []Lever
}

// Check returns a *Error when need bytes exceed limit (a limit of 0 or less
// is no limit), nil otherwise. need is a float64 so that absurd options
// give a huge number rather than an overflow; it is kept below
// math.MaxInt64/2.
func Check(need float64, limit int64, what string, settings []Setting, levers ...Lever) error {
	if limit <= 0 || need <= float64(limit) {
		return nil
	}
	return &Error{Settings: settings, What: what, Need: int64(min(need, math.MaxInt64/2)), Limit: limit, Levers: levers}
}

// Error describes the refusal in the options' own names: "minibatches 1000
// on P = 1242 (…) needs about 123 bytes, more than the limit of 100 bytes;
// lower minibatches or coords".
func (e *Error) Error() string {
	name := func(o string) string { return o }
	return fmt.Sprintf("%s needs about %d bytes, more than the limit of %d bytes%s", e.Subject(name), e.Need, e.Limit, prefixed("; ", e.Advice(name)))
}

// Subject is what needs the memory: the settings (each option spelled by
// name, followed by its value) and What.
func (e *Error) Subject(name func(option string) string) string {
	parts := make([]string, 0, len(e.Settings)+1)
	for _, s := range e.Settings {
		parts = append(parts, strings.TrimSpace(name(s.Name)+" "+s.Value))
	}
	if e.What != "" {
		parts = append(parts, e.What)
	}
	return strings.Join(parts, " ")
}

// Advice is the levers as one clause, each option spelled by name, the
// options of consecutive levers of one verb joined: "lower first, top_k or
// bulk, or raise every".
func (e *Error) Advice(name func(option string) string) string {
	var clauses []string
	for i := 0; i < len(e.Levers); {
		j := i
		var opts []string
		for ; j < len(e.Levers) && e.Levers[j].Do == e.Levers[i].Do; j++ {
			opts = append(opts, strings.TrimSpace(name(e.Levers[j].Option)+" "+e.Levers[j].Value))
		}
		clauses = append(clauses, e.Levers[i].Do+" "+orList(opts))
		i = j
	}
	return strings.Join(clauses, ", or ")
}

// orList joins "a", "a or b", "a, b or c".
func orList(s []string) string {
	if len(s) < 2 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}

// prefixed is p+s, or "" for an empty s.
func prefixed(p, s string) string {
	if s == "" {
		return ""
	}
	return p + s
}
