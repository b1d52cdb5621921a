//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package outlock

import "os"

// tryLock does not lock on systems without flock(2): the folder is used
// without protection against a concurrent command.
func tryLock(f *os.File, shared bool) (bool, error) { return true, nil }

// unsupported is false: tryLock never fails.
func unsupported(err error) bool { return false }

// pidAlive cannot tell.
func pidAlive(pid int) (alive, known bool) { return false, false }
