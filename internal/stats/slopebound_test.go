package stats

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestSlopeBound: the bound equals the largest |slope| of the least-squares
// line through ordinates ±eps, found by trying all 2ⁿ sign vectors, equally
// weighted (FitLine) and weighted (FitLineWeighted); for x = 0, 1, 2 it is
// eps·2/2 = eps exactly; degenerate abscissae and weights give NaN.
func TestSlopeBound(t *testing.T) {
	if b := SlopeBound([]float64{0, 1, 2}, nil, 0.5); b != 0.5 {
		t.Errorf("x = 0, 1, 2: bound %v, want 0.5", b)
	}
	r := rand.New(rand.NewPCG(7, 8))
	for trial := range 20 {
		n := 2 + trial%5
		x, w := make([]float64, n), make([]float64, n)
		for i := range x {
			x[i], w[i] = 10*r.Float64(), 0.1+r.Float64()
		}
		const eps = 0.3
		for _, weighted := range []bool{false, true} {
			var ws []float64
			if weighted {
				ws = w
			}
			best := 0.0
			y := make([]float64, n)
			for mask := range 1 << n {
				for i := range y {
					y[i] = eps
					if mask&(1<<i) != 0 {
						y[i] = -eps
					}
				}
				var f LineFit
				var err error
				if weighted {
					f, err = FitLineWeighted(x, y, ws)
				} else {
					f, err = FitLine(x, y)
				}
				if err != nil {
					t.Fatal(err)
				}
				best = math.Max(best, math.Abs(f.Slope))
			}
			if b := SlopeBound(x, ws, eps); math.Abs(b-best) > 1e-12*best {
				t.Errorf("trial %d (weighted %v): bound %.17g, largest slope over the sign vectors %.17g", trial, weighted, b, best)
			}
		}
	}
	for _, c := range []struct {
		name string
		x, w []float64
	}{
		{"one x", []float64{1, 1, 1}, nil},
		{"one point", []float64{1}, nil},
		{"weights of another length", []float64{1, 2}, []float64{1}},
		{"a negative weight", []float64{1, 2}, []float64{1, -1}},
		{"zero weights", []float64{1, 2}, []float64{0, 0}},
	} {
		if b := SlopeBound(c.x, c.w, 1); !math.IsNaN(b) {
			t.Errorf("%s: bound %v, want NaN", c.name, b)
		}
	}
}
