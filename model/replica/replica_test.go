package replica

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/sgn-project/sgn/internal/synthtest"
	"github.com/sgn-project/sgn/model"
	"github.com/sgn-project/sgn/model/modeltest"
)

// TestReplicaMatchesEvaluate: the replica engine's loss and gradient equal
// Evaluate's (full batch and a minibatch with repeats, and one sample by
// AddSampleGrad) for every activation of the table.
func TestReplicaMatchesEvaluate(t *testing.T) {
	for _, name := range model.ActivationNames() {
		act := model.Activation(name)
		m, b := modeltest.Net(t, []int{6, 7, 5, 3}, act, 40, 3)
		e, err := New(m.Layers, act, b.X, b.Y)
		if err != nil {
			t.Fatal(err)
		}
		g1 := make([]float64, m.Layout.P)
		g2 := make([]float64, m.Layout.P)
		ev, err := m.Evaluate(m.Theta, b, g1, 1)
		if err != nil {
			t.Fatal(err)
		}
		l := e.LossGrad(m.Theta, nil, g2)
		if math.Abs(l-ev.Loss) > 1e-12 || synthtest.MaxAbsDiff(g1, g2) > 1e-12 {
			t.Errorf("%s full batch: loss %v vs model %v, max gradient difference %g", act, l, ev.Loss, synthtest.MaxAbsDiff(g1, g2))
		}
		idx := []int{3, 3, 17, 0, 39, 22, 3}
		mb := m.Gather(b, idx, model.Batch{})
		ev, err = m.Evaluate(m.Theta, mb, g1, 1)
		if err != nil {
			t.Fatal(err)
		}
		l = e.LossGrad(m.Theta, idx, g2)
		if math.Abs(l-ev.Loss) > 1e-12 || synthtest.MaxAbsDiff(g1, g2) > 1e-12 {
			t.Errorf("%s minibatch: loss %v vs model %v, max gradient difference %g", act, l, ev.Loss, synthtest.MaxAbsDiff(g1, g2))
		}
		one := m.Gather(b, []int{17}, model.Batch{})
		if ev, err = m.Evaluate(m.Theta, one, g1, 1); err != nil {
			t.Fatal(err)
		}
		clear(g2)
		l = e.AddSampleGrad(m.Theta, 17, 1, g2)
		if math.Abs(l-ev.Loss) > 1e-12 || synthtest.MaxAbsDiff(g1, g2) > 1e-12 || e.N() != 40 {
			t.Errorf("%s sample 17: loss %v vs model %v, max gradient difference %g", act, l, ev.Loss, synthtest.MaxAbsDiff(g1, g2))
		}
	}
}

// TestFastExpTanh: fastExp against math.Exp (relative 3 ulp, 6.7·10⁻¹⁶)
// and fastTanh and tanhSlice against math.Tanh (absolute 4·10⁻¹⁶) over
// their range.
func TestFastExpTanh(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for i := 0; i < 200000; i++ {
		x := (2*rng.Float64() - 1) * 700
		if i%2 == 0 {
			x /= 100
		}
		if r := math.Abs(fastExp(x)/math.Exp(x) - 1); r > 3*0x1p-52 {
			t.Fatalf("fastExp(%v) = %v, math.Exp %v (relative error %g)", x, fastExp(x), math.Exp(x), r)
		}
		y := x / 20
		if d := math.Abs(fastTanh(y) - math.Tanh(y)); d > 4e-16 {
			t.Fatalf("fastTanh(%v) = %v, math.Tanh %v", y, fastTanh(y), math.Tanh(y))
		}
		var a [1]float64
		if tanhSlice(a[:], []float64{y}); a[0] != fastTanh(y) {
			t.Fatalf("tanhSlice(%v) = %v, fastTanh %v", y, a[0], fastTanh(y))
		}
	}
	for _, c := range [][2]float64{{0, 1}, {710, math.Inf(1)}, {-800, 0}, {-720, math.Exp(-720)}} {
		if got := fastExp(c[0]); got != c[1] {
			t.Errorf("fastExp(%v) = %v, want %v", c[0], got, c[1])
		}
	}
	if !math.IsNaN(fastExp(math.NaN())) || fastTanh(30) != 1 || fastTanh(-30) != -1 {
		t.Error("fastExp(NaN), fastTanh(±30): wrong special values")
	}
}

// TestBlocksAreOneSampleAtATime: LossGrad's blocks of samples
// (forwardBlock) give the bits of forward and backward one sample at a
// time in the same order, the loss and the gradient, for every activation,
// the full batch and a minibatch with repeats and a remainder.
func TestBlocksAreOneSampleAtATime(t *testing.T) {
	for _, name := range model.ActivationNames() {
		act := model.Activation(name)
		m, b := modeltest.Net(t, []int{6, 7, 5, 3}, act, 41, 5)
		e, err := New(m.Layers, act, b.X, b.Y)
		if err != nil {
			t.Fatal(err)
		}
		for _, idx := range [][]int{nil, {3, 3, 17, 0, 39, 22, 3, 40, 8, 1, 2}} {
			n := len(idx)
			if idx == nil {
				n = e.N()
			}
			scale := 1 / float64(n)
			want := make([]float64, m.Layout.P)
			var sum float64
			for k := range n {
				i := k
				if idx != nil {
					i = idx[k]
				}
				sum += e.forward(m.Theta, i)
				e.backward(m.Theta, i, scale, want)
			}
			got := make([]float64, m.Layout.P)
			l := e.LossGrad(m.Theta, idx, got)
			if math.Float64bits(l) != math.Float64bits(sum*scale) {
				t.Errorf("%s, %d samples: loss %v in blocks, %v one at a time", act, n, l, sum*scale)
			}
			for i := range want {
				if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
					t.Fatalf("%s, %d samples: gradient[%d] %v in blocks, %v one at a time", act, n, i, got[i], want[i])
				}
			}
		}
	}
}

// TestLossGradBitIdentical: LossGrad (blocks of four samples forward, the
// gradient terms of chunks of samples added row by row) gives the bits of
// forward and backward of one sample after another, on minibatches with
// repeats, of lengths that leave partial chunks and blocks, for widths
// that are and are not multiples of the vector kernels' four and sixteen,
// with relu's zero δ skipped and tanh's.
func TestLossGradBitIdentical(t *testing.T) {
	for _, layers := range [][]int{{49, 8, 10}, {6, 7, 5, 3}, {33, 20, 2}} {
		for _, act := range []model.Activation{model.Tanh, model.ReLU} {
			m, b := modeltest.Net(t, layers, act, 200, 7)
			e, err := New(m.Layers, act, b.X, b.Y)
			if err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(3, 4))
			for _, n := range []int{1, 4, 16, 19, 37, 200} {
				idx := make([]int, n)
				for k := range idx {
					idx[k] = rng.IntN(e.N())
				}
				got := make([]float64, m.Layout.P)
				l := e.LossGrad(m.Theta, idx, got)
				want := make([]float64, m.Layout.P)
				var sum float64
				for _, i := range idx {
					sum += e.forward(m.Theta, i)
					e.backward(m.Theta, i, 1/float64(n), want)
				}
				if wl := sum * (1 / float64(n)); math.Float64bits(l) != math.Float64bits(wl) {
					t.Fatalf("%v %s n=%d: loss %v, one sample at a time %v", layers, act, n, l, wl)
				}
				for j := range got {
					if math.Float64bits(got[j]) != math.Float64bits(want[j]) {
						t.Fatalf("%v %s n=%d: ∂θ[%d] %v, one sample at a time %v", layers, act, n, j, got[j], want[j])
					}
				}
			}
		}
	}
}
