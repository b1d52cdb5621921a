//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package outlock

import (
	"errors"
	"os"
	"syscall"
)

// tryLock takes an exclusive (or shared) flock(2) on f without blocking. It
// returns false, nil when another open file description holds a conflicting
// lock.
func tryLock(f *os.File, shared bool) (bool, error) {
	how := syscall.LOCK_EX
	if shared {
		how = syscall.LOCK_SH
	}
	for {
		err := syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB)
		switch {
		case err == nil:
			return true, nil
		case errors.Is(err, syscall.EINTR):
			continue
		case errors.Is(err, syscall.EWOULDBLOCK):
			return false, nil
		}
		return false, err
	}
}

// unsupported reports whether err is a file system's refusal of locks:
// ENOSYS (Lustre -o noflock), ENOLCK (NFS without a lock daemon),
// EOPNOTSUPP.
func unsupported(err error) bool {
	return errors.Is(err, syscall.ENOSYS) || errors.Is(err, syscall.ENOLCK) || errors.Is(err, syscall.EOPNOTSUPP)
}

// pidAlive reports whether process pid exists on this host (known is
// always true here).
func pidAlive(pid int) (alive, known bool) {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM), true
}
