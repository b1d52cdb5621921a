package kramers

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"

	"github.com/sgn-project/sgn/escape/network"
	"github.com/sgn-project/sgn/internal/atomicfile"
)

// RunFile is the report RunOne writes into its folder.
const RunFile = "escape.json"

// FolderKind is what an output folder holds, as escape recognises it from
// its files.
type FolderKind int

// The kinds of folder InspectFolder tells apart.
const (
	// FolderFresh is a missing folder, or one without config.json,
	// escape.json or runs.jsonl (files of other commands may be there).
	FolderFresh FolderKind = iota
	// FolderRun holds the results of an earlier 'escape run': escape.json,
	// or runs.jsonl without config.json (a run stopped before its report).
	FolderRun
	// FolderSweep holds an escape sweep, run whole or merged from shards.
	FolderSweep
	// FolderShard holds one shard of an escape sweep.
	FolderShard
	// FolderOther holds a config.json that is not an escape sweep's:
	// another kind of sweep (a selection sweep), or an edited or damaged
	// file.
	FolderOther
)

// Folder is what InspectFolder found in a folder.
type Folder struct {
	Dir  string
	Kind FolderKind
	// Hash and Shard are those of a sweep (FolderSweep, FolderShard).
	Hash  string
	Shard Shard
	// Why says why config.json is not an escape sweep's (FolderOther).
	Why error
}

// String describes what the folder holds, e.g. "escape sweep 1f2e… (config.json)".
func (f Folder) String() string {
	switch f.Kind {
	case FolderRun:
		return "the results of an earlier escape run"
	case FolderSweep:
		return fmt.Sprintf("escape sweep %s (%s)", f.Hash, ConfigFile)
	case FolderShard:
		return fmt.Sprintf("shard %s of escape sweep %s (%s)", f.Shard, f.Hash, ConfigFile)
	case FolderOther:
		return fmt.Sprintf("a %s that is not an escape sweep's (%v)", ConfigFile, f.Why)
	}
	return "nothing of escape's"
}

// InspectFolder tells what dir holds from its files: an escape sweep's
// config.json (whole or a shard; its runs are not read), a config.json of
// something else, an earlier single run (escape.json, or runs.jsonl alone),
// or none of these. Only a file that exists but cannot be examined is an
// error.
func InspectFolder(dir string) (Folder, error) {
	f := Folder{Dir: dir}
	exists := func(name string) (bool, error) {
		_, err := os.Stat(filepath.Join(dir, name))
		if errors.Is(err, fs.ErrNotExist) {
			return false, nil
		}
		return err == nil, err
	}
	cfg, err := exists(ConfigFile)
	if err != nil {
		return f, err
	}
	if cfg {
		d, err := sweeps.Inspect(dir)
		if err != nil {
			f.Kind, f.Why = FolderOther, err
			return f, nil
		}
		f.Kind, f.Hash, f.Shard = FolderSweep, d.Hash, d.Shard
		if d.Shard.Count > 0 {
			f.Kind = FolderShard
		}
		return f, nil
	}
	for _, name := range []string{RunFile, RunsFile} {
		ok, err := exists(name)
		if err != nil {
			return f, err
		}
		if ok {
			f.Kind = FolderRun
			return f, nil
		}
	}
	return f, nil
}

// ErrFolderTaken is wrapped by the errors of StartRun (and so RunOne) for
// a folder that holds results a single run must not mix with.
var ErrFolderTaken = errors.New("choose another folder")

// StartRun prepares folder out for a single run of cfg (RunOne): it
// refuses a folder that holds a sweep, a shard or another config.json,
// whose runs.jsonl the run would overwrite, and starts clean in a folder of
// an earlier run: it removes escape.json, runs.jsonl and minimum.json —
// keeping minimum.json when it holds the minimum of cfg's own network, which
// RunOne then reuses. It returns the names removed. A refused folder is left
// as it was.
func StartRun(out string, cfg Config) ([]string, error) {
	f, err := checkRunFolder(out)
	if err != nil {
		return nil, err
	}
	if f.Kind == FolderFresh {
		if ok, err := sameMinimum(out, cfg); err != nil || ok {
			return nil, err
		}
		return atomicfile.RemoveStale(out, network.MinimumFile)
	}
	names := []string{RunFile, RunsFile}
	ok, err := sameMinimum(out, cfg)
	if err != nil {
		return nil, err
	}
	if !ok {
		names = append(names, network.MinimumFile)
	}
	return atomicfile.RemoveStale(out, names...)
}

// checkRunFolder inspects out and refuses it unless it is fresh or holds
// an earlier single run.
func checkRunFolder(out string) (Folder, error) {
	f, err := InspectFolder(out)
	if err != nil {
		return f, fmt.Errorf("cannot examine the output folder %s: %w", out, err)
	}
	if f.Kind != FolderFresh && f.Kind != FolderRun {
		return f, fmt.Errorf("%s holds %s, whose %s a single run would overwrite: %w", out, f, RunsFile, ErrFolderTaken)
	}
	return f, nil
}

// sameMinimum reports whether out/minimum.json holds the minimum of cfg's
// network (so that network.PrepareMinimum reuses it). A missing file is
// false; an unreadable one is an error.
func sameMinimum(out string, cfg Config) (bool, error) {
	m, err := network.ReadMinimum(filepath.Join(out, network.MinimumFile))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	case err != nil:
		// Not a minimum this program wrote in a readable form: an earlier
		// run's, or damaged; either way not reusable.
		return false, nil
	case cfg.Network == nil:
		return false, nil
	}
	return reflect.DeepEqual(m.Spec, cfg.Network.Normalized()), nil
}
