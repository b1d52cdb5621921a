package covariance

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/sgn-project/sgn/hessian"
	"github.com/sgn-project/sgn/internal/memlimit"
	"github.com/sgn-project/sgn/internal/synthtest"
	"github.com/sgn-project/sgn/model"
	"gonum.org/v1/gonum/mat"
)

// constructed returns a symmetric H = Q diag(λ) Qᵀ with a random
// orthogonal Q, and 2P per-sample gradients gᵢ = ḡ ± √(P·s_k) q_k whose
// covariance is Σ = Q diag(s) Qᵀ exactly: (1/2P)·Σ_k 2·P·s_k q_k q_kᵀ.
func constructed(lambda, s []float64) (*mat.SymDense, *mat.Dense) {
	p := len(lambda)
	q := synthtest.Orthogonal(rand.New(rand.NewPCG(11, 7)), p)
	h := mat.NewSymDense(p, nil)
	for k := 0; k < p; k++ {
		h.SymRankOne(h, lambda[k], q.ColView(k))
	}
	mean := randomMatrix(1, p, 12).RawRowView(0)
	G := mat.NewDense(2*p, p, nil)
	for k := 0; k < p; k++ {
		a := math.Sqrt(float64(p) * s[k])
		for i := 0; i < p; i++ {
			G.Set(2*k, i, mean[i]+a*q.At(i, k))
			G.Set(2*k+1, i, mean[i]-a*q.At(i, k))
		}
	}
	return h, G
}

// spectrum returns 30 eigenvalues: 20 log-spaced in (1e-4, 0.5), 3 above
// and 7 below the window.
func spectrum() []float64 {
	var l []float64
	for i := 0; i < 20; i++ {
		l = append(l, 2e-4*math.Pow(0.4/2e-4, float64(i)/19))
	}
	return append(l, 3, 1.5, 0.9, 5e-5, 1e-5, 1e-6, 1e-7, 1e-8, 0, 0)
}

// When C = H/B exactly the eigenbasis metrics are those of the identity:
// slope 1, intercept 0, r = 1, every ratio 1, no off-diagonal part.
func TestCompareExactCase(t *testing.T) {
	lambda := spectrum()
	h, G := constructed(lambda, lambda)
	g, err := NewGradientsFromMatrix(G)
	if err != nil {
		t.Fatal(err)
	}
	var tr float64
	for _, l := range lambda {
		tr += l
	}
	for _, mode := range []Mode{ModeFull, ModeMatFree} {
		a, err := AnalyzeOperator(g, hessian.NewDense(h), Options{BatchSizes: []int{16, 1, 7}, Mode: mode, TopK: len(lambda)})
		if err != nil {
			t.Fatal(err)
		}
		// The zero window: (1e-4, 0.5) in full mode, 20 points; in matfree
		// mode derived from the eigenvalues computed, (1e-4, 2·3), which
		// takes the three above 0.5 too.
		want, w := 20, Window{Min: DefaultLambdaMin, Max: DefaultLambdaMax}
		if mode == ModeMatFree {
			want, w = 23, MatFreeWindow(a.Eigen.LambdaMax)
			if math.Abs(w.Max-6) > 1e-12 {
				t.Errorf("matfree window %v, want (1e-4, 6)", w)
			}
		}
		if a.Window != w {
			t.Errorf("%s: window %v, want %v", mode, a.Window, w)
		}
		for _, c := range a.Comparisons {
			if c.Selected != want || c.Window != w {
				t.Errorf("%s B=%d: %d points selected in %v, want %d in %v", mode, c.BatchSize, c.Selected, c.Window, want, w)
			}
			if c.Fit == nil {
				t.Fatalf("%s B=%d: no fit", mode, c.BatchSize)
			}
			if math.Abs(c.Fit.Slope-1) > 1e-9 || math.Abs(c.Fit.Intercept) > 1e-9 || math.Abs(c.Fit.R-1) > 1e-12 {
				t.Errorf("%s B=%d: slope %v, intercept %v, r %v; want 1, 0, 1", mode, c.BatchSize, c.Fit.Slope, c.Fit.Intercept, c.Fit.R)
			}
			if math.Abs(c.MedianRatio-1) > 1e-9 {
				t.Errorf("%s B=%d: median ratio %v, want 1", mode, c.BatchSize, c.MedianRatio)
			}
			for i, r := range c.TopRatios {
				if math.Abs(r-1) > 1e-9 {
					t.Errorf("%s B=%d: top ratio %d = %v, want 1", mode, c.BatchSize, i, r)
				}
			}
			if c.OffdiagRatio > 1e-10 || c.OffdiagMeanCorr > 1e-10 {
				t.Errorf("%s B=%d: off-diagonal ratio %v, mean correlation %v; want 0", mode, c.BatchSize, c.OffdiagRatio, c.OffdiagMeanCorr)
			}
			if !c.Agrees() {
				t.Errorf("%s B=%d: the exact case does not agree", mode, c.BatchSize)
			}
			for i := range c.X {
				if d := math.Abs(c.Y[i]/c.X[i] - 1); d > 1e-9 {
					t.Errorf("%s B=%d: point %d has c/(λ/B) = %v", mode, c.BatchSize, i, c.Y[i]/c.X[i])
				}
			}
		}
		if mode == ModeFull {
			if a.RelFrobenius == nil || *a.RelFrobenius > 1e-12 {
				t.Errorf("full: relative Frobenius distance %v, want 0", a.RelFrobenius)
			}
			if a.TraceH == nil || math.Abs(*a.TraceH-tr) > 1e-12 {
				t.Errorf("full: tr H = %v, want %v", a.TraceH, tr)
			}
		}
		if math.Abs(a.TraceSigma-tr) > 1e-12 {
			t.Errorf("%s: tr Σ = %v, want Σλ = %v", mode, a.TraceSigma, tr)
		}
		if !strings.HasPrefix(a.Verdict(), "agrees") {
			t.Errorf("%s: verdict %q", mode, a.Verdict())
		}
	}
}

