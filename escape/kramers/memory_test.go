package kramers

import (
	"runtime"
	"testing"
	"unsafe"

	"github.com/sgn-project/sgn/escape"
	"github.com/sgn-project/sgn/internal/sweep"
	"github.com/sgn-project/sgn/model"
	"github.com/sgn-project/sgn/model/replica"
)

// TestNetworkMemoryNeed: sgd-gaussian's N×P centred gradients are what
// perSampleCentered allocates (TotalAlloc between the N·P+P values and
// them plus one engine clone); NetworkMemoryNeed counts them once, for
// sgd-gaussian only, and grows with the workers' replicas; a hostile kind
// of request (60,000 images, P ≈ 120,000) needs tens of GB.
func TestNetworkMemoryNeed(t *testing.T) {
	m, b := synthNet(t, []int{20, 30, 10}, model.Tanh, 400, 3)
	e, err := replica.New(m.Layers, m.Activation, b.X, b.Y)
	if err != nil {
		t.Fatal(err)
	}
	P, N := float64(m.Layout.P), float64(b.N())
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_ = perSampleCentered(e, m.Theta)
	runtime.ReadMemStats(&after)
	got, term := float64(after.TotalAlloc-before.TotalAlloc), 8*(N*P+P)
	if got < term || got > term+64<<10 {
		t.Errorf("perSampleCentered allocated %.0f bytes, the term is %.0f", got, term)
	}
	spec := NetworkSpec{Layers: []int{49, 16, 10}, First: 60000}
	sgd, err := NetworkMemoryNeed(spec, []escape.Dynamics{escape.SGD}, 2)
	if err != nil {
		t.Fatal(err)
	}
	gauss, err := NetworkMemoryNeed(spec, []escape.Dynamics{escape.SGD, escape.SGDGaussian}, 2)
	if err != nil {
		t.Fatal(err)
	}
	p := 49*16 + 16 + 16*10 + 10.0
	if gauss < 8*60000*p || gauss-sgd > 8*60000*(p+1) {
		t.Errorf("sgd-gaussian adds %.0f bytes to %.0f, want at most the N×P matrix %.0f", gauss-sgd, sgd, 8*60000*(p+1))
	}
	more, _ := NetworkMemoryNeed(spec, []escape.Dynamics{escape.SGD}, 64)
	if more <= sgd {
		t.Errorf("64 workers need %.0f bytes, 2 need %.0f", more, sgd)
	}
	big, _ := NetworkMemoryNeed(NetworkSpec{Layers: []int{49, 2000, 10}, First: 60000}, []escape.Dynamics{escape.SGDGaussian}, 2)
	if big < 50e9 {
		t.Errorf("sgd-gaussian on 60,000 images and P = 120,010: %.3g bytes, want ≥ 5e10", big)
	}
	if _, err := NetworkMemoryNeed(NetworkSpec{Layers: []int{49, 1 << 62, 10}}, nil, 1); err == nil {
		t.Errorf("an overflowing network was accepted")
	}
}

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
