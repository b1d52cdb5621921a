package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/sgn-project/sgn/internal/atomicfile"
	"github.com/sgn-project/sgn/internal/cli"
	"github.com/sgn-project/sgn/internal/outlock"
	"github.com/sgn-project/sgn/internal/sweep"
)

// claimOut makes dir the output folder of this command, before any long
// work: it creates it, checks that files can be written in it, takes its
// exclusive lock for the life of the command (call release when done; the
// kernel drops the lock if the process dies) and removes the temporary
// files interrupted writes left in it. A second sgn on the same folder fails
// at once with an error naming the folder and the holder.
//
// SGN_LOCK=none runs without the lock, for file systems that refuse locks
// (docs/cluster.md, "Locks on shared file systems"); a lock that protects
// one node only, and no lock at all, are said on stderr.
func claimOut(dir string) (release func(), err error) {
	if dir == "" {
		return nil, errors.New("no output folder")
	}
	mode, err := outlock.ParseMode(os.Getenv(lockEnv))
	if err != nil {
		return nil, cli.Usagef("%s: %v", lockEnv, err)
	}
	l, err := outlock.AcquireWith(dir, outlock.Options{Who: "sgn " + strings.Join(os.Args[1:], " "), Mode: mode})
	if errors.Is(err, outlock.ErrLocked) {
		return nil, err
	}
	if errors.Is(err, outlock.ErrUnsupported) {
		return nil, fmt.Errorf("--out: %w; if every folder has one writer (one array task per shard), run without locks: %s=none", err, lockEnv)
	}
	if err != nil {
		return nil, fmt.Errorf("--out: %w", err)
	}
	if w := l.Warning(); w != "" {
		fmt.Fprintf(os.Stderr, "sgn: warning: %s\n", w)
	}
	if err := atomicfile.CheckWritable(dir); err != nil {
		l.Release()
		return nil, fmt.Errorf("--out: %w", err)
	}
	return func() { l.Release() }, nil
}

// lockEnv is the environment variable that chooses the lock mode of
// output folders: flock (default) or none.
const lockEnv = "SGN_LOCK"

// checkSweepDirs returns an error naming the first of dirs that is not a
// sweep folder (no config.json), so that merge and fit refuse a mistyped
// folder before they create their output folder.
func checkSweepDirs(dirs []string) error {
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, sweep.ConfigFile)); err != nil {
			return fmt.Errorf("%s is %w: it has no %s", d, sweep.ErrNotSweep, sweep.ConfigFile)
		}
	}
	return nil
}

// removed returns the callback by which a library reports the files of an
// earlier run that it removed from dir: a line on stderr unless quiet.
func (a *app) removed(cmd, dir string, quiet bool) func(names []string) {
	return func(names []string) {
		if len(names) > 0 && !quiet {
			fmt.Fprintf(a.stderr, "sgn %s: removed the earlier run's %s from %s\n", cmd, strings.Join(names, ", "), dir)
		}
	}
}

// removeFiles removes the named files of dir that exist (an earlier run's
// outputs, so that a fresh run never leaves them beside its own), and says
// so on stderr unless quiet.
func (a *app) removeFiles(cmd, dir string, quiet bool, names ...string) error {
	var gone []string
	for _, n := range names {
		p := filepath.Join(dir, n)
		err := os.Remove(p)
		switch {
		case err == nil:
			gone = append(gone, n)
		case !errors.Is(err, os.ErrNotExist):
			return fmt.Errorf("cannot remove the earlier run's %s: %w", p, err)
		}
	}
	if len(gone) > 0 && !quiet {
		fmt.Fprintf(a.stderr, "sgn %s: removed the earlier run's %s from %s\n", cmd, strings.Join(gone, ", "), dir)
	}
	return nil
}

// mergeInputs parses the arguments of a merge command (shard folders and
// --out, registered on fs as out), checks that every input is a sweep
// folder, and claims the output folder. It returns the inputs and the
// function that releases the output folder.
func mergeInputs(fs *flag.FlagSet, args []string, out *string, example string) ([]string, func(), error) {
	dirs, err := cli.ParseInterleaved(fs, args)
	if err != nil {
		return nil, nil, err
	}
	if *out == "" {
		return nil, nil, cli.Usagef("--out DIR is required (see -h)")
	}
	if len(dirs) == 0 {
		return nil, nil, cli.Usagef("give the sweep folders to merge, e.g. %s", example)
	}
	if err := checkSweepDirs(dirs); err != nil {
		return nil, nil, err
	}
	release, err := claimOut(*out)
	if err != nil {
		return nil, nil, err
	}
	return dirs, release, nil
}

// configError is the error of a --config (or other input file) flag whose
// value spec could not be loaded: a builtin name that does not exist is a
// usage error (exit 2), a file that is missing, unreadable or bad is the
// file's fault (exit 1), and the message names the file.
func configError(flagName, spec string, err error) error {
	if spec == "builtin" || strings.HasPrefix(spec, "builtin:") {
		return cli.Usagef("--%s %s: %v", flagName, spec, err)
	}
	if !strings.Contains(err.Error(), spec) {
		return fmt.Errorf("--%s %s: %w", flagName, spec, err)
	}
	return fmt.Errorf("--%s: %w", flagName, err)
}