// When Σ = H², cᵢ = λᵢ²/B: log c = 2 log(λ/B) + log B, so the fit gives
// slope 2, intercept log₁₀ B and r = 1, and the verdict is a disagreement.
func TestCompareSquaredCase(t *testing.T) {
	lambda := spectrum()
	sq := make([]float64, len(lambda))
	for i, l := range lambda {
		sq[i] = l * l
	}
	h, G := constructed(lambda, sq)
	g, _ := NewGradientsFromMatrix(G)
	a, err := AnalyzeOperator(g, hessian.NewDense(h), Options{BatchSizes: []int{16}, Mode: ModeFull})
	if err != nil {
		t.Fatal(err)
	}
	c := a.Comparisons[0]
	if math.Abs(c.Fit.Slope-2) > 1e-8 || math.Abs(c.Fit.Intercept-math.Log10(16)) > 1e-8 || math.Abs(c.Fit.R-1) > 1e-12 {
		t.Errorf("slope %v, intercept %v, r %v; want 2, log10(16), 1", c.Fit.Slope, c.Fit.Intercept, c.Fit.R)
	}
	if c.Agrees() || !strings.HasPrefix(a.Verdict(), "disagrees") || !strings.Contains(a.Verdict(), "slope 2.000") {
		t.Errorf("Σ = H² must disagree, verdict %q", a.Verdict())
	}
}

// Least squares on three points by hand: log x = 0, 1, 2 and log y = 0, 2,
// 1 give slope 1/2, intercept 1/2 and r = 1/2.
func TestFitLogLogByHand(t *testing.T) {
	f, err := FitLogLog([]float64{1, 10, 100}, []float64{1, 100, 10})
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(f.Slope-0.5) > 1e-14 || math.Abs(f.Intercept-0.5) > 1e-14 || math.Abs(f.R-0.5) > 1e-14 || f.N != 3 {
		t.Errorf("fit %+v, want slope 0.5, intercept 0.5, r 0.5, 3 points", f)
	}
	for _, bad := range [][2][]float64{
		{{1, 2}, {1, 2}},        // too few
		{{1, 2, 3}, {1, 0, 3}},  // zero
		{{1, 2, 3}, {1, 2}},     // lengths
		{{5, 5, 5}, {1, 2, 3}},  // x all equal
		{{1, -2, 3}, {1, 2, 3}}, // negative
		{{1, 2, math.Inf(1)}, {1, 2, 3}},
	} {
		if _, err := FitLogLog(bad[0], bad[1]); err == nil {
			t.Errorf("FitLogLog(%v, %v): want an error", bad[0], bad[1])
		}
	}
}

