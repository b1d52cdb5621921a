package outlock

import (
	"errors"
	"fmt"

	"github.com/sgn-project/sgn/internal/atomicfile"
)

// ModeEnv is the environment variable that chooses the Mode of every
// command's output folder: flock (the default) or none, for file systems
// that refuse locks.
const ModeEnv = "SGN_LOCK"

// ErrMode reports a lock mode that is not a Mode (ParseMode).
var ErrMode = errors.New("lock mode")

// Claim makes dir a command's output folder before any long work: the
// Mode given by mode (the value of ModeEnv; "" is ModeFlock), the folder's
// exclusive lock taken for the holder who (AcquireWith) and files checked
// to be creatable in it (atomicfile.CheckWritable), so that a command learns
// of an unusable folder before computing anything. The caller releases the
// lock when done; a lock that protects one node only, or none at all, is
// said by Lock.Warning.
//
// A bad mode wraps ErrMode and names ModeEnv; a folder held by another
// process wraps ErrLocked; a file system that refuses locks wraps
// ErrUnsupported and says how to run without them.
func Claim(dir, who, mode string) (*Lock, error) {
	if dir == "" {
		return nil, errors.New("no output folder")
	}
	m, err := ParseMode(mode)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ModeEnv, err)
	}
	l, err := AcquireWith(dir, Options{Who: who, Mode: m})
	if errors.Is(err, ErrUnsupported) {
		return nil, fmt.Errorf("%w; if every folder has one writer (one array task per shard), run without locks: %s=%s", err, ModeEnv, ModeNone)
	}
	if err != nil {
		return nil, err
	}
	if err := atomicfile.CheckWritable(dir); err != nil {
		l.Release()
		return nil, err
	}
	return l, nil
}
