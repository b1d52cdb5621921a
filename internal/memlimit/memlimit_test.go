package memlimit

import (
	"errors"

	"strings"
	"testing"
)

// TestCheck: nil within the limit and without one, a *Error past it with
// the need capped at float64(math.MaxInt64/2) = 2⁶².
func TestCheck(t *testing.T) {
	if err := Check(100, 100, "x", nil); err != nil {
		t.Errorf("need = limit: %v", err)
	}
	if err := Check(1e30, 0, "x", nil); err != nil {
		t.Errorf("no limit: %v", err)
	}
	err := Check(1e30, 100, "x", nil, Lower("a"))
	var e *Error
	if !errors.As(err, &e) || e.Need != 1<<62 || e.Limit != 100 {
		t.Fatalf("got %#v", err)
	}
	if err := Check(101, 100, "x", nil); !errors.As(err, &e) || e.Need != 101 {
		t.Errorf("need 101: %#v", err)
	}
}

// TestError: the subject and the levers, each option spelled by the
// caller, consecutive levers of a verb joined.
func TestError(t *testing.T) {
	e := &Error{Settings: []Setting{{"steps", "10"}, {"full", ""}}, What: "on P = 3", Need: 200, Limit: 100,
		Levers: []Lever{Lower("first"), Lower("top_k"), Lower("bulk"), Raise("every"), Use("mode", "matfree"), Drop("full")}}
	want := "steps 10 full on P = 3 needs about 200 bytes, more than the limit of 100 bytes; lower first, top_k or bulk, or raise every, or use mode matfree, or drop full"
	if got := e.Error(); got != want {
		t.Errorf("Error() = %q\nwant %q", got, want)
	}
	flag := func(o string) string { return "--" + strings.ReplaceAll(o, "_", "-") }
	if got, want := e.Subject(flag), "--steps 10 --full on P = 3"; got != want {
		t.Errorf("Subject = %q, want %q", got, want)
	}
	if got, want := e.Advice(flag), "lower --first, --top-k or --bulk, or raise --every, or use --mode matfree, or drop --full"; got != want {
		t.Errorf("Advice = %q, want %q", got, want)
	}
	one := &Error{What: "the rows", Need: 2, Limit: 1, Levers: []Lever{Lower("first"), Lower("random")}}
	if got, want := one.Error(), "the rows needs about 2 bytes, more than the limit of 1 bytes; lower first or random"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if got, want := (&Error{What: "x", Need: 2, Limit: 1}).Error(), "x needs about 2 bytes, more than the limit of 1 bytes"; got != want {
		t.Errorf("no levers: %q, want %q", got, want)
	}
}
