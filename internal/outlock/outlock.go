// Package outlock gives a command exclusive use of its output folder for its
// whole life: an advisory flock(2) on a lock file inside the folder, so that
// two sgn commands writing the same folder at once cannot interleave their
// files. The kernel drops the lock when the process ends, however it ends
// (exit, panic, SIGKILL), so a killed run never leaves a stale lock.
//
// Holding the lock also means nobody else is writing in the folder, so the
// temporary files that an interrupted atomic write left behind
// (".<name>.tmp-*", see package atomicfile) are stale: Acquire removes them.
package outlock

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// FileName is the name of the lock file inside a locked folder. It is left
// in place on Release (removing it would let two commands lock two different
// files of the same name) and holds the pid and command line of the last
// holder.
const FileName = ".sgn.lock"

// ErrLocked reports that another process holds the folder's lock.
var ErrLocked = errors.New("output folder is in use")

// Lock is the held lock of one output folder.
type Lock struct {
	dir string
	f   *os.File
}

// Acquire creates dir if needed, takes the exclusive lock of dir without
// waiting, records this process (pid, command line, start time) in the lock
// file and removes the stale temporary files of interrupted atomic writes
// inside dir. who describes the holder (e.g. the command line); empty means
// os.Args joined by spaces.
//
// If another process holds the lock, the error wraps ErrLocked and names the
// folder and, when the holder recorded itself, its pid and command line. Any
// other error (the folder cannot be created, is not a folder, is not
// writable) names the folder too, so a command that calls Acquire first
// learns of an unusable output folder before computing anything.
func Acquire(dir, who string) (*Lock, error) {
	if who == "" {
		who = strings.Join(os.Args, " ")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("cannot create output folder %s: %w", dir, err)
	}
	path := filepath.Join(dir, FileName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("output folder %s is not writable: %w", dir, err)
	}
	ok, err := tryLock(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("cannot lock output folder %s: %w", dir, err)
	}
	if !ok {
		holder := readHolder(path)
		f.Close()
		if holder != "" {
			return nil, fmt.Errorf("%w: %s is locked by %s; wait for it to finish or choose another folder", ErrLocked, dir, holder)
		}
		return nil, fmt.Errorf("%w: %s is locked by another process; wait for it to finish or choose another folder", ErrLocked, dir)
	}
	l := &Lock{dir: dir, f: f}
	info := fmt.Sprintf("pid %d (%s) since %s\n", os.Getpid(), who, time.Now().UTC().Format(time.RFC3339))
	if err := f.Truncate(0); err == nil {
		_, err = f.WriteAt([]byte(info), 0)
		if err != nil {
			l.Release()
			return nil, fmt.Errorf("output folder %s is not writable: %w", dir, err)
		}
	} else {
		l.Release()
		return nil, fmt.Errorf("output folder %s is not writable: %w", dir, err)
	}
	if err := removeStaleTemps(dir); err != nil {
		l.Release()
		return nil, err
	}
	return l, nil
}

// Dir returns the locked folder.
func (l *Lock) Dir() string { return l.dir }

// Release clears the holder record and drops the lock. It is safe to call
// more than once and on a nil Lock.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	l.f.Truncate(0)
	err := l.f.Close() // closing the last descriptor drops the flock
	l.f = nil
	return err
}

// readHolder returns the one-line holder record of the lock file at path, or
// "" if there is none (the holder may not have written it yet).
func readHolder(path string) string {
	b, err := os.ReadFile(path)
	if err != nil || len(b) > 4096 {
		return ""
	}
	s := strings.TrimSpace(string(b))
	if !strings.HasPrefix(s, "pid ") || strings.ContainsAny(s, "\n\r") {
		return ""
	}
	if _, err := strconv.Atoi(strings.Fields(s)[1]); err != nil {
		return ""
	}
	return s
}

// IsTemp reports whether name is the name of an atomic write's temporary
// file, ".<name>.tmp-<random>".
func IsTemp(name string) bool {
	return strings.HasPrefix(name, ".") && strings.Contains(name, ".tmp-")
}

// removeStaleTemps removes the temporary files of interrupted atomic writes
// in dir and its subfolders, except in subfolders that have a lock file of
// their own (another command's output folder, which that command cleans).
func removeStaleTemps(dir string) error {
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if path == dir {
				return fmt.Errorf("cannot read output folder %s: %w", dir, err)
			}
			return nil // an unreadable subfolder is not ours to clean
		}
		if d.IsDir() {
			if path != dir {
				if _, err := os.Lstat(filepath.Join(path, FileName)); err == nil {
					return filepath.SkipDir
				}
			}
			return nil
		}
		if d.Type().IsRegular() && IsTemp(d.Name()) {
			if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("cannot remove the stale temporary file %s: %w", path, err)
			}
		}
		return nil
	})
}
