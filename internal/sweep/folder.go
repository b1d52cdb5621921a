package sweep

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/sgn-project/sgn/internal/atomicfile"
)

// Kind describes one kind of sweep: configurations of type C, results of
// type R. Its methods run, read and merge sweep folders of that kind.
type Kind[C, R any] struct {
	// Grid validates a configuration (it may fill in defaults) and returns
	// its grid and its hash; two configurations with the same hash compute
	// the same runs.
	Grid func(c *C) (g Grid, hash string, err error)
	// Check, if not nil, validates the result of a record read back from
	// runs.jsonl against its configuration.
	Check func(c *C, rec Record[R]) error
}

// Options are the settings of Kind.Run that do not change its results.
type Options struct {
	// Workers is the number of goroutines (GOMAXPROCS when ≤ 0).
	Workers int
	// Shard restricts the sweep to a slice of its runs (zero: all).
	Shard Shard
	// Version is recorded in config.json.
	Version string
	// Progress, if not nil, is called after each run with the runs done and
	// the runs of the shard (resumed runs count as done).
	Progress func(done, total int)
	// MNIST is the folder of the MNIST files for the kinds whose runs load
	// them (empty: data.Load's lookup); Kind.Run itself does not use it.
	MNIST string
	// Stop, if not nil, stops the sweep when it is closed, like SIGTERM.
	Stop <-chan struct{}
}

// Summary tells what Kind.Run did.
type Summary struct {
	// Total is the number of runs of the shard, Resumed how many were found
	// done in runs.jsonl and New how many were computed now.
	Total, Resumed, New int
	// Dropped is the number of lines of runs.jsonl that were not JSON —
	// writes a crash lost — and were removed; their runs were computed
	// again.
	Dropped int
}

// Data is a sweep folder read back.
type Data[C, R any] struct {
	Config C
	Hash   string
	// Version is the program version recorded in config.json.
	Version string
	Grid    Grid
	// Shard is the shard the folder holds (zero: the whole sweep).
	Shard Shard
	// Runs are the records in file order (sorted by point and run for a
	// finished sweep).
	Runs []Record[R]
}

// meta is the content of config.json.
type meta[C any] struct {
	Version string `json:"version"`
	Hash    string `json:"hash"`
	// Shard is "i/n" for a shard folder, absent for a whole sweep.
	Shard  string `json:"shard,omitempty"`
	Points int    `json:"points"`
	Runs   int    `json:"total_runs"`
	Config C      `json:"config"`
}

// ErrOtherSweep is wrapped by the errors of Run and Merge that refuse a
// folder holding another sweep or another shard.
var ErrOtherSweep = errors.New("the folder holds another sweep")

// ErrStopped is wrapped by the error of Run stopped by SIGTERM (a Slurm
// time limit or preemption, a Kubernetes pod deletion) or Options.Stop:
// every run finished before the stop is in runs.jsonl, whole lines only,
// and running the sweep again resumes it.
var ErrStopped = errors.New("sweep stopped by SIGTERM")

// SyncInterval is how often Run flushes runs.jsonl to stable storage
// (fsync) while it appends, besides once at the end: a crash of the node
// loses at most the runs of the last interval (computed again on resume),
// and a sweep of fast runs pays one fsync per interval, not per run.
const SyncInterval = time.Second

// Run computes the runs of cfg (or of opt.Shard of them) into folder dir
// with run: dir/config.json and dir/runs.jsonl (see the package doc). It
// resumes a folder of the same sweep and shard and refuses any other before
// writing anything. The records do not depend on opt.Workers, on sharding
// or on interruptions; a finished sweep's runs.jsonl is sorted by (point,
// run).
func (k Kind[C, R]) Run(dir string, cfg C, run func(Task) (R, error), opt Options) (Summary, error) {
	return k.RunBatches(dir, cfg, 1, single(run), opt)
}

