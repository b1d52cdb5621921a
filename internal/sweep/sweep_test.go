package sweep

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sgn-project/sgn/internal/sweep/sweeptest"
)

// testConfig is a synthetic sweep: Points × Runs runs whose result is a
// function of the seed only.
type testConfig struct {
	Seed   uint64 `json:"seed"`
	Points int    `json:"points"`
	Runs   int    `json:"runs"`
	Label  string `json:"label,omitempty"`
}

type testResult struct {
	Odd   bool   `json:"odd"`
	Value uint64 `json:"value"`
}

var testKind = Kind[testConfig, testResult]{
	Grid: func(c *testConfig) (Grid, string, error) {
		if c.Points < 1 || c.Runs < 1 {
			return Grid{}, "", fmt.Errorf("points %d, runs %d: want positive numbers", c.Points, c.Runs)
		}
		if c.Label == "" {
			c.Label = "default"
		}
		return Grid{Points: c.Points, Runs: c.Runs, Seed: c.Seed}, fmt.Sprintf("%d-%d-%d-%s", c.Seed, c.Points, c.Runs, c.Label), nil
	},
	Check: func(c *testConfig, r Record[testResult]) error {
		if r.Result.Value != r.Seed%1000 || r.Result.Odd != (r.Seed%2 == 1) {
			return fmt.Errorf("value %d is not this run's", r.Result.Value)
		}
		return nil
	},
}

func testRun(t Task) (testResult, error) {
	return testResult{Odd: t.Seed%2 == 1, Value: t.Seed % 1000}, nil
}

