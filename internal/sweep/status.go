package sweep

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/sgn-project/sgn/internal/outlock"
)

// ShardDir returns the folder of shard i of a sweep whose output folder is
// out: "<out>-shard-<i>", out without trailing slashes (so that out/sw/
// and out/sw name the same shards).
func ShardDir(out string, i int) string {
	return fmt.Sprintf("%s-shard-%d", trimSlash(out), i)
}

// trimSlash removes the trailing slashes of a folder name, keeping "/".
func trimSlash(dir string) string {
	t := strings.TrimRight(dir, "/")
	if t == "" && dir != "" {
		return "/"
	}
	return t
}

// ShardRuns returns the number of runs of shard i of n in a sweep of total
// runs: the task indices t < total with t mod n = i.
func ShardRuns(total, i, n int) int {
	if i >= total {
		return 0
	}
	return (total - i + n - 1) / n
}

// State is the state of one shard folder.
type State string

const (
	// StateMissing: no folder, or a folder without config.json (the task
	// never started).
	StateMissing State = "missing"
	// StateIncomplete: some runs are missing (the task failed, was
	// stopped or has not finished).
	StateIncomplete State = "incomplete"
	// StateRunning: a command holds the folder's lock (writing it now).
	StateRunning State = "running"
	// StateDone: every run of the shard is in runs.jsonl.
	StateDone State = "done"
	// StateBad: the folder holds another sweep or shard, or lines that
	// are not records of it; resuming will not repair it.
	StateBad State = "bad"
)

// ShardStatus is the state of one shard folder.
type ShardStatus struct {
	Index int
	Dir   string
	State State
	// Done runs of Total (Total is 0 when no shard tells the sweep's size).
	Done, Total int
	// Damaged counts what a crash left that resuming repairs: lines that
	// are not JSON and an incomplete last line.
	Damaged int
	// Holder is the lock's holder when Running (if it recorded itself).
	Holder *outlock.Holder
	// Version is the program version recorded in config.json.
	Version string
	// Problem says what is wrong with a Bad shard.
	Problem string
}

// StatusReport is the state of every shard of a sharded sweep.
type StatusReport struct {
	Out    string
	Shards []ShardStatus
	// Hash identifies the sweep ("" if no shard has started); Total is its
	// number of runs, Done how many are in the shards.
	Hash        string
	Total, Done int
	// Versions are the program versions the shards recorded (sorted);
	// more than one means the merge will refuse them.
	Versions []string
}

// ErrIncomplete is the error of a sweep whose shards cannot be merged yet
// (StatusReport.Complete is false), returned after its report is shown.
var ErrIncomplete = errors.New("not every shard is done")

// Complete reports whether every shard is done, by one version: the
// shards can be merged into the whole sweep.
func (r StatusReport) Complete() bool {
	for _, s := range r.Shards {
		if s.State != StateDone {
			return false
		}
	}
	return len(r.Versions) <= 1
}

// Retry returns the shards to start again: missing or incomplete and not
// running. Bad shards are not among them (starting them again fails the
// same way).
func (r StatusReport) Retry() []int {
	var out []int
	for _, s := range r.Shards {
		if s.State == StateMissing || s.State == StateIncomplete {
			out = append(out, s.Index)
		}
	}
	return out
}

// In returns the shards in state st.
func (r StatusReport) In(st State) []int {
	var out []int
	for _, s := range r.Shards {
		if s.State == st {
			out = append(out, s.Index)
		}
	}
	return out
}

// Ranges formats indices in the syntax of sbatch --array and of a
// Kubernetes Job's completed indexes: "0,2-5,9".
func Ranges(idx []int) string {
	idx = slices.Clone(idx)
	slices.Sort(idx)
	idx = slices.Compact(idx)
	var parts []string
	for i := 0; i < len(idx); {
		j := i
		for j+1 < len(idx) && idx[j+1] == idx[j]+1 {
			j++
		}
		switch {
		case j == i:
			parts = append(parts, strconv.Itoa(idx[i]))
		default:
			parts = append(parts, fmt.Sprintf("%d-%d", idx[i], idx[j]))
		}
		i = j + 1
	}
	return strings.Join(parts, ",")
}

// rawMeta is config.json read without knowing the kind of sweep.
type rawMeta = meta[json.RawMessage]

