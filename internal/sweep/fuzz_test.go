package sweep

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/sgn-project/sgn/internal/memtest"
	"github.com/sgn-project/sgn/internal/sweep/sweeptest"
)

// FuzzRead feeds arbitrary config.json and runs.jsonl files to Read (with
// the synthetic testKind): it must return records inside the grid, unique
// and checked, which re-encode to a folder that reads back the same, or an
// error, never panic, and allocate no more than the files' size calls for.
func FuzzRead(f *testing.F) {
	dir, again := f.TempDir(), f.TempDir()
	f.Fuzz(func(t *testing.T, config, runs []byte) {
		sweeptest.WriteFolder(t, dir, map[string][]byte{ConfigFile: config, RunsFile: runs})
		var d Data[testConfig, testResult]
		var err error
		if n := memtest.Allocated(func() { d, err = testKind.Read(dir) }); n > 64<<20 {
			t.Fatalf("files of %d and %d bytes made Read allocate %d bytes", len(config), len(runs), n)
		}
		if err != nil {
			return
		}
		seen := map[[2]int]bool{}
		for _, r := range d.Runs {
			if r.Point < 0 || r.Point >= d.Grid.Points || r.Run < 0 || r.Run >= d.Grid.Runs || seen[r.key()] {
				t.Fatalf("record %+v accepted in a grid of %d×%d", r, d.Grid.Points, d.Grid.Runs)
			}
			if r.Seed != d.Grid.Task(r.Point, r.Run).Seed || testKind.Check(&d.Config, r) != nil {
				t.Fatalf("record %+v accepted with a wrong seed or result", r)
			}
			seen[r.key()] = true
		}
		// The records re-encode (WriteRuns) to a folder that reads back the
		// same, sorted.
		if err := os.WriteFile(filepath.Join(again, ConfigFile), config, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := WriteRuns(filepath.Join(again, RunsFile), slices.Clone(d.Runs)); err != nil {
			t.Fatalf("writing back the records read: %v", err)
		}
		d2, err := testKind.Read(again)
		if err != nil {
			t.Fatalf("reading back the records written: %v", err)
		}
		want := slices.Clone(d.Runs)
		sortRecords(want)
		if d2.Hash != d.Hash || len(want) > 0 && !reflect.DeepEqual(d2.Runs, want) {
			t.Fatalf("records %+v read back as %+v", want, d2.Runs)
		}
	})
}

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