func mustRun(t *testing.T, dir string, cfg testConfig, opt Options) Summary {
	t.Helper()
	s, err := testKind.Run(dir, cfg, testRun, opt)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// splitmix64 is SplitMix64 written out from Steele, Lea & Flood (2014),
// independently of internal/seed.
func splitmix64(z uint64) uint64 {
	z += 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

func TestGridSeedsAreChainedSplitMix64(t *testing.T) {
	g := Grid{Points: 5, Runs: 7, Seed: 42}
	for p := range g.Points {
		for r := range g.Runs {
			want := splitmix64(splitmix64(splitmix64(g.Seed)^uint64(p)) ^ uint64(r))
			if got := g.Task(p, r); got != (Task{p, r, want}) {
				t.Fatalf("Task(%d, %d) = %+v, want seed %d", p, r, got, want)
			}
		}
	}
	// SplitMix64's first output from state 0 (Steele, Lea & Flood's
	// reference value).
	if got := splitmix64(0); got != 0xe220a8397b1dcdaf {
		t.Errorf("splitmix64(0) = %#x", got)
	}
}

func TestRecordLine(t *testing.T) {
	line, err := appendRecord(nil, Record[testResult]{Task{3, 4, 5}, testResult{true, 17}})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"point":3,"run":4,"seed":5,"odd":true,"value":17}` + "\n"; string(line) != want {
		t.Errorf("line %q, want %q", line, want)
	}
	rec, err := parseRecord[testResult](line[:len(line)-1])
	if err != nil || rec != (Record[testResult]{Task{3, 4, 5}, testResult{true, 17}}) {
		t.Errorf("parsed %+v, %v", rec, err)
	}
	for _, bad := range []string{`{"point":3,"run":4,"seed":5,"odd":true,"value":17,"x":1}`, `{"point":3,"seed":5,"odd":true,"value":17}`, `{"point":3`} {
		if _, err := parseRecord[testResult]([]byte(bad)); !errors.Is(err, errNotRecord) {
			t.Errorf("%s: %v", bad, err)
		}
	}
	empty, err := appendRecord(nil, Record[struct{}]{Task: Task{1, 2, 3}})
	if err != nil || string(empty) != `{"point":1,"run":2,"seed":3}`+"\n" {
		t.Errorf("empty result: %q, %v", empty, err)
	}
}

func TestRunWorkersShardsResumeMerge(t *testing.T) {
	tmp := t.TempDir()
	cfg := testConfig{Seed: 9, Points: 4, Runs: 11}
	total := cfg.Points * cfg.Runs
	one := filepath.Join(tmp, "one")
	if s := mustRun(t, one, cfg, Options{Workers: 1}); s != (Summary{Total: total, New: total}) {
		t.Errorf("summary %+v", s)
	}
	want := sweeptest.ReadFile(t, filepath.Join(one, RunsFile))
	d, err := testKind.Read(one)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Runs) != total || d.Config.Label != "default" || d.Grid != (Grid{4, 11, 9}) {
		t.Fatalf("read back %d runs, config %+v, grid %+v", len(d.Runs), d.Config, d.Grid)
	}
	for i, r := range d.Runs {
		if r.Task != d.Grid.Task(i/cfg.Runs, i%cfg.Runs) {
			t.Fatalf("record %d is %+v", i, r.Task)
		}
	}
	three := filepath.Join(tmp, "three")
	mustRun(t, three, cfg, Options{Workers: 3})
	if !bytes.Equal(sweeptest.ReadFile(t, filepath.Join(three, RunsFile)), want) {
		t.Error("runs.jsonl differs between 1 and 3 workers")
	}

	var shards []string
	for i := range 3 {
		dir := filepath.Join(tmp, fmt.Sprint("shard", i))
		if s := mustRun(t, dir, cfg, Options{Workers: 2, Shard: Shard{i, 3}}); s.Total != (total-i+2)/3 {
			t.Errorf("shard %d: %+v", i, s)
		}
		shards = append(shards, dir)
	}
	if err := os.WriteFile(filepath.Join(shards[1], "cache.json"), []byte("same"), 0o644); err != nil {
		t.Fatal(err)
	}
	merged := filepath.Join(tmp, "merged")
	ms, err := testKind.Merge(merged, shards, MergeOptions{Version: "test", Copy: []string{"cache.json", "absent.json"}})
	if err != nil {
		t.Fatal(err)
	}
	if ms.Runs != total || ms.Total != total || len(ms.Copied) != 1 || ms.ShardCount != 3 || len(ms.MissingShards) != 0 {
		t.Errorf("merge summary %+v", ms)
	}
	if !bytes.Equal(sweeptest.ReadFile(t, filepath.Join(merged, RunsFile)), want) {
		t.Error("merged shards differ from the whole sweep")
	}
	if string(sweeptest.ReadFile(t, filepath.Join(merged, "cache.json"))) != "same" {
		t.Error("cache.json not copied")
	}
	if s := mustRun(t, merged, cfg, Options{}); s.New != 0 || s.Resumed != total {
		t.Errorf("resuming the merged sweep: %+v", s)
	}

	// An interrupted write: 20 lines and half of the 21st.
	res := filepath.Join(tmp, "resume")
	sweeptest.WriteFolder(t, res, map[string][]byte{ConfigFile: sweeptest.ReadFile(t, filepath.Join(one, ConfigFile)), RunsFile: sweeptest.Interrupted(want, 20)})
	if _, err := testKind.Read(res); err == nil {
		t.Error("reading a folder with an incomplete line did not fail")
	}
	if s := mustRun(t, res, cfg, Options{Workers: 2}); s.Resumed != 20 || s.New != total-20 {
		t.Errorf("resume summary %+v", s)
	}
	if !bytes.Equal(sweeptest.ReadFile(t, filepath.Join(res, RunsFile)), want) {
		t.Error("resumed sweep differs from the uninterrupted one")
	}

	// A partial merge (shards 0 and 2) resumed: the holes are filled, sorted.
	holes := filepath.Join(tmp, "holes")
	if ms, err := testKind.Merge(holes, []string{shards[0], shards[2]}, MergeOptions{}); err != nil || ms.ShardCount != 3 || !slices.Equal(ms.MissingShards, []int{1}) {
		t.Fatalf("a partial merge of shards 0 and 2 of 3: %+v, %v; want shard 1 missing", ms, err)
	}
	// A shard merged into its own folder would lose its shard: refused,
	// the folder unchanged.
	before := sweeptest.ReadFile(t, filepath.Join(shards[1], ConfigFile))
	if _, err := testKind.Merge(shards[1], []string{shards[1]}, MergeOptions{}); err == nil || !strings.Contains(err.Error(), "holds shard 1/3 of the sweep: merged into itself") {
		t.Errorf("a shard merged into itself: %v", err)
	}
	if !bytes.Equal(sweeptest.ReadFile(t, filepath.Join(shards[1], ConfigFile)), before) {
		t.Error("the shard's config.json changed")
	}
	mustRun(t, holes, cfg, Options{Workers: 2})
	if !bytes.Equal(sweeptest.ReadFile(t, filepath.Join(holes, RunsFile)), want) {
		t.Error("resuming a partial merge does not give the whole sweep")
	}
}

func TestRefusals(t *testing.T) {
	tmp := t.TempDir()
	a, b := filepath.Join(tmp, "a"), filepath.Join(tmp, "b")
	mustRun(t, a, testConfig{Seed: 1, Points: 2, Runs: 5}, Options{Shard: Shard{0, 2}})
	mustRun(t, b, testConfig{Seed: 2, Points: 2, Runs: 5}, Options{Shard: Shard{1, 2}})
	out := filepath.Join(tmp, "out")
	if _, err := testKind.Merge(out, []string{a, b}, MergeOptions{}); !errors.Is(err, ErrMismatch) {
		t.Errorf("merging different sweeps: %v", err)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a refused merge created its folder")
	}
	if _, err := testKind.Run(a, testConfig{Seed: 2, Points: 2, Runs: 5}, testRun, Options{Shard: Shard{0, 2}}); !errors.Is(err, ErrOtherSweep) {
		t.Errorf("another sweep into a folder: %v", err)
	}
	if _, err := testKind.Run(a, testConfig{Seed: 1, Points: 2, Runs: 5}, testRun, Options{}); !errors.Is(err, ErrOtherSweep) {
		t.Errorf("the whole sweep into a shard folder: %v", err)
	}
	if _, err := testKind.Read(tmp); !errors.Is(err, ErrNotSweep) {
		t.Errorf("reading a folder without config.json: %v", err)
	}
	if err := CheckDirs([]string{a, tmp}); !errors.Is(err, ErrNotSweep) || !strings.Contains(err.Error(), tmp) {
		t.Errorf("CheckDirs of a sweep and a folder without config.json: %v", err)
	}
	if err := CheckDirs([]string{a}); err != nil {
		t.Errorf("CheckDirs of a sweep folder: %v", err)
	}

	// Copies that differ between shards are refused.
	c0, c1 := filepath.Join(tmp, "c0"), filepath.Join(tmp, "c1")
	cfg := testConfig{Seed: 3, Points: 2, Runs: 5}
	mustRun(t, c0, cfg, Options{Shard: Shard{0, 2}})
	mustRun(t, c1, cfg, Options{Shard: Shard{1, 2}})
	os.WriteFile(filepath.Join(c0, "cache.json"), []byte("x"), 0o644)
	os.WriteFile(filepath.Join(c1, "cache.json"), []byte("y"), 0o644)
	if _, err := testKind.Merge(out, []string{c0, c1}, MergeOptions{Copy: []string{"cache.json"}}); !errors.Is(err, ErrMismatch) {
		t.Errorf("differing copies: %v", err)
	}

	// A wrong seed, a wrong result, an unknown field: errors, files unchanged.
	runs := filepath.Join(c0, RunsFile)
	good := sweeptest.ReadFile(t, runs)
	rest := good[bytes.IndexByte(good, '\n')+1:]
	s0 := Grid{2, 5, 3}.Task(0, 0).Seed
	for _, first := range []string{
		`{"point":0,"run":0,"seed":12,"odd":false,"value":12}`,
		fmt.Sprintf(`{"point":0,"run":0,"seed":%d,"odd":%t,"value":1001}`, s0, s0%2 == 1),
		fmt.Sprintf(`{"point":0,"run":0,"seed":%d,"odd":%t,"value":%d,"extra":0}`, s0, s0%2 == 1, s0%1000),
		fmt.Sprintf(`{"point":0,"run":1,"seed":%d,"odd":%t,"value":%d}`, s0, s0%2 == 1, s0%1000),
	} {
		bad := append([]byte(first+"\n"), rest...)
		if err := os.WriteFile(runs, bad, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := testKind.Run(c0, cfg, testRun, Options{Shard: Shard{0, 2}}); err == nil || !strings.Contains(err.Error(), "line 1") {
			t.Errorf("%s: %v", first, err)
		}
		if !bytes.Equal(sweeptest.ReadFile(t, runs), bad) {
			t.Errorf("%s: the file was changed", first)
		}
	}
}

func TestExecuteStopsAtTheFirstError(t *testing.T) {
	g := Grid{Points: 1, Runs: 50, Seed: 1}
	tasks := make([]Task, g.Runs)
	for r := range tasks {
		tasks[r] = g.Task(0, r)
	}
	boom := errors.New("boom")
	n := 0
	err := Execute(tasks, 3, func(t Task) (testResult, error) {
		if t.Run == 7 {
			return testResult{}, boom
		}
		return testRun(t)
	}, func(Record[testResult]) error { n++; return nil })
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "point 0 run 7") || n > 7 {
		t.Errorf("err %v after %d records", err, n)
	}
}

func TestParseShard(t *testing.T) {
	if s, err := ParseShard("3/16"); err != nil || s != (Shard{3, 16}) || s.String() != "3/16" {
		t.Errorf("ParseShard(3/16) = %v, %v", s, err)
	}
	for _, bad := range []string{"", "3", "16/16", "-1/4", "a/b", "0/0"} {
		if _, err := ParseShard(bad); !errors.Is(err, ErrShard) {
			t.Errorf("ParseShard(%q): %v", bad, err)
		}
	}
}

// TestConfigHash: the first 16 hex digits of the SHA-256 of the JSON
// encoding (the value below from Python's hashlib on {"seed":7,"eta":[0.5]}),
// and a configuration that cannot be encoded is an error.
func TestConfigHash(t *testing.T) {
	cfg := struct {
		Seed uint64    `json:"seed"`
		Eta  []float64 `json:"eta"`
	}{7, []float64{0.5}}
	if h, err := ConfigHash(cfg); err != nil || h != "cf4196f32975d8b4" {
		t.Errorf("ConfigHash = %q, %v; want cf4196f32975d8b4", h, err)
	}
	if _, err := ConfigHash(math.NaN()); err == nil {
		t.Error("a NaN encoded without error")
	}
}
