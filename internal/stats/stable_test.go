package stats

import (
	"math"
	"math/rand/v2"
	"testing"
)

func gaussSaS(x, sigma float64) float64 { // SαS with α = 2 is N(0, 2σ²)
	return math.Exp(-x*x/(4*sigma*sigma)) / (2 * sigma * math.Sqrt(math.Pi))
}

func cauchy(x, sigma float64) float64 {
	return 1 / (math.Pi * sigma * (1 + (x/sigma)*(x/sigma)))
}

// TestSymStablePDFClosedForms compares the Fourier-inversion density with
// the closed forms at α = 1 (Cauchy, through SymStablePDF: quadrature below
// |x|/σ = 10, expansion above) and α = 2 (normal with variance 2σ², through
// the quadrature itself, which SymStablePDF bypasses at α = 2): the error
// must be below 1e-9 relative or 1e-16/σ absolute.
func TestSymStablePDFClosedForms(t *testing.T) {
	for _, z := range []float64{0, 0.1, 0.5, 1, 2, 3.3, 5, 7, 9.99, 10, 12, 20, 40} {
		got, want := stableFourier(2, z, false)/math.Pi, gaussSaS(z, 1)
		if err := math.Abs(got - want); err > math.Max(1e-9*want, 1e-16) {
			t.Errorf("Fourier quadrature at α = 2, z = %v: %.15g, want %.15g", z, got, want)
		}
	}
	for _, sigma := range []float64{1, 0.3, 25} {
		for _, z := range []float64{0, 0.1, 0.5, 1, 2, 3.3, 5, 7, 9.99, 10, 12, 20, 60, 1e3, 1e5} {
			for _, x := range []float64{z * sigma, -z * sigma} {
				for _, c := range []struct {
					alpha float64
					exact func(x, s float64) float64
				}{{2, gaussSaS}, {1, cauchy}} {
					got, want := SymStablePDF(x, c.alpha, sigma), c.exact(x, sigma)
					if err := math.Abs(got - want); err > math.Max(1e-9*want, 1e-16/sigma) {
						t.Errorf("SymStablePDF(%v, α=%v, σ=%v) = %.15g, want %.15g", x, c.alpha, sigma, got, want)
					}
				}
			}
		}
	}
}

func TestSymStablePDFAtZeroAndReference(t *testing.T) {
	// f(0) = Γ(1 + 1/α)/(πσ) exactly.
	for _, alpha := range []float64{0.5, 0.75, 1.2, 1.5, 1.8, 1.95} {
		want := math.Gamma(1+1/alpha) / (math.Pi * 2)
		if got := SymStablePDF(0, alpha, 2); math.Abs(got-want) > 1e-12*want {
			t.Errorf("SymStablePDF(0, α=%v, σ=2) = %.15g, want Γ(1+1/α)/(2π) = %.15g", alpha, got, want)
		}
	}
	// scipy.stats.levy_stable(α, β=0) pdf and cdf (its own quadrature of
	// Nolan's integral representation, accurate to about 1e-8).
	for _, c := range []struct {
		alpha    float64
		pdf      [4]float64 // at 0, 1, 3, 12
		cdf1, c3 float64
	}{
		{0.8, [4]float64{0.3606460866352935, 0.13184623767479978, 0.030040231532639804, 0.002992363345426257}, 0.744140237907118, 0.8699581622299107},
		{1.2, [4]float64{0.29942005917982895, 0.18096537440816918, 0.03230955779548339, 0.0014637761069189914}, 0.7533678112634097, 0.9205024558200386},
		{1.5, [4]float64{0.28735275145216443, 0.20203815960784008, 0.03150942361632494, 0.0006481254907153373}, 0.7563420243992705, 0.948402196440815},
		{1.8, [4]float64{0.28306875859161895, 0.2141887121050687, 0.030244348676958552, 0.000171891525698418}, 0.7587147921208994, 0.9706574660082307},
		{1.95, [4]float64{0.2822483933758185, 0.21845263692715042, 0.02982530516483547, 3.4234341828063235e-05}, 0.7598678095614106, 0.9801176740231003},
	} {
		for i, x := range []float64{0, 1, 3, 12} {
			if got := SymStablePDF(x, c.alpha, 1); math.Abs(got-c.pdf[i]) > 1e-7*c.pdf[i] {
				t.Errorf("SymStablePDF(%v, α=%v) = %.12g, scipy %.12g", x, c.alpha, got, c.pdf[i])
			}
		}
		if got := SymStableCDF(1, c.alpha, 1); math.Abs(got-c.cdf1) > 1e-8 {
			t.Errorf("SymStableCDF(1, α=%v) = %.12g, scipy %.12g", c.alpha, got, c.cdf1)
		}
		if got := SymStableCDF(-3, c.alpha, 1); math.Abs(got-(1-c.c3)) > 1e-8 {
			t.Errorf("SymStableCDF(-3, α=%v) = %.12g, scipy %.12g", c.alpha, got, 1-c.c3)
		}
	}
}

