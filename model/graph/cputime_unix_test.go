//go:build unix

package graph

import (
	"syscall"
	"time"
)

// processCPU returns the CPU time the process has used (all threads), so
// that a benchmark on a shared machine can also report throughput per
// CPU-second.
func processCPU() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