func TestCompareBadInput(t *testing.T) {
	lambda := []float64{2, 1, 0.5}
	s := mat.NewSymDense(3, []float64{2, 0, 0, 0, 1, 0, 0, 0, 0.5})
	w := Window{Min: DefaultLambdaMin, Max: DefaultLambdaMax}
	if _, err := Compare(lambda, s, nil, 0, w); err == nil || !strings.Contains(err.Error(), "batch size 0") {
		t.Errorf("batch size 0: error %v", err)
	}
	if _, err := Compare(lambda, s, nil, -3, w); err == nil {
		t.Error("batch size −3: want an error")
	}
	_, err := Compare(lambda, s, nil, 8, Window{Min: 100, Max: 200})
	if err == nil || !strings.Contains(err.Error(), "(100, 200)") || !strings.Contains(err.Error(), "[0.5, 2]") {
		t.Errorf("empty window: error %v should name the window and the range [0.5, 2]", err)
	}
	if _, err := Compare([]float64{1, 2, 0.5}, s, nil, 8, w); err == nil {
		t.Error("ascending eigenvalues: want an error")
	}
	if _, err := Compare(lambda[:2], s, nil, 8, w); err == nil {
		t.Error("size mismatch: want an error")
	}
	for _, bad := range []Window{{Min: -1, Max: 1}, {Min: 1, Max: 1}, {Min: 0.5, Max: 0.1}, {Min: 0, Max: math.Inf(1)}, {Min: math.NaN(), Max: 1}} {
		if err := bad.Validate(); err == nil {
			t.Errorf("window %+v: want an error", bad)
		}
	}
	// Few points: a warning, and no fit below MinFitPoints.
	c, err := Compare(lambda, s, nil, 8, Window{Min: 0.6, Max: 5})
	if err != nil {
		t.Fatal(err)
	}
	if c.Selected != 2 || c.Fit != nil || len(c.Warnings) == 0 {
		t.Errorf("2 points: selected %d, fit %v, warnings %v", c.Selected, c.Fit, c.Warnings)
	}
	if !strings.HasPrefix((&Analysis{Comparisons: []*Comparison{c}}).Verdict(), "undecided") {
		t.Error("2 points: the verdict should be undecided")
	}
}

func TestAnalyzeBadInput(t *testing.T) {
	m, _ := model.New(model.Config{Layers: []int{5, 4, 3}, Activation: model.Tanh, Seed: 3})
	b := tinyBatch(20, 5, 3, 1)
	for _, tc := range []struct {
		o    Options
		want string
	}{
		{Options{}, "no batch size"},
		{Options{BatchSizes: []int{0}}, "batch size 0"},
		{Options{BatchSizes: []int{21}}, "larger than the 20 samples"},
		{Options{BatchSizes: []int{4}, Mode: "dense"}, "mode \"dense\""},
		{Options{BatchSizes: []int{4}, Window: Window{Min: 1, Max: 0.5}}, "window"},
		{Options{BatchSizes: []int{4}, Window: Window{Min: 1e3, Max: 1e4}}, "no Hessian eigenvalue in the window (1000, 10000)"},
	} {
		_, err := Analyze(m, b, tc.o)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("options %+v: error %v, want one containing %q", tc.o, err, tc.want)
		}
	}
	// Full mode is bounded by the memory estimate, not by P: a model of
	// P = 23,860 in full mode needs its 3·8·P² bytes per model, refused
	// under a limit below MemoryNeed and not at all without one.
	big, _ := model.New(model.Config{Layers: []int{784, 30, 10}, Activation: model.ReLU, Seed: 1})
	o := Options{BatchSizes: []int{4}, Mode: ModeFull, MaxMemory: 8 << 30}
	need, err := o.MemoryNeed(big.Layers, big.Activation, 20)
	if err != nil || need < 2*3*8*23860*23860 {
		t.Fatalf("MemoryNeed of full mode at P = 23,860: %g, %v; want at least two models' three dense matrices", need, err)
	}
	var me *memlimit.Error
	if _, err := AnalyzePair(big, tinyBatch(20, 784, 10, 1), 2, o, nil); !errors.As(err, &me) ||
		me.What != "the analysis of two models of P = 23860 parameters (mode full) on 20 samples" || me.Need != int64(need) || me.Limit != 8<<30 ||
		!slices.Equal(me.Levers, []memlimit.Lever{memlimit.Lower("first"), memlimit.Use("mode", "matfree")}) {
		t.Errorf("full mode with P = %d under 8 GiB: error %#v; want a *memlimit.Error with the estimate", big.NumParams(), err)
	}
	o.MaxMemory = int64(need)
	if err := o.CheckMemory(big.Layers, big.Activation, 20); err != nil {
		t.Errorf("full mode with P = 23,860 and MaxMemory = its estimate: %v; want no refusal", err)
	}
	o.MaxMemory = int64(need) - 1
	if err := o.CheckMemory(big.Layers, big.Activation, 20); !errors.As(err, &me) {
		t.Errorf("MaxMemory one byte below the estimate: %v; want a *memlimit.Error", err)
	}
	g, _ := NewGradientsFromMatrix(randomMatrix(4, 3, 1))
	if _, err := AnalyzeOperator(g, hessian.NewDense(mat.NewSymDense(2, nil)), Options{BatchSizes: []int{2}}); err == nil {
		t.Error("Hessian of dimension 2 for 3 parameters: want an error")
	}
}

