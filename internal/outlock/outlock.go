// Package outlock gives a command exclusive use of its output folder for its
// whole life: an advisory flock(2) on a lock file inside the folder, so that
// two sgn commands writing the same folder at once cannot interleave their
// files. The kernel drops the lock when the process ends, however it ends
// (exit, panic, SIGKILL), so a killed run never leaves a stale lock on a
// local file system.
//
// On a shared file system the lock is only as good as the mount's locking
// (Mount.Scope): NFS with lockd or NFSv4 and Lustre mounted -o flock lock
// across nodes; NFS mounted nolock or local_lock=flock|all and Lustre
// mounted -o localflock lock on one node only (Acquire says so in
// Lock.Warning); Lustre mounted -o noflock and NFSv3 without lockd refuse
// locks (ErrUnsupported), and the site chooses between fixing the mount and
// running without a lock (ModeNone). A lock whose holder died with its node
// can outlive it on NFS: the holder record (host, pid, Slurm job, pod) says
// whose it is, and Break removes it.
//
// Holding the lock also means nobody else is writing in the folder, so the
// temporary files that an interrupted atomic write left behind
// (".<name>.tmp-*", see package atomicfile) are stale: Acquire removes them.
package outlock

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// FileName is the name of the lock file inside a locked folder. It is left
// in place on Release once the holder has written anything into the folder
// and holds the holder record (Holder, one JSON line) of the current
// exclusive holder, empty when there is none. A holder that wrote nothing
// (a command refused after taking the lock) leaves nothing behind: Release
// removes the lock file it created, still holding it, and the folders its
// Acquire created.
const FileName = ".sgn.lock"

// ErrLocked reports that another process holds the folder's lock.
var ErrLocked = errors.New("output folder is in use")

// ErrUnsupported reports that the file system of the folder refuses flock(2)
// (ENOSYS, ENOLCK, EOPNOTSUPP): Lustre mounted -o noflock, NFSv3 without a
// lock daemon. The error names the mount and its options.
var ErrUnsupported = errors.New("the file system does not support locks")

// Mode is how Acquire protects a folder.
type Mode string

const (
	// ModeFlock takes an exclusive flock(2) (the default).
	ModeFlock Mode = "flock"
	// ModeNone takes no lock: for file systems without locks, where the
	// site guarantees one writer per folder (one Slurm array task per
	// shard). Lock.Warning says so.
	ModeNone Mode = "none"
)

// ParseMode parses a Mode; "" is ModeFlock. Any other value is an error
// wrapping ErrMode.
func ParseMode(s string) (Mode, error) {
	switch Mode(strings.TrimSpace(s)) {
	case "", ModeFlock:
		return ModeFlock, nil
	case ModeNone:
		return ModeNone, nil
	}
	return "", fmt.Errorf("%w %q: want %s or %s", ErrMode, s, ModeFlock, ModeNone)
}

// Options are the settings of AcquireWith.
type Options struct {
	// Who describes the holder (e.g. the command line); empty means
	// os.Args joined by spaces.
	Who string
	// Mode is ModeFlock (zero) or ModeNone.
	Mode Mode
	// Shared takes a shared lock for reading: it excludes an exclusive
	// holder (a command writing the folder) but not other readers, records
	// no holder, does not create the folder and removes nothing.
	Shared bool
	// Wait is how long Acquire keeps trying while the lock is held by a
	// reader or by a holder that has not yet recorded itself (both hold it
	// briefly); 0 means one second.
	Wait time.Duration
}

// Lock is the held lock of one output folder.
type Lock struct {
	dir     string
	f       *os.File
	shared  bool
	warning string
	// created is the topmost folder Acquire created ("" when dir existed);
	// ownFile tells that Acquire created the lock file, and before the
	// names dir held just after.
	created string
	ownFile bool
	before  map[string]bool
}

// Acquire is AcquireWith(dir, Options{Who: who}): the exclusive flock of
// dir.
func Acquire(dir, who string) (*Lock, error) {
	return AcquireWith(dir, Options{Who: who})
}

