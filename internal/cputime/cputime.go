// Package cputime measures the CPU time of the running process (user plus
// system, all threads), so that every experiment can record what it cost
// beside its wall time.
package cputime

import "math"

// Process returns the CPU time (user + system, all threads) the process
// has used so far, in seconds, or 0 where the platform does not report it.
func Process() float64 { return process() }

// Since returns the CPU seconds used since start (a Process reading),
// rounded to milliseconds as the experiments round their wall times.
func Since(start float64) float64 {
	return math.Round((Process()-start)*1000) / 1000
}