// On a real network the full and the matrix-free modes (Lanczos over the
// whole space) find the same eigenvalues and the same cᵢ.
func TestAnalyzeFullMatchesMatFree(t *testing.T) {
	m, _ := model.New(model.Config{Layers: []int{6, 5, 4}, Activation: model.Tanh, Seed: 5})
	b := tinyBatch(80, 6, 4, 2)
	P := m.NumParams()
	o := Options{BatchSizes: []int{8}, Window: Window{Min: 1e-6, Max: 100}, Workers: 2}
	o.Mode = ModeFull
	full, err := Analyze(m, b, o)
	if err != nil {
		t.Fatal(err)
	}
	o.Mode, o.TopK = ModeMatFree, P
	mf, err := Analyze(m, b, o)
	if err != nil {
		t.Fatal(err)
	}
	if full.Eigen.InWindow != mf.Eigen.InWindow || full.Eigen.InWindow < 10 {
		t.Fatalf("in window: full %d, matfree %d", full.Eigen.InWindow, mf.Eigen.InWindow)
	}
	compared := 0
	for i := 0; i < len(full.Lambda) && i < len(mf.Lambda); i++ {
		l := full.Lambda[i]
		if d := math.Abs(l - mf.Lambda[i]); d > 1e-10 {
			t.Errorf("eigenvalue %d: full %v, matfree %v", i, l, mf.Lambda[i])
		}
		// cᵢ is defined by the eigenvector only for an isolated eigenvalue.
		gap := math.Inf(1)
		if i > 0 {
			gap = min(gap, full.Lambda[i-1]-l)
		}
		if i+1 < len(full.Lambda) {
			gap = min(gap, l-full.Lambda[i+1])
		}
		if gap < 1e-3*full.Lambda[0] {
			continue
		}
		compared++
		if d := math.Abs(full.Sigma.At(i, i) - mf.Sigma.At(i, i)); d > 1e-8*full.TraceSigma {
			t.Errorf("c of eigenvalue %d (%v): full %v, matfree %v", i, l, full.Sigma.At(i, i), mf.Sigma.At(i, i))
		}
	}
	if compared < 5 {
		t.Errorf("only %d isolated eigenvalues compared", compared)
	}
	if full.Loss == 0 || full.RelFrobenius == nil || mf.RelFrobenius != nil {
		t.Errorf("loss %v, full rel. Frobenius %v, matfree %v", full.Loss, full.RelFrobenius, mf.RelFrobenius)
	}
}

