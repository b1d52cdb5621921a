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
	return execute(tasks, workers, run, emit, nil)
}

// execute is Execute that, when halt is not nil and returns true, takes no
// new task: the tasks under way finish and their records are emitted (the
// started tasks are always a prefix of tasks, so no record is held back).
func execute[R any](tasks []Task, workers int, run func(Task) (R, error), emit func(Record[R]) error, halt func() bool) error {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = max(1, min(workers, len(tasks)))
	type result struct {
		i   int
		rec Record[R]
		err error
	}
	var next atomic.Int64
	var stop atomic.Bool
	results := make(chan result, 4*workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for !stop.Load() && (halt == nil || !halt()) {
				i := int(next.Add(1) - 1)
				if i >= len(tasks) {
					return
				}
				t := tasks[i]
				var r R
				err := workgroup.Call("", func() (err error) {
					r, err = run(t)
					return err
				})
				if err != nil {
					err = fmt.Errorf("point %d run %d (seed %d): %w", t.Point, t.Run, t.Seed, err)
				}
				results <- result{i: i, rec: Record[R]{Task: t, Result: r}, err: err}
			}
		})
	}
	go func() {
		wg.Wait()
		close(results)
	}()
	pending := map[int]Record[R]{}
	want := 0
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
		pending[r.i] = r.rec
		for {
			rec, ok := pending[want]
			if !ok {
				break
			}
			delete(pending, want)
			want++
			if err := emit(rec); err != nil {
				first = err
				stop.Store(true)
				break
			}
		}
	}
	return first
}

// Collect computes the tasks like Execute and returns their records in the
// order of tasks; progress, if not nil, is called after each record with
// the number done.
func Collect[R any](tasks []Task, workers int, run func(Task) (R, error), progress func(done int)) ([]Record[R], error) {
	recs := make([]Record[R], 0, len(tasks))
	err := Execute(tasks, workers, run, func(rec Record[R]) error {
		recs = append(recs, rec)
		if progress != nil {
			progress(len(recs))
		}
		return nil
	})
	return recs, err
}
