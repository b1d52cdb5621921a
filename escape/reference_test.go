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
