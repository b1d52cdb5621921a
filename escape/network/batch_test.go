package network

import (
	"fmt"
	"math"
	"testing"

	"github.com/sgn-project/sgn/escape"
	"github.com/sgn-project/sgn/internal/seed"
	"github.com/sgn-project/sgn/model"
	"github.com/sgn-project/sgn/model/modeltest"
)

// TestRunBatchBitIdentical: the runs of R = 1, 3 and 100 seeds stepped
// together (runBatch) end at the same step with the same outcome, the
// same error and the same θ, bit for bit, as each run alone (run), for
// every dynamics under the loss criterion and SGD under the distance
// criterion, on 300 samples (three of Losses' row blocks), the 100 runs
// of a stochastic point both escaping and censored, and at a step that
// overflows θ, diverging.
func TestRunBatchBitIdentical(t *testing.T) {
	m, b := modeltest.Net(t, []int{6, 8, 3}, model.Tanh, 300, 21)
	mn := testMinimum(m, b, 5)
	mn.Spec.WeightDecay = 1e-3
	f := Factory(mn)
	loss := escape.Criterion{Kind: escape.CriterionLoss, Delta: 0.01}
	for _, c := range []struct {
		p     escape.Point
		mixed bool // both escaped and censored runs among the 100
	}{
		{escape.Point{Dynamics: escape.SGD, BatchSize: 3, Eta: 0.15, Criterion: loss}, true},
		{escape.Point{Dynamics: escape.SGD, BatchSize: 3, Eta: 0.25, Criterion: escape.Criterion{Kind: escape.CriterionDistance, Radius: 2.6}}, true},
		{escape.Point{Dynamics: escape.SGDGaussian, BatchSize: 3, Eta: 0.15, Criterion: loss}, true},
		{escape.Point{Dynamics: escape.SGLD, Temperature: 0.02, Eta: 0.05, Criterion: loss}, true},
		{escape.Point{Dynamics: escape.GD, Eta: 0.25, Criterion: loss}, false},
		// θ overflows: every run diverges, with an error.
		{escape.Point{Dynamics: escape.SGD, BatchSize: 1, Eta: 1e300, Criterion: escape.Criterion{Kind: escape.CriterionLoss, Delta: 1e6}}, false},
	} {
		p := c.p
		p.Sharpness, p.MaxSteps = 1.5, 60
		name := fmt.Sprintf("%s/%s", p.Dynamics, p.Criterion.Kind)
		sim, err := f(p)
		if err != nil {
			t.Fatal(err)
		}
		ns := sim.(*simulator)
		seeds := make([]uint64, 100)
		want := make([]escape.Outcome, len(seeds))
		wantTheta := make([][]float64, len(seeds))
		wantErr := make([]error, len(seeds))
		kinds := map[string]bool{}
		for i := range seeds {
			seeds[i] = seed.Derive(7, 0, uint64(i))
			want[i], wantTheta[i], wantErr[i] = ns.run(seeds[i])
			kinds[fmt.Sprint(want[i].Escaped, wantErr[i] != nil)] = true
		}
		if c.mixed && !(kinds["true false"] && kinds["false false"]) {
			t.Fatalf("%s: outcomes %v, want escaped and censored runs", name, kinds)
		}
		if p.Eta == 1e300 && !kinds["false true"] {
			t.Fatalf("%s: outcomes %v, want divergences", name, kinds)
		}
		for _, R := range []int{1, 3, 100} {
			out, thetas, errs := ns.runBatch(seeds[:R])
			for i := range R {
				var err error
				if errs != nil {
					err = errs[i]
				}
				if out[i] != want[i] || fmt.Sprint(err) != fmt.Sprint(wantErr[i]) {
					t.Fatalf("%s, run %d of %d: batched %+v (%v), alone %+v (%v)", name, i, R, out[i], err, want[i], wantErr[i])
				}
				if err != nil {
					continue
				}
				for j, v := range wantTheta[i] {
					if math.Float64bits(thetas[i][j]) != math.Float64bits(v) {
						t.Fatalf("%s, run %d of %d: θ[%d] batched %v, alone %v", name, i, R, j, thetas[i][j], v)
					}
				}
			}
		}
	}
}
