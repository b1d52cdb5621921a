package cli

import (
	"flag"
	"runtime"
)

// WorkersVar registers --workers on fs, stored in p, with the default of
// every command: runtime.NumCPU(). what says what the goroutines do; the
// help says that results do not depend on it (same seed, same bits).
func WorkersVar(fs *flag.FlagSet, p *int, what string) {
	fs.IntVar(p, "workers", runtime.NumCPU(), "goroutines for "+what+" (default: the number of CPUs; results do not depend on it)")
}

// WorkersFlag is WorkersVar into a new variable.
func WorkersFlag(fs *flag.FlagSet, what string) *int {
	p := new(int)
	WorkersVar(fs, p, what)
	return p
}

// CheckWorkers returns a usage error naming --workers unless n ≥ 1.
func CheckWorkers(n int) error {
	if n < 1 {
		return Usagef("--workers %d: must be at least 1", n)
	}
	return nil
}
