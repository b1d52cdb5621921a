package sweep

import (
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
)

// TestExecuteBatches: batches of consecutive runs of one point, at most
// maxBatch and ⌈remaining/(2·workers)⌉ long (so the last ones are single
// runs), give the records of Execute in task order for any workers and
// maxBatch; a failing run in a batch is named in the error and no record
// after it is emitted.
func TestExecuteBatches(t *testing.T) {
	g := Grid{Points: 3, Runs: 40, Seed: 5}
	tasks := make([]Task, 0, g.Total())
	for p := range g.Points {
		for r := range g.Runs {
			tasks = append(tasks, g.Task(p, r))
		}
	}
	want, err := Collect(tasks, 1, testRun, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, workers := range []int{1, 2, 3} {
		for _, maxBatch := range []int{1, 8, 100} {
			var mu sync.Mutex
			var sizes []int
			got, err := CollectBatches(tasks, workers, maxBatch, func(ts []Task) ([]testResult, []error) {
				for i, u := range ts {
					if u.Point != ts[0].Point || u.Run != ts[0].Run+i {
						t.Errorf("batch %v: not consecutive runs of one point", ts)
					}
				}
				mu.Lock()
				sizes = append(sizes, len(ts))
				mu.Unlock()
				res := make([]testResult, len(ts))
				for i, u := range ts {
					res[i], _ = testRun(u)
				}
				return res, nil
			}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("workers %d, batches ≤ %d: records differ from one run at a time", workers, maxBatch)
			}
			if m := slices.Max(sizes); m > maxBatch || (maxBatch > 1 && m < 2) {
				t.Errorf("workers %d, batches ≤ %d: largest batch %d", workers, maxBatch, m)
			}
			// the tail: the last batch taken is a single run
			if sizes[len(sizes)-1] != 1 && workers == 1 {
				t.Errorf("workers %d, batches ≤ %d: last batch of %d runs, want 1", workers, maxBatch, sizes[len(sizes)-1])
			}
		}
	}
	boom := errors.New("boom")
	n := 0
	err = ExecuteBatches(tasks, 2, 8, func(ts []Task) ([]testResult, []error) {
		res := make([]testResult, len(ts))
		var errs []error
		for i, u := range ts {
			res[i], _ = testRun(u)
			if u.Point == 1 && u.Run == 7 {
				errs = make([]error, len(ts))
				errs[i] = boom
			}
		}
		return res, errs
	}, func(Record[testResult]) error { n++; return nil })
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "point 1 run 7") || n > g.Runs+7 {
		t.Errorf("err %v after %d records", err, n)
	}
}

// TestBatchEnd: a batch is min(maxBatch, ⌈remaining/(2·workers)⌉) runs,
// cut at the end of its point.
func TestBatchEnd(t *testing.T) {
	tasks := make([]Task, 0, 100)
	for r := range 60 {
		tasks = append(tasks, Task{Point: 0, Run: r})
	}
	for r := range 40 {
		tasks = append(tasks, Task{Point: 1, Run: r})
	}
	for _, c := range []struct{ i, workers, maxBatch, want int }{
		{0, 2, 32, 25},  // ⌈100/4⌉
		{0, 1, 32, 32},  // maxBatch
		{50, 2, 32, 60}, // the point's end
		{60, 2, 32, 70}, // ⌈40/4⌉
		{96, 2, 32, 97}, // ⌈4/4⌉
		{99, 1, 32, 100},
		{0, 2, 1, 1},
	} {
		if got := batchEnd(tasks, c.i, c.workers, c.maxBatch); got != c.want {
			t.Errorf("batchEnd(%d, workers %d, ≤ %d) = %d, want %d", c.i, c.workers, c.maxBatch, got, c.want)
		}
	}
}
