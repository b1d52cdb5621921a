package escape

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/sgn-project/sgn/data"
)

// RunRecord is one run of a sweep, one line of runs.jsonl.
type RunRecord struct {
	Point   int    `json:"point"`
	Run     int    `json:"run"`
	Seed    uint64 `json:"seed"`
	Escaped bool   `json:"escaped"`
	Step    int64  `json:"step"`
}

// Files of a sweep folder.
const (
	ConfigFile = "config.json"
	RunsFile   = "runs.jsonl"
)

// task is one run to simulate.
type task struct {
	point, run int
	seed       uint64
}

// execute runs the tasks on workers goroutines (GOMAXPROCS when ≤ 0) and
// calls emit with the records in task order, from the calling goroutine.
// It stops at the first error of a simulator or of emit.
func execute(tasks []task, sims []Simulator, workers int, emit func(RunRecord) error) error {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = max(1, min(workers, len(tasks)))
	type result struct {
		i   int
		rec RunRecord
		err error
	}
	var next atomic.Int64
	var stop atomic.Bool
	results := make(chan result, 4*workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				i := int(next.Add(1) - 1)
				if i >= len(tasks) {
					return
				}
				t := tasks[i]
				o, err := sims[t.point].Run(t.seed)
				if err != nil {
					err = fmt.Errorf("point %d run %d (seed %d): %w", t.point, t.run, t.seed, err)
				}
				results <- result{i: i, rec: RunRecord{Point: t.point, Run: t.run, Seed: t.seed, Escaped: o.Escaped, Step: o.Step}, err: err}
			}
		}()
	}
	go func() {
		wg.Wait()
		close(results)
	}()
	pending := map[int]RunRecord{}
	want := 0
	var first error
	for r := range results {
		if first != nil {
			continue // drain
		}
		if r.err != nil {
			first = r.err
			stop.Store(true)
			continue
		}
		pending[r.i] = r.rec
		for {
			rec, ok := pending[want]
			if !ok {
				break
			}
			delete(pending, want)
			want++
			if err := emit(rec); err != nil {
				first = err
				stop.Store(true)
				break
			}
		}
	}
	return first
}

// RunPoint simulates runs runs of one point with run seeds
// RunSeed(seed, 0, r), on workers goroutines, and returns the records in
// run order. progress, if not nil, is called after each run.
func RunPoint(sim Simulator, seed uint64, runs, workers int, progress func(done int)) ([]RunRecord, error) {
	tasks := make([]task, runs)
	for r := range tasks {
		tasks[r] = task{point: 0, run: r, seed: RunSeed(seed, 0, r)}
	}
	recs := make([]RunRecord, 0, runs)
	err := execute(tasks, []Simulator{sim}, workers, func(rec RunRecord) error {
		recs = append(recs, rec)
		if progress != nil {
			progress(len(recs))
		}
		return nil
	})
	return recs, err
}

// SweepOptions are the settings of Sweep that do not change its results.
type SweepOptions struct {
	// Workers is the number of goroutines (GOMAXPROCS when ≤ 0).
	Workers int
	// Shard restricts the sweep to a slice of its runs (zero: all).
	Shard Shard
	// Version is recorded in config.json.
	Version string
	// Progress, if not nil, is called after each run with the runs done and
	// the runs of the shard (resumed runs count as done).
	Progress func(done, total int)
}

// SweepSummary tells what Sweep did.
type SweepSummary struct {
	// Total is the number of runs of the shard, Resumed how many were found
	// done in runs.jsonl and New how many were simulated now.
	Total, Resumed, New int
}

// sweepMeta is the content of config.json.
type sweepMeta struct {
	Version string `json:"version"`
	Hash    string `json:"hash"`
	// Shard is "i/n" for a shard folder, absent for a whole sweep.
	Shard  string `json:"shard,omitempty"`
	Points int    `json:"points"`
	Runs   int    `json:"total_runs"`
	Config Config `json:"config"`
}

