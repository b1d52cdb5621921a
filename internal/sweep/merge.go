package sweep

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/sgn-project/sgn/internal/atomicfile"
	"github.com/sgn-project/sgn/internal/outlock"
)

// MergeOptions are the settings of Kind.Merge.
type MergeOptions struct {
	// Version is recorded in the merged config.json when the inputs
	// recorded none.
	Version string
	// Copy names files (in the folders' top level) to copy into the merged
	// folder: each is taken from the inputs that hold it, which must hold
	// it byte for byte alike; inputs without it are allowed.
	Copy []string
}

// MergeSummary tells what Kind.Merge did.
type MergeSummary struct {
	// Runs is the number of runs merged, Total the number in the sweep.
	Runs, Total int
	Hash        string
	// Copied are the files of MergeOptions.Copy that were copied.
	Copied []string
	// ShardCount is the n of the shard folders (sweep --shard i/n) among
	// the inputs, 0 when none is a shard; MissingShards are the shard
	// indices 0 … n−1 that none of the inputs holds, ascending.
	ShardCount    int
	MissingShards []int
}

// ErrMismatch is wrapped by the errors of Merge for inputs that do not
// belong together: different sweeps, or a run or a copied file that
// differs between folders.
var ErrMismatch = errors.New("the folders do not agree")

// Merge combines the sweep folders inputs (shards or partial copies of one
// sweep) into folder out: out/config.json (no shard) and out/runs.jsonl,
// sorted by (point, run), both written atomically, plus the files of
// opt.Copy. Folders of different sweeps are refused, and so are folders
// written by different program versions (config.json's "version": one
// sweep, one binary; the merged folder records that version) and runs
// recorded differently in two folders. Each input is read under its
// shared lock (package outlock): an input that a command is still writing
// is refused, naming the writer; on a file system without locks the inputs
// are read without. If out already holds the same sweep
// its runs are kept; if it holds another sweep, or runs.jsonl without
// config.json (not a sweep folder), Merge refuses. Missing runs
// are allowed (Runs < Total): running the sweep in out computes them.
// Nothing is written before every input has been read and checked.
func (k Kind[C, R]) Merge(out string, inputs []string, opt MergeOptions) (MergeSummary, error) {
	if len(inputs) == 0 {
		return MergeSummary{}, errors.New("nothing to merge: give the shard folders")
	}
	dirs := append([]string(nil), inputs...)
	if _, err := os.Stat(filepath.Join(out, ConfigFile)); err == nil {
		dirs = append(dirs, out)
	} else if _, err := os.Stat(filepath.Join(out, RunsFile)); err == nil {
		return MergeSummary{}, fmt.Errorf("%w: %s holds %s but no %s, so it is not a sweep folder: choose another folder", ErrOtherSweep, out, RunsFile, ConfigFile)
	}
	for _, d := range inputs {
		if filepath.Clean(d) == filepath.Clean(out) {
			continue // locked by the caller, as the output folder
		}
		l, err := outlock.AcquireWith(d, outlock.Options{Shared: true})
		if errors.Is(err, outlock.ErrUnsupported) {
			continue
		}
		if errors.Is(err, outlock.ErrLocked) {
			return MergeSummary{}, fmt.Errorf("%s is still being written: %w", d, err)
		}
		if err != nil {
			return MergeSummary{}, err
		}
		defer l.Release()
	}
	var first Data[C, R]
	all := map[[2]int][]byte{}
	var recs []Record[R]
	shards := map[int]bool{}
	shardCount := 0
	for i, d := range dirs {
		sd, err := k.Read(d)
		if err != nil {
			return MergeSummary{}, err
		}
		if sd.Shard.Count > 0 {
			if filepath.Clean(d) == filepath.Clean(out) {
				return MergeSummary{}, fmt.Errorf("%s holds shard %s of the sweep: merged into itself it would no longer be that shard; merge into another folder", d, sd.Shard)
			}
			shardCount = sd.Shard.Count
			shards[sd.Shard.Index] = true
		}
		if i == 0 {
			first = sd
		} else if sd.Hash != first.Hash {
			return MergeSummary{}, fmt.Errorf("%w: cannot merge different sweeps: %s has config hash %s, %s has %s", ErrMismatch, dirs[0], first.Hash, d, sd.Hash)
		} else if sd.Version != first.Version {
			return MergeSummary{}, fmt.Errorf("%w: %s was written by version %s, %s by version %s: the runs of one sweep must come from one program; compute the shards of one version again with the other's binary (into new folders)", ErrMismatch, dirs[0], quoteVersion(first.Version), d, quoteVersion(sd.Version))
		}
		for _, r := range sd.Runs {
			line, err := appendRecord(nil, r)
			if err != nil {
				return MergeSummary{}, err
			}
			if o, ok := all[r.key()]; ok {
				if !bytes.Equal(o, line) {
					return MergeSummary{}, fmt.Errorf("%w: point %d run %d differs between the folders (%s): the results are not reproducible", ErrMismatch, r.Point, r.Run, d)
				}
				continue
			}
			all[r.key()] = line
			recs = append(recs, r)
		}
	}
	copies, err := collectCopies(inputs, opt.Copy)
	if err != nil {
		return MergeSummary{}, err
	}
	version := first.Version
	if version == "" {
		version = opt.Version
	}
	m := meta[C]{Version: version, Hash: first.Hash, Points: first.Grid.Points, Runs: first.Grid.Total(), Config: first.Config}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return MergeSummary{}, fmt.Errorf("cannot create the output folder: %w", err)
	}
	if err := WriteRuns(filepath.Join(out, RunsFile), recs); err != nil {
		return MergeSummary{}, err
	}
	if err := atomicfile.WriteJSON(filepath.Join(out, ConfigFile), m); err != nil {
		return MergeSummary{}, err
	}
	sum := MergeSummary{Runs: len(recs), Total: m.Runs, Hash: m.Hash, ShardCount: shardCount}
	for i := 0; i < shardCount; i++ {
		if !shards[i] {
			sum.MissingShards = append(sum.MissingShards, i)
		}
	}
	for _, c := range copies {
		if err := atomicfile.WriteBytes(filepath.Join(out, c.name), c.b); err != nil {
			return sum, err
		}
		sum.Copied = append(sum.Copied, c.name)
	}
	return sum, nil
}

// copied is a file to copy into a merged folder.
type copied struct {
	name string
	b    []byte
}

// collectCopies reads the files names from the folders dirs that hold
// them and checks that they agree.
func collectCopies(dirs, names []string) ([]copied, error) {
	var out []copied
	for _, name := range names {
		var c *copied
		from := ""
		for _, d := range dirs {
			path := filepath.Join(d, name)
			b, err := os.ReadFile(path)
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("cannot read %s: %w", path, err)
			}
			if c == nil {
				c, from = &copied{name: name, b: b}, path
			} else if !bytes.Equal(c.b, b) {
				return nil, fmt.Errorf("%w: %s and %s differ", ErrMismatch, from, path)
			}
		}
		if c != nil {
			out = append(out, *c)
		}
	}
	return out, nil
}

// quoteVersion shows a recorded version, "(none)" for an empty one.
func quoteVersion(v string) string {
	if strings.TrimSpace(v) == "" {
		return "(none)"
	}
	return v
}
