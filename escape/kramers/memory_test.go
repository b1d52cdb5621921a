package kramers

import (
	"runtime"
	"testing"
	"unsafe"

	"github.com/sgn-project/sgn/escape"
	"github.com/sgn-project/sgn/internal/sweep"
)

// constSim escapes every run at step 1, allocating nothing.
type constSim struct{}

func (constSim) Run(uint64) (escape.Outcome, error) {
	return escape.Outcome{Escaped: true, Step: 1}, nil
}

// TestRunsBytesMatchesRunPoint: what RunPoint allocates for 200,000 runs of
// a simulator that allocates nothing (TotalAlloc) is within RunsBytes and at
// least the part that does not depend on scheduling: the tasks and the
// records. The rest, the reorder buffer of results that arrive out of order,
// depends on how the workers were scheduled (0.66–0.80 of the bound seen).
func TestRunsBytesMatchesRunPoint(t *testing.T) {
	cfg := Config{Runs: 200000, Sharpness: []float64{1}, Eta: []float64{0.1}, Dynamics: []escape.Dynamics{escape.SGLD}, Temperature: []float64{1}}
	bound := RunsBytes(cfg)
	least := float64(cfg.Runs) * float64(unsafe.Sizeof(sweep.Task{})+unsafe.Sizeof(RunRecord{}))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	recs, err := RunPoint(constSim{}, 1, cfg.Runs, 2, nil)
	runtime.ReadMemStats(&after)
	if err != nil || len(recs) != cfg.Runs {
		t.Fatalf("RunPoint: %d records, %v", len(recs), err)
	}
	got := float64(after.TotalAlloc - before.TotalAlloc)
	t.Logf("allocated %.0f, tasks and records %.0f, bound %.0f (ratio %.3f)", got, least, bound, got/bound)
	if got > bound || got < least {
		t.Errorf("RunPoint allocated %.0f bytes for %d runs: want between the tasks and records (%.0f) and the bound %.0f", got, cfg.Runs, least, bound)
	}
}
