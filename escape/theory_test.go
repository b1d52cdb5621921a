package escape

import (
	"math"
	"testing"
)

// Theorem 1 in 1-D is Kramers' γ = √(L″(a)|L″(b)|)/(2π)·exp(−ΔL/D); on
// the n-D double well the prefactor gains √(−det H_b/det H_a) = ρ^{(n−1)/2}/√2
// relative to 1/√(H_ae|H_be|)·… (here written out by hand).
func TestTheorem1(t *testing.T) {
	const dl, k, d = 1.0, 2.0, 0.15
	an, _ := NewLandscape(LandscapeSpec{Name: DoubleWellName, Barrier: dl}, k)
	c, err := ValleyCurvature(an, an.Valley)
	if err != nil {
		t.Fatal(err)
	}
	want := math.Sqrt(8*k*dl*4*k*dl) / (2 * math.Pi) * math.Exp(-dl/d)
	if got := math.Exp(-Theorem1NegLogRate(c, d)); math.Abs(got-want) > 1e-12*want {
		t.Errorf("1-D Theorem 1 rate %g, want %g", got, want)
	}
	const rho = 4.0
	an, _ = NewLandscape(LandscapeSpec{Name: DoubleWellName, Barrier: dl, Dim: 3, Transverse: []float64{1, 2}, ColRatio: rho}, k)
	c, _ = ValleyCurvature(an, an.Valley)
	// τ = 2π·√(4kΔL·(ρk)(2ρk) / (8kΔL·k·2k))/(4kΔL)·e^{ΔL/D} = 2π·ρ/√2/(4kΔL)·e^{ΔL/D}.
	tau := 2 * math.Pi * rho / math.Sqrt2 / (4 * k * dl) * math.Exp(dl/d)
	if got := math.Exp(Theorem1NegLogRate(c, d)); math.Abs(got-tau) > 1e-12*tau {
		t.Errorf("3-D Theorem 1 τ %g, want %g", got, tau)
	}
}

// Theorem 2 by hand, and Theorem2S inverts it.
func TestTheorem2(t *testing.T) {
	c := Curvature{HAe: 8, HBe: -4, Barrier: 1}
	const eta, b = 0.05, 2.0
	for _, s := range []float64{0, 0.3, 1, 1.4} {
		want := math.Log(2*math.Pi/4) + 2*b*1/eta*(s/8+(1-s)/4)
		got := Theorem2NegLogRate(c, eta, b, s)
		if math.Abs(got-want) > 1e-12*want {
			t.Errorf("s = %g: −log γ %g, want %g", s, got, want)
		}
		if back := Theorem2S(c, eta, b, got); math.Abs(back-s) > 1e-12 {
			t.Errorf("Theorem2S gives %g, want %g", back, s)
		}
	}
	if s := Theorem2S(Curvature{HAe: 4, HBe: -4, Barrier: 1}, eta, b, 3); !math.IsNaN(s) {
		t.Errorf("s with H_ae = |H_be| is %g, want NaN", s)
	}
}

// The exact continuous-time rate tends to Kramers' as D → 0, its relative
// correction falling like D/ΔL.
func TestExactRateTendsToKramers(t *testing.T) {
	an, _ := NewLandscape(LandscapeSpec{Name: DoubleWellName, Barrier: 1}, 1)
	c, _ := ValleyCurvature(an, an.Valley)
	prev := math.NaN()
	for _, d := range []float64{0.2, 0.1, 0.05, 0.025} {
		exact, ok := ExactRate1D(an, Criterion{Kind: CriterionCol}, d)
		if !ok {
			t.Fatal("no exact rate for the 1-D double well")
		}
		dev := exact*math.Exp(Theorem1NegLogRate(c, d)) - 1
		t.Logf("D = %g: exact/Kramers − 1 = %.5f", d, dev)
		// Halving D halves the deviation: the correction is O(D/ΔL).
		if q := dev / prev; !math.IsNaN(prev) && (q < 0.4 || q > 0.6) {
			t.Errorf("D = %g: deviation %.5f is %.3f times the one at 2D, want about 1/2", d, dev, q)
		}
		prev = dev
	}
	// Styblinski–Tang escapes towards −x: the mirrored integral must agree
	// with Kramers as well.
	st, _ := NewLandscape(LandscapeSpec{Name: StyblinskiTangName, Barrier: 1}, 1)
	cs, _ := ValleyCurvature(st, st.Valley)
	exact, _ := ExactRate1D(st, Criterion{Kind: CriterionCol}, 0.05)
	if r := exact * math.Exp(Theorem1NegLogRate(cs, 0.05)); math.Abs(r-1) > 0.1 {
		t.Errorf("Styblinski–Tang exact/Kramers = %.4f at ΔL/D = 20", r)
	}
}