// Sweep simulates the runs of cfg (or of opt.Shard of them) into folder dir:
// dir/config.json (the configuration and its hash) and dir/runs.jsonl (one
// RunRecord per line, written in task order, each line with one write).
//
// If dir already holds the same sweep (same hash and shard), Sweep resumes:
// it keeps the complete lines of runs.jsonl, drops an incomplete last line
// (rewriting the file atomically without it) and simulates only the missing
// runs. A folder of a different sweep is an error, and nothing is written
// before every point has a simulator. Each run's seed is RunSeed(cfg.Seed,
// point, run), so the records do not depend on the number of workers, on
// sharding or on interruptions; a finished sweep's runs.jsonl is sorted by
// (point, run).
func Sweep(dir string, cfg Config, factory Factory, opt SweepOptions) (SweepSummary, error) {
	if err := cfg.Validate(); err != nil {
		return SweepSummary{}, err
	}
	points := cfg.Points()
	sims := make([]Simulator, len(points))
	for i, p := range points {
		s, err := factory(p)
		if err != nil {
			return SweepSummary{}, fmt.Errorf("point %d (%s): %w", i, p.Label(), err)
		}
		sims[i] = s
	}
	meta := sweepMeta{Version: opt.Version, Hash: cfg.Hash(), Shard: opt.Shard.String(), Points: len(points), Runs: len(points) * cfg.Runs, Config: cfg}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return SweepSummary{}, fmt.Errorf("cannot create output folder: %v", err)
	}
	cfgPath := filepath.Join(dir, ConfigFile)
	old, err := readMeta(cfgPath)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if _, err := os.Stat(filepath.Join(dir, RunsFile)); err == nil {
			return SweepSummary{}, fmt.Errorf("%s holds %s but no %s: not a sweep folder this program wrote; use another --out", dir, RunsFile, ConfigFile)
		}
		b, err := canonicalJSON(meta)
		if err != nil {
			return SweepSummary{}, err
		}
		if err := data.WriteBytesAtomic(cfgPath, b); err != nil {
			return SweepSummary{}, err
		}
	case err != nil:
		return SweepSummary{}, err
	case old.Hash != meta.Hash:
		return SweepSummary{}, fmt.Errorf("%s holds a different sweep (config hash %s, this config %s): use another --out", dir, old.Hash, meta.Hash)
	case old.Shard != meta.Shard:
		return SweepSummary{}, fmt.Errorf("%s holds shard %q of this sweep, not %q: use another --out", dir, old.Shard, meta.Shard)
	}

	runsPath := filepath.Join(dir, RunsFile)
	existing, err := readRuns(runsPath, cfg, opt.Shard, true)
	if err != nil {
		return SweepSummary{}, err
	}
	done := make(map[[2]int]bool, len(existing))
	for _, r := range existing {
		done[[2]int{r.Point, r.Run}] = true
	}
	var tasks []task
	total := 0
	for p := range points {
		for r := 0; r < cfg.Runs; r++ {
			if !opt.Shard.Holds(p*cfg.Runs + r) {
				continue
			}
			total++
			if !done[[2]int{p, r}] {
				tasks = append(tasks, task{point: p, run: r, seed: RunSeed(cfg.Seed, p, r)})
			}
		}
	}
	sum := SweepSummary{Total: total, Resumed: len(existing)}
	if opt.Progress != nil {
		opt.Progress(sum.Resumed, total)
	}
	sorted := sort.SliceIsSorted(existing, func(i, j int) bool { return recordLess(existing[i], existing[j]) })
	if len(tasks) > 0 {
		if len(existing) > 0 && !recordLess(existing[len(existing)-1], RunRecord{Point: tasks[0].point, Run: tasks[0].run}) {
			sorted = false
		}
		f, err := os.OpenFile(runsPath, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err != nil {
			return sum, fmt.Errorf("cannot write %s: %v", runsPath, err)
		}
		var line []byte
		err = execute(tasks, sims, opt.Workers, func(rec RunRecord) error {
			line = appendRecord(line[:0], rec)
			if _, err := f.Write(line); err != nil {
				return fmt.Errorf("writing %s: %v", runsPath, err)
			}
			sum.New++
			if opt.Progress != nil {
				opt.Progress(sum.Resumed+sum.New, total)
			}
			return nil
		})
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("writing %s: %v", runsPath, cerr)
		}
		if err != nil {
			return sum, err
		}
	} else if _, err := os.Stat(runsPath); errors.Is(err, fs.ErrNotExist) {
		if err := data.WriteBytesAtomic(runsPath, nil); err != nil {
			return sum, err
		}
	}
	if !sorted {
		all, err := readRuns(runsPath, cfg, opt.Shard, false)
		if err != nil {
			return sum, err
		}
		if err := writeRuns(runsPath, all); err != nil {
			return sum, err
		}
	}
	return sum, nil
}

