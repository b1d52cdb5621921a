package graph

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"

	"github.com/sgn-project/sgn/internal/gemm"
	"github.com/sgn-project/sgn/internal/workgroup"
)

// team shares the large GEMMs of one shard's step between goroutines: C is
// cut into blocks of whole micro-kernel tiles (gemm.Tile), one per
// goroutine, each computed by a GEMM call of its own. The installed DGEMM
// computes every element of a tile the same way wherever the tile lies, so
// the cut GEMM is bit for bit the uncut one whatever the number of
// goroutines. The same goroutines share the element-wise work of the step
// (parallelBy), cut where no value's arithmetic depends on the cut.
//
// The helper goroutines start with the first cut GEMM and live until
// Close, spinning for a while after each block before they park: a step
// cuts several GEMMs a few hundred microseconds apart, and waking a parked
// goroutine (on a virtual machine, a halted vCPU) costs about as much as
// the block it would compute. A block is claimed before it is computed:
// the caller, done with its own block, computes any block no helper has
// claimed yet, so a helper that the operating system does not run (a busy
// machine) delays nothing.
type team struct {
	// size is the number of goroutines of a cut GEMM, the caller's
	// included (1: GEMMs are not cut).
	size    int
	mr, nr  int
	parts   []*job
	helpers []*helper
	exited  sync.WaitGroup
	// cuts counts the GEMMs cut, splits the other work split (for the
	// tests).
	cuts, splits int
}

// minCutWork is the smallest GEMM (m·n·k multiply-adds) worth cutting: a
// hand-off costs about a microsecond, a 2²⁰ product about 50.
const minCutWork = 1 << 20

// helperSpin is how long a helper spins waiting for its next block before
// it parks: longer than the gap between two steps' GEMMs in training (the
// minibatch gathered, the SGD update), short enough that on a machine with
// far more runnable threads than cores the spinning costs the steps little
// of the process's CPU time (2 ms of spinning took half of it there,
// 300 µs about a seventh).
// callerSpin is how long the caller spins waiting for a block a helper
// claimed: about the difference between two blocks' times.
const (
	helperSpin = 300 * time.Microsecond
	callerSpin = 50 * time.Microsecond
)

// job is one block of a team's work (a cut GEMM, a range of Parallel),
// computed by whoever claims it.
type job struct {
	fn      func()
	err     error
	claimed atomic.Bool
}

func (j *job) run() {
	j.err = workgroup.Call("team block", func() error { j.fn(); return nil })
}

// helper is one helper goroutine: the block it computes next, its signals
// and the sequence numbers its waiter last saw.
type helper struct {
	job       atomic.Pointer[job] // nil: exit
	start     signal              // a block (or the exit) is posted
	done      signal              // a block the helper claimed is computed
	lastDone  uint64              // the caller's last seen done.seq
	lastStart uint64              // the helper's last seen start.seq
}

// signal is a one-way wake-up between two goroutines: wait spins on a
// sequence number for a while, then parks until post.
type signal struct {
	seq    atomic.Uint64
	parked atomic.Bool
	wake   chan struct{} // capacity 1
}

func newSignal() signal { return signal{wake: make(chan struct{}, 1)} }

// post advances the sequence and wakes a parked waiter.
func (s *signal) post() {
	s.seq.Add(1)
	if s.parked.CompareAndSwap(true, false) {
		s.wake <- struct{}{}
	}
}

// wait returns the sequence once it differs from last, spinning for spin
// before it parks.
func (s *signal) wait(last uint64, spin time.Duration) uint64 {
	var deadline time.Time
	for i := 1; ; i++ {
		if v := s.seq.Load(); v != last {
			return v
		}
		if i%256 == 0 {
			// Let the process's other goroutines have this P, if any wait.
			// (A clock read and a Gosched cost about 0.1 and 0.2 µs here:
			// every 256 loads, they delay seeing a post by little.)
			runtime.Gosched()
			now := time.Now()
			if deadline.IsZero() {
				deadline = now.Add(spin)
			} else if now.After(deadline) {
				break
			}
		}
	}
	s.parked.Store(true)
	if v := s.seq.Load(); v != last {
		if !s.parked.CompareAndSwap(true, false) {
			<-s.wake // post saw the waiter parked and sent a token
		}
		return v
	}
	<-s.wake
	return s.seq.Load()
}

