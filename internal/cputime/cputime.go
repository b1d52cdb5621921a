// Package cputime measures the CPU time of the running process (user plus
// system, all threads), so that every experiment can record what it cost
// beside its wall time.
package cputime

import (
	"math"
	"time"
)

// Process returns the CPU time (user + system, all threads) the process
// has used so far, in seconds, or 0 where the platform does not report it.
func Process() float64 { return process() }

// Since returns the CPU seconds used since start (a Process reading),
// rounded to milliseconds as the experiments round their wall times.
func Since(start float64) float64 {
	return math.Round((Process()-start)*1000) / 1000
}

// Clock is the moment a command started: its wall clock and its process
// CPU time (Process) then. An experiment that writes its results several
// calls below the command records Clock.Wall and Clock.CPU from the
// command's own start, so the file says what the whole command cost. The
// zero Clock records nothing: both readings are 0.
type Clock struct {
	wall time.Time
	cpu  float64
}

// Start returns the Clock of now.
func Start() Clock { return Clock{wall: time.Now(), cpu: Process()} }

// IsZero reports whether c is the zero Clock.
func (c Clock) IsZero() bool { return c.wall.IsZero() }

// Wall returns the wall seconds since c, rounded to milliseconds (0 for
// the zero Clock).
func (c Clock) Wall() float64 {
	if c.IsZero() {
		return 0
	}
	return math.Round(time.Since(c.wall).Seconds()*1000) / 1000
}

// CPU returns the process CPU seconds since c (Since), 0 for the zero
// Clock.
func (c Clock) CPU() float64 {
	if c.IsZero() {
		return 0
	}
	return Since(c.cpu)
}
