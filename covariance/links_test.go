package covariance

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/sgn-project/sgn/data"
	"github.com/sgn-project/sgn/model"
)

// TestFisherLinksModelLabels: with every label drawn from the model's own
// prediction p(y|x) (a sample of known parameters), the empirical Fisher's
// expectation is the model Fisher, so along H's eigendirections the
// median cᵢB/fᵢ is 1 up to the sampling of 2,000 labels (a second moment
// of 2,000 terms: a few per cent; measured 0.995), with a bootstrap
// interval about it. The points' fᵢ/B are the Fisher forms of the analysis
// divided by B.
func TestFisherLinksModelLabels(t *testing.T) {
	set, err := data.Load(data.Options{Split: "train", Pool: 4, First: 2000})
	if err != nil {
		t.Fatal(err)
	}
	m, err := model.New(model.Config{Layers: []int{49, 6, 10}, Activation: model.Tanh, Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	D, K := m.InputDim(), m.NumClasses()
	rng := rand.New(rand.NewPCG(4, 5))
	y := make([]int, set.N)
	for n := range y {
		u, cum := rng.Float64(), 0.0
		y[n] = K - 1
		for k := range K {
			l, err := m.Loss(m.Theta, model.Batch{X: set.X[n*D : (n+1)*D], Y: []int{k}}, 1)
			if err != nil {
				t.Fatal(err)
			}
			if cum += math.Exp(-l); u < cum {
				y[n] = k
				break
			}
		}
	}
	a, err := Analyze(m, model.Batch{X: set.X, Y: y}, Options{BatchSizes: []int{32}, Mode: ModeFull, Seed: 1, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	c := a.Comparisons[0]
	if c.Fisher == nil || c.Intervals == nil || c.Intervals.EmpiricalOverFisher == nil || len(c.F) != len(c.X) {
		t.Fatalf("no Fisher links or intervals: %+v, %+v", c.Fisher, c.Intervals)
	}
	iv := *c.Intervals.EmpiricalOverFisher
	t.Logf("labels from the model: median cᵢB/fᵢ %.4g [%.4g, %.4g] over %d, fᵢ/λᵢ %.4g", c.Fisher.MedianEmpiricalOverFisher, iv[0], iv[1], c.Fisher.Points, c.Fisher.MedianFisherOverHessian)
	med := c.Fisher.MedianEmpiricalOverFisher
	if math.Abs(med-1) > 0.03 || !(iv[0] < med && med < iv[1]) || !(iv[1]-iv[0] < 0.1) {
		t.Errorf("labels from the model: median cᵢB/fᵢ %v, interval %v: want 1 within 3%%, inside a narrow interval", med, iv)
	}
	for j, i := range c.Index {
		if math.Abs(c.F[j]-a.Fisher[i]/32) > 0 {
			t.Fatalf("point %d: fᵢ/B = %v, Fisher form %v over B = 32", j, c.F[j], a.Fisher[i])
		}
	}
}

// TestBootstrapExact: the percentile rule on 0…40 (type 7: positions 1
// and 39), and intervals that must collapse: all ratios equal give the
// point interval, points on one line give r = 1 in every resample; the
// same seed gives the same bits, another seed other resamples.
func TestBootstrapExact(t *testing.T) {
	x := make([]float64, 41)
	for i := range x {
		x[i] = float64(40 - i)
	}
	if p := percentile95(x); p != [2]float64{1, 39} {
		t.Errorf("percentiles of 0…40: %v, want [1, 39]", p)
	}
	c := &Comparison{BatchSize: 8}
	for i := range 30 {
		l := math.Pow(10, -3+0.1*float64(i))
		c.X, c.Y, c.F = append(c.X, l), append(c.Y, 0.3*l), append(c.F, 0.6*l)
	}
	c.Fisher = &FisherLinks{Points: 30, MedianEmpiricalOverFisher: 0.5, MedianFisherOverHessian: 0.6}
	c.bootstrap(7)
	iv := c.Intervals
	if math.Abs(iv.MedianRatio[0]-0.3) > 1e-15 || math.Abs(iv.MedianRatio[1]-0.3) > 1e-15 {
		t.Errorf("equal ratios 0.3: interval %v", iv.MedianRatio)
	}
	if math.Abs(iv.PearsonR[0]-1) > 1e-12 || math.Abs(iv.PearsonR[1]-1) > 1e-12 {
		t.Errorf("points on a line: r interval %v, want [1, 1]", *iv.PearsonR)
	}
	if math.Abs(iv.EmpiricalOverFisher[0]-0.5) > 1e-15 || math.Abs(iv.EmpiricalOverFisher[1]-0.5) > 1e-15 ||
		math.Abs(iv.FisherOverHessian[0]-0.6) > 1e-15 || math.Abs(iv.FisherOverHessian[1]-0.6) > 1e-15 {
		t.Errorf("Fisher links 0.5 and 0.6 at every point: %v, %v", *iv.EmpiricalOverFisher, *iv.FisherOverHessian)
	}
	// Scattered ratios: the interval is the same for the same seed and
	// brackets the median.
	rng := rand.New(rand.NewPCG(1, 1))
	for i := range c.Y {
		c.Y[i] = c.X[i] * math.Exp(rng.NormFloat64())
	}
	c.bootstrap(7)
	a := *c.Intervals
	c.bootstrap(7)
	if *c.Intervals.PearsonR != *a.PearsonR || c.Intervals.MedianRatio != a.MedianRatio {
		t.Error("the same seed gave other intervals")
	}
	c.bootstrap(8)
	if c.Intervals.MedianRatio == a.MedianRatio {
		t.Error("another seed gave the same interval")
	}
	if !(a.MedianRatio[0] < a.MedianRatio[1]) {
		t.Errorf("scattered ratios: degenerate interval %v", a.MedianRatio)
	}
}
