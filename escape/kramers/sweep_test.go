package kramers

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sgn-project/sgn/escape"
	"github.com/sgn-project/sgn/internal/sweep/sweeptest"
)

// smallConfig is a sweep that runs in a fraction of a second.
func smallConfig(seed uint64) Config {
	return Config{Seed: seed, Landscape: escape.LandscapeSpec{Name: escape.DoubleWellName, Barrier: 1},
		Dynamics: []escape.Dynamics{escape.SGLD, escape.SGDDiffusion, escape.GD}, Sharpness: []float64{1, 2}, BatchSize: []float64{1, 2},
		Eta: []float64{0.01}, Temperature: []float64{0.25}, Runs: 15, MaxSteps: 20000, Criterion: escape.Criterion{Kind: escape.CriterionCol}}
}

func runSweep(t *testing.T, dir string, cfg Config, opt SweepOptions) SweepSummary {
	t.Helper()
	s, err := Sweep(dir, cfg, AnalyticSimulator, opt)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSweepWorkersShardsMergeResume(t *testing.T) {
	tmp := t.TempDir()
	cfg := smallConfig(5)
	total := len(cfg.Points()) * cfg.Runs

	one := filepath.Join(tmp, "one")
	s := runSweep(t, one, cfg, SweepOptions{Workers: 1})
	if s.Total != total || s.New != total || s.Resumed != 0 {
		t.Errorf("summary %+v, want %d new runs", s, total)
	}
	want := sweeptest.ReadFile(t, filepath.Join(one, RunsFile))
	if n := bytes.Count(want, []byte("\n")); n != total {
		t.Fatalf("%d lines, want %d", n, total)
	}
	sd, err := ReadSweep(one)
	if err != nil {
		t.Fatal(err)
	}
	escaped := 0
	for _, r := range sd.Runs {
		if r.Result.Escaped {
			escaped++
		}
	}
	if escaped == 0 || escaped == total {
		t.Errorf("%d of %d runs escaped: the test sweep should have both", escaped, total)
	}

	// Two workers: the same file, byte for byte.
	two := filepath.Join(tmp, "two")
	runSweep(t, two, cfg, SweepOptions{Workers: 2})
	if got := sweeptest.ReadFile(t, filepath.Join(two, RunsFile)); !bytes.Equal(got, want) {
		t.Error("runs.jsonl differs between 1 and 2 workers")
	}

	// Four shards, merged: the same file, line for line.
	var shards []string
	for i := 0; i < 4; i++ {
		d := filepath.Join(tmp, "shard-"+string(rune('0'+i)))
		s := runSweep(t, d, cfg, SweepOptions{Workers: 2, Shard: Shard{Index: i, Count: 4}})
		if s.Total != (total-i+3)/4 {
			t.Errorf("shard %d has %d runs, want %d", i, s.Total, (total-i+3)/4)
		}
		shards = append(shards, d)
	}
	merged := filepath.Join(tmp, "merged")
	ms, err := Merge(merged, shards, "test")
	if err != nil {
		t.Fatal(err)
	}
	if ms.Runs != total || ms.Total != total {
		t.Errorf("merge summary %+v, want %d runs", ms, total)
	}
	if got := sweeptest.ReadFile(t, filepath.Join(merged, RunsFile)); !bytes.Equal(got, want) {
		t.Error("four merged shards differ from the unsharded sweep")
	}
	// The merged folder is a whole sweep: resuming it has nothing to do.
	if s := runSweep(t, merged, cfg, SweepOptions{Workers: 2}); s.New != 0 || s.Resumed != total {
		t.Errorf("resuming the merged sweep: %+v", s)
	}

	// Resume after an interruption that left 37 lines and half of the 38th.
	res := filepath.Join(tmp, "resume")
	sweeptest.WriteFolder(t, res, map[string][]byte{ConfigFile: sweeptest.ReadFile(t, filepath.Join(one, ConfigFile)), RunsFile: sweeptest.Interrupted(want, 37)})
	s = runSweep(t, res, cfg, SweepOptions{Workers: 2})
	if s.Resumed != 37 || s.New != total-37 {
		t.Errorf("resume summary %+v, want 37 resumed", s)
	}
	if got := sweeptest.ReadFile(t, filepath.Join(res, RunsFile)); !bytes.Equal(got, want) {
		t.Error("resumed sweep differs from the uninterrupted one")
	}

	// Resume a merge of two of the four shards: the holes are filled and the
	// file ends up sorted.
	holes := filepath.Join(tmp, "holes")
	if _, err := Merge(holes, []string{shards[1], shards[3]}, "test"); err != nil {
		t.Fatal(err)
	}
	runSweep(t, holes, cfg, SweepOptions{Workers: 2})
	if got := sweeptest.ReadFile(t, filepath.Join(holes, RunsFile)); !bytes.Equal(got, want) {
		t.Error("resuming a partial merge does not give the full sweep")
	}
}

// unchanged returns a check that the files of dir are as they were.
func unchanged(t *testing.T, dir string) func() {
	t.Helper()
	before := map[string][]byte{}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		before[e.Name()] = sweeptest.ReadFile(t, filepath.Join(dir, e.Name()))
	}
	return func() {
		t.Helper()
		entries, _ := os.ReadDir(dir)
		if len(entries) != len(before) {
			t.Errorf("%s: %d files, had %d", dir, len(entries), len(before))
		}
		for name, b := range before {
			if got, err := os.ReadFile(filepath.Join(dir, name)); err != nil || !bytes.Equal(got, b) {
				t.Errorf("%s/%s changed", dir, name)
			}
		}
	}
}

