package stats

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestExcessKurtosisExact(t *testing.T) {
	// {0, 0, 0, 3} is 3·Bernoulli(1/4): its excess kurtosis is
	// (1 − 6p(1 − p))/(p(1 − p)) = −2/3, whatever the location and scale.
	for _, c := range []struct{ shift, scale float64 }{{0, 1}, {-5, 1}, {2, 0.01}, {0, -1}} {
		x := []float64{0, 0, 0, 3}
		for i := range x {
			x[i] = c.shift + c.scale*x[i]
		}
		got, err := ExcessKurtosis(x)
		if err != nil || math.Abs(got-(-2.0/3)) > 1e-12 {
			t.Errorf("ExcessKurtosis(%v) = %v, %v; want −2/3", x, got, err)
		}
	}
	for _, x := range [][]float64{nil, {1, 2, 3}, {1, 1, 1, 1}, {1, 2, math.NaN(), 4}} {
		if _, err := ExcessKurtosis(x); err == nil {
			t.Errorf("ExcessKurtosis(%v): want an error", x)
		}
	}
}

// CountedMoments of {0, 3} counted {3, 1} times is 3·Bernoulli(1/4):
// mean 3/4, g₁ = (1 − 2p)/√(p(1 − p)) = 2/√3, g₂ = −2/3; a value counted
// zero times is absent, and a constant sample is an error.
func TestCountedMomentsExact(t *testing.T) {
	for _, c := range []struct {
		x      []float64
		counts []int32
	}{{[]float64{0, 3}, []int32{3, 1}}, {[]float64{0, 7, 3}, []int32{3, 0, 1}}, {[]float64{0, 0, 3, 0}, nil}} {
		mean, g1, g2, err := CountedMoments(c.x, c.counts)
		if err != nil || math.Abs(mean-0.75) > 1e-15 || math.Abs(g1-2/math.Sqrt(3)) > 1e-14 || math.Abs(g2+2.0/3) > 1e-14 {
			t.Errorf("CountedMoments(%v, %v) = %v, %v, %v, %v; want 3/4, 2/√3, −2/3", c.x, c.counts, mean, g1, g2, err)
		}
	}
	if _, _, _, err := CountedMoments([]float64{2, 5}, []int32{4, 0}); err == nil {
		t.Error("CountedMoments of a constant sample: want an error")
	}
}

func TestShapeSortedCountsIsTheRepeatedSample(t *testing.T) {
	// Counting value i counts[i] times is the sample with those repeats.
	rng := rand.New(rand.NewPCG(7, 8))
	s := make([]float64, 40)
	for i := range s {
		s[i] = rng.ExpFloat64()
	}
	slices.Sort(s)
	counts := make([]int32, len(s))
	var rep []float64
	for i := range s {
		counts[i] = int32(rng.IntN(4))
		for range counts[i] {
			rep = append(rep, s[i])
		}
	}
	got, err := ShapeSorted(s, counts)
	if err != nil {
		t.Fatal(err)
	}
	want, err := ShapeSorted(rep, nil)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(got.Skewness-want.Skewness) > 1e-12 || math.Abs(got.ExcessKurtosis-want.ExcessKurtosis) > 1e-12 || math.Abs(got.KS-want.KS) > 1e-12 {
		t.Errorf("with counts %+v, repeated %+v", got, want)
	}
	// The KS distance is Lilliefors' statistic and the moments those of
	// Skewness and ExcessKurtosis.
	l, _ := LillieforsSorted(rep)
	g1, _ := Skewness(rep)
	g2, _ := ExcessKurtosis(rep)
	if math.Abs(want.KS-l.Statistic) > 1e-15 || math.Abs(want.Skewness-g1) > 1e-12 || math.Abs(want.ExcessKurtosis-g2) > 1e-12 {
		t.Errorf("shape %+v; Lilliefors %v, g1 %v, g2 %v", want, l.Statistic, g1, g2)
	}
	for _, c := range [][]int32{{1, 2}, make([]int32, 40)} {
		if _, err := ShapeSorted(s, c); err == nil {
			t.Errorf("counts %v: want an error", c)
		}
	}
}

// replicateMoments draws reps samples of size n from draw and returns the
// mean of g₁ and of g₂ over them and the standard errors of those means.
func replicateMoments(t *testing.T, reps, n int, draw func() float64) (m1, se1, m2, se2 float64) {
	t.Helper()
	g1s, g2s := make([]float64, reps), make([]float64, reps)
	x := make([]float64, n)
	for r := range reps {
		for i := range x {
			x[i] = draw()
		}
		sh, err := ShapeOf(x)
		if err != nil {
			t.Fatal(err)
		}
		g1s[r], g2s[r] = sh.Skewness, sh.ExcessKurtosis
	}
	m1, v1 := MeanVar(g1s)
	m2, v2 := MeanVar(g2s)
	return m1, math.Sqrt(v1 / float64(reps)), m2, math.Sqrt(v2 / float64(reps))
}