func TestSymStableCDFClosedForms(t *testing.T) {
	for _, x := range []float64{-1e4, -50, -10, -3, -1, -0.2, 0, 0.4, 1, 2.5, 9, 11, 40, 1e3} {
		// Cauchy: F(x) = 1/2 + atan(x)/π; compare the smaller of F, 1 − F
		// relatively, so tail probabilities are checked to full accuracy.
		ft := math.Atan(-math.Abs(x)/2)/math.Pi + 0.5 // P(X > |x|) for σ = 2
		got := SymStableCDF(-math.Abs(x), 1, 2)
		if math.Abs(got-ft) > 1e-11*ft {
			t.Errorf("SymStableCDF(%v, α=1, σ=2) = %.15g, want %.15g", -math.Abs(x), got, ft)
		}
		// Normal N(0, 2): F(x) = Φ(x/√2).
		want := normCDF(x / math.Sqrt2)
		if got := SymStableCDF(x, 2, 1); math.Abs(got-want) > 1e-14 {
			t.Errorf("SymStableCDF(%v, α=2) = %.15g, want %.15g", x, got, want)
		}
	}
}

// TestStableSeriesMatchesQuadrature checks the tail expansion against the
// Fourier quadrature where both apply (relative 1e-10 at z = 10…40).
func TestStableSeriesMatchesQuadrature(t *testing.T) {
	for _, alpha := range []float64{0.6, 0.9, 1.2, 1.5, 1.8} {
		for _, z := range []float64{10, 17, 40} {
			for _, cdf := range []bool{false, true} {
				s, ok := stableSeries(alpha, z, cdf)
				q := stableFourier(alpha, z, cdf) / math.Pi
				if cdf {
					q = 0.5 - q
				}
				if !ok || math.Abs(s-q) > 1e-10*q {
					t.Errorf("α=%v z=%v cdf=%v: series %.15g (ok %v), quadrature %.15g", alpha, z, cdf, s, ok, q)
				}
			}
		}
	}
}

// TestMcCullochTable recomputes every entry of the quantile table from
// SymStableCDF (the table holds 6 significant digits).
func TestMcCullochTable(t *testing.T) {
	tab := mcCullochTable()
	for i := range tab {
		alpha := mcCullochAlphaAt(i)
		x95 := stableUpperQuantile(0.05, alpha)
		x75 := stableUpperQuantile(0.25, alpha)
		if nu := x95 / x75; math.Abs(nu-tab[i][0]) > 6e-6*nu {
			t.Errorf("α = %.2f: ν = %.7g, table %v", alpha, nu, tab[i][0])
		}
		if phi := 2 * x75; math.Abs(phi-tab[i][1]) > 6e-6*phi {
			t.Errorf("α = %.2f: φ₃ = %.7g, table %v", alpha, phi, tab[i][1])
		}
		if i > 0 && !(tab[i][0] < tab[i-1][0]) {
			t.Errorf("ν not decreasing at α = %.2f", alpha)
		}
	}
	// Closed forms: Cauchy and normal quantiles.
	if c := tab[20]; math.Abs(c[0]-math.Tan(0.45*math.Pi)) > 1e-5 || c[1] != 2 {
		t.Errorf("α = 1 entry %v, want {tan(0.45π), 2}", c)
	}
	if c := tab[70]; math.Abs(c[0]-1.6448536269514722/0.6744897501960817) > 1e-5 ||
		math.Abs(c[1]-2*math.Sqrt2*0.6744897501960817) > 1e-5 {
		t.Errorf("α = 2 entry %v, want {z.95/z.75, 2√2 z.75}", c)
	}
}

