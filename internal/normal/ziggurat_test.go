package normal

import (
	"math"
	"math/rand/v2"
	"sort"
	"testing"
)

// The ziggurat's constants: every layer has area V, the last one closes at
// the mode, and the base strip holds R·f(R) plus the whole tail beyond R.
func TestZigguratTables(t *testing.T) {
	z := NewZiggurat()
	for i := 1; i < zigLayers; i++ {
		area := z.x[i] * (z.f[i+1] - z.f[i])
		if math.Abs(area-zigV)/zigV > 1e-6 {
			t.Fatalf("layer %d has area %.12g, want %.12g", i, area, zigV)
		}
		if !(z.x[i+1] < z.x[i]) {
			t.Fatalf("x[%d] = %g is not below x[%d] = %g", i+1, z.x[i+1], i, z.x[i])
		}
	}
	tail := math.Sqrt(math.Pi/2) * math.Erfc(zigR/math.Sqrt2)
	if base := zigR*math.Exp(-zigR*zigR/2) + tail; math.Abs(base-zigV)/zigV > 1e-9 {
		t.Errorf("base strip area %.12g, want %.12g", base, zigV)
	}
}

func TestZigguratMomentsAndTails(t *testing.T) {
	z := NewZiggurat()
	src := rand.NewPCG(7, 11)
	const n = 10_000_000
	buf := make([]float64, 4096)
	var s1, s2, s4, lag float64
	prev := 0.0
	thresholds := []float64{1, 2, 3, zigR, 4, 4.5}
	counts := make([]int, len(thresholds))
	drawn := 0
	for ; drawn < n; drawn += len(buf) {
		z.Fill(src, buf)
		for _, x := range buf {
			s1 += x
			s2 += x * x
			s4 += x * x * x * x
			lag += x * prev
			prev = x
			for i, c := range thresholds {
				if math.Abs(x) > c {
					counts[i]++
				}
			}
		}
	}
	m := float64(drawn)
	mean, v, k4, r1 := s1/m, s2/m, s4/m, lag/m
	if math.Abs(mean) > 5/math.Sqrt(m) {
		t.Errorf("mean %g, want 0 within %g", mean, 5/math.Sqrt(m))
	}
	if math.Abs(v-1) > 5*math.Sqrt(2/m) {
		t.Errorf("variance %g, want 1 within %g", v, 5*math.Sqrt(2/m))
	}
	if math.Abs(k4-3) > 5*math.Sqrt(96/m) {
		t.Errorf("fourth moment %g, want 3 within %g", k4, 5*math.Sqrt(96/m))
	}
	if math.Abs(r1) > 5/math.Sqrt(m) {
		t.Errorf("lag-1 correlation %g, want 0 within %g", r1, 5/math.Sqrt(m))
	}
	for i, c := range thresholds {
		p := math.Erfc(c / math.Sqrt2) // P(|Z| > c)
		want := m * p
		tol := 5*math.Sqrt(want*(1-p)) + 1
		if math.Abs(float64(counts[i])-want) > tol {
			t.Errorf("P(|Z| > %g): %d draws, want %.1f ± %.1f", c, counts[i], want, tol)
		}
	}
}

// Kolmogorov–Smirnov against Φ: the 0.1% critical value of √n·D is 1.95.
func TestZigguratKolmogorovSmirnov(t *testing.T) {
	z := NewZiggurat()
	xs := make([]float64, 200_000)
	z.Fill(rand.NewPCG(3, 4), xs)
	sort.Float64s(xs)
	d := 0.0
	for i, x := range xs {
		f := 0.5 * math.Erfc(-x/math.Sqrt2)
		d = math.Max(d, math.Max(f-float64(i)/float64(len(xs)), float64(i+1)/float64(len(xs))-f))
	}
	if s := math.Sqrt(float64(len(xs))) * d; s > 1.95 {
		t.Errorf("KS statistic √n·D = %.3f > 1.95", s)
	}
}

// Norm and Fill draw the same sequence from the same source.
func TestZigguratNormMatchesFill(t *testing.T) {
	z := NewZiggurat()
	buf := make([]float64, 1000)
	z.Fill(rand.NewPCG(5, 6), buf)
	src := rand.NewPCG(5, 6)
	for i, want := range buf {
		if got := z.Norm(src); got != want {
			t.Fatalf("draw %d: Norm %v, Fill %v", i, got, want)
		}
	}
}

// TestZigguratTryFinishMatchesNorm: Try with Finish on rejection draws the
// same normals, from the same generator outputs, as Norm (the tail and the
// wedges included: 10⁶ draws reach both).
func TestZigguratTryFinishMatchesNorm(t *testing.T) {
	z := NewZiggurat()
	a, b := rand.NewPCG(7, 8), rand.NewPCG(7, 8)
	slow := 0
	for i := 0; i < 1_000_000; i++ {
		want := z.Norm(a)
		u := b.Uint64()
		got, ok := z.Try(u)
		if !ok {
			slow++
			got = z.Finish(b, u)
		}
		if got != want {
			t.Fatalf("draw %d: Try/Finish gave %v, Norm %v", i, got, want)
		}
	}
	if slow == 0 {
		t.Fatal("no draw took the slow path")
	}
}

// BenchmarkZiggurat: standard normals per second on one core.
func BenchmarkZiggurat(b *testing.B) {
	z := NewZiggurat()
	src := rand.NewPCG(1, 2)
	buf := make([]float64, 1024)
	for b.Loop() {
		z.Fill(src, buf)
	}
	b.ReportMetric(float64(b.N)*1024/b.Elapsed().Seconds(), "normals/s")
}
