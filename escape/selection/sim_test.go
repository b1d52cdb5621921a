package selection

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/sgn-project/sgn/escape"
	"github.com/sgn-project/sgn/internal/normal"
)

// TestKernelStepIsTheDynamics: one step of each fast 1-D loop and of the
// n-D loop equals the update written from the definitions (for sgd: minus η
// times FiniteSum.MinibatchGrad over the minibatch the random bits draw).
func TestKernelStepIsTheDynamics(t *testing.T) {
	for _, spec := range []escape.TwoWellSpec{{Sharpness: 3, Barrier: 0.5}, {Dim: 3, Sharpness: 3, Barrier: 0.5}} {
		for _, dyn := range []escape.Dynamics{SGLD, SGDDiffusionFiniteSum, SGD, SGDDiffusionAbsH} {
			for _, B := range []float64{3, 64, 70} {
				p := Point{Dynamics: dyn, Eta: 0.01, Landscape: spec, Steps: 1}
				if usesBatch(dyn) {
					p.BatchSize = B
				} else {
					p.Temperature = 0.3
					if B != 3 {
						continue
					}
				}
				sim, err := NewSimulator(p)
				if err != nil {
					t.Fatal(err)
				}
				tw, fs := sim.tw, sim.fs
				n := tw.Dim()
				for _, x0 := range []float64{-0.9, -0.2, 0.3, 1.4} {
					x := make([]float64, n)
					x[0] = x0
					for j := 1; j < n; j++ {
						x[j] = 0.1 * float64(j)
					}
					// Expected step from the definitions, with a twin generator.
					twin := rand.NewPCG(11, 12)
					g := make([]float64, n)
					tw.Grad(g, x)
					want := make([]float64, n)
					z := normal.NewZiggurat()
					switch dyn {
					case SGLD:
						for i := range want {
							want[i] = x[i] - p.Eta*g[i] + math.Sqrt(2*p.Eta*p.Temperature)*z.Norm(twin)
						}
					case SGDDiffusionFiniteSum:
						xi := make([]float64, n)
						z.Fill(twin, xi)
						for i := range want {
							want[i] = x[i] - p.Eta*g[i]
						}
						// Σⱼ ξⱼ∇φⱼ: ∇φ₁ = σ e₁, ∇φⱼ₊₁ from the sample gradients.
						gr := make([]float64, n)
						for j := range n {
							// ∇φⱼ = (∇ℓ_i − ∇L) for the sample i with only bit j set, plus
							// the contributions of the other (negative) signs.
							col := noiseColumn(fs, j, x)
							for i := range gr {
								want[i] += p.Eta / math.Sqrt(B) * xi[j] * col[i]
							}
						}
					case SGDDiffusionAbsH:
						if n > 1 {
							continue // the n-D |H|^½ is checked through its eigendecomposition only
						}
						_, _, h := tw.Along(x0)
						want[0] = x0 - p.Eta*g[0] + p.Eta/math.Sqrt(B)*math.Sqrt(math.Abs(h))*z.Norm(twin)
					case SGD:
						want = sgdStep(t, twin, fs, x, B, p.Eta)
					default:
						t.Fatalf("no expected step for %s", dyn)
					}
					src := rand.NewPCG(11, 12)
					tr := newTracker(tw, x0 >= 0)
					got := append([]float64(nil), x...)
					if n == 1 {
						got[0], err = sim.run1D(src, x0, 1, tr)
					} else {
						var nd *ndSim
						if nd, err = sim.newND(src); err == nil {
							err = nd.run(got, 1, tr)
						}
					}
					if err != nil {
						t.Fatal(err)
					}
					for i := range want {
						if math.Abs(got[i]-want[i]) > 1e-14*math.Max(1, math.Abs(want[i])) {
							t.Errorf("%s B=%g dim %d from x₁=%g: θ%d after one step %.17g, from the definition %.17g", dyn, B, n, x0, i+1, got[i], want[i])
						}
					}
				}
			}
		}
	}
}

// noiseColumn returns ∇φⱼ(θ) from sample gradients: (∇ℓ_i − ∇ℓ_i')/2 for
// two samples that differ only in bit j.
func noiseColumn(fs *escape.FiniteSum, j int, x []float64) []float64 {
	n := fs.Dim()
	a, b := make([]float64, n), make([]float64, n)
	fs.SampleGrad(a, 1<<j, x)
	fs.SampleGrad(b, 0, x)
	for i := range a {
		a[i] = (a[i] - b[i]) / 2
	}
	return a
}

