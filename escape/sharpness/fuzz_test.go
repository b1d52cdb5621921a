package sharpness

import (
	"testing"

	"github.com/sgn-project/sgn/internal/sweep/sweeptest"
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
		c, c2, ok := sweeptest.ParseRoundTrip(t, b, 64<<20, ParseConfig)
		if !ok {
			return
		}
		g, hash, err := Kind.Grid(&c)
		if err != nil || hash == "" {
			t.Fatalf("an accepted config has no grid: %v", err)
		}
		if g.Points < 1 || g.Runs < 1 || int64(g.Points)*int64(g.Runs) > 1<<31 {
			t.Fatalf("accepted a sweep of %d points × %d runs", g.Points, g.Runs)
		}
		if _, hash2, _ := Kind.Grid(&c2); hash2 != hash {
			t.Fatalf("%s re-encoded parses to %+v of hash %s, want hash %s", b, c2, hash2, hash)
		}
	})
}
