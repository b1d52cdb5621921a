package stats

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// LineFit is an ordinary least-squares line y = Intercept + Slope·x with
// the slope's standard error SlopeStdErr and 95% confidence intervals from
// Student's t with N − 2 degrees of freedom (nil when N < 3) and R² (nil
// when y does not vary).
type LineFit struct {
	N           int         `json:"n"`
	Slope       float64     `json:"slope"`
	Intercept   float64     `json:"intercept"`
	SlopeStdErr *float64    `json:"slope_stderr"`
	SlopeCI     *[2]float64 `json:"slope_ci95"`
	InterceptCI *[2]float64 `json:"intercept_ci95"`
	R2          *float64    `json:"r2"`
}

// FitLine fits y = a + b·x by ordinary least squares (at least two distinct
// x). Standard errors: s² = SSE/(N−2), se(b) = s/√Sxx,
// se(a) = s·√(1/N + x̄²/Sxx).
func FitLine(x, y []float64) (LineFit, error) {
	if len(x) != len(y) || len(x) < 2 {
		return LineFit{}, fmt.Errorf("a line needs at least 2 points, got %d", len(x))
	}
	w := make([]float64, len(x))
	for i := range w {
		w[i] = 1
	}
	// Weights of 1 change no rounding: the weighted sums are these sums.
	return FitLineWeighted(x, y, w)
}

// Median returns the median of x: its middle value, or the mean of its two
// middle values when len(x) is even; NaN when x is empty. x is not
// modified.
func Median(x []float64) float64 {
	if len(x) == 0 {
		return math.NaN()
	}
	s := Sorted(x)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// FitLineWeighted fits y = a + b·x by weighted least squares with weights
// w ≥ 0 (1/σᵢ² for points of standard error σᵢ): it minimises
// Σ wᵢ(yᵢ − a − b·xᵢ)². With x̄, ȳ the weighted means, Sxx = Σwᵢ(xᵢ − x̄)²,
// b = Σwᵢ(xᵢ − x̄)(yᵢ − ȳ)/Sxx. The intervals take the weights as relative
// (s² = Σwᵢrᵢ²/(N − 2), se(b) = s/√Sxx, se(a) = s·√(1/Σwᵢ + x̄²/Sxx), Student's
// t with N − 2 degrees of freedom), so that equal weights give FitLine and
// integer weights the fit of the points repeated that many times in slope
// and intercept. R² is 1 − Σwᵢrᵢ²/Σwᵢ(yᵢ − ȳ)².
func FitLineWeighted(x, y, w []float64) (LineFit, error) {
	n := len(x)
	if n != len(y) || n != len(w) || n < 2 {
		return LineFit{}, fmt.Errorf("a weighted line needs at least 2 points with one weight each, got %d, %d, %d", len(x), len(y), len(w))
	}
	var sw, mx, my float64
	for i := range x {
		if !(w[i] >= 0) || math.IsInf(w[i], 0) {
			return LineFit{}, fmt.Errorf("weight %d is %v: want a finite number ≥ 0", i, w[i])
		}
		sw += w[i]
		mx += w[i] * x[i]
		my += w[i] * y[i]
	}
	if !(sw > 0) {
		return LineFit{}, fmt.Errorf("a weighted line needs a positive weight")
	}
	mx /= sw
	my /= sw
	var sxx, sxy, syy float64
	for i := range x {
		dx, dy := x[i]-mx, y[i]-my
		sxx += w[i] * dx * dx
		sxy += w[i] * dx * dy
		syy += w[i] * dy * dy
	}
	if sxx == 0 {
		return LineFit{}, fmt.Errorf("a line needs at least 2 distinct x values of positive weight")
	}
	f := LineFit{N: n, Slope: sxy / sxx}
	f.Intercept = my - f.Slope*mx
	sse := 0.0
	for i := range x {
		r := y[i] - f.Intercept - f.Slope*x[i]
		sse += w[i] * r * r
	}
	if syy > 0 {
		if r2 := 1 - sse/syy; !math.IsNaN(r2) && !math.IsInf(r2, 0) {
			f.R2 = &r2
		}
	}
	if n >= 3 {
		s := math.Sqrt(sse / float64(n-2))
		t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(n - 2)}.Quantile(0.975)
		seB := s / math.Sqrt(sxx)
		seA := s * math.Sqrt(1/sw+mx*mx/sxx)
		f.SlopeStdErr = &seB
		f.SlopeCI = &[2]float64{f.Slope - t*seB, f.Slope + t*seB}
		f.InterceptCI = &[2]float64{f.Intercept - t*seA, f.Intercept + t*seA}
	}
	return f, nil
}

// Detrend returns x minus its least-squares line a + b·j in the index
// j = 0 … n−1 (FitLine): the series with its slow drift removed. A single
// value is its own line; nothing gives nothing.
func Detrend(x []float64) []float64 {
	a, b := indexLine(x)
	y := make([]float64, len(x))
	for j, v := range x {
		y[j] = v - (a + b*float64(j))
	}
	return y
}

// indexLine returns the least-squares line a + b·j of x against its index.
func indexLine(x []float64) (a, b float64) {
	if len(x) < 2 {
		if len(x) == 1 {
			return x[0], 0
		}
		return 0, 0
	}
	j := make([]float64, len(x))
	for i := range j {
		j[i] = float64(i)
	}
	f, err := FitLine(j, x)
	if err != nil { // not reached: two or more distinct indices
		return math.NaN(), math.NaN()
	}
	return f.Intercept, f.Slope
}