// AcquireWith creates dir if needed (not for a shared lock), takes its lock
// without waiting for another holder, records this process in the lock file
// (Holder: pid, host, Slurm job and array task, pod, command line, start
// time) and removes the stale temporary files of interrupted atomic writes
// inside dir.
//
// If another process holds the lock, the error wraps ErrLocked and names the
// folder and, when the holder recorded itself, who it is. If the file system
// refuses locks the error wraps ErrUnsupported and names the mount. Any
// other error (the folder cannot be created, is not a folder, is not
// writable) names the folder too, so a command that calls it first learns
// of an unusable output folder before computing anything.
func AcquireWith(dir string, opt Options) (*Lock, error) {
	if opt.Who == "" {
		opt.Who = strings.Join(os.Args, " ")
	}
	if opt.Wait <= 0 {
		opt.Wait = time.Second
	}
	switch opt.Mode {
	case "", ModeFlock:
	case ModeNone:
		return acquireNone(dir, opt)
	default:
		return nil, fmt.Errorf("lock mode %q: want %s or %s", opt.Mode, ModeFlock, ModeNone)
	}
	if opt.Shared {
		return acquireShared(dir, opt)
	}
	created := firstMissing(dir)
	path := filepath.Join(dir, FileName)
	deadline := time.Now().Add(opt.Wait)
	for {
		// Inside the loop: a holder that wrote nothing removes the folder
		// it created when it releases it (Release).
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("cannot create output folder %s: %w", dir, err)
		}
		_, statErr := os.Lstat(path)
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			removeCreated(dir, created)
			return nil, fmt.Errorf("output folder %s is not writable: %w", dir, err)
		}
		ok, err := tryLock(f, false)
		if err != nil {
			f.Close()
			return nil, lockError(dir, err)
		}
		if !ok {
			h, recorded := readHolder(path)
			f.Close()
			if !recorded && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
				continue
			}
			return nil, &LockedError{Dir: dir, Holder: h, Recorded: recorded}
		}
		if !sameFile(f, path) { // broken (Break) between open and lock
			f.Close()
			continue
		}
		l := &Lock{dir: dir, f: f, warning: scopeWarning(dir), created: created, ownFile: errors.Is(statErr, fs.ErrNotExist)}
		if err := l.record(opt.Who); err != nil {
			l.Release()
			return nil, fmt.Errorf("output folder %s is not writable: %w", dir, err)
		}
		if err := removeStaleTemps(dir); err != nil {
			l.Release()
			return nil, err
		}
		l.before = names(dir)
		return l, nil
	}
}

// firstMissing returns the topmost folder of the path dir that does not
// exist ("" when dir exists): what MkdirAll(dir) creates.
func firstMissing(dir string) string {
	missing := ""
	for d := filepath.Clean(dir); ; {
		if _, err := os.Lstat(d); err == nil || !errors.Is(err, fs.ErrNotExist) {
			return missing
		}
		missing = d
		parent := filepath.Dir(d)
		if parent == d {
			return missing
		}
		d = parent
	}
}

// removeCreated removes dir and its parents up to top (the folders an
// Acquire created) while they are empty.
func removeCreated(dir, top string) {
	if top == "" {
		return
	}
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		if os.Remove(d) != nil || d == top {
			return
		}
	}
}

// names returns the names of the entries of dir (nil if it cannot be read).
func names(dir string) map[string]bool {
	es, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	m := make(map[string]bool, len(es))
	for _, e := range es {
		m[e.Name()] = true
	}
	return m
}

// wroteNothing reports whether dir holds the same names as just after
// Acquire.
func (l *Lock) wroteNothing() bool {
	now := names(l.dir)
	if l.before == nil || now == nil || len(now) != len(l.before) {
		return false
	}
	for n := range now {
		if !l.before[n] {
			return false
		}
	}
	return true
}

