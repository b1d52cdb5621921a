package escape_test

import (
	"math"
	"testing"

	"github.com/sgn-project/sgn/data"
	"github.com/sgn-project/sgn/escape"
	"github.com/sgn-project/sgn/escape/network"
	"github.com/sgn-project/sgn/escape/selection"
)

// TestRegisteredDynamicsRunsEverywhere: a dynamics registered as one row
// of the table with its steps ("push", θ ← θ + η·(1, …, 1); see
// RegisterPush) runs through the analytic simulator, the network escape
// simulator and the two-well selection simulator, touching no switch of
// theirs, and each run ends where the rule puts it by hand: the first
// step t with t·η·√n ≥ r under the distance criterion in n dimensions,
// and on the two-well the steps spent on each side of the col and the one
// transition.
func TestRegisteredDynamicsRunsEverywhere(t *testing.T) {
	push := escape.RegisterPush(t)
	const eta = 0.125
	// Analytic: from the double well's minimum, distance r = 1.3.
	for _, spec := range []escape.LandscapeSpec{
		{Name: escape.DoubleWellName, Barrier: 1, Dim: 1},
		{Name: escape.DoubleWellName, Barrier: 1, Dim: 2, Transverse: []float64{2}},
	} {
		const r = 1.3
		sim, err := escape.AnalyticSimulator(escape.Point{Dynamics: push, Sharpness: 1, Eta: eta, MaxSteps: 100, Landscape: spec,
			Criterion: escape.Criterion{Kind: escape.CriterionDistance, Radius: r}})
		if err != nil {
			t.Fatal(err)
		}
		o, err := sim.Run(1)
		want := math.Ceil(r / (eta * math.Sqrt(float64(spec.Dim)))) // 11 in 1-D, 8 in 2-D
		if err != nil || !o.Escaped || float64(o.Step) != want {
			t.Errorf("analytic, dim %d: %+v, %v; want an escape at step %g", spec.Dim, o, err, want)
		}
	}

	// Two-well: from the sharp minimum a₁ < 0 (even seeds) x₁ = a₁ + t·η
	// reaches the flat side x₁ ≥ 0 at t₀ = ⌈−a₁/η⌉ and commits to the flat
	// valley at t* = ⌈(c₂ − a₁)/η⌉; from the flat minimum (odd seeds) it
	// never leaves.
	for _, dim := range []int{1, 2} {
		const steps = 400
		const eta = 1.0 / 32
		sim, err := selection.NewSimulator(selection.Point{Dynamics: push, Eta: eta, Steps: steps, Landscape: escape.TwoWellSpec{Dim: dim}})
		if err != nil {
			t.Fatal(err)
		}
		tw := sim.Landscape()
		a1 := tw.Sharp()[0]
		_, c2 := tw.Thresholds()
		u0, u1 := -a1/eta, (c2-a1)/eta
		for _, u := range []float64{u0, u1} {
			if f := u - math.Floor(u); f < 1e-9 || f > 1-1e-9 || u > steps {
				t.Fatalf("the crossing steps %g, %g are not clear of whole steps within %d: pick another η", u0, u1, steps)
			}
		}
		t0, ts := int64(math.Ceil(u0)), int64(math.Ceil(u1))
		got, err := sim.Run(2)
		want := selection.Replica{Steps: steps, FlatSteps: steps - t0 + 1, SharpExposure: ts, FlatExposure: steps - ts, SharpToFlat: 1}
		if err != nil || got != want {
			t.Errorf("two-well, dim %d, from the sharp minimum: %+v, %v; want %+v", dim, got, err, want)
		}
		got, err = sim.Run(3)
		want = selection.Replica{Steps: steps, FlatSteps: steps, FlatExposure: steps}
		if err != nil || got != want {
			t.Errorf("two-well, dim %d, from the flat minimum: %+v, %v; want %+v", dim, got, err, want)
		}
	}

	// Network: at k = 1 θ = φ moves by η in each of its P coordinates, so
	// ‖θ − θ₀‖ = t·η·√P, past r = 4.5·η·√P at step 5.
	if _, err := data.FindMNIST(""); err != nil {
		t.Skipf("MNIST not found: %v", err)
	}
	mn, err := network.PrepareMinimum(network.Spec{Layers: []int{49, 4, 10}, First: 100, Minimizer: network.MinimizerGD, GDMaxSteps: 50, GDEta: 0.3, CheckEvery: 5}, "", t.TempDir(), 1)
	if err != nil {
		t.Fatal(err)
	}
	r := 4.5 * eta * math.Sqrt(float64(len(mn.Theta)))
	sim, err := network.Factory(mn)(escape.Point{Dynamics: push, Sharpness: 1, Eta: eta, MaxSteps: 100,
		Criterion: escape.Criterion{Kind: escape.CriterionDistance, Radius: r}})
	if err != nil {
		t.Fatal(err)
	}
	o, disp, err := network.EscapeDisplacement(sim, mn, 1)
	if err != nil || o != (escape.Outcome{Escaped: true, Step: 5}) {
		t.Fatalf("network: %+v, %v; want an escape at step 5", o, err)
	}
	for i, d := range disp {
		if math.Abs(d-5*eta) > 1e-12 {
			t.Fatalf("network: θ%d − θ₀ = %.17g after 5 steps, want %g", i, d, 5*eta)
		}
	}
}