// RunBatches is Run with run computing up to maxBatch runs of one point
// at a time (see ExecuteBatches): the same records.
func (k Kind[C, R]) RunBatches(dir string, cfg C, maxBatch int, run BatchRun[R], opt Options) (Summary, error) {
	g, hash, err := k.Grid(&cfg)
	if err != nil {
		return Summary{}, err
	}
	m := meta[C]{Version: opt.Version, Hash: hash, Shard: opt.Shard.String(), Points: g.Points, Runs: g.Total(), Config: cfg}
	if err := k.claim(dir, m); err != nil {
		return Summary{}, err
	}
	runsPath := filepath.Join(dir, RunsFile)
	existing, dropped, err := k.readRuns(runsPath, &cfg, g, opt.Shard, true)
	if err != nil {
		return Summary{}, err
	}
	done := make(map[[2]int]bool, len(existing))
	for _, r := range existing {
		done[r.key()] = true
	}
	var tasks []Task
	total := 0
	for t := range g.Total() {
		if !opt.Shard.Holds(t) {
			continue
		}
		total++
		if task := g.Task(t/g.Runs, t%g.Runs); !done[task.key()] {
			tasks = append(tasks, task)
		}
	}
	sum := Summary{Total: total, Resumed: len(existing), Dropped: len(dropped)}
	if opt.Progress != nil {
		opt.Progress(sum.Resumed, total)
	}
	sorted := isSorted(existing)
	if len(tasks) > 0 {
		if len(existing) > 0 && !existing[len(existing)-1].less(tasks[0]) {
			sorted = false
		}
		stopped, err := appendRuns(runsPath, tasks, opt.Workers, maxBatch, run, func() {
			sum.New++
			if opt.Progress != nil {
				opt.Progress(sum.Resumed+sum.New, total)
			}
		}, opt.Stop)
		if err != nil {
			return sum, err
		}
		if stopped {
			return sum, fmt.Errorf("%w after %d of its %d runs (all of them in %s): run the same command again to resume", ErrStopped, sum.Resumed+sum.New, total, runsPath)
		}
	} else if _, err := os.Stat(runsPath); errors.Is(err, fs.ErrNotExist) {
		if err := atomicfile.WriteBytes(runsPath, nil); err != nil {
			return sum, err
		}
	}
	if !sorted {
		all, _, err := k.readRuns(runsPath, &cfg, g, opt.Shard, false)
		if err != nil {
			return sum, err
		}
		if err := WriteRuns(runsPath, all); err != nil {
			return sum, err
		}
	}
	return sum, nil
}

// claim creates dir and its config.json for m, or checks that the
// config.json it holds is m's sweep and shard.
func (k Kind[C, R]) claim(dir string, m meta[C]) error {
	fresh, err := k.compare(dir, m.Hash, m.Shard)
	if err != nil || !fresh {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("cannot create the output folder: %w", err)
	}
	return atomicfile.WriteJSON(filepath.Join(dir, ConfigFile), m)
}

// CheckFolder returns nil when dir is missing, holds no sweep, or holds
// the sweep cfg (or its shard) so that Run would resume it, and an error
// (wrapping ErrOtherSweep for another sweep or shard) when Run would refuse
// it. It writes nothing: callers use it to refuse a folder before costly
// preparations.
func (k Kind[C, R]) CheckFolder(dir string, cfg C, shard Shard) error {
	_, hash, err := k.Grid(&cfg)
	if err != nil {
		return err
	}
	_, err = k.compare(dir, hash, shard.String())
	return err
}

// compare checks the config.json of dir against a sweep's hash and shard:
// fresh when dir holds no sweep, an error when it holds another.
func (k Kind[C, R]) compare(dir, hash, shard string) (fresh bool, err error) {
	old, err := k.readMeta(filepath.Join(dir, ConfigFile))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if _, err := os.Stat(filepath.Join(dir, RunsFile)); err == nil {
			return false, fmt.Errorf("%w: %s holds %s but no %s, so it is not a sweep folder this program wrote; choose another folder", ErrOtherSweep, dir, RunsFile, ConfigFile)
		}
		return true, nil
	case err != nil:
		return false, err
	case old.Hash != hash:
		return false, fmt.Errorf("%w: %s holds a different sweep (config hash %s, this config %s); choose another folder", ErrOtherSweep, dir, old.Hash, hash)
	case old.Shard != shard:
		return false, fmt.Errorf("%w: %s holds shard %q of this sweep, not %q; choose another folder", ErrOtherSweep, dir, old.Shard, shard)
	}
	return false, nil
}

