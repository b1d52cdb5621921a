// Package sweeptest holds the checks and inputs shared by the tests of the
// sweep experiments (internal/sweep and the experiment packages on it): a
// configuration parser fuzzed for bounded allocation, errors that name the
// file and a JSON round trip, and the folders an interrupted sweep leaves.
// It imports nothing of the project but internal/memtest, so that
// internal/sweep's own tests use it too.
package sweeptest

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/sgn-project/sgn/internal/memtest"
)

// ReadFile returns the content of path, failing the test if it cannot be
// read.
func ReadFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// ParseRoundTrip checks one fuzz input b of a configuration parser: parsing
// it as "fuzz.json" allocates at most limit bytes, and either fails with an
// error that begins with the file name, or gives a configuration c that
// JSON-encodes (as config.json records it) to one that parses, as
// "again.json", to a configuration again equal to c. It returns c, again
// and ok = true when b parsed, for the caller's further checks.
func ParseRoundTrip[C any](t testing.TB, b []byte, limit uint64, parse func(b []byte, name string) (C, error)) (c, again C, ok bool) {
	t.Helper()
	var err error
	if n := memtest.Allocated(func() { c, err = parse(b, "fuzz.json") }); n > limit {
		t.Fatalf("a %d-byte config made the parser allocate %d bytes", len(b), n)
	}
	if err != nil {
		if !strings.HasPrefix(err.Error(), "fuzz.json: ") {
			t.Fatalf("error %q does not name the file", err)
		}
		return c, again, false
	}
	enc, err := json.Marshal(c)
	if err != nil {
		t.Fatalf("encoding a parsed config: %v", err)
	}
	again, err = parse(enc, "again.json")
	if err != nil || !reflect.DeepEqual(again, c) {
		t.Fatalf("%s re-encoded as %s parses to %+v (%v), want %+v", b, enc, again, err, c)
	}
	return c, again, true
}

// WriteFolder creates dir (and its parents) and writes into it each file of
// files, its name to its content.
func WriteFolder(t testing.TB, dir string, files map[string][]byte) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// Interrupted returns the first k lines of a JSON-lines file and the first
// half of line k+1: what a sweep killed while appending a record leaves.
func Interrupted(jsonl []byte, k int) []byte {
	lines := bytes.SplitAfter(jsonl, []byte("\n"))
	return append(bytes.Join(lines[:k], nil), lines[k][:len(lines[k])/2]...)
}