// recordLess orders records by (point, run).
func recordLess(a, b RunRecord) bool {
	return a.Point < b.Point || a.Point == b.Point && a.Run < b.Run
}

// appendRecord appends rec as one JSON line (the encoding of RunRecord,
// written by hand to keep the hot path free of reflection).
func appendRecord(b []byte, rec RunRecord) []byte {
	b = fmt.Appendf(b, `{"point":%d,"run":%d,"seed":%d,"escaped":%t,"step":%d}`+"\n", rec.Point, rec.Run, rec.Seed, rec.Escaped, rec.Step)
	return b
}

// writeRuns writes records sorted by (point, run) to path atomically.
func writeRuns(path string, recs []RunRecord) error {
	sort.Slice(recs, func(i, j int) bool { return recordLess(recs[i], recs[j]) })
	return data.WriteFileAtomic(path, func(f *os.File) error {
		w := bufio.NewWriter(f)
		var line []byte
		for _, r := range recs {
			line = appendRecord(line[:0], r)
			if _, err := w.Write(line); err != nil {
				return err
			}
		}
		return w.Flush()
	})
}

// WriteRuns writes records as runs.jsonl lines sorted by (point, run) to
// path atomically (the format Sweep writes).
func WriteRuns(path string, recs []RunRecord) error {
	return writeRuns(path, append([]RunRecord(nil), recs...))
}

// readMeta reads a sweep's config.json and checks its hash.
func readMeta(path string) (sweepMeta, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return sweepMeta{}, fmt.Errorf("%s: %w", path, fs.ErrNotExist)
		}
		return sweepMeta{}, fmt.Errorf("cannot read %s: %v", path, err)
	}
	var m sweepMeta
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return sweepMeta{}, fmt.Errorf("%s is not a sweep config.json: %v", path, err)
	}
	if err := m.Config.Validate(); err != nil {
		return sweepMeta{}, fmt.Errorf("%s: %v", path, err)
	}
	if h := m.Config.Hash(); h != m.Hash {
		return sweepMeta{}, fmt.Errorf("%s: recorded hash %s does not match its config (hash %s): the file was edited", path, m.Hash, h)
	}
	if m.Shard != "" {
		if _, err := ParseShard(m.Shard); err != nil {
			return sweepMeta{}, fmt.Errorf("%s: %v", path, err)
		}
	}
	return m, nil
}

// readRuns reads runs.jsonl (a missing file is empty) and checks every
// record against cfg and shard: point and run in range, in the shard, seed
// as derived, no duplicates. An incomplete last line (no newline) is an
// interrupted write: with repair it is dropped by rewriting the file
// atomically without it, otherwise it is an error.
func readRuns(path string, cfg Config, shard Shard, repair bool) ([]RunRecord, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %v", path, err)
	}
	complete := b
	if i := bytes.LastIndexByte(b, '\n'); i+1 != len(b) {
		if !repair {
			return nil, fmt.Errorf("%s ends with an incomplete line: resume the sweep to drop it", path)
		}
		complete = b[:i+1]
	}
	recs, err := parseRuns(complete, path, cfg, shard)
	if err != nil {
		return nil, err
	}
	if len(complete) != len(b) {
		if err := data.WriteBytesAtomic(path, complete); err != nil {
			return nil, err
		}
	}
	return recs, nil
}

// parseRuns parses complete runs.jsonl lines and checks them (see readRuns).
func parseRuns(b []byte, path string, cfg Config, shard Shard) ([]RunRecord, error) {
	npoints := len(cfg.Points())
	var recs []RunRecord
	seen := map[[2]int]bool{}
	line := 0
	for len(b) > 0 {
		line++
		i := bytes.IndexByte(b, '\n')
		l := b[:i]
		b = b[i+1:]
		var r RunRecord
		dec := json.NewDecoder(bytes.NewReader(l))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&r); err != nil {
			return nil, fmt.Errorf("%s line %d is not a run record: %v", path, line, err)
		}
		switch {
		case r.Point < 0 || r.Point >= npoints || r.Run < 0 || r.Run >= cfg.Runs:
			return nil, fmt.Errorf("%s line %d: point %d run %d is not in the sweep (%d points × %d runs)", path, line, r.Point, r.Run, npoints, cfg.Runs)
		case !shard.Holds(r.Point*cfg.Runs + r.Run):
			return nil, fmt.Errorf("%s line %d: point %d run %d is not in shard %s", path, line, r.Point, r.Run, shard)
		case r.Seed != RunSeed(cfg.Seed, r.Point, r.Run):
			return nil, fmt.Errorf("%s line %d: seed %d is not the seed of point %d run %d", path, line, r.Seed, r.Point, r.Run)
		case r.Step < 1 || r.Step > cfg.MaxSteps:
			return nil, fmt.Errorf("%s line %d: step %d is not in 1..max_steps = %d", path, line, r.Step, cfg.MaxSteps)
		case seen[[2]int{r.Point, r.Run}]:
			return nil, fmt.Errorf("%s line %d: point %d run %d appears twice", path, line, r.Point, r.Run)
		}
		seen[[2]int{r.Point, r.Run}] = true
		recs = append(recs, r)
	}
	return recs, nil
}

