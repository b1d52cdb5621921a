package sweep

import (
	"strings"
	"testing"
)

// FuzzParseShard feeds arbitrary --shard values to ParseShard: it accepts
// i/n with 0 ≤ i < n only, whose String parses back to the same shard
// that holds task i, or returns an error wrapping ErrShard that quotes the
// value; never a panic.
func FuzzParseShard(f *testing.F) {
	for _, s := range []string{"0/1", "3/16", " 2 / 4 ", "4/4", "-1/3", "1/0", "9223372036854775807/9223372036854775807", "1/9223372036854775807", "a/b", "3", "1/2/3", "+1/2", "0x1/2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sh, err := ParseShard(s)
		if err != nil {
			if !strings.Contains(err.Error(), ErrShard.Error()) {
				t.Fatalf("error %q does not wrap ErrShard", err)
			}
			return
		}
		if sh.Count < 1 || sh.Index < 0 || sh.Index >= sh.Count {
			t.Fatalf("%q accepted as %+v", s, sh)
		}
		back, err := ParseShard(sh.String())
		if err != nil || back != sh {
			t.Fatalf("%q → %+v → %q → %+v (%v)", s, sh, sh.String(), back, err)
		}
		if !sh.Holds(sh.Index) {
			t.Fatalf("shard %+v does not hold task %d", sh, sh.Index)
		}
	})
}