// Same seed, same data: the same numbers bit for bit whatever the number of
// workers, in both modes.
func TestAnalyzeWorkersBitIdentical(t *testing.T) {
	m, _ := model.New(model.Config{Layers: []int{6, 5, 4}, Activation: model.Tanh, Seed: 5})
	b := tinyBatch(600, 6, 4, 3)
	for _, mode := range []Mode{ModeFull, ModeMatFree} {
		o := Options{BatchSizes: []int{8, 32}, Window: Window{Min: 1e-6, Max: 100}, Mode: mode, TopK: 20, Seed: 4, MemoryBudget: 8 * 57 * 100}
		var ref *Analysis
		for _, w := range []int{1, 3} {
			o.Workers = w
			a, err := Analyze(m, b, o)
			if err != nil {
				t.Fatal(err)
			}
			if ref == nil {
				ref = a
				continue
			}
			if !slices.Equal(a.Lambda, ref.Lambda) || !mat.Equal(a.Sigma, ref.Sigma) || a.TraceSigma != ref.TraceSigma {
				t.Errorf("%s: workers 1 and 3 give different eigenvalues or projected Σ", mode)
			}
			for i, c := range a.Comparisons {
				r := ref.Comparisons[i]
				if *c.Fit != *r.Fit || c.MedianRatio != r.MedianRatio || c.OffdiagRatio != r.OffdiagRatio {
					t.Errorf("%s B=%d: workers 1 and 3 differ: %+v vs %+v", mode, c.BatchSize, c.Fit, r.Fit)
				}
			}
		}
	}
}

// TestFitLogLogInterval: the slope's standard error and 95% interval on
// four points worked by hand: log x = 0, 1, 2, 3, log y = 0, 1.1, 1.9, 3.0
// give slope 4.9/5 = 0.98, residuals ∓0.03, ±0.09, so Σe² = 0.018,
// se = √(0.018/2/5) and the interval 0.98 ± t·se with Student's quantile
// for 2 degrees of freedom in closed form, t(p) = (2p − 1)/√(2p(1 − p)) at
// p = 0.975 (4.3027); span 3 decades.
func TestFitLogLogInterval(t *testing.T) {
	x := []float64{1, 10, 100, 1000}
	y := []float64{1, math.Pow(10, 1.1), math.Pow(10, 1.9), 1000}
	f, err := FitLogLog(x, y)
	if err != nil {
		t.Fatal(err)
	}
	se := math.Sqrt(0.018 / 2 / 5)
	t975 := 0.95 / math.Sqrt(2*0.975*0.025)
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"slope", f.Slope, 0.98}, {"stderr", f.SlopeStdErr, se},
		{"low", f.SlopeCI95[0], 0.98 - t975*se}, {"high", f.SlopeCI95[1], 0.98 + t975*se}, {"decades", f.Decades, 3},
	} {
		if math.Abs(c.got-c.want) > 1e-9 {
			t.Errorf("%s = %.12g, want %.12g", c.name, c.got, c.want)
		}
	}
	// Points spanning half a decade: the comparison warns.
	lam := []float64{0.5, 0.45, 0.4, 0.35, 0.3, 0.25, 0.2, 0.17}
	sig := mat.NewSymDense(len(lam), nil)
	for i, l := range lam {
		sig.SetSym(i, i, l*(1+0.1*float64(i%3)))
	}
	c, err := Compare(lam, sig, nil, 4, Window{Min: 1e-4, Max: 1})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(c.Warnings, func(w string) bool { return strings.Contains(w, "decades of λ/B") }) {
		t.Errorf("a fit over %.2f decades: warnings %q", c.Fit.Decades, c.Warnings)
	}
}

// TestCheckBatches: a batch larger than the samples is an *OptionError of
// batch_size; batches up to N pass.
func TestCheckBatches(t *testing.T) {
	o := Options{BatchSizes: []int{4, 20, 21}}
	var oe *OptionError
	if err := o.CheckBatches(20); !errors.As(err, &oe) || oe.Field != "batch_size" || oe.Detail != "21 is larger than the 20 samples analysed: C = Σ/B needs B ≤ N" {
		t.Errorf("B = 21 of 20 samples: %v", err)
	} else if f, d := oe.Option(); f != "batch_size" || d != oe.Detail {
		t.Errorf("Option() = %q, %q", f, d)
	}
	if err := o.CheckBatches(21); err != nil {
		t.Errorf("B ≤ 21 of 21 samples: %v", err)
	}
}
