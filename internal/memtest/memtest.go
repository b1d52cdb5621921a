// Package memtest measures, for tests, the peak of the live heap while a
// function runs: what the memory estimates of the commands (--max-memory)
// are checked against.
package memtest

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// Slack is the precision of PeakLive on the tests' cases: objects
// allocated while a collection marks are counted live by it, so a function
// that allocates short-lived buffers quickly looks a few MiB larger than it
// is.
const Slack = 4 << 20

// PeakLive runs fn with the collector at GOGC = 1, so that a collection
// follows every growth of the heap by 1%, and returns the largest live heap
// a collection found while fn ran, less the live heap before it: a tight
// lower bound of the bytes fn held at its peak (a buffer that lives between
// two collections only is missed, which 1% growth steps make rare for
// large ones). It must not run in parallel with other tests.
func PeakLive(fn func()) uint64 {
	runtime.GC()
	old := debug.SetGCPercent(1)
	defer debug.SetGCPercent(old)
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	read := func() uint64 {
		metrics.Read(sample)
		return sample[0].Value.Uint64()
	}
	base := read()
	var (
		mu   sync.Mutex
		peak uint64
		done bool
	)
	record := func() {
		mu.Lock()
		defer mu.Unlock()
		peak = max(peak, read())
	}
	// A finalizer runs after each collection that finds its object
	// unreachable; it records the live heap that collection marked and
	// arms the next one.
	var arm func()
	arm = func() {
		s := new([16]byte)
		runtime.SetFinalizer(s, func(*[16]byte) {
			record()
			mu.Lock()
			stop := done
			mu.Unlock()
			if !stop {
				arm()
			}
		})
	}
	arm()
	fn()
	runtime.GC()
	record()
	mu.Lock()
	done = true
	p := peak
	mu.Unlock()
	if p < base {
		return 0
	}
	return p - base
}

// Allocated returns the bytes fn allocated on the heap while it ran
// (runtime.MemStats.TotalAlloc before and after, freed or not): what a
// reader given a hostile file is bounded by.
func Allocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}