func TestShapeOfKnownLaws(t *testing.T) {
	// Skewness and excess kurtosis of the normal (0, 0), Laplace (0, 3) and
	// gamma laws (shape k: 2/√k, 6/k), within four standard errors of the
	// mean over 60 samples of 20,000 (the O(1/n) bias of g₁, g₂ is far
	// smaller).
	rng := rand.New(rand.NewPCG(1998, 1))
	gamma := func(k int) func() float64 {
		return func() float64 {
			var s float64
			for range k {
				s += rng.ExpFloat64()
			}
			return s
		}
	}
	cases := []struct {
		name       string
		draw       func() float64
		skew, kurt float64
	}{
		{"normal", rng.NormFloat64, 0, 0},
		{"laplace", func() float64 {
			if rng.IntN(2) == 0 {
				return -rng.ExpFloat64()
			}
			return rng.ExpFloat64()
		}, 0, 3},
		{"gamma(1)", gamma(1), 2, 6},
		{"gamma(4)", gamma(4), 1, 1.5},
	}
	for _, c := range cases {
		m1, se1, m2, se2 := replicateMoments(t, 60, 20000, c.draw)
		if math.Abs(m1-c.skew) > 4*se1 || math.Abs(m2-c.kurt) > 4*se2 {
			t.Errorf("%s: skewness %.4f ± %.4f (want %g), excess kurtosis %.4f ± %.4f (want %g)", c.name, m1, se1, c.skew, m2, se2, c.kurt)
		}
	}
}

func TestShapeKSDistanceOfLaplace(t *testing.T) {
	// The KS distance of a large Laplace sample to its fitted normal tends
	// to sup|F_L(x) − Φ(x/√2)| for the unit Laplace law (variance 2),
	// found here on a grid of step 1e-5 (the sup is at a smooth maximum,
	// so the grid's error is below 1e-9); the sample's distance is within
	// its O(1/√n) sampling error.
	var want float64
	for x := 0.0; x < 10; x += 1e-5 {
		fl := 1 - 0.5*math.Exp(-x)
		want = math.Max(want, math.Abs(fl-normCDF(x/math.Sqrt2)))
	}
	rng := rand.New(rand.NewPCG(1933, 2))
	const n = 400000
	x := make([]float64, n)
	for i := range x {
		x[i] = rng.ExpFloat64()
		if rng.IntN(2) == 0 {
			x[i] = -x[i]
		}
	}
	sh, err := ShapeOf(x)
	if err != nil {
		t.Fatal(err)
	}
	// √n·D of a normal sample stays below 1.1 with probability 0.995; a
	// Laplace sample's fluctuation is of the same order.
	if math.Abs(sh.KS-want) > 1.1/math.Sqrt(n) {
		t.Errorf("KS distance %.5f, want %.5f ± %.5f", sh.KS, want, 1.1/math.Sqrt(n))
	}
}

func TestExcessKurtosisOfSumsIsKappaOverB(t *testing.T) {
	// The mean of B independent values of excess kurtosis κ has excess
	// kurtosis κ/B exactly (cumulants add); its skewness is γ/√B. Centred
	// exponential values: γ = 2, κ = 6.
	rng := rand.New(rand.NewPCG(1733, 3))
	for _, b := range []int{1, 4, 16} {
		m1, se1, m2, se2 := replicateMoments(t, 40, 20000, func() float64 {
			var s float64
			for range b {
				s += rng.ExpFloat64() - 1
			}
			return s / float64(b)
		})
		wantSkew, wantKurt := 2/math.Sqrt(float64(b)), 6/float64(b)
		if math.Abs(m1-wantSkew) > 4*se1 || math.Abs(m2-wantKurt) > 4*se2 {
			t.Errorf("B = %d: skewness %.4f ± %.4f (want %.4f), excess kurtosis %.4f ± %.4f (want %.4f)", b, m1, se1, wantSkew, m2, se2, wantKurt)
		}
	}
}

