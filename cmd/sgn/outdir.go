package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/sgn-project/sgn/internal/atomicfile"
	"github.com/sgn-project/sgn/internal/cli"
	"github.com/sgn-project/sgn/internal/outlock"
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

// claimAfter is claimOut(dir) once the last check before it passed: check,
// if not nil, is returned and nothing is claimed.
func claimAfter(check error, dir string) (release func(), err error) {
	if check != nil {
		return nil, check
	}
	return claimOut(dir)
}

// lockEnv is the environment variable that chooses the lock mode of
// output folders: flock (default) or none.
const lockEnv = "SGN_LOCK"

// removed returns the callback by which a library reports the files of an
// earlier run that it removed from dir: a line on stderr unless quiet.
func (a *app) removed(cmd, dir string, quiet bool) func(names []string) {
	return func(names []string) {
		if len(names) > 0 && !quiet {
			fmt.Fprintf(a.stderr, "sgn %s: removed the earlier run's %s from %s\n", cmd, strings.Join(names, ", "), dir)
		}
	}
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