// SweepData is a sweep folder read back: its configuration and runs.
type SweepData struct {
	Config Config
	Hash   string
	// Shard is "i/n" for a shard folder, "" for a whole sweep.
	Shard string
	Runs  []RunRecord
}

// ReadSweep reads and checks the sweep folder dir.
func ReadSweep(dir string) (SweepData, error) {
	m, err := readMeta(filepath.Join(dir, ConfigFile))
	if errors.Is(err, fs.ErrNotExist) {
		return SweepData{}, fmt.Errorf("%s is not a sweep folder: it has no %s", dir, ConfigFile)
	}
	if err != nil {
		return SweepData{}, err
	}
	sh, _ := ParseShard(m.Shard)
	recs, err := readRuns(filepath.Join(dir, RunsFile), m.Config, sh, false)
	if err != nil {
		return SweepData{}, err
	}
	return SweepData{Config: m.Config, Hash: m.Hash, Shard: m.Shard, Runs: recs}, nil
}

// MergeSummary tells what Merge did.
type MergeSummary struct {
	// Runs is the number of runs merged, Total the number in the sweep.
	Runs, Total int
	Hash        string
}

// Merge combines the sweep folders inputs (shards or partial copies of one
// sweep) into folder out: out/config.json (no shard) and out/runs.jsonl,
// sorted by (point, run), both written atomically. Folders of different
// sweeps (config hashes) are refused, and so are runs recorded differently
// in two folders. If out already holds the same sweep its runs are kept; if
// it holds another sweep, Merge refuses. Missing runs are allowed (Runs <
// Total): resuming the sweep in out simulates them.
func Merge(out string, inputs []string, version string) (MergeSummary, error) {
	if len(inputs) == 0 {
		return MergeSummary{}, errors.New("nothing to merge: give the shard folders")
	}
	dirs := append([]string(nil), inputs...)
	if _, err := os.Stat(filepath.Join(out, ConfigFile)); err == nil {
		dirs = append(dirs, out)
	}
	var first SweepData
	var firstDir string
	all := map[[2]int]RunRecord{}
	for i, d := range dirs {
		sd, err := ReadSweep(d)
		if err != nil {
			return MergeSummary{}, err
		}
		if i == 0 {
			first, firstDir = sd, d
		} else if sd.Hash != first.Hash {
			return MergeSummary{}, fmt.Errorf("cannot merge different sweeps: %s has config hash %s, %s has %s", firstDir, first.Hash, d, sd.Hash)
		}
		for _, r := range sd.Runs {
			k := [2]int{r.Point, r.Run}
			if o, ok := all[k]; ok && o != r {
				return MergeSummary{}, fmt.Errorf("point %d run %d differs between the folders (%s): the results are not reproducible", r.Point, r.Run, d)
			}
			all[k] = r
		}
	}
	recs := make([]RunRecord, 0, len(all))
	for _, r := range all {
		recs = append(recs, r)
	}
	cfg := first.Config
	points := cfg.Points()
	meta := sweepMeta{Version: version, Hash: first.Hash, Points: len(points), Runs: len(points) * cfg.Runs, Config: cfg}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return MergeSummary{}, fmt.Errorf("cannot create output folder: %v", err)
	}
	if err := writeRuns(filepath.Join(out, RunsFile), recs); err != nil {
		return MergeSummary{}, err
	}
	b, err := canonicalJSON(meta)
	if err != nil {
		return MergeSummary{}, err
	}
	if err := data.WriteBytesAtomic(filepath.Join(out, ConfigFile), b); err != nil {
		return MergeSummary{}, err
	}
	return MergeSummary{Runs: len(recs), Total: meta.Runs, Hash: meta.Hash}, nil
}