func TestSweepAndMergeRefuseMismatches(t *testing.T) {
	tmp := t.TempDir()
	a, b := filepath.Join(tmp, "a"), filepath.Join(tmp, "b")
	runSweep(t, a, smallConfig(1), SweepOptions{Workers: 2, Shard: Shard{Index: 0, Count: 2}})
	runSweep(t, b, smallConfig(2), SweepOptions{Workers: 2, Shard: Shard{Index: 1, Count: 2}})
	checkA, checkB := unchanged(t, a), unchanged(t, b)

	// Merging shards of different sweeps.
	out := filepath.Join(tmp, "out")
	if _, err := Merge(out, []string{a, b}, "test"); err == nil || !strings.Contains(err.Error(), "different sweeps") {
		t.Errorf("merging different sweeps: %v", err)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a refused merge created its output folder")
	}
	// Merging into a folder that holds another sweep.
	if _, err := Merge(b, []string{a}, "test"); err == nil {
		t.Error("merging into a folder of another sweep did not fail")
	}
	// Sweeping into a folder of another sweep, or of another shard.
	if _, err := Sweep(a, smallConfig(2), AnalyticSimulator, SweepOptions{Shard: Shard{Index: 0, Count: 2}}); err == nil || !strings.Contains(err.Error(), "different sweep") {
		t.Errorf("sweeping into another sweep's folder: %v", err)
	}
	if _, err := Sweep(a, smallConfig(1), AnalyticSimulator, SweepOptions{Shard: Shard{Index: 1, Count: 2}}); err == nil {
		t.Error("sweeping another shard into a shard folder did not fail")
	}
	if _, err := Sweep(a, smallConfig(1), AnalyticSimulator, SweepOptions{}); err == nil {
		t.Error("sweeping the whole sweep into a shard folder did not fail")
	}
	// Unknown landscape or dynamics: refused before anything is written.
	bad := smallConfig(1)
	bad.Landscape.Name = "volcano"
	if _, err := Sweep(a, bad, AnalyticSimulator, SweepOptions{Shard: Shard{Index: 0, Count: 2}}); err == nil || !strings.Contains(err.Error(), "volcano") {
		t.Errorf("unknown landscape: %v", err)
	}
	bad = smallConfig(1)
	bad.Dynamics = []escape.Dynamics{escape.SGLD, "adam"}
	fresh := filepath.Join(tmp, "fresh")
	if _, err := Sweep(fresh, bad, AnalyticSimulator, SweepOptions{}); err == nil || !strings.Contains(err.Error(), "adam") {
		t.Errorf("unknown dynamics: %v", err)
	}
	if _, err := os.Stat(fresh); err == nil {
		t.Error("a refused sweep created its output folder")
	}
	bad = smallConfig(1)
	bad.Eta = []float64{-1}
	if _, err := Sweep(a, bad, AnalyticSimulator, SweepOptions{Shard: Shard{Index: 0, Count: 2}}); err == nil {
		t.Error("negative eta accepted")
	}
	checkA()
	checkB()

	// A corrupt line (not an interrupted one) is an error, and the file
	// stays as it is.
	c := filepath.Join(tmp, "c")
	runSweep(t, c, smallConfig(1), SweepOptions{Workers: 2})
	runs := filepath.Join(c, RunsFile)
	b0 := sweeptest.ReadFile(t, runs)
	corrupt := append([]byte(`{"point":0,"run":0,"seed":12,"escaped":true,"step":5}`+"\n"), b0[bytes.IndexByte(b0, '\n')+1:]...)
	if err := os.WriteFile(runs, corrupt, 0o644); err != nil {
		t.Fatal(err)
	}
	checkC := unchanged(t, c)
	if _, err := Sweep(c, smallConfig(1), AnalyticSimulator, SweepOptions{}); err == nil || !strings.Contains(err.Error(), "seed") {
		t.Errorf("a record with a wrong seed: %v", err)
	}
	if _, err := Merge(filepath.Join(tmp, "m"), []string{c}, "test"); err == nil {
		t.Error("merging a folder with a wrong record did not fail")
	}
	checkC()
}