// TestSymStableSampleLaws tests the Chambers–Mallows–Stuck sampler with a
// Kolmogorov–Smirnov test (fully specified law, 2000 draws) against the
// Cauchy and normal closed forms and against SymStableCDF for other α.
func TestSymStableSampleLaws(t *testing.T) {
	const n = 2000
	x := make([]float64, n)
	for i, c := range []struct {
		alpha, sigma float64
		cdf          func(float64) float64
	}{
		{1, 2, func(v float64) float64 { return 0.5 + math.Atan(v/2)/math.Pi }},
		{2, 0.5, func(v float64) float64 { return normCDF(v / (0.5 * math.Sqrt2)) }},
		{1.5, 3, func(v float64) float64 { return SymStableCDF(v, 1.5, 3) }},
		{0.8, 1, func(v float64) float64 { return SymStableCDF(v, 0.8, 1) }},
		{1.97, 1, func(v float64) float64 { return SymStableCDF(v, 1.97, 1) }},
	} {
		rng := rand.New(rand.NewPCG(1976, uint64(i)))
		if err := SymStableSample(x, c.alpha, c.sigma, rng); err != nil {
			t.Fatal(err)
		}
		r, err := KolmogorovSmirnov(x, c.cdf)
		if err != nil {
			t.Fatal(err)
		}
		if r.PValue < 0.001 {
			t.Errorf("SαS(%v, %v) sample: KS D = %.4f, p = %.2g", c.alpha, c.sigma, r.Statistic, r.PValue)
		}
	}
	// A wrong law is rejected: the α = 1.5 sample against α = 1 (Cauchy).
	rng := rand.New(rand.NewPCG(1976, 99))
	if err := SymStableSample(x, 1.5, 1, rng); err != nil {
		t.Fatal(err)
	}
	if r, _ := KolmogorovSmirnov(x, func(v float64) float64 { return SymStableCDF(v, 1, 1) }); r.PValue > 0.001 {
		t.Errorf("SαS(1.5) sample not rejected against SαS(1): p = %v", r.PValue)
	}
}

// TestFitSymStableExactQuantiles fits a sample made of the exact quantiles
// of SαS(α, σ) + δ at p = (2i − 1)/(2n), n = 30, where McCulloch's sample
// quantiles x̂_.05, x̂_.25, x̂_.75, x̂_.95 fall on order statistics 2, 8, 23
// and 29 and so are exact: the fit must return α to the accuracy of the
// linear interpolation in the 0.02-spaced table, σ and δ.
func TestFitSymStableExactQuantiles(t *testing.T) {
	const n = 30
	for _, alpha := range []float64{0.7, 1.0, 1.13, 1.5, 1.77, 1.97, 2.0} {
		sigma, delta := 2.5, -1.25
		x := make([]float64, n)
		for i := range n / 2 { // symmetric sample: x̂_.5 is exact too
			q := stableUpperQuantile(float64(2*i+1)/(2*n), alpha)
			x[i], x[n-1-i] = delta+sigma*q, delta-sigma*q
		}
		f, err := FitSymStable(x)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(f.Alpha-alpha) > 2e-3 || math.Abs(f.Sigma-sigma) > 1e-3*sigma || math.Abs(f.Location-delta) > 1e-12 {
			t.Errorf("α=%v: fit %+v, want α %v σ %v δ %v", alpha, f, alpha, sigma, delta)
		}
	}
}

// TestFitSymStableRecoversAlpha: McCulloch's fit on SαS samples of 10,000
// points recovers α ∈ {1.2, 1.5, 1.8, 2.0} within ±0.1, checked on the mean
// of 10 independent samples and on every single sample.
func TestFitSymStableRecoversAlpha(t *testing.T) {
	const n, reps = 10000, 10
	x := make([]float64, n)
	for ai, alpha := range []float64{1.2, 1.5, 1.8, 2.0} {
		rng := rand.New(rand.NewPCG(1986, uint64(ai)))
		var sum, sq, sig float64
		worst := 0.0
		for range reps {
			if err := SymStableSample(x, alpha, 0.01, rng); err != nil {
				t.Fatal(err)
			}
			f, err := FitSymStable(x)
			if err != nil {
				t.Fatal(err)
			}
			sum += f.Alpha
			sig += f.Sigma
			sq += (f.Alpha - alpha) * (f.Alpha - alpha)
			worst = math.Max(worst, math.Abs(f.Alpha-alpha))
		}
		t.Logf("α %.1f: mean α̂ %.4f, rmse %.4f, worst error %.4f, mean σ̂ %.5f (σ = 0.01)", alpha, sum/reps, math.Sqrt(sq/reps), worst, sig/reps)
		if math.Abs(sum/reps-alpha) > 0.1 || worst > 0.1 || math.Abs(sig/reps-0.01) > 0.0005 {
			t.Errorf("α %.1f: mean α̂ %.4f, worst error %.4f, mean σ̂ %.5f", alpha, sum/reps, worst, sig/reps)
		}
	}
}

