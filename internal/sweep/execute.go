package sweep

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/sgn-project/sgn/internal/workgroup"
)

// Execute computes the tasks with run on workers goroutines (GOMAXPROCS
// when ≤ 0) and calls emit with the records in the order of tasks, from the
// calling goroutine. It stops at the first error of run or of emit; an
// error of run is wrapped with the task's point, run and seed; a panic of
// run is returned as such an error (a *workgroup.PanicError).
func Execute[R any](tasks []Task, workers int, run func(Task) (R, error), emit func(Record[R]) error) error {
	return execute(tasks, workers, 1, single(run), inOrder(emit), nil)
}

// BatchRun computes the runs of tasks, consecutive runs of one point,
// together: res[i] and errs[i] are task i's (errs is nil when none
// failed). A task's result must not depend on the others in its batch.
type BatchRun[R any] func(tasks []Task) (res []R, errs []error)

// single is run as a BatchRun, one task after another.
func single[R any](run func(Task) (R, error)) BatchRun[R] {
	return func(tasks []Task) ([]R, []error) {
		res := make([]R, len(tasks))
		var errs []error
		for i, t := range tasks {
			var err error
			if res[i], err = run(t); err != nil {
				if errs == nil {
					errs = make([]error, len(tasks))
				}
				errs[i] = err
				break
			}
		}
		return res, errs
	}
}

// ExecuteBatches is Execute with run computing up to maxBatch consecutive
// runs of one point at a time. The workers take the tasks in their order,
// each a batch of ⌈remaining/(2·workers)⌉ tasks at most (guided
// self-scheduling), so the batches shrink towards the end of the tasks
// and no worker waits long for the last batch of another: the end of a
// sweep keeps every core busy. The records do not depend on workers or
// maxBatch, since no task's result depends on its batch.
func ExecuteBatches[R any](tasks []Task, workers, maxBatch int, run BatchRun[R], emit func(Record[R]) error) error {
	return execute(tasks, workers, maxBatch, run, inOrder(emit), nil)
}

// batchEnd returns the end of the batch that begins at task i: at most
// maxBatch tasks and ⌈remaining/(2·workers)⌉, all of i's point.
func batchEnd(tasks []Task, i, workers, maxBatch int) int {
	n := min(maxBatch, (len(tasks)-i+2*workers-1)/(2*workers))
	j := i + 1
	for j < len(tasks) && j-i < n && tasks[j].Point == tasks[i].Point {
		j++
	}
	return j
}

// inOrder turns emit, which takes the records in the order of the tasks,
// into a deliver of execute, which takes them as they come with their
// index: the records that come early wait in a map until those before them
// have come.
func inOrder[R any](emit func(Record[R]) error) func(int, Record[R]) error {
	pending := map[int]Record[R]{}
	want := 0
	return func(i int, rec Record[R]) error {
		pending[i] = rec
		for {
			rec, ok := pending[want]
			if !ok {
				return nil
			}
			delete(pending, want)
			want++
			if err := emit(rec); err != nil {
				return err
			}
		}
	}
}

// execute computes the tasks like ExecuteBatches and calls deliver, from
// the calling goroutine, with each record and its index in tasks as the
// records come (inOrder puts them in the order of tasks). When halt is not
// nil and returns true it takes no new batch: the batches under way finish
// and their records are delivered (the started tasks are always a prefix of
// tasks, so no record is held back).
func execute[R any](tasks []Task, workers, maxBatch int, run BatchRun[R], deliver func(int, Record[R]) error, halt func() bool) error {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = max(1, min(workers, len(tasks)))
	maxBatch = max(1, maxBatch)
	type result struct {
		i   int
		rec Record[R]
		err error
	}
	var mu sync.Mutex
	next := 0
	var stop atomic.Bool
	results := make(chan result, 4*workers*maxBatch)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for !stop.Load() && (halt == nil || !halt()) {
				mu.Lock()
				i := next
				if i >= len(tasks) {
					mu.Unlock()
					return
				}
				j := batchEnd(tasks, i, workers, maxBatch)
				next = j
				mu.Unlock()
				ts := tasks[i:j]
				var res []R
				var errs []error
				err := workgroup.Call("", func() error {
					res, errs = run(ts)
					return nil
				})
				for k, t := range ts {
					e := err
					if e == nil && errs != nil {
						e = errs[k]
					}
					if e != nil {
						e = fmt.Errorf("point %d run %d (seed %d): %w", t.Point, t.Run, t.Seed, e)
						results <- result{i: i + k, err: e}
						break
					}
					results <- result{i: i + k, rec: Record[R]{Task: t, Result: res[k]}}
				}
			}
		})
	}
	go func() {
		wg.Wait()
		close(results)
	}()
	var first error
	for r := range results {
		if first != nil {
			continue // drain
		}
		if r.err != nil {
			first = r.err
			stop.Store(true)
			continue
		}
		if err := deliver(r.i, r.rec); err != nil {
			first = err
			stop.Store(true)
		}
	}
	return first
}

// Collect computes the tasks like Execute and returns their records in the
// order of tasks; progress, if not nil, is called after each record with
// the number done.
func Collect[R any](tasks []Task, workers int, run func(Task) (R, error), progress func(done int)) ([]Record[R], error) {
	return CollectBatches(tasks, workers, 1, single(run), progress)
}

// CollectBatches is Collect with run computing up to maxBatch runs of one
// point at a time (see ExecuteBatches). Each record goes to its place in
// the result as it comes, so it holds the records and nothing that grows
// with how far the workers run ahead of each other; on an error it returns
// no records.
func CollectBatches[R any](tasks []Task, workers, maxBatch int, run BatchRun[R], progress func(done int)) ([]Record[R], error) {
	recs := make([]Record[R], len(tasks))
	done := 0
	err := execute(tasks, workers, maxBatch, run, func(i int, rec Record[R]) error {
		recs[i] = rec
		done++
		if progress != nil {
			progress(done)
		}
		return nil
	}, nil)
	if err != nil {
		return nil, err
	}
	return recs, nil
}
