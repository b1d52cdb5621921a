//go:build race

package memtest

// Race reports whether the program was built with the race detector
// (go test -race). Under it sync.Pool drops a random share of the objects
// put back, so buffers a program pools are allocated again and again: a
// test of what a function allocates (runtime.MemStats.TotalAlloc) against
// an estimate that counts each pooled buffer once does not measure the
// program as it runs, and skips.
const Race = true
