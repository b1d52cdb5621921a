package escape

import (
	"math"
	"slices"
	"testing"
)

// Adding a dynamics is one row of dynamicsTable and its step: a row
// "sgld-half", SGLD at half the temperature, registered here is parsed,
// listed, validated and simulated like any other, on a 1-D landscape (no
// specialised loop, so the n-D loop) and in 2-D, and its runs are those
// of sgld at D/2 step for step.
func TestRegisterDynamics(t *testing.T) {
	const half Dynamics = "sgld-half"
	saved := dynamicsTable
	t.Cleanup(func() { dynamicsTable = saved })
	dynamicsTable = append(slices.Clone(dynamicsTable), dynamicsInfo{name: half, temperature: true, on: onAnalytic,
		step: func(w *walker, x, g []float64) {
			w.normals()
			sig := math.Sqrt(2 * w.eta * (w.temp / 2))
			for i := range x {
				x[i] += -w.eta*g[i] + sig*w.xi[i]
			}
		}})
	if d, err := ParseDynamics("sgld-half"); err != nil || d != half {
		t.Fatalf("ParseDynamics: %q, %v", d, err)
	}
	if !slices.Contains(DynamicsNames(false), "sgld-half") || !half.UsesTemperature() || half.UsesBatch() {
		t.Fatalf("the row is not listed: %v", DynamicsNames(false))
	}
	if err := half.CheckOn(true); err == nil {
		t.Error("sgld-half accepted on a network")
	}
	for _, spec := range []LandscapeSpec{
		{Name: DoubleWellName, Barrier: 1, Dim: 1},
		{Name: DoubleWellName, Barrier: 1, Dim: 2, Transverse: []float64{2}},
	} {
		p := Point{Dynamics: half, Sharpness: 1, Eta: 4e-3, Temperature: 0.4, MaxSteps: 200000, Landscape: spec, Criterion: Criterion{Kind: CriterionCol}}
		if _, err := AnalyticSimulator(Point{Dynamics: half, Sharpness: 1, Eta: 4e-3, MaxSteps: 10, Landscape: spec, Criterion: p.Criterion}); err == nil {
			t.Error("sgld-half without a temperature accepted")
		}
		sim, err := AnalyticSimulator(p)
		if err != nil {
			t.Fatal(err)
		}
		ref := p
		ref.Dynamics, ref.Temperature = SGLD, p.Temperature/2
		an, err := NewLandscape(spec, 1)
		if err != nil {
			t.Fatal(err)
		}
		refSim, err := NewAnalyticSimulator(forceGeneric(an), ref)
		if err != nil {
			t.Fatal(err)
		}
		escaped := 0
		for seed := uint64(1); seed <= 20; seed++ {
			o, err := sim.Run(seed)
			if err != nil {
				t.Fatal(err)
			}
			want, err := refSim.Run(seed)
			if err != nil {
				t.Fatal(err)
			}
			if o != want {
				t.Fatalf("dim %d, seed %d: sgld-half %+v, sgld at D/2 %+v", spec.Dim, seed, o, want)
			}
			if o.Escaped {
				escaped++
			}
		}
		if escaped == 0 {
			t.Errorf("dim %d: no run escaped, the comparison checks nothing", spec.Dim)
		}
	}
}

// TestDynamicsRowsHaveSteps: a row that runs on analytic landscapes, on
// networks or on the two-well carries its step there, and only then.
func TestDynamicsRowsHaveSteps(t *testing.T) {
	for _, r := range dynamicsTable {
		if (r.on&onAnalytic != 0) != (r.step != nil) {
			t.Errorf("%s: runs on analytic landscapes %v, analytic step %v", r.name, r.on&onAnalytic != 0, r.step != nil)
		}
		if (r.on&onTwoWell != 0) != (r.twoWell != nil) {
			t.Errorf("%s: runs on the two-well %v, two-well step %v", r.name, r.on&onTwoWell != 0, r.twoWell != nil)
		}
		if (r.on&onNetwork != 0) != (r.network != nil) {
			t.Errorf("%s: runs on networks %v, network step %v", r.name, r.on&onNetwork != 0, r.network != nil)
		}
	}
}