func TestGaussianShapeReferenceExactMoments(t *testing.T) {
	// At n = 20 the mean of g₂ is exactly −6/21 and the standard deviation
	// of g₁ exactly √(6·18/(21·23)); the simulation agrees within its
	// standard error.
	const n, reps = 20, 20000
	ref, err := GaussianShapeReference(n, reps, 11)
	if err != nil {
		t.Fatal(err)
	}
	se := GaussianExcessKurtosisSD(n) / math.Sqrt(reps)
	if math.Abs(ref.ExcessKurtosis.Mean-GaussianExcessKurtosisMean(n)) > 4*se {
		t.Errorf("mean g₂ %.5f, want %.5f ± %.5f", ref.ExcessKurtosis.Mean, GaussianExcessKurtosisMean(n), 4*se)
	}
	if want := math.Sqrt(6.0 * 18 / (21 * 23)); math.Abs(GaussianSkewnessSD(n)-want) > 1e-15 {
		t.Errorf("GaussianSkewnessSD(20) = %v, want %v", GaussianSkewnessSD(n), want)
	}
	if want := math.Sqrt(24.0 * 20 * 18 * 17 / (21 * 21 * 23 * 25)); math.Abs(GaussianExcessKurtosisSD(n)-want) > 1e-15 {
		t.Errorf("GaussianExcessKurtosisSD(20) = %v, want %v", GaussianExcessKurtosisSD(n), want)
	}
	// E|g₁| for n = 20 is not a closed form, but E g₁² = Var g₁ bounds it:
	// E|g₁| ≤ √(E g₁²).
	if ref.AbsSkewness.Mean > GaussianSkewnessSD(n) {
		t.Errorf("mean |g₁| %.4f above its bound %.4f", ref.AbsSkewness.Mean, GaussianSkewnessSD(n))
	}
	if ref.N != n || ref.Replicates != reps || ref.ExcessKurtosisMeanExact != GaussianExcessKurtosisMean(n) {
		t.Errorf("recorded %+v", ref)
	}
}

func TestGaussianShapeReferenceAsymptotics(t *testing.T) {
	// At n = 1000: g₁ is nearly normal with the exact standard deviation,
	// so the median of |g₁| is 0.6745·sd; the upper 2.5% point of
	// Lilliefors' statistic, as Stephens' modified D·(√n − 0.01 + 0.85/√n),
	// is 0.955 (Stephens 1974, JASA 69, 730–737, Table 1A). Tolerances are
	// four Monte Carlo standard errors of the quantiles (4000 replicates).
	const n, reps = 1000, 4000
	ref, err := GaussianShapeReference(n, reps, 12)
	if err != nil {
		t.Fatal(err)
	}
	wantMed := 0.6745 * GaussianSkewnessSD(n)
	// The median's standard error: √(1/4)/(f·√reps) with f = 2φ(0.6745)/sd.
	seMed := 0.5 / (2 * math.Exp(-0.6745*0.6745/2) / math.Sqrt(2*math.Pi) / GaussianSkewnessSD(n) * math.Sqrt(reps))
	if math.Abs(ref.AbsSkewness.Median-wantMed) > 4*seMed {
		t.Errorf("median |g₁| %.5f, want %.5f ± %.5f", ref.AbsSkewness.Median, wantMed, 4*seMed)
	}
	sn := math.Sqrt(n)
	if got := ref.KS.Q975 * (sn - 0.01 + 0.85/sn); math.Abs(got-0.955) > 0.025 {
		t.Errorf("Stephens' modified 97.5%% point %.4f, want 0.955 ± 0.025", got)
	}
	// Resampling repeats values and the repeats' steps raise the distance.
	if !(ref.KSResampled.Median > ref.KS.Median) {
		t.Errorf("resampled KS median %.5f not above %.5f", ref.KSResampled.Median, ref.KS.Median)
	}
	if _, err := GaussianShapeReference(4, 100, 1); err == nil {
		t.Error("n = 4: want an error")
	}
	if _, err := GaussianShapeReference(100, 10, 1); err == nil {
		t.Error("10 replicates: want an error")
	}
}

func TestGaussianShapeReferenceIsSeeded(t *testing.T) {
	a, _ := GaussianShapeReference(50, 100, 3)
	b, _ := GaussianShapeReference(50, 100, 3)
	c, _ := GaussianShapeReference(50, 100, 4)
	if *a != *b || *a == *c {
		t.Errorf("same seed %v, %v; other seed %v", a.KS, b.KS, c.KS)
	}
}

func TestADPValueAtFloorIsFlagged(t *testing.T) {
	// 200 values of which 20 are 1e6: A*² is far above 10, where the
	// p-value is the fits' floor, an upper bound.
	x := make([]float64, 200)
	for i := range x {
		x[i] = float64(i % 7)
		if i%10 == 0 {
			x[i] = 1e6
		}
	}
	r, err := AndersonDarlingNormal(x)
	if err != nil || !r.AtFloor || r.PValue != ADPValueFloor || r.Modified < 10 {
		t.Errorf("heavy sample: %+v, %v; want the floor flagged", r, err)
	}
	rng := rand.New(rand.NewPCG(4, 4))
	for i := range x {
		x[i] = rng.NormFloat64()
	}
	if r, _ := AndersonDarlingNormal(x); r.AtFloor {
		t.Errorf("normal sample flagged at the floor: %+v", r)
	}
}
