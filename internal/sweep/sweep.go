package sweep

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/sgn-project/sgn/internal/seed"
)

// Files of a sweep folder.
const (
	ConfigFile = "config.json"
	RunsFile   = "runs.jsonl"
)

// Grid is the shape of a sweep: Points points × Runs runs per point, with
// run seeds derived from Seed.
type Grid struct {
	Points, Runs int
	Seed         uint64
}

// ConfigHash returns the hash a sweep folder records of its configuration
// (the hash a Kind's Grid returns): the first 16 hex digits (8 bytes) of the
// SHA-256 of cfg's JSON encoding, the caller's defaults filled in, so that
// two sweeps with equal hashes simulate the same runs. The error is cfg's
// failure to encode.
func ConfigHash(cfg any) (string, error) {
	b, err := json.Marshal(cfg)
	if err != nil {
		return "", err
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:8]), nil
}

// Total returns the number of runs, Points·Runs.
func (g Grid) Total() int { return g.Points * g.Runs }

// Task returns run r of point p: its coordinates and its seed
// seed.Derive(g.Seed, p, r).
func (g Grid) Task(p, r int) Task {
	return Task{Point: p, Run: r, Seed: seed.Derive(g.Seed, uint64(p), uint64(r))}
}

// Task is one run to compute: run Run of point Point, seeded by Seed.
type Task struct {
	Point int    `json:"point"`
	Run   int    `json:"run"`
	Seed  uint64 `json:"seed"`
}

// less orders tasks by (point, run), the order of runs.jsonl.
func (t Task) less(u Task) bool {
	return t.Point < u.Point || t.Point == u.Point && t.Run < u.Run
}

// key identifies a task in maps.
func (t Task) key() [2]int { return [2]int{t.Point, t.Run} }

// Record is one computed run: the task and its result. Its JSON form, one
// line of runs.jsonl, is the object of the task's fields followed by the
// fields of the result (R must encode as a JSON object).
type Record[R any] struct {
	Task
	Result R
}

// appendRecord appends rec as one JSON line.
func appendRecord[R any](b []byte, rec Record[R]) ([]byte, error) {
	res, err := json.Marshal(rec.Result)
	if err != nil {
		return b, fmt.Errorf("encoding the result of point %d run %d: %w", rec.Point, rec.Run, err)
	}
	if len(res) < 2 || res[0] != '{' {
		return b, fmt.Errorf("the result of point %d run %d does not encode as a JSON object", rec.Point, rec.Run)
	}
	b = fmt.Appendf(b, `{"point":%d,"run":%d,"seed":%d`, rec.Point, rec.Run, rec.Seed)
	if len(res) > 2 {
		b = append(b, ',')
	}
	b = append(b, res[1:]...)
	return append(b, '\n'), nil
}

// errNotRecord is wrapped by the errors of parseRecord.
var errNotRecord = errors.New("not a run record")

// parseRecord decodes one line of runs.jsonl: the task's fields are
// required, every other field must be a field of R.
func parseRecord[R any](line []byte) (Record[R], error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(line, &fields); err != nil {
		return Record[R]{}, fmt.Errorf("%w: %w", errNotRecord, err)
	}
	var rec Record[R]
	for _, f := range []struct {
		name string
		dst  any
	}{{"point", &rec.Point}, {"run", &rec.Run}, {"seed", &rec.Seed}} {
		v, ok := fields[f.name]
		if !ok {
			return Record[R]{}, fmt.Errorf("%w: no %q", errNotRecord, f.name)
		}
		if err := json.Unmarshal(v, f.dst); err != nil {
			return Record[R]{}, fmt.Errorf("%w: %q: %w", errNotRecord, f.name, err)
		}
		delete(fields, f.name)
	}
	rest, err := json.Marshal(fields)
	if err != nil {
		return Record[R]{}, fmt.Errorf("%w: %w", errNotRecord, err)
	}
	dec := json.NewDecoder(bytes.NewReader(rest))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rec.Result); err != nil {
		return Record[R]{}, fmt.Errorf("%w: %w", errNotRecord, err)
	}
	return rec, nil
}

// sortRecords sorts records by (point, run).
func sortRecords[R any](recs []Record[R]) {
	slices.SortFunc(recs, func(a, b Record[R]) int {
		if a.Task.less(b.Task) {
			return -1
		}
		if b.Task.less(a.Task) {
			return 1
		}
		return 0
	})
}

// Shard is a deterministic slice of a sweep's runs: the task with index t
// belongs to shard Index of Count when t mod Count = Index. Index is 0-based
// (Slurm arrays run 0..n−1 when declared --array=0-(n−1)). The zero Shard
// (Count 0) is the whole sweep.
type Shard struct {
	Index, Count int
}

// ErrShard is wrapped by the errors of ParseShard.
var ErrShard = errors.New("invalid shard")

// ParseShard parses "i/n" with 0 ≤ i < n.
func ParseShard(s string) (Shard, error) {
	is, ns, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(strings.TrimSpace(is))
	n, err2 := strconv.Atoi(strings.TrimSpace(ns))
	if !ok || err1 != nil || err2 != nil {
		return Shard{}, fmt.Errorf("%w %q: want i/n, e.g. 3/16", ErrShard, s)
	}
	if n < 1 || i < 0 || i >= n {
		return Shard{}, fmt.Errorf("%w %q: want 0 ≤ i < n (shards are numbered from 0)", ErrShard, s)
	}
	return Shard{Index: i, Count: n}, nil
}

// String returns "i/n", or "" for the whole sweep.
func (s Shard) String() string {
	if s.Count == 0 {
		return ""
	}
	return fmt.Sprintf("%d/%d", s.Index, s.Count)
}

// Holds reports whether the task with index t is in the shard.
func (s Shard) Holds(t int) bool { return s.Count == 0 || t%s.Count == s.Index }
