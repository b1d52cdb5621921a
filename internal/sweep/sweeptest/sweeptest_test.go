package sweeptest

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// Interrupted keeps k whole lines and half of the next; WriteFolder writes
// every file; ParseRoundTrip accepts a parser that round-trips and reports
// the allocation of a known buffer.
func TestHelpers(t *testing.T) {
	if got := string(Interrupted([]byte("{\"a\":1}\n{\"b\":22}\n{\"c\":3}\n"), 1)); got != "{\"a\":1}\n{\"b\"" {
		t.Errorf("Interrupted after 1 line: %q", got)
	}
	dir := filepath.Join(t.TempDir(), "a", "b")
	WriteFolder(t, dir, map[string][]byte{"x": []byte("1"), "y": []byte("22")})
	for name, want := range map[string]string{"x": "1", "y": "22"} {
		if b, err := os.ReadFile(filepath.Join(dir, name)); err != nil || string(b) != want {
			t.Errorf("%s: %q, %v; want %q", name, b, err, want)
		}
	}
	if b := ReadFile(t, filepath.Join(dir, "y")); string(b) != "22" {
		t.Errorf("ReadFile: %q, want 22", b)
	}
	type conf struct{ N int }
	parse := func(b []byte, name string) (conf, error) {
		var c conf
		if err := json.Unmarshal(b, &c); err != nil {
			return c, fmt.Errorf("%s: %w", name, err)
		}
		return c, nil
	}
	if c, again, ok := ParseRoundTrip(t, []byte(`{"N":3}`), 1<<20, parse); !ok || c.N != 3 || again != c {
		t.Errorf("ParseRoundTrip: %+v, %+v, %v", c, again, ok)
	}
	if _, _, ok := ParseRoundTrip(t, []byte(`{`), 1<<20, parse); ok {
		t.Error("ParseRoundTrip accepted a bad file")
	}
}