// TestMinibatchSignMean: the popcount draw of the sgd loops (escape.SignMean)
// gives the batch-mean sign s̄ = (2K − B)/B with mean 0 and variance 1/B (B > 64
// spans several words).
func TestMinibatchSignMean(t *testing.T) {
	src := rand.NewPCG(3, 4)
	for _, B := range []int{1, 5, 64, 100} {
		const n = 200_000
		var s1, s2 float64
		for range n {
			s := escape.SignMean(src, B)
			s1 += s
			s2 += s * s
		}
		mean, v := s1/n, s2/n
		// Standard errors: √(1/(Bn)) for the mean, √(2/n)/B for the variance (≈).
		if math.Abs(mean) > 5/math.Sqrt(float64(B)*n) || math.Abs(v*float64(B)-1) > 5*math.Sqrt(2.0/n) {
			t.Errorf("B = %d: mean %g, B·variance %g; want 0 and 1", B, mean, v*float64(B))
		}
	}
}

// TestEqualValleysRatioOne: with equal curvatures and equal barriers the
// measured occupancy ratio is 1 within its 95% interval, for every
// dynamics, in 1-D and in 2-D.
func TestEqualValleysRatioOne(t *testing.T) {
	for _, spec := range []escape.TwoWellSpec{{Sharpness: 1, Barrier: 0.02}, {Dim: 2, Sharpness: 1, Barrier: 0.02, TransverseSharp: []float64{2}, TransverseFlat: []float64{2}}} {
		for _, p := range []Point{
			{Dynamics: SGLD, Eta: 0.05, Temperature: 0.0067},
			{Dynamics: SGDDiffusionFiniteSum, Eta: 0.05, BatchSize: 2},
			{Dynamics: SGD, Eta: 0.05, BatchSize: 2},
		} {
			p.Landscape = spec
			p.Steps, p.BurnIn = 200_000, 10_000
			if spec.Dim > 1 {
				p.Steps = 100_000
			}
			reps, err := RunPoint(p, 5, 16, 2, nil)
			if err != nil {
				t.Fatal(err)
			}
			m := Measure(reps, p.Eta)
			if m.Transitions < 200 {
				t.Fatalf("%s dim %d: only %d transitions", p.Label(), max(spec.Dim, 1), m.Transitions)
			}
			if lo, hi := m.OccupancyRatioCI[0], m.OccupancyRatioCI[1]; !(lo <= 1 && 1 <= hi) {
				t.Errorf("%s dim %d: occupancy ratio %.4g, 95%% CI [%.4g, %.4g] excludes 1", p.Label(), max(spec.Dim, 1), m.OccupancyRatio, lo, hi)
			}
			pr, err := Predict(p)
			if err != nil {
				t.Fatal(err)
			}
			for _, q := range []*float64{pr.Ratio, pr.RatioS0, pr.RatioS1, pr.Exact} {
				if q != nil && math.Abs(*q-1) > 1e-7 {
					t.Errorf("%s dim %d: predicted ratio %.12g, want 1 (to the quadrature error of the exact one)", p.Label(), max(spec.Dim, 1), *q)
				}
			}
		}
	}
}

