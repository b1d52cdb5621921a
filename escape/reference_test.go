package escape

import (
	"math"
	"testing"
)

// The exact reference of SGLD on the double well: the continuous rate is
// ExactRate1D's, the chain at a small step is within 2% of it and its step
// ratio near 1, the noise floor 1. Under SGD's |H| diffusion the continuous
// process never escapes (rate 0, floor 0) while the chain does, with a step
// ratio far from 1 and an implied s outside (0, 1).
func TestExactReference1D(t *testing.T) {
	p := dwPoint(SGLD, 1, 0.005, 0, 0.25, 1)
	ref, err := ExactReference1D(p)
	if err != nil || ref == nil {
		t.Fatal(ref, err)
	}
	an, _ := NewLandscape(p.Landscape, 1)
	want, _ := ExactRate1D(an, p.Criterion, p.Temperature)
	if math.Abs(*ref.ContinuousRate-want) > 1e-6*want {
		t.Errorf("continuous rate %g, ExactRate1D %g", *ref.ContinuousRate, want)
	}
	if math.Abs(*ref.ChainRate/want-1) > 0.02 || math.Abs(*ref.StepRatio-1) > 0.02 || *ref.NoiseFloor != 1 || ref.ChainS != nil {
		t.Errorf("SGLD reference %+v: chain/continuous %g", ref, *ref.ChainRate/want)
	}
	q := dwPoint(SGDDiffusion, 1, 0.1, 2, 0, 1)
	ref, err = ExactReference1D(q)
	if err != nil || ref == nil {
		t.Fatal(ref, err)
	}
	if *ref.ContinuousRate != 0 || *ref.NoiseFloor != 0 || !(*ref.ChainRate > 0) || math.Abs(*ref.StepRatio-1) < 0.5 {
		t.Errorf("|H| reference %+v", ref)
	}
	if s := *ref.ChainS; s > 0 && s < 1 {
		t.Errorf("|H| chain: implied s %g inside (0, 1)", s)
	}
	if r, err := ExactReference1D(dwPoint(GD, 1, 0.1, 0, 0, 1)); r != nil || err != nil {
		t.Errorf("gd: %v %v, want nil", r, err)
	}
}

// The twowell's finite-sum noise stays positive on the path (floor 1/(2k)),
// so the continuous diffusion escapes, the chain converges in the step, and
// the s both imply lies in Theorem 2's (0, 1); 2000 simulated runs of the
// finite-sum diffusion average to the exact chain within 4 standard errors.
func TestExactReferenceTwoWell(t *testing.T) {
	p := Point{Dynamics: SGDDiffusionFiniteSum, Sharpness: 1, BatchSize: 1, Eta: 0.1, MaxSteps: 1 << 40,
		Landscape: LandscapeSpec{Name: TwoWellName, TwoWell: &TwoWellSpec{Dim: 1, Sharpness: 2, HFlat: 1, HCol: 0.5, Barrier: 0.25}}, Criterion: Criterion{Kind: CriterionCol}}
	ref, err := ExactReference1D(p)
	if err != nil || ref == nil || ref.ChainRate == nil || ref.ContinuousRate == nil {
		t.Fatal(ref, err)
	}
	if f := *ref.NoiseFloor; math.Abs(f-0.25) > 1e-3 {
		t.Errorf("noise floor %g, want 1/(2k) = 0.25", f)
	}
	if !(*ref.ContinuousRate > 0) || math.Abs(*ref.StepRatio-1) > 0.2 {
		t.Errorf("continuous rate %g, step ratio %g", *ref.ContinuousRate, *ref.StepRatio)
	}
	for _, s := range []*float64{ref.ChainS, ref.ContinuousS} {
		if s == nil || !(*s > 0 && *s < 1) {
			t.Errorf("implied s %v: want in (0, 1)", s)
		}
	}
	sim, err := AnalyticSimulator(p)
	if err != nil {
		t.Fatal(err)
	}
	const runs = 2000
	var sum, sq float64
	for r := range runs {
		o, err := sim.Run(uint64(r) + 1)
		if err != nil || !o.Escaped {
			t.Fatal(o, err)
		}
		s := float64(o.Step)
		sum += s
		sq += s * s
	}
	mean := sum / runs
	se := math.Sqrt((sq/runs - mean*mean) / runs)
	want := 1 / (p.Eta * *ref.ChainRate)
	if math.Abs(mean-want) > 4*se {
		t.Fatalf("simulated mean %g ± %g steps, exact chain %g", mean, se, want)
	}
	t.Logf("twowell finite sum: simulated %g ± %g steps, exact %g; s chain %g, continuous %g; step ratio %g", mean, se, want, *ref.ChainS, *ref.ContinuousS, *ref.StepRatio)
	// The doublewell has no per-sample losses: the finite-sum dynamics is refused.
	q := dwPoint(SGDDiffusionFiniteSum, 1, 0.1, 2, 0, 10)
	if _, err := AnalyticSimulator(q); err == nil {
		t.Error("sgd-diffusion-finite-sum on the doublewell: no error")
	}
}

// A twowell named without its shape takes TwoWell's defaults with the
// spec's dim and barrier, as escape run --landscape twowell gives it.
func TestTwoWellWithoutShape(t *testing.T) {
	spec := LandscapeSpec{Name: TwoWellName, Barrier: 0.5}
	spec.Normalize()
	if err := spec.Validate(); err != nil {
		t.Fatal(err)
	}
	if spec.TwoWell == nil || spec.TwoWell.Barrier != 0.5 || spec.TwoWell.Dim != 1 || spec.TwoWell.Sharpness != 2 {
		t.Fatalf("normalized twowell %+v", spec.TwoWell)
	}
	if _, err := NewLandscape(spec, 1); err != nil {
		t.Fatal(err)
	}
}