// appendRuns computes tasks and appends their records to path, one write
// per line, flushed to stable storage every SyncInterval and at the end;
// done is called after each line. SIGTERM or a closed stop make it take no
// new task: the runs under way finish and are written, and it returns
// stopped.
func appendRuns[R any](path string, tasks []Task, workers, maxBatch int, run BatchRun[R], done func(), stop <-chan struct{}) (stopped bool, err error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return false, fmt.Errorf("cannot write %s: %w", path, err)
	}
	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM)
	defer signal.Stop(term)
	var halted atomic.Bool
	halt := func() bool {
		if halted.Load() {
			return true
		}
		select {
		case <-term:
			signal.Stop(term) // a second SIGTERM ends the process at once
		case <-stop:
		default:
			return false
		}
		halted.Store(true)
		return true
	}
	var line []byte
	synced := time.Now()
	err = execute(tasks, workers, maxBatch, run, inOrder(func(rec Record[R]) error {
		var err error
		if line, err = appendRecord(line[:0], rec); err != nil {
			return err
		}
		if _, err := f.Write(line); err != nil {
			return fmt.Errorf("writing %s: %w", path, err)
		}
		if time.Since(synced) >= SyncInterval {
			if err := f.Sync(); err != nil {
				return fmt.Errorf("writing %s: %w", path, err)
			}
			synced = time.Now()
		}
		done()
		return nil
	}), halt)
	if serr := f.Sync(); err == nil && serr != nil {
		err = fmt.Errorf("writing %s: %w", path, serr)
	}
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("writing %s: %w", path, cerr)
	}
	return halted.Load(), err
}

// isSorted reports whether records are sorted by (point, run).
func isSorted[R any](recs []Record[R]) bool {
	for i := 1; i < len(recs); i++ {
		if !recs[i-1].less(recs[i].Task) {
			return false
		}
	}
	return true
}

// WriteRuns writes records as runs.jsonl lines sorted by (point, run) to
// path atomically (the format Kind.Run writes). recs is sorted in place.
func WriteRuns[R any](path string, recs []Record[R]) error {
	sortRecords(recs)
	return atomicfile.Write(path, func(f io.Writer) error {
		w := bufio.NewWriter(f)
		var line []byte
		for _, r := range recs {
			var err error
			if line, err = appendRecord(line[:0], r); err != nil {
				return err
			}
			if _, err := w.Write(line); err != nil {
				return err
			}
		}
		return w.Flush()
	})
}

// readMeta reads a sweep's config.json and checks its configuration and
// hash. A missing file is an error wrapping fs.ErrNotExist.
func (k Kind[C, R]) readMeta(path string) (meta[C], error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return meta[C]{}, fmt.Errorf("cannot read %s: %w", path, err)
	}
	var m meta[C]
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return meta[C]{}, fmt.Errorf("%s is not a sweep config.json: %w", path, err)
	}
	_, hash, err := k.Grid(&m.Config)
	if err != nil {
		return meta[C]{}, fmt.Errorf("%s: %w", path, err)
	}
	if hash != m.Hash {
		return meta[C]{}, fmt.Errorf("%s: recorded hash %s does not match its config (hash %s): the file was edited, or written by a version with other defaults; run the sweep into a new folder", path, m.Hash, hash)
	}
	if m.Shard != "" {
		if _, err := ParseShard(m.Shard); err != nil {
			return meta[C]{}, fmt.Errorf("%s: %w", path, err)
		}
	}
	return m, nil
}

// readRuns reads runs.jsonl (a missing file is empty) and checks every
// record (see parseRuns). Two kinds of damage are what a crash leaves: an
// incomplete last line (a write cut short) and lines that are not JSON (a
// node that died before its writes reached the disk can leave blocks of
// zeros or a torn line joined to the next). With repair, both are dropped —
// the file is rewritten atomically without them, the dropped lines are
// returned and their runs are computed again; otherwise they are errors
// that say how to repair them. A line that is JSON but not a valid record is
// an error either way (not a crash: another sweep's or an edited line).
func (k Kind[C, R]) readRuns(path string, cfg *C, g Grid, shard Shard, repair bool) ([]Record[R], []int, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("cannot read %s: %w", path, err)
	}
	complete := b
	if i := bytes.LastIndexByte(b, '\n'); i+1 != len(b) {
		if !repair {
			return nil, nil, fmt.Errorf("%s ends with an incomplete line: run the sweep again on this folder (the same command) to drop it", path)
		}
		complete = b[:i+1]
	}
	kept, dropped := dropGarbled(complete)
	if len(dropped) > 0 && !repair {
		return nil, nil, fmt.Errorf("%s line %d is not JSON (a write lost in a crash?): run the sweep again on this folder (the same command) to drop it and compute its run again", path, dropped[0])
	}
	recs, err := k.parseRuns(kept, path, cfg, g, shard)
	if err != nil {
		return nil, nil, err
	}
	if len(kept) != len(b) {
		if err := atomicfile.WriteBytes(path, kept); err != nil {
			return nil, nil, err
		}
	}
	return recs, dropped, nil
}