// acquireShared takes the shared lock of an existing folder.
func acquireShared(dir string, opt Options) (*Lock, error) {
	path := filepath.Join(dir, FileName)
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		// Never locked: nobody writes it now (a writer creates the file
		// before it writes anything). Hold nothing.
		if _, err := os.Stat(dir); err != nil {
			return nil, fmt.Errorf("cannot read folder %s: %w", dir, err)
		}
		return &Lock{dir: dir, shared: true}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read folder %s: %w", dir, err)
	}
	deadline := time.Now().Add(opt.Wait)
	for {
		ok, err := tryLock(f, true)
		if err != nil {
			f.Close()
			return nil, lockError(dir, err)
		}
		if ok {
			return &Lock{dir: dir, f: f, shared: true, warning: scopeWarning(dir)}, nil
		}
		h, recorded := readHolder(path)
		if !recorded && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
			continue
		}
		f.Close()
		return nil, &LockedError{Dir: dir, Holder: h, Recorded: recorded}
	}
}

// acquireNone is ModeNone: the folder is prepared as by an exclusive lock,
// without the lock.
func acquireNone(dir string, opt Options) (*Lock, error) {
	l := &Lock{dir: dir, shared: opt.Shared}
	if opt.Shared {
		l.warning = fmt.Sprintf("%s is read without a lock (lock mode none): nothing stops a command writing it meanwhile", dir)
		return l, nil
	}
	created := firstMissing(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("cannot create output folder %s: %w", dir, err)
	}
	l.warning = fmt.Sprintf("%s is written without a lock (lock mode none): two commands writing it at once would interleave their files", dir)
	if err := removeStaleTemps(dir); err != nil {
		return nil, err
	}
	l.created = created
	return l, nil
}

// lockError is the error of a failed flock on dir's lock file.
func lockError(dir string, err error) error {
	if unsupported(err) {
		return fmt.Errorf("%w: cannot lock output folder %s: %w (%s)", ErrUnsupported, dir, err, describeMount(dir))
	}
	return fmt.Errorf("cannot lock output folder %s: %w", dir, err)
}

// record writes the holder record of this process into the lock file.
func (l *Lock) record(who string) error {
	h := Current(who)
	b, err := json.Marshal(h)
	if err != nil {
		return err
	}
	if err := l.f.Truncate(0); err != nil {
		return err
	}
	_, err = l.f.WriteAt(append(b, '\n'), 0)
	return err
}

// Dir returns the locked folder.
func (l *Lock) Dir() string { return l.dir }

// Warning returns what the caller should tell the user about the lock, or
// "": the lock protects this node only (the mount's locks are local), or
// there is no lock (ModeNone).
func (l *Lock) Warning() string { return l.warning }

// Release clears the holder record (of an exclusive lock) and drops the
// lock. If the holder wrote nothing into the folder (it holds the names it
// held just after Acquire), Release first removes the lock file Acquire
// created, while still holding it (a process that opened it meanwhile finds
// it gone once it gets the lock, and starts again), then the folders
// Acquire created, if they are empty: a command refused after taking its
// output folder leaves no empty folder and no lock file behind. It is safe
// to call more than once and on a nil Lock.
func (l *Lock) Release() error {
	if l == nil {
		return nil
	}
	if l.f == nil {
		if !l.shared && l.created != "" { // ModeNone
			removeCreated(l.dir, l.created)
			l.created = ""
		}
		return nil
	}
	var err error
	if !l.shared {
		clean := l.wroteNothing()
		l.f.Truncate(0)
		if clean && l.ownFile {
			os.Remove(filepath.Join(l.dir, FileName))
		}
		err = l.f.Close() // closing the last descriptor drops the flock
		if clean {
			removeCreated(l.dir, l.created)
		}
	} else {
		err = l.f.Close()
	}
	l.f = nil
	return err
}

// sameFile reports whether the open file f is still the file at path.
func sameFile(f *os.File, path string) bool {
	a, err1 := f.Stat()
	b, err2 := os.Stat(path)
	return err1 == nil && err2 == nil && os.SameFile(a, b)
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
