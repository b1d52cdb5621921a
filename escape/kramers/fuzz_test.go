package kramers

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/sgn-project/sgn/escape"
	"github.com/sgn-project/sgn/escape/network"
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

// sizeConfig writes a sweep configuration whose size fields are the
// little-endian int64 words of b: the first byte picks the landscape (a
// doublewell, a twowell, an MLP on MNIST), the words then set, in order,
// the dimension (the hidden width of an MLP), runs, max_steps, the batch
// size, and the MLP's pool, first, max_iterations and check_every. A word
// that is 0 or missing leaves its field out (runs and max_steps, which
// have no default, are then 3 and 100). Byte-level mutation of such words
// reaches 2^40 and −1 at once, where it would have to grow a number digit
// by digit in JSON text.
func sizeConfig(b []byte) string {
	kind := 0
	if len(b) > 0 {
		kind, b = int(b[0]%3), b[1:]
	}
	var w [8]int64
	for i := range w {
		if len(b) >= 8 {
			w[i], b = int64(binary.LittleEndian.Uint64(b)), b[8:]
		}
	}
	field := func(name string, v int64) string {
		if v == 0 {
			return ""
		}
		return fmt.Sprintf(`, %q: %d`, name, v)
	}
	runs, steps, batch := cmpOr(w[1], 3), cmpOr(w[2], 100), cmpOr(w[3], 2)
	switch kind {
	case 0:
		return fmt.Sprintf(`{"seed": 1, "landscape": {"name": "doublewell", "barrier": 1%s}, "dynamics": ["sgld", "sgd-diffusion"], "sharpness": [1], "batch_size": [%d], "eta": [0.01], "temperature": [0.2], "runs": %d, "max_steps": %d}`,
			field("dim", w[0]), batch, runs, steps)
	case 1:
		return fmt.Sprintf(`{"seed": 1, "landscape": {"name": "twowell", "twowell": {"sharpness": 1.5, "h_flat": 1, "h_col": 0.5, "barrier": 0.125%s}}, "dynamics": ["sgd-diffusion-finite-sum"], "sharpness": [1], "batch_size": [%d], "eta": [0.1], "runs": %d, "max_steps": %d}`,
			field("dim", w[0]), batch, runs, steps)
	}
	width := cmpOr(w[0], 8)
	return fmt.Sprintf(`{"seed": 1, "network": {"layers": [49, %d, 10], "activation": "tanh"%s%s%s%s}, "dynamics": ["sgd"], "sharpness": [1], "batch_size": [%d], "eta": [0.2], "runs": %d, "max_steps": %d, "criterion": {"kind": "loss", "delta": 0.05}}`,
		width, field("pool", w[4]), field("first", w[5]), field("max_iterations", w[6]), field("check_every", w[7]), batch, runs, steps)
}

func cmpOr(v, d int64) int64 {
	if v == 0 {
		return d
	}
	return v
}

// sizeWords encodes a landscape kind and words as sizeConfig reads them.
func sizeWords(kind byte, w ...int64) []byte {
	b := []byte{kind}
	for _, v := range w {
		b = binary.LittleEndian.AppendUint64(b, uint64(v))
	}
	return b
}

// FuzzConfigSizes feeds sweep configurations of arbitrary sizes (the
// dimension, runs, steps, batch size, network width and selection) to
// ParseConfig and the memory estimates a sweep checks against
// --max-memory before it allocates: parsing allocates at most 256 MiB
// whatever the sizes, and what parses has finite, non-negative estimates
// and builds its analytic landscape within that bound as well.
func FuzzConfigSizes(f *testing.F) {
	f.Add(sizeWords(0, 2, 10, 1000, 4))
	f.Add(sizeWords(0, 64, 200, 100000, 1))
	f.Add(sizeWords(1, 1, 300, 4000000, 3))
	f.Add(sizeWords(2, 8, 100, 25000, 16, 4, 1000, 10000, 10))
	f.Fuzz(func(t *testing.T, b []byte) {
		text := sizeConfig(b)
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		c, err := ParseConfig(strings.NewReader(text), "fuzz.json")
		runtime.ReadMemStats(&after)
		if n := after.TotalAlloc - before.TotalAlloc; n > 256<<20 {
			t.Fatalf("%s made ParseConfig allocate %d bytes", text, n)
		}
		if err != nil {
			return
		}
		for _, v := range []float64{RunsBytes(c), NetworkBatchBytes(c, 2)} {
			if !(v >= 0) || math.IsInf(v, 0) {
				t.Fatalf("%s: a memory estimate is %v", text, v)
			}
		}
		if c.Network != nil {
			if v, err := network.MemoryNeed(*c.Network, c.Dynamics, 2); err == nil && (!(v >= 0) || math.IsInf(v, 0)) {
				t.Fatalf("%s: network.MemoryNeed is %v", text, v)
			}
			return
		}
		runtime.ReadMemStats(&before)
		_, err = escape.NewLandscape(c.Landscape, 1)
		runtime.ReadMemStats(&after)
		if n := after.TotalAlloc - before.TotalAlloc; n > 256<<20 {
			t.Fatalf("%s: the landscape of an accepted config allocates %d bytes", text, n)
		}
		if err != nil {
			t.Fatalf("%s: accepted, but its landscape: %v", text, err)
		}
	})
}