// dropGarbled returns the complete lines b without those that are not JSON
// objects or hold NUL bytes, and the numbers of the dropped lines.
func dropGarbled(b []byte) (kept []byte, dropped []int) {
	kept = b
	for line, rest, off := 1, b, 0; len(rest) > 0; line++ {
		i := bytes.IndexByte(rest, '\n')
		l := rest[:i]
		if bytes.IndexByte(l, 0) >= 0 || !json.Valid(l) {
			if dropped == nil {
				kept = append([]byte(nil), b[:off]...)
			}
			dropped = append(dropped, line)
		} else if dropped != nil {
			kept = append(kept, rest[:i+1]...)
		}
		off += i + 1
		rest = rest[i+1:]
	}
	return kept, dropped
}

// parseRuns parses complete runs.jsonl lines and checks each record: point
// and run in the grid and in the shard, seed as derived, no duplicates,
// and k.Check.
func (k Kind[C, R]) parseRuns(b []byte, path string, cfg *C, g Grid, shard Shard) ([]Record[R], error) {
	var recs []Record[R]
	seen := map[[2]int]bool{}
	for line := 1; len(b) > 0; line++ {
		i := bytes.IndexByte(b, '\n')
		l := b[:i]
		b = b[i+1:]
		r, err := parseRecord[R](l)
		if err != nil {
			return nil, fmt.Errorf("%s line %d: %w", path, line, err)
		}
		switch {
		case r.Point < 0 || r.Point >= g.Points || r.Run < 0 || r.Run >= g.Runs:
			return nil, fmt.Errorf("%s line %d: point %d run %d is not in the sweep (%d points × %d runs)", path, line, r.Point, r.Run, g.Points, g.Runs)
		case !shard.Holds(r.Point*g.Runs + r.Run):
			return nil, fmt.Errorf("%s line %d: point %d run %d is not in shard %s", path, line, r.Point, r.Run, shard)
		case r.Seed != g.Task(r.Point, r.Run).Seed:
			return nil, fmt.Errorf("%s line %d: seed %d is not the seed of point %d run %d", path, line, r.Seed, r.Point, r.Run)
		case seen[r.key()]:
			return nil, fmt.Errorf("%s line %d: point %d run %d appears twice", path, line, r.Point, r.Run)
		}
		if k.Check != nil {
			if err := k.Check(cfg, r); err != nil {
				return nil, fmt.Errorf("%s line %d: %w", path, line, err)
			}
		}
		seen[r.key()] = true
		recs = append(recs, r)
	}
	return recs, nil
}

// CheckDirs returns an error wrapping ErrNotSweep naming the first of dirs
// that is not a sweep folder (no config.json), so that a merge or a fit
// refuses a mistyped folder before anything is written.
func CheckDirs(dirs []string) error {
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, ConfigFile)); err != nil {
			return fmt.Errorf("%s is %w: it has no %s", d, ErrNotSweep, ConfigFile)
		}
	}
	return nil
}

// ErrNotSweep is wrapped by the error of Read for a folder without
// config.json.
var ErrNotSweep = errors.New("not a sweep folder")

// Read reads and checks the sweep folder dir.
func (k Kind[C, R]) Read(dir string) (Data[C, R], error) {
	d, err := k.Inspect(dir)
	if err != nil {
		return d, err
	}
	if d.Runs, _, err = k.readRuns(filepath.Join(dir, RunsFile), &d.Config, d.Grid, d.Shard, false); err != nil {
		return Data[C, R]{}, err
	}
	return d, nil
}

// Inspect reads the config.json of dir and checks it (configuration and
// hash) without reading its runs: Data.Runs is nil. A folder without
// config.json is an error wrapping ErrNotSweep; one whose config.json is not
// of this kind (another kind of sweep, an edited or damaged file) is another
// error naming the file.
func (k Kind[C, R]) Inspect(dir string) (Data[C, R], error) {
	m, err := k.readMeta(filepath.Join(dir, ConfigFile))
	if errors.Is(err, fs.ErrNotExist) {
		return Data[C, R]{}, fmt.Errorf("%s is %w: it has no %s", dir, ErrNotSweep, ConfigFile)
	}
	if err != nil {
		return Data[C, R]{}, err
	}
	g, _, _ := k.Grid(&m.Config) // checked by readMeta
	var sh Shard
	if m.Shard != "" {
		sh, _ = ParseShard(m.Shard) // checked by readMeta
	}
	return Data[C, R]{Config: m.Config, Hash: m.Hash, Version: m.Version, Grid: g, Shard: sh}, nil
}
