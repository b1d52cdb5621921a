package stats

import (
	"math"
	"testing"
)

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