// setSize sets the goroutines of a cut GEMM to n when the installed BLAS
// is sgn's DGEMM with a micro-kernel (whose tiles make a cut bit-exact);
// otherwise GEMMs stay whole. It stops the helpers of an earlier size. n
// is capped at GOMAXPROCS: a spinning helper without a processor of its own
// would hold up the goroutine it waits for.
func (t *team) setSize(n int) {
	t.stop()
	n = min(n, runtime.GOMAXPROCS(0))
	t.size = 1
	if n <= 1 {
		return
	}
	if _, isGemm := blas64.Implementation().(gemm.Implementation); !isGemm {
		return
	}
	mr, nr, ok := gemm.Tile()
	if !ok {
		return
	}
	t.size, t.mr, t.nr = n, mr, nr
	t.parts = make([]*job, n)
}

// startHelpers starts the size−1 helper goroutines.
func (t *team) startHelpers() {
	for range t.size - 1 {
		h := &helper{start: newSignal(), done: newSignal()}
		t.helpers = append(t.helpers, h)
		t.exited.Add(1)
		go func() {
			defer t.exited.Done()
			for {
				h.lastStart = h.start.wait(h.lastStart, helperSpin)
				j := h.job.Load()
				if j == nil {
					return
				}
				if j.claimed.CompareAndSwap(false, true) {
					j.run()
					h.done.post()
				}
			}
		}()
	}
}

// stop ends the helper goroutines and waits for them.
func (t *team) stop() {
	for _, h := range t.helpers {
		h.job.Store(nil)
		h.start.post()
	}
	t.exited.Wait()
	t.helpers = nil
}

// blockFn is work on the block [r0, r1) × [c0, c1) of a GEMM's C that a
// team does with the block's product, before it (pre) or after it (post):
// element-wise work whose result does not depend on the cut.
type blockFn func(r0, r1, c0, c1 int)

// gemm computes c = op(a)·op(b) + beta·c (α = 1), cut between the team's
// goroutines when it is large enough, calling pre and post (when not nil)
// on each block of C before and after its product.
func (t *team) gemm(tA, tB blas.Transpose, a, b blas64.General, beta float64, c blas64.General, pre, post blockFn) error {
	m, n := c.Rows, c.Cols
	k := a.Cols
	if tA != blas.NoTrans {
		k = a.Rows
	}
	if t.size <= 1 || m*n*k < minCutWork {
		if pre != nil {
			pre(0, m, 0, n)
		}
		blas64.Gemm(tA, tB, 1, a, b, beta, c)
		if post != nil {
			post(0, m, 0, n)
		}
		return nil
	}
	byRows := t.cutRows(tA, m, n, k)
	q, dim := t.nr, n
	if byRows {
		q, dim = t.mr, m
	}
	tiles := (dim + q - 1) / q
	parts := t.parts[:0]
	for p := range t.size {
		lo, hi := min(p*tiles/t.size*q, dim), min((p+1)*tiles/t.size*q, dim)
		if lo == hi {
			continue
		}
		ab, bb, cb := a, b, c
		r0, r1, c0, c1 := 0, m, 0, n
		if byRows {
			ab = rowsOf(a, tA, lo, hi)
			cb = blas64.General{Rows: hi - lo, Cols: n, Stride: c.Stride, Data: c.Data[lo*c.Stride:]}
			r0, r1 = lo, hi
		} else {
			bb = colsOf(b, tB, lo, hi)
			cb = blas64.General{Rows: m, Cols: hi - lo, Stride: c.Stride, Data: c.Data[lo:]}
			c0, c1 = lo, hi
		}
		parts = append(parts, &job{fn: func() {
			if pre != nil {
				pre(r0, r1, c0, c1)
			}
			blas64.Gemm(tA, tB, 1, ab, bb, beta, cb)
			if post != nil {
				post(r0, r1, c0, c1)
			}
		}})
	}
	t.cuts++
	return t.do(parts)
}

