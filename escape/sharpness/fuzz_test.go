package sharpness

import (
	"encoding/json"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

// FuzzParseConfig feeds arbitrary selection networks configurations to
// ParseConfig: it must accept a configuration of at most 2³¹ runs whose
// grid and hash it can compute and which re-encodes (as config.json
// records it) to the same configuration and hash, or return an error
// naming the file; never panic, and never allocate beyond a bound.
func FuzzParseConfig(f *testing.F) {
	b, err := Experiment{}.BuiltinJSON(BuiltinName)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte(`{"seed":1,"model":{"layers":[49,4,10],"activation":"tanh"},"pool":4,"train_first":100,"batch_sizes":[10,20],"etas":[0.1],"epochs":1,"runs":4611686018427387904}`))
	f.Add([]byte(`{"seed":1,"model":{"layers":[49,4,10],"activation":"relu"},"pool":4,"batch_sizes":[10],"etas":[0.1],"epochs":1,"runs":1,"mnist_sha256":"00"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		c, err := ParseConfig(b, "fuzz.json")
		runtime.ReadMemStats(&after)
		if n := after.TotalAlloc - before.TotalAlloc; n > 64<<20 {
			t.Fatalf("a %d-byte config made ParseConfig allocate %d bytes", len(b), n)
		}
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.json: ") {
				t.Fatalf("error %q does not name the file", err)
			}
			return
		}
		g, hash, err := Kind.Grid(&c)
		if err != nil || hash == "" {
			t.Fatalf("an accepted config has no grid: %v", err)
		}
		if g.Points < 1 || g.Runs < 1 || int64(g.Points)*int64(g.Runs) > 1<<31 {
			t.Fatalf("accepted a sweep of %d points × %d runs", g.Points, g.Runs)
		}
		enc, err := json.Marshal(c)
		if err != nil {
			t.Fatalf("encoding a parsed config: %v", err)
		}
		c2, err := ParseConfig(enc, "again.json")
		if err != nil {
			t.Fatalf("%s re-encoded as %s is refused: %v", b, enc, err)
		}
		if _, hash2, _ := Kind.Grid(&c2); !reflect.DeepEqual(c2, c) || hash2 != hash {
			t.Fatalf("%s re-encoded as %s parses to %+v (hash %s), want %+v (hash %s)", b, enc, c2, hash2, c, hash)
		}
	})
}
