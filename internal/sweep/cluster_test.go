package sweep

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/sgn-project/sgn/internal/outlock"
	"github.com/sgn-project/sgn/internal/sweep/sweeptest"
)

// wholeSweep runs cfg in one folder and returns its runs.jsonl.
func wholeSweep(t *testing.T, cfg testConfig) []byte {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "whole")
	mustRun(t, dir, cfg, Options{Workers: 2})
	return sweeptest.ReadFile(t, filepath.Join(dir, RunsFile))
}

func TestGarbledLinesAreDroppedOnResumeAndRefusedOnRead(t *testing.T) {
	cfg := testConfig{Seed: 9, Points: 3, Runs: 10}
	want := wholeSweep(t, cfg)
	dir := filepath.Join(t.TempDir(), "crashed")
	mustRun(t, dir, cfg, Options{Workers: 2})
	lines := bytes.SplitAfter(want, []byte("\n"))
	// A node crash: a block of zeros where line 4 was, line 11 torn and
	// joined to line 12, the file cut in the middle of line 20.
	var b []byte
	for i, l := range lines[:19] {
		switch i {
		case 3:
			b = append(b, bytes.Repeat([]byte{0}, len(l)-1)...)
			b = append(b, '\n')
		case 10:
			b = append(b, l[:len(l)/2]...)
		default:
			b = append(b, l...)
		}
	}
	b = append(b, lines[19][:5]...)
	runs := filepath.Join(dir, RunsFile)
	if err := os.WriteFile(runs, b, 0o644); err != nil {
		t.Fatal(err)
	}
	// Reading refuses, naming the line and the repair.
	_, err := testKind.Read(dir)
	if err == nil || !strings.Contains(err.Error(), "incomplete line") || !strings.Contains(err.Error(), "run the sweep again") {
		t.Fatalf("Read of a torn file: %v", err)
	}
	if err := os.WriteFile(runs, b[:bytes.LastIndexByte(b, '\n')+1], 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = testKind.Read(dir)
	if err == nil || !strings.Contains(err.Error(), "line 4 is not JSON") || !strings.Contains(err.Error(), "run the sweep again") {
		t.Fatalf("Read of a garbled file: %v", err)
	}
	if err := os.WriteFile(runs, b, 0o644); err != nil {
		t.Fatal(err)
	}
	// Resuming drops the damage and computes those runs again.
	s := mustRun(t, dir, cfg, Options{Workers: 2})
	if s.Dropped != 2 || s.Resumed != 16 || s.New != 14 {
		t.Errorf("summary %+v, want 2 dropped, 16 resumed, 14 new", s)
	}
	if got := sweeptest.ReadFile(t, runs); !bytes.Equal(got, want) {
		t.Errorf("repaired runs.jsonl differs from the uninterrupted sweep:\n%s", got)
	}
	// JSON that is not a record of the sweep is not crash damage: refused.
	if err := os.WriteFile(runs, append([]byte("{\"note\":1}\n"), want...), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := testKind.Run(dir, cfg, testRun, Options{}); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Errorf("a foreign JSON line: %v", err)
	}
}

func TestStopAtARecordBoundary(t *testing.T) {
	cfg := testConfig{Seed: 5, Points: 4, Runs: 25}
	want := wholeSweep(t, cfg)
	for _, how := range []string{"channel", "SIGTERM"} {
		dir := filepath.Join(t.TempDir(), how)
		stop := make(chan struct{})
		// Run 30 stops the sweep; the runs after it wait until the stop
		// has been delivered (to the test's channel: the library's gets
		// it in the same pass) and take a millisecond each, so the sweep
		// cannot end before the stop is seen.
		seen := make(chan struct{})
		sigs := make(chan os.Signal, 1)
		signal.Notify(sigs, syscall.SIGTERM)
		var n atomic.Int64
		slow := func(task Task) (testResult, error) {
			switch k := n.Add(1); {
			case k == 30 && how == "channel":
				close(stop)
				close(seen)
			case k == 30:
				syscall.Kill(os.Getpid(), syscall.SIGTERM)
				<-sigs // delivered to every channel that asked for it
				close(seen)
			case k > 30:
				<-seen
				time.Sleep(time.Millisecond)
			}
			return testRun(task)
		}
		opt := Options{Workers: 3}
		if how == "channel" {
			opt.Stop = stop
		}
		s, err := testKind.Run(dir, cfg, slow, opt)
		signal.Stop(sigs)
		if !errors.Is(err, ErrStopped) || !strings.Contains(err.Error(), "run the same command again") {
			t.Fatalf("%s: err %v", how, err)
		}
		got := sweeptest.ReadFile(t, filepath.Join(dir, RunsFile))
		if s.New < 30 || s.New >= 100 || !bytes.HasPrefix(want, got) || bytes.Count(got, []byte("\n")) != s.New {
			t.Fatalf("%s: stopped after %d runs; runs.jsonl is not the first %d whole lines", how, s.New, s.New)
		}
		s = mustRun(t, dir, cfg, Options{Workers: 2})
		if !bytes.Equal(sweeptest.ReadFile(t, filepath.Join(dir, RunsFile)), want) || s.Resumed+s.New != 100 {
			t.Errorf("%s: resumed sweep differs from the uninterrupted one (%+v)", how, s)
		}
	}
}

func TestMergeRefusesMixedVersionsAndShardsBeingWritten(t *testing.T) {
	tmp := t.TempDir()
	cfg := testConfig{Seed: 2, Points: 2, Runs: 6}
	out := filepath.Join(tmp, "sw")
	mustRun(t, ShardDir(out, 0), cfg, Options{Shard: Shard{0, 2}, Version: "v1"})
	mustRun(t, ShardDir(out, 1), cfg, Options{Shard: Shard{1, 2}, Version: "v2"})
	inputs := []string{ShardDir(out, 0), ShardDir(out, 1)}
	_, err := testKind.Merge(out, inputs, MergeOptions{Version: "v3"})
	if !errors.Is(err, ErrMismatch) || !strings.Contains(err.Error(), "version v1") || !strings.Contains(err.Error(), "version v2") {
		t.Fatalf("merging versions v1 and v2: %v", err)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a refused merge created its folder")
	}
	// Shard 1 again with v1: the merge records v1, not the merging program's.
	if err := os.RemoveAll(ShardDir(out, 1)); err != nil {
		t.Fatal(err)
	}
	mustRun(t, ShardDir(out, 1), cfg, Options{Shard: Shard{1, 2}, Version: "v1"})
	// A shard being written is refused, naming its writer.
	l, err := outlock.Acquire(ShardDir(out, 1), "sgn escape sweep --shard 1/2")
	if err != nil {
		t.Fatal(err)
	}
	_, err = testKind.Merge(out, inputs, MergeOptions{Version: "v3"})
	if !errors.Is(err, outlock.ErrLocked) || !strings.Contains(err.Error(), "still being written") || !strings.Contains(err.Error(), "--shard 1/2") {
		t.Fatalf("merging a shard being written: %v", err)
	}
	l.Release()
	if _, err := testKind.Merge(out, inputs, MergeOptions{Version: "v3"}); err != nil {
		t.Fatal(err)
	}
	var m struct{ Version string }
	if err := json.Unmarshal(sweeptest.ReadFile(t, filepath.Join(out, ConfigFile)), &m); err != nil || m.Version != "v1" {
		t.Errorf("merged version %q (%v), want v1", m.Version, err)
	}
}

func TestShardNames(t *testing.T) {
	for _, c := range []struct {
		out  string
		i    int
		want string
	}{{"out/sw", 3, "out/sw-shard-3"}, {"out/sw/", 0, "out/sw-shard-0"}, {"out/sw//", 12, "out/sw-shard-12"}, {"/data/x/", 1, "/data/x-shard-1"}} {
		if got := ShardDir(c.out, c.i); got != c.want {
			t.Errorf("ShardDir(%q, %d) = %q, want %q", c.out, c.i, got, c.want)
		}
	}
	// ShardRuns counts the task indices of each shard.
	for _, c := range [][3]int{{10, 3, 4}, {100, 16, 16}, {5, 8, 8}, {7, 1, 1}} {
		total, n := c[0], c[1]
		sum := 0
		for i := range n {
			want := 0
			for t := range total {
				if (Shard{i, n}).Holds(t) {
					want++
				}
			}
			if got := ShardRuns(total, i, n); got != want {
				t.Errorf("ShardRuns(%d, %d, %d) = %d, want %d", total, i, n, got, want)
			}
			sum += want
		}
		if sum != total {
			t.Errorf("shards of %d runs sum to %d", total, sum)
		}
	}
	for _, c := range []struct {
		idx  []int
		want string
	}{{nil, ""}, {[]int{5}, "5"}, {[]int{0, 1, 2, 3}, "0-3"}, {[]int{9, 2, 3, 4, 7, 0, 3}, "0,2-4,7,9"}} {
		if got := Ranges(c.idx); got != c.want {
			t.Errorf("Ranges(%v) = %q, want %q", c.idx, got, c.want)
		}
	}
}

func TestStatusOfEveryShard(t *testing.T) {
	tmp := t.TempDir()
	cfg := testConfig{Seed: 4, Points: 5, Runs: 8} // 40 runs, shards of 4: 10 each
	out := filepath.Join(tmp, "sw") + "/"
	if _, err := Status(out, 0); err == nil {
		t.Error("Status with 0 shards")
	}
	rep, err := Status(out, 4)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Complete() || Ranges(rep.Retry()) != "0-3" || rep.Hash != "" {
		t.Errorf("nothing started: %+v", rep)
	}
	for i := range 4 {
		mustRun(t, ShardDir(out, i), cfg, Options{Shard: Shard{i, 4}, Version: "v1"})
	}
	rep, err = Status(out, 4)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Complete() || rep.Done != 40 || rep.Total != 40 || len(rep.Retry()) != 0 || rep.Out != filepath.Join(tmp, "sw") {
		t.Fatalf("all done: %+v", rep)
	}
	// Shard 1 cut to 3 whole runs and a torn line; shard 2 gone; shard 3
	// being written.
	r1 := filepath.Join(ShardDir(out, 1), RunsFile)
	b := sweeptest.ReadFile(t, r1)
	lines := bytes.SplitAfter(b, []byte("\n"))
	if err := os.WriteFile(r1, append(bytes.Join(lines[:3], nil), lines[3][:7]...), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(ShardDir(out, 2)); err != nil {
		t.Fatal(err)
	}
	l, err := outlock.Acquire(ShardDir(out, 3), "writer of shard 3")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	rep, err = Status(out, 4)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		st          State
		done, total int
	}{{StateDone, 10, 10}, {StateIncomplete, 3, 10}, {StateMissing, 0, 10}, {StateRunning, 10, 10}}
	for i, w := range want {
		s := rep.Shards[i]
		if s.State != w.st || s.Done != w.done || s.Total != w.total {
			t.Errorf("shard %d: %s %d/%d, want %s %d/%d", i, s.State, s.Done, s.Total, w.st, w.done, w.total)
		}
	}
	if rep.Shards[1].Damaged != 1 || rep.Shards[3].Holder == nil || rep.Shards[3].Holder.Command != "writer of shard 3" {
		t.Errorf("damage %d, holder %+v", rep.Shards[1].Damaged, rep.Shards[3].Holder)
	}
	if rep.Complete() || Ranges(rep.Retry()) != "1-2" || rep.Done != 23 {
		t.Errorf("retry %q, done %d", Ranges(rep.Retry()), rep.Done)
	}
	checkStatusText(t, rep, "23 of 40 runs done", "(1 damaged lines", "locked by ", "missing: 2\n", "incomplete: 1\n", "retry: --array=1-2 ")
	// Another split and another sweep are bad, not to be retried.
	other := filepath.Join(tmp, "other")
	mustRun(t, ShardDir(other, 0), cfg, Options{Shard: Shard{0, 3}})
	mustRun(t, ShardDir(other, 1), cfg, Options{Shard: Shard{1, 2}})
	mustRun(t, ShardDir(other, 2), testConfig{Seed: 5, Points: 5, Runs: 8}, Options{Shard: Shard{2, 3}})
	rep, err = Status(other, 3)
	if err != nil {
		t.Fatal(err)
	}
	if s := rep.Shards[0]; s.State != StateDone || s.Total != 14 {
		t.Errorf("shard 0: %s %d/%d", s.State, s.Done, s.Total)
	}
	for i, want := range map[int]string{1: "not 1/3", 2: "another sweep"} {
		if s := rep.Shards[i]; s.State != StateBad || !strings.Contains(s.Problem, want) {
			t.Errorf("shard %d: %s %q, want bad %q", i, s.State, s.Problem, want)
		}
	}
	if rep.Complete() || len(rep.Retry()) != 0 {
		t.Errorf("bad shards: complete %v, retry %v", rep.Complete(), rep.Retry())
	}
	// Done shards of two versions are not complete: the merge refuses them.
	mixed := filepath.Join(tmp, "mixed")
	mustRun(t, ShardDir(mixed, 0), cfg, Options{Shard: Shard{0, 2}, Version: "v1"})
	mustRun(t, ShardDir(mixed, 1), cfg, Options{Shard: Shard{1, 2}, Version: "v2"})
	rep, err = Status(mixed, 2)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Complete() || strings.Join(rep.Versions, " ") != "v1 v2" {
		t.Errorf("mixed versions: complete %v, versions %v", rep.Complete(), rep.Versions)
	}
}

// checkStatusText checks that the text of rep holds each of want.
func checkStatusText(t *testing.T, rep StatusReport, want ...string) {
	t.Helper()
	var text strings.Builder
	if err := rep.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	for _, w := range want {
		if !strings.Contains(text.String(), w) {
			t.Errorf("the status text lacks %q:\n%s", w, text.String())
		}
	}
}