// parallel calls fn on [0, n) cut into one range per goroutine of the
// team (fn's calls must not depend on each other); below minSplit values,
// or without helpers, it calls fn(0, n).
func (t *team) parallel(n, minSplit int, fn func(lo, hi int)) error {
	return t.parallelBy(n, 1, minSplit, fn)
}

// parallelBy is parallel with every cut at a multiple of q: element-wise
// kernels then see the same runs of q values whatever the cut.
func (t *team) parallelBy(n, q, minSplit int, fn func(lo, hi int)) error {
	if t.size <= 1 || n < minSplit {
		fn(0, n)
		return nil
	}
	units := (n + q - 1) / q
	parts := t.parts[:0]
	for p := range t.size {
		lo, hi := min(p*units/t.size*q, n), min((p+1)*units/t.size*q, n)
		if lo < hi {
			parts = append(parts, &job{fn: func() { fn(lo, hi) }})
		}
	}
	t.splits++
	return t.do(parts)
}

// do computes parts: the first on the calling goroutine, each other posted
// to its helper and computed by whoever claims it first. A new job each
// time: a helper late for an earlier one finds it claimed.
func (t *team) do(parts []*job) error {
	if t.helpers == nil {
		t.startHelpers()
	}
	for i := 1; i < len(parts); i++ {
		h := t.helpers[i-1]
		h.job.Store(parts[i])
		h.start.post()
	}
	parts[0].run()
	for i := 1; i < len(parts); i++ {
		if parts[i].claimed.CompareAndSwap(false, true) {
			parts[i].run() // its helper has not started it: the caller does
			continue
		}
		h := t.helpers[i-1]
		h.lastDone = h.done.wait(h.lastDone, callerSpin)
	}
	for i := range parts {
		if parts[i].err != nil {
			return parts[i].err
		}
	}
	return nil
}

// cutRows reports whether an m×n×k product is cheaper cut by rows of C
// than by columns on the team: the largest block's tiles (mr·nr·k
// multiply-adds each) plus what its call packs (op(B)'s block always,
// op(A)'s when transposed; the kernel reads A's rows in place otherwise),
// counting a packed value as eight multiply-adds.
func (t *team) cutRows(tA blas.Transpose, m, n, k int) bool {
	tm, tn := (m+t.mr-1)/t.mr, (n+t.nr-1)/t.nr
	largest := func(tiles int) int { return (tiles + t.size - 1) / t.size }
	packA := func(rows int) int {
		if tA == blas.NoTrans {
			return 0
		}
		return rows * k
	}
	tile := t.mr * t.nr * k
	rows := largest(tm)*tn*tile + 8*(k*n+packA(largest(tm)*t.mr))
	cols := tm*largest(tn)*tile + 8*(k*largest(tn)*t.nr+packA(m))
	return rows <= cols
}

// rowsOf returns rows [lo, hi) of op(a) as the operand of a GEMM with
// transpose tA.
func rowsOf(a blas64.General, tA blas.Transpose, lo, hi int) blas64.General {
	if tA == blas.NoTrans {
		return blas64.General{Rows: hi - lo, Cols: a.Cols, Stride: a.Stride, Data: a.Data[lo*a.Stride:]}
	}
	return blas64.General{Rows: a.Rows, Cols: hi - lo, Stride: a.Stride, Data: a.Data[lo:]}
}

// colsOf returns columns [lo, hi) of op(b) as the operand of a GEMM with
// transpose tB.
func colsOf(b blas64.General, tB blas.Transpose, lo, hi int) blas64.General {
	if tB == blas.NoTrans {
		return blas64.General{Rows: b.Rows, Cols: hi - lo, Stride: b.Stride, Data: b.Data[lo:]}
	}
	return blas64.General{Rows: hi - lo, Cols: b.Cols, Stride: b.Stride, Data: b.Data[lo*b.Stride:]}
}
