package kramers

import (
	"bytes"
	"cmp"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/sgn-project/sgn/internal/sweep/sweeptest"
)

// FuzzParseConfig feeds arbitrary sweep configurations to ParseConfig: it
// must accept a configuration whose grid it can enumerate and hash, and
// which re-encodes to the same configuration, or return an error, never
// panic, and never allocate a grid larger than the limit it checks (a few
// lists of numbers multiply into a huge grid).
func FuzzParseConfig(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		c, c3, ok := sweeptest.ParseRoundTrip(t, b, 256<<20, func(b []byte, name string) (Config, error) {
			return ParseConfig(bytes.NewReader(b), name)
		})
		if !ok {
			return
		}
		if int64(len(c.Points())) != c.numPoints() {
			t.Fatalf("numPoints %d, Points enumerates %d", c.numPoints(), len(c.Points()))
		}
		if int64(len(c.Points()))*int64(c.Runs) > 1<<31 {
			t.Fatalf("accepted a sweep of %d points × %d runs", len(c.Points()), c.Runs)
		}
		if c.Hash() == "" {
			t.Fatal("empty hash")
		}
		c2, err := ParseConfig(bytes.NewReader(b), "fuzz.json")
		if err != nil || c2.Hash() != c.Hash() {
			t.Fatalf("parsing twice: %v, hash %s vs %s", err, c2.Hash(), c.Hash())
		}
		// What parses re-encodes (as config.json records it) to the same
		// configuration and hash.
		if c3.Hash() != c.Hash() {
			t.Fatalf("%s re-encoded parses to hash %s, want %s", b, c3.Hash(), c.Hash())
		}
	})
}

// FuzzReadSweep feeds arbitrary config.json and runs.jsonl files to
// ReadSweep: records come back inside the grid with steps in 1..max_steps
// and re-encode to a folder that reads back the same, or an error; never a
// panic.
func FuzzReadSweep(f *testing.F) {
	dir, again := f.TempDir(), f.TempDir()
	f.Fuzz(func(t *testing.T, config, runs []byte) {
		sweeptest.WriteFolder(t, dir, map[string][]byte{ConfigFile: config, RunsFile: runs})
		d, err := ReadSweep(dir)
		if err != nil {
			return
		}
		n := len(d.Config.Points())
		for _, r := range d.Runs {
			if r.Point < 0 || r.Point >= n || r.Run < 0 || r.Run >= d.Config.Runs || r.Result.Step < 1 || r.Result.Step > d.Config.MaxSteps {
				t.Fatalf("record %+v accepted (%d points, %d runs, max_steps %d)", r, n, d.Config.Runs, d.Config.MaxSteps)
			}
		}
		// The records re-encode (WriteRuns, as a finished sweep holds them)
		// to a folder that reads back the same.
		if err := os.WriteFile(filepath.Join(again, ConfigFile), config, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := WriteRuns(filepath.Join(again, RunsFile), d.Runs); err != nil {
			t.Fatalf("writing back the records read: %v", err)
		}
		d2, err := ReadSweep(again)
		if err != nil {
			t.Fatalf("reading back the records written: %v", err)
		}
		want := slices.Clone(d.Runs)
		slices.SortFunc(want, func(a, b RunRecord) int { return cmp.Or(cmp.Compare(a.Point, b.Point), cmp.Compare(a.Run, b.Run)) })
		if d2.Hash != d.Hash || !reflect.DeepEqual(d2.Runs, want) && len(want) > 0 {
			t.Fatalf("records %+v read back as %+v", want, d2.Runs)
		}
	})
}
