package hessian

import (
	"math"
	"testing"
)

// Probes multiplied in blocks give the samples of probes multiplied one by
// one: the same count, the same estimate and standard error (to rounding).
func TestHutchinsonBlockEqualsVector(t *testing.T) {
	d := NewDense(randSym(40, 3))
	for _, o := range []HutchinsonOptions{
		{Seed: 1, MaxSamples: 50, Tol: 1e-12}, // runs to the cap, 50 = 32 + 18
		{Seed: 2, MinSamples: 5, Tol: 0.2},    // stops inside the first block
		{Seed: 3, MaxSamples: 70, Tol: 0.02},
	} {
		b, err := Hutchinson(d, o)
		if err != nil {
			t.Fatal(err)
		}
		v, err := Hutchinson(vecOnly{d}, o)
		if err != nil {
			t.Fatal(err)
		}
		if b.Samples != v.Samples {
			t.Errorf("%+v: %d samples in blocks, %d one by one", o, b.Samples, v.Samples)
		}
		if math.Abs(b.Estimate-v.Estimate) > 1e-12*math.Abs(v.Estimate) || math.Abs(b.StdErr-v.StdErr) > 1e-10*v.StdErr {
			t.Errorf("%+v: blocks give %v ± %v, one by one %v ± %v", o, b.Estimate, b.StdErr, v.Estimate, v.StdErr)
		}
	}
}
