package network

import (
	"runtime"
	"testing"

	"github.com/sgn-project/sgn/escape"
	"github.com/sgn-project/sgn/model"
	"github.com/sgn-project/sgn/model/modeltest"
	"github.com/sgn-project/sgn/model/replica"
)

// TestMemoryNeed: sgd-gaussian's N×P centred gradients are what
// perSampleCentered allocates (TotalAlloc between the N·P+P values and
// them plus one engine clone); MemoryNeed counts them once, for
// sgd-gaussian only, and grows with the workers' replicas; a hostile kind
// of request (60,000 images, P ≈ 120,000) needs tens of GB.
func TestMemoryNeed(t *testing.T) {
	m, b := modeltest.Net(t, []int{20, 30, 10}, model.Tanh, 400, 3)
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
	spec := Spec{Layers: []int{49, 16, 10}, First: 60000}
	sgd, err := MemoryNeed(spec, []escape.Dynamics{escape.SGD}, 2)
	if err != nil {
		t.Fatal(err)
	}
	gauss, err := MemoryNeed(spec, []escape.Dynamics{escape.SGD, escape.SGDGaussian}, 2)
	if err != nil {
		t.Fatal(err)
	}
	p := 49*16 + 16 + 16*10 + 10.0
	if gauss < 8*60000*p || gauss-sgd > 8*60000*(p+1) {
		t.Errorf("sgd-gaussian adds %.0f bytes to %.0f, want at most the N×P matrix %.0f", gauss-sgd, sgd, 8*60000*(p+1))
	}
	more, _ := MemoryNeed(spec, []escape.Dynamics{escape.SGD}, 64)
	if more <= sgd {
		t.Errorf("64 workers need %.0f bytes, 2 need %.0f", more, sgd)
	}
	big, _ := MemoryNeed(Spec{Layers: []int{49, 2000, 10}, First: 60000}, []escape.Dynamics{escape.SGDGaussian}, 2)
	if big < 50e9 {
		t.Errorf("sgd-gaussian on 60,000 images and P = 120,010: %.3g bytes, want ≥ 5e10", big)
	}
	if _, err := MemoryNeed(Spec{Layers: []int{49, 1 << 62, 10}}, nil, 1); err == nil {
		t.Errorf("an overflowing network was accepted")
	}
}