// TestSGLDTheorem1: SGLD on the 1-D two-valley landscape (k = 2, equal
// barriers) at ΔL/D = 5: the measured occupancy ratio is within 15% of
// Theorem 1's √(h₁/h₂), and each rate within 15% of Theorem 1's.
func TestSGLDTheorem1(t *testing.T) {
	p := Point{Dynamics: SGLD, Eta: 0.05, Temperature: 0.004, Landscape: escape.TwoWellSpec{Sharpness: 2, Barrier: 0.02}, Steps: 2_000_000, BurnIn: 50_000}
	reps, err := RunPoint(p, 1, 20, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	m := Measure(reps, p.Eta)
	pr, err := Predict(p)
	if err != nil {
		t.Fatal(err)
	}
	if want := math.Sqrt2; math.Abs(*pr.Ratio-want) > 1e-12 {
		t.Fatalf("Theorem 1 ratio %.15g, want √2", *pr.Ratio)
	}
	if r := m.OccupancyRatio / *pr.Ratio; math.Abs(r-1) > 0.15 {
		t.Errorf("occupancy ratio %.4g [%.4g, %.4g] over Theorem 1's %.4g = %.3f: not within 15%%", m.OccupancyRatio, m.OccupancyRatioCI[0], m.OccupancyRatioCI[1], *pr.Ratio, r)
	}
	for _, c := range []struct {
		name       string
		got, theor float64
	}{{"sharp→flat", m.RateSharpToFlat, *pr.RateSharpToFlat}, {"flat→sharp", m.RateFlatToSharp, *pr.RateFlatToSharp}} {
		if r := c.got / c.theor; math.Abs(r-1) > 0.15 {
			t.Errorf("rate %s %.4g over Theorem 1's %.4g = %.3f: not within 15%%", c.name, c.got, c.theor, r)
		}
	}
	t.Logf("ratio %.4g [%.4g, %.4g] (Theorem 1 %.4g, exact %.4g); %d transitions", m.OccupancyRatio, m.OccupancyRatioCI[0], m.OccupancyRatioCI[1], *pr.Ratio, *pr.Exact, m.Transitions)
}

// TestExactRatioLimits: the exact continuous-time ratio tends to Laplace's
// √(h₁/h₂)·exp((ΔL₂ − ΔL₁)/D) for SGLD at small D, and for the SGD kinds
// to Laplace's value of ∫exp(−Ψ)/D, (h₁/h₂)·exp((2B/η)(I₂ − I₁)), at
// large B/η, Iᵢ = ∫ f'/σ² from aᵢ to the col (by quadrature here).
func TestExactRatioLimits(t *testing.T) {
	spec := escape.TwoWellSpec{Sharpness: 3, Barrier: 0.5, BarrierFlat: 0.6}
	tw, _ := escape.NewTwoWell(spec)
	d := 0.005
	got := ExactRatio1D(tw, Point{Dynamics: SGLD, Temperature: d})
	want := math.Sqrt(3) * math.Exp(0.1/d)
	if r := got / want; math.Abs(r-1) > 0.02 {
		t.Errorf("sgld D=%g: exact ratio %.6g, Laplace %.6g (ratio %.4f)", d, got, want, r)
	}
	I := func(a float64) float64 {
		return integrate(func(x float64) float64 {
			_, g, _ := tw.Along(x)
			s := tw.NoiseScale(x)
			return g / (s * s)
		}, a, 0, 20000)
	}
	a1, a2 := tw.Minima()
	i1, i2 := I(a1), I(a2)
	// PathS: Iᵢ = ΔLᵢ(sᵢ/hᵢ + (1 − sᵢ)/|h_b|) with sᵢ ∈ (0, 1).
	s1, s2 := PathS(tw)
	for v, c := range []struct{ s, i, h, dl float64 }{{s1, i1, 3, 0.5}, {s2, i2, 1, 0.6}} {
		if !(c.s > 0 && c.s < 1) || math.Abs(c.dl*(c.s/c.h+(1-c.s)/0.5)-c.i) > 1e-9 {
			t.Errorf("valley %d: PathS %g does not give I = %g", v, c.s, c.i)
		}
	}
	for _, dyn := range []escape.Dynamics{SGD, SGDDiffusionFiniteSum} {
		p := Point{Dynamics: dyn, Eta: 0.01, BatchSize: 1}
		got := math.Log(ExactRatio1D(tw, p))
		want := math.Log(3) + 2*p.BatchSize/p.Eta*(i2-i1)
		if math.Abs(got-want) > 0.02 {
			t.Errorf("%s B/η = 100: exact log ratio %.6g, Laplace %.6g", dyn, got, want)
		}
	}
}

// sgdStep is one step of minibatch sgd on fs from x, from the definition:
// the minibatch is drawn from twin as the simulator's loops draw it.
func sgdStep(t *testing.T, twin *rand.PCG, fs *escape.FiniteSum, x []float64, B, eta float64) []float64 {
	t.Helper()
	n := len(x)
	// The loops draw ⌈B/64⌉ words per direction j, direction by
	// direction; bit b of direction j's words is bit j of sample b.
	words := make([][]uint64, n)
	for j := range n {
		for r := int(B); r > 0; r -= 64 {
			words[j] = append(words[j], twin.Uint64())
		}
	}
	batch := make([]int, int(B))
	for b := range batch {
		for j := range n {
			batch[b] |= int(words[j][b/64]>>(b%64)&1) << j
		}
	}
	gb := make([]float64, n)
	if err := fs.MinibatchGrad(gb, batch, x); err != nil {
		t.Fatal(err)
	}
	want := make([]float64, n)
	for i := range want {
		want[i] = x[i] - eta*gb[i]
	}
	return want
}