func TestStableBadInput(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	x := make([]float64, 5)
	for _, c := range []struct{ alpha, sigma float64 }{{0, 1}, {2.01, 1}, {math.NaN(), 1}, {1.5, 0}, {1.5, -1}, {1.5, math.Inf(1)}} {
		if err := SymStableSample(x, c.alpha, c.sigma, rng); err == nil {
			t.Errorf("SymStableSample(α=%v, σ=%v): want an error", c.alpha, c.sigma)
		}
	}
	if err := SymStableSample(x, 1.5, 1, nil); err == nil {
		t.Error("SymStableSample with nil rng: want an error")
	}
	if _, err := FitSymStable(make([]float64, 19)); err == nil {
		t.Error("FitSymStable of 19 values: want an error")
	}
	if _, err := FitSymStable(make([]float64, 40)); err == nil {
		t.Error("FitSymStable of a constant sample: want an error")
	}
	for _, v := range []float64{SymStablePDF(1, 0.4, 1), SymStablePDF(1, 1.5, 0), SymStableCDF(1, 2.5, 1)} {
		if !math.IsNaN(v) {
			t.Errorf("out-of-range parameters gave %v, want NaN", v)
		}
	}
}

// TestFitSymStableAtBound: samples at the exact quantiles p = (2i − 1)/(2n)
// of laws with known ν_α: the uniform (ν = 0.9/0.5 = 1.8 < ν(2) = 2.439:
// α = 2, the upper bound), the Cauchy (ν = tan(0.45π) = 6.31: α = 1,
// inside) and the cube of a Cauchy variable (ν = 6.31³/1 = 252 > ν(0.6) =
// 23.6: α = 0.6, the lower bound).
func TestFitSymStableAtBound(t *testing.T) {
	const n = 2000
	sample := func(q func(p float64) float64) []float64 {
		s := make([]float64, n)
		for i := range s {
			s[i] = q((2*float64(i+1) - 1) / (2 * n))
		}
		return s
	}
	cauchy := func(p float64) float64 { return math.Tan(math.Pi * (p - 0.5)) }
	for _, c := range []struct {
		name  string
		q     func(float64) float64
		bound string
		alpha float64
	}{
		{"uniform", func(p float64) float64 { return p - 0.5 }, "upper", 2},
		{"cauchy", cauchy, "", 1},
		{"cauchy cubed", func(p float64) float64 { return math.Pow(cauchy(p), 3) }, "lower", 0.6},
	} {
		f, err := FitSymStable(sample(c.q))
		if err != nil {
			t.Fatal(err)
		}
		if f.AtBound != c.bound || math.Abs(f.Alpha-c.alpha) > 0.01 {
			t.Errorf("%s: α = %g, at bound %q; want α %g, %q", c.name, f.Alpha, f.AtBound, c.alpha, c.bound)
		}
	}
}

// stableUpperQuantile returns z with P(X > z) = q for X ~ SαS(α, 1), q < 1/2,
// by safeguarded Newton iteration on stableTail (derivative −density) inside
// a bracket that bisection keeps valid.
func stableUpperQuantile(q, alpha float64) float64 {
	lo, hi := 0.0, 1.0
	for stableTail(hi, alpha) > q {
		lo, hi = hi, 2*hi
	}
	z := 0.5 * (lo + hi)
	for range 200 {
		g := stableTail(z, alpha) - q // decreasing in z
		if g > 0 {
			lo = z
		} else {
			hi = z
		}
		next := z + g/SymStablePDF(z, alpha, 1)
		if !(next > lo && next < hi) {
			next = 0.5 * (lo + hi)
		}
		if math.Abs(next-z) <= 1e-14*z || hi-lo <= 1e-14*hi {
			return next
		}
		z = next
	}
	return z
}
