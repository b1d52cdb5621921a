package stats

import (
	"math"
	"testing"
)

// x = (1, 2, 3), y = (1, 2, 2): slope 1/2, intercept 2/3, SSE = 1/6,
// R² = 3/4, se(slope) = √(1/12), t(0.975, 1) = 12.7062047361747.
func TestFitLineExact(t *testing.T) {
	f, err := FitLine([]float64{1, 2, 3}, []float64{1, 2, 2})
	if err != nil {
		t.Fatal(err)
	}
	const tq = 12.7062047361747
	hw := tq * math.Sqrt(1.0/12)
	hwA := tq * math.Sqrt(1.0/6) * math.Sqrt(1.0/3+4.0/2)
	if math.Abs(f.Slope-0.5) > 1e-14 || math.Abs(f.Intercept-2.0/3) > 1e-14 || math.Abs(*f.R2-0.75) > 1e-14 {
		t.Errorf("fit %+v, want slope 1/2, intercept 2/3, R² 3/4", f)
	}
	// Residuals −1/6, 1/3, −1/6: SSE = 1/6, s² = 1/6, Sxx = 2, se(b) = √(1/12).
	if f.SlopeStdErr == nil || math.Abs(*f.SlopeStdErr-math.Sqrt(1.0/12)) > 1e-15 {
		t.Errorf("slope standard error %v, want √(1/12)", f.SlopeStdErr)
	}
	if math.Abs(f.SlopeCI[0]-(0.5-hw)) > 1e-9 || math.Abs(f.SlopeCI[1]-(0.5+hw)) > 1e-9 {
		t.Errorf("slope CI %v, want 0.5 ± %g", *f.SlopeCI, hw)
	}
	if math.Abs(f.InterceptCI[1]-(2.0/3+hwA)) > 1e-9 {
		t.Errorf("intercept CI %v, want 2/3 ± %g", *f.InterceptCI, hwA)
	}
	if _, err := FitLine([]float64{1, 1}, []float64{1, 2}); err == nil {
		t.Error("a line through one x accepted")
	}
	f, _ = FitLine([]float64{1, 2}, []float64{3, 5})
	if f.SlopeCI != nil || f.SlopeStdErr != nil || f.Slope != 2 {
		t.Errorf("two points: %+v, want slope 2 and no interval", f)
	}
}

// Median: the middle value, the mean of the two middle ones, NaN for none;
// the argument is left in its order.
func TestMedian(t *testing.T) {
	x := []float64{5, 1, 4, 2, 3}
	if m := Median(x); m != 3 || x[0] != 5 || x[4] != 3 {
		t.Errorf("median of 5 1 4 2 3 = %v (x now %v), want 3 and x unchanged", m, x)
	}
	if m := Median([]float64{4, -1, 2, 10}); m != 3 {
		t.Errorf("median of 4 -1 2 10 = %v, want 3", m)
	}
	if m := Median(nil); !math.IsNaN(m) {
		t.Errorf("median of nothing = %v, want NaN", m)
	}
}

// TestDetrend: y = 2 + 0.5j + e with residuals e = ±1 alternating (n = 10):
// the line is recovered up to the residuals' own slope (Σ(j − 4.5)·e_j =
// −5 and Σ(j − 4.5)² = 82.5); detrended, the series has mean 0.
func TestDetrend(t *testing.T) {
	n := 10
	y := make([]float64, n)
	for j := range y {
		y[j] = 2 + 0.5*float64(j) + float64(1-2*(j%2))
	}
	a, b := indexLine(y)
	if math.Abs(b-(0.5-5/82.5)) > 1e-12 || math.Abs(a+b*4.5-(2+0.5*4.5)) > 1e-12 {
		t.Errorf("fit a = %v, b = %v", a, b)
	}
	var m float64
	for _, v := range Detrend(y) {
		m += v
	}
	if math.Abs(m) > 1e-12 {
		t.Errorf("detrended mean %v", m)
	}
	if d := Detrend([]float64{4}); len(d) != 1 || d[0] != 0 {
		t.Errorf("Detrend of one value %v, want [0]", d)
	}
}

// Equal weights give FitLine exactly in slope, intercept and intervals;
// integer weights give the slope and intercept of the points repeated; a
// point of zero weight does not count; data on an exact line give it back.
func TestFitLineWeighted(t *testing.T) {
	x := []float64{0, 1, 2, 3, 4}
	y := []float64{0.1, 0.9, 2.2, 2.8, 4.3}
	ols, _ := FitLine(x, y)
	wls, err := FitLineWeighted(x, y, []float64{3, 3, 3, 3, 3})
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(ols.Slope-wls.Slope) > 1e-14 || math.Abs(ols.Intercept-wls.Intercept) > 1e-14 ||
		math.Abs(ols.SlopeCI[0]-wls.SlopeCI[0]) > 1e-12 || math.Abs(*ols.R2-*wls.R2) > 1e-14 {
		t.Errorf("equal weights: %+v, OLS %+v", wls, ols)
	}
	rep, _ := FitLine([]float64{0, 0, 1, 2, 3, 4, 4, 4}, []float64{0.1, 0.1, 0.9, 2.2, 2.8, 4.3, 4.3, 4.3})
	w2, _ := FitLineWeighted(x, y, []float64{2, 1, 1, 1, 3})
	if math.Abs(rep.Slope-w2.Slope) > 1e-13 || math.Abs(rep.Intercept-w2.Intercept) > 1e-13 {
		t.Errorf("integer weights: slope %v intercept %v, repeated points %v %v", w2.Slope, w2.Intercept, rep.Slope, rep.Intercept)
	}
	zero, _ := FitLineWeighted(append(x, 10), append(y, 100), []float64{1, 1, 1, 1, 1, 0})
	if math.Abs(zero.Slope-ols.Slope) > 1e-13 {
		t.Errorf("a zero-weight point moved the slope: %v, want %v", zero.Slope, ols.Slope)
	}
	exact, _ := FitLineWeighted(x, []float64{1, 3, 5, 7, 9}, []float64{1, 5, 0.1, 2, 7})
	if math.Abs(exact.Slope-2) > 1e-14 || math.Abs(exact.Intercept-1) > 1e-14 {
		t.Errorf("exact line: %+v", exact)
	}
	for _, w := range [][]float64{{1, 1}, {0, 0, 0, 0, 0}, {1, -1, 1, 1, 1}, {1, math.NaN(), 1, 1, 1}} {
		if _, err := FitLineWeighted(x, y, w); err == nil {
			t.Errorf("weights %v: no error", w)
		}
	}
}
