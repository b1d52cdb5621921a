package replica

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/sgn-project/sgn/internal/gemm"
	"github.com/sgn-project/sgn/model"
	"github.com/sgn-project/sgn/model/modeltest"
)

// TestLossMatchesEvaluate: Loss (Losses of one replica, through the GEMM
// kernel) equals model's Evaluate to 1e-12 for every activation, on a
// network of three layers and on one of a single layer.
func TestLossMatchesEvaluate(t *testing.T) {
	for _, layers := range [][]int{{6, 7, 5, 3}, {5, 4}} {
		for _, name := range model.ActivationNames() {
			act := model.Activation(name)
			m, b := modeltest.Net(t, layers, act, 41, 3)
			e, err := New(m.Layers, act, b.X, b.Y)
			if err != nil {
				t.Fatal(err)
			}
			ev, err := m.Evaluate(m.Theta, b, nil, 1)
			if err != nil {
				t.Fatal(err)
			}
			if l := e.Loss(m.Theta); math.Abs(l-ev.Loss) > 1e-12 {
				t.Errorf("%v %s: Loss %v, model %v", layers, act, l, ev.Loss)
			}
		}
	}
}

// TestLossesBatchedBitIdentical: the losses of R replicas (different θ) in
// one call of Losses are the bits of R calls of Loss, one replica at a
// time, for R = 1 … 6 and in reverse order, on widths that put replicas
// across the kernel's tiles (8 and 7 hidden units; 41 and 1000 samples,
// not multiples of its rows), for tanh and relu.
func TestLossesBatchedBitIdentical(t *testing.T) {
	for _, c := range []struct {
		layers []int
		n      int
	}{{[]int{49, 8, 10}, 1000}, {[]int{6, 7, 5, 3}, 41}, {[]int{10, 16, 2}, 41}} {
		for _, act := range []model.Activation{model.Tanh, model.ReLU} {
			m, b := modeltest.Net(t, c.layers, act, c.n, 5)
			e, err := New(m.Layers, act, b.X, b.Y)
			if err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(9, 9))
			thetas := make([][]float64, 6)
			want := make([]float64, len(thetas))
			for r := range thetas {
				thetas[r] = append([]float64(nil), m.Theta...)
				for i := range thetas[r] {
					thetas[r][i] += 0.3 * rng.NormFloat64()
				}
				want[r] = e.Clone().Loss(thetas[r])
			}
			for R := 1; R <= len(thetas); R++ {
				got := make([]float64, R)
				e.Losses(thetas[:R], got)
				rev := make([][]float64, R)
				for r := range rev {
					rev[r] = thetas[R-1-r]
				}
				gotRev := make([]float64, R)
				e.Losses(rev, gotRev)
				for r := range R {
					if math.Float64bits(got[r]) != math.Float64bits(want[r]) || math.Float64bits(gotRev[R-1-r]) != math.Float64bits(want[r]) {
						t.Fatalf("%v %s, replica %d of %d: batched %v (reversed %v), alone %v", c.layers, act, r, R, got[r], gotRev[R-1-r], want[r])
					}
				}
			}
		}
	}
}

// TestLossesBytes: what Losses allocates in a fresh engine for 40
// replicas (three groups) on 1,000 samples (eight blocks) is within
// LossesBytes and over half of it.
func TestLossesBytes(t *testing.T) {
	for _, layers := range [][]int{{49, 8, 10}, {6, 7, 5, 3}} {
		m, b := modeltest.Net(t, layers, model.Tanh, 1000, 5)
		e, err := New(m.Layers, model.Tanh, b.X, b.Y)
		if err != nil {
			t.Fatal(err)
		}
		thetas := make([][]float64, 40)
		for r := range thetas {
			thetas[r] = m.Theta
		}
		out := make([]float64, len(thetas))
		bound := LossesBytes(layers)
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		ws := gemm.WorkspaceBytesAllocated()
		e.Losses(thetas, out)
		ws = gemm.WorkspaceBytesAllocated() - ws
		runtime.ReadMemStats(&after)
		got := float64(after.TotalAlloc - before.TotalAlloc - ws)
		if got > bound || got < bound/2 {
			t.Errorf("%v: Losses allocated %.0f bytes, bound %.0f", layers, got, bound)
		}
	}
}