// Status reads the n shard folders ShardDir(out, i) of a sweep of any kind
// and tells, for each, its state and how many of its runs are done. It
// checks what it can without the kind: every shard holds shard i/n of one
// sweep (one hash), and every line is a run of the shard, once. A shard a
// command is writing is Running (its shared lock is refused). Status writes
// nothing.
func Status(out string, n int) (StatusReport, error) {
	if n < 1 {
		return StatusReport{}, fmt.Errorf("%d shards: want at least 1", n)
	}
	rep := StatusReport{Out: trimSlash(out), Shards: make([]ShardStatus, n)}
	metas := make([]*rawMeta, n)
	versions := map[string]bool{}
	for i := range n {
		s := &rep.Shards[i]
		s.Index, s.Dir = i, ShardDir(out, i)
		m, err := readRawMeta(filepath.Join(s.Dir, ConfigFile))
		switch {
		case errors.Is(err, fs.ErrNotExist):
			s.State = StateMissing
			continue
		case err != nil:
			s.State, s.Problem = StateBad, err.Error()
			continue
		}
		metas[i] = &m
		s.Version = m.Version
		want := Shard{Index: i, Count: n}.String()
		switch {
		case m.Shard != want:
			s.State, s.Problem = StateBad, fmt.Sprintf("holds shard %q, not %s: another split of the sweep", m.Shard, want)
		case rep.Hash == "":
			rep.Hash, rep.Total = m.Hash, m.Runs
		case m.Hash != rep.Hash:
			s.State, s.Problem = StateBad, fmt.Sprintf("holds another sweep (config hash %s; the first shard's is %s)", m.Hash, rep.Hash)
		}
		if s.State == "" {
			versions[m.Version] = true
		}
	}
	for i := range n {
		s := &rep.Shards[i]
		s.Total = ShardRuns(rep.Total, i, n)
		if s.State != "" {
			continue
		}
		m := metas[i]
		done, damaged, err := countRuns(filepath.Join(s.Dir, RunsFile), m.Points, m.Runs, Shard{Index: i, Count: n})
		s.Done, s.Damaged = done, damaged
		rep.Done += done
		switch {
		case err != nil:
			s.State, s.Problem = StateBad, err.Error()
		case done == s.Total && damaged == 0:
			s.State = StateDone
		default:
			s.State = StateIncomplete
		}
		l, err := outlock.AcquireWith(s.Dir, outlock.Options{Shared: true})
		var le *outlock.LockedError
		switch {
		case errors.As(err, &le):
			s.State = StateRunning
			if le.Recorded {
				h := le.Holder
				s.Holder = &h
			}
		case err == nil:
			l.Release()
		}
	}
	for v := range versions {
		rep.Versions = append(rep.Versions, v)
	}
	slices.Sort(rep.Versions)
	return rep, nil
}

// readRawMeta reads a config.json of any kind of sweep.
func readRawMeta(path string) (rawMeta, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return rawMeta{}, err
	}
	var m rawMeta
	if err := json.Unmarshal(b, &m); err != nil || m.Hash == "" || m.Points < 1 || m.Runs < m.Points || m.Runs%m.Points != 0 {
		return rawMeta{}, fmt.Errorf("%s is not a sweep config.json", path)
	}
	return m, nil
}

// countRuns counts the distinct runs of shard sh in runs.jsonl (a sweep of
// points × total/points runs) and the damage a crash left (lines that are
// not JSON, an incomplete last line). A line that is JSON but not a run of
// the shard is an error.
func countRuns(path string, points, total int, sh Shard) (done, damaged int, err error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, 0, nil
	}
	if err != nil {
		return 0, 0, err
	}
	if i := bytes.LastIndexByte(b, '\n'); i+1 != len(b) {
		damaged++
		b = b[:i+1]
	}
	kept, dropped := dropGarbled(b)
	damaged += len(dropped)
	runs := total / points
	seen := map[[2]int]bool{}
	for len(kept) > 0 {
		i := bytes.IndexByte(kept, '\n')
		var t Task
		if err := json.Unmarshal(kept[:i], &t); err != nil {
			return 0, 0, fmt.Errorf("%s: %w", path, err)
		}
		kept = kept[i+1:]
		switch {
		case t.Point < 0 || t.Point >= points || t.Run < 0 || t.Run >= runs:
			return 0, 0, fmt.Errorf("%s: point %d run %d is not in the sweep (%d points × %d runs)", path, t.Point, t.Run, points, runs)
		case !sh.Holds(t.Point*runs + t.Run):
			return 0, 0, fmt.Errorf("%s: point %d run %d is not in shard %s", path, t.Point, t.Run, sh)
		case seen[t.key()]:
			return 0, 0, fmt.Errorf("%s: point %d run %d appears twice", path, t.Point, t.Run)
		}
		seen[t.key()] = true
	}
	return len(seen), damaged, nil
}

// WriteText writes the report of sgn sweep status: the runs done per
// shard and its state, the shards of each state and what to do next.
func (rep StatusReport) WriteText(w io.Writer) error {
	hash := rep.Hash
	if hash == "" {
		hash = "not started"
	}
	fmt.Fprintf(w, "sweep %s (%s), %d shards: %d of %d runs done\n", rep.Out, hash, len(rep.Shards), rep.Done, rep.Total)
	for _, s := range rep.Shards {
		line := fmt.Sprintf("  shard %-3d %-10s %6d/%-6d %s", s.Index, s.State, s.Done, s.Total, s.Dir)
		switch {
		case s.State == StateRunning && s.Holder != nil:
			line += "  locked by " + s.Holder.String()
		case s.State == StateRunning:
			line += "  locked"
		case s.State == StateBad:
			line += "  " + s.Problem
		}
		if s.Damaged > 0 {
			line += fmt.Sprintf("  (%d damaged lines: resuming the shard repairs them)", s.Damaged)
		}
		fmt.Fprintln(w, line)
	}
	if len(rep.Versions) > 1 {
		fmt.Fprintf(w, "the shards were written by different versions (%s): merge refuses them; compute the odd shards again with one binary\n", strings.Join(rep.Versions, ", "))
	}
	for _, st := range []State{StateMissing, StateIncomplete, StateRunning, StateBad} {
		if idx := rep.In(st); len(idx) > 0 {
			fmt.Fprintf(w, "%s: %s\n", st, Ranges(idx))
		}
	}
	switch {
	case rep.Complete():
		fmt.Fprintln(w, "complete: merge the shards")
	case len(rep.Retry()) > 0:
		fmt.Fprintf(w, "retry: --array=%s (Slurm; the generated submit.sh takes the list) or Job indexes %s\n", Ranges(rep.Retry()), Ranges(rep.Retry()))
	}
	return nil
}
