package escape

import (
	"math"
	"math/rand/v2"
	"testing"
)

// The CV of exponential escape times is 1 (within its sampling error, about
// 1/√n for n runs), of constant times 0, and censored runs are left out.
func TestEscapeTimeCV(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 20000
	recs := make([]Outcome, n)
	for i := range recs {
		recs[i] = Outcome{Escaped: true, Step: 1 + int64(rng.ExpFloat64()*5000)}
	}
	cv, k := EscapeTimeCV(recs)
	if k != n || math.Abs(cv-1) > 3/math.Sqrt(n) {
		t.Fatalf("exponential: CV %g over %d escapes, want 1 ± %g", cv, k, 3/math.Sqrt(n))
	}
	for i := range recs {
		recs[i].Step = 700
	}
	recs[0] = Outcome{Escaped: false, Step: 10}
	if cv, k := EscapeTimeCV(recs); cv != 0 || k != n-1 {
		t.Fatalf("constant: CV %g over %d escapes, want 0 over %d", cv, k, n-1)
	}
	if cv, _ := EscapeTimeCV(recs[:2]); !math.IsNaN(cv) {
		t.Fatalf("one escape: CV %g, want NaN", cv)
	}
}

// SGLD's temperature is D, the SGD diffusion's η·h_a/(2B).
func TestTemperature(t *testing.T) {
	if got := Temperature(dwPoint(SGLD, 1, 0.01, 0, 0.2, 1), 8); got != 0.2 {
		t.Errorf("sgld: %g", got)
	}
	if got := Temperature(dwPoint(SGDDiffusion, 1, 0.1, 4, 0, 1), 8); math.Abs(got-0.1) > 1e-16 {
		t.Errorf("sgd-diffusion: %g, want 0.1", got)
	}
	if got := Temperature(dwPoint(GD, 1, 0.1, 0, 0, 1), 8); !math.IsNaN(got) {
		t.Errorf("gd: %g, want NaN", got)
	}
}

// At a small step the rate per unit time barely moves when η halves; at a
// large one it does, by more than the interval of a 1000-run estimate.
func TestStepConvergence1D(t *testing.T) {
	an, err := NewLandscape(LandscapeSpec{Name: DoubleWellName, Barrier: 1, Dim: 1}, 1)
	if err != nil {
		t.Fatal(err)
	}
	small, ok, err := StepConvergence1D(an, dwPoint(SGLD, 1, 0.005, 0, 0.25, 1), 1500)
	if err != nil || !ok || math.Abs(small-1) > 0.02 {
		t.Fatalf("η = 0.005: rate ratio %g (%v, %v), want within 2%% of 1", small, ok, err)
	}
	large, ok, err := StepConvergence1D(an, dwPoint(SGDDiffusion, 1, 0.1, 2, 0, 1), 1500)
	if err != nil || !ok || math.Abs(large-1) < 0.15 {
		t.Fatalf("SGD diffusion at η = 0.1, B = 2: rate ratio %g (%v, %v), want far from 1", large, ok, err)
	}
	t.Logf("rate(η)/rate(η/2): %g at η = 0.005 (SGLD), %g at η = 0.1, B = 2 (SGD diffusion)", small, large)
}
