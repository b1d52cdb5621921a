package equilibrium

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/sgn-project/sgn/hessian"
)

// usageErr stands for a command line's usage error in AsUsage.
type usageErr struct{ msg string }

func (e usageErr) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return usageErr{msg: fmt.Sprintf(format, args...)}
}

// TestStabilityGate: on a quadratic of eigenvalues 4 and 1, η·λmax ≥ 2 is
// refused before anything runs, at its bound (η = 0.5: exactly 2) and above;
// measured at θ₀ (no descent: the dense λmax 4) or at the given θ before a
// descent (Lanczos' top eigenvalue, 4 to 1e-10). Both follow from the
// settings and the start, so AsUsage makes them a usage error naming
// --eta; a refusal at θ₀ after a descent stays an error of the run. Just
// below the bound the run goes ahead.
func TestStabilityGate(t *testing.T) {
	q := newQuadratic(t, []float64{4, 1}, 10, 7)
	theta := []float64{0.1, 0.1}
	for _, c := range []struct {
		eta     float64
		descend int
	}{{0.5, 0}, {0.6, 0}, {0.5, 10}, {3, 10}} {
		_, err := Measure(q, theta, Settings{Eta: c.eta, BatchSize: 2, Steps: 200, Every: 1, TopK: 2, Descend: c.descend, Seed: 1}, nil)
		var se *StabilityError
		if !errors.As(err, &se) || se.Eta != c.eta || math.Abs(se.LambdaMax-4) > 1e-10 || se.Descend != 0 {
			t.Fatalf("η = %v, descend %d: err = %v, want a StabilityError at λmax = 4 of the given θ", c.eta, c.descend, err)
		}
		u := AsUsage(err, usagef)
		if _, ok := u.(usageErr); !ok || !strings.HasPrefix(u.Error(), "--eta ") || !strings.Contains(u.Error(), "≥ 2") || strings.Contains(u.Error(), "\n") {
			t.Errorf("η = %v: AsUsage = %v, want one usage line naming --eta and the bound", c.eta, u)
		}
	}
	if _, err := Measure(q, theta, Settings{Eta: 0.49, BatchSize: 2, Steps: 200, Every: 1, TopK: 2, Seed: 1}, nil); err != nil {
		t.Errorf("η·λmax = 1.96: %v", err)
	}
	after := &StabilityError{Eta: 0.5, LambdaMax: 5, Descend: 100}
	if u := AsUsage(after, usagef); u != error(after) || !strings.Contains(u.Error(), "after the 100 gradient-descent steps") {
		t.Errorf("a refusal after the descent: %v", u)
	}
	if plain := errors.New("other"); AsUsage(plain, usagef) != plain {
		t.Error("AsUsage changed another error")
	}
}

// logCosh is the 1-D loss ℓₙ(θ) = log cosh θ + bₙθ with Σbₙ = 0: its
// curvature sech²θ is small far from 0 while its gradient tanh θ stays near
// 1, so a step of η that is stable where it starts (ηλ < 2 at θ = 3) throws
// θ across the valley to where the loss is far higher.
type logCosh struct{ b []float64 }

func (l logCosh) Dim() int        { return 1 }
func (l logCosh) NumSamples() int { return len(l.b) }
func (l logCosh) Hessian(theta []float64) (hessian.Operator, error) {
	s := 1 / math.Cosh(theta[0])
	return symOp{mat.NewSymDense(1, []float64{s * s})}, nil
}
func (l logCosh) PerSampleGradients(theta []float64, lo, hi int, G []float64) error {
	for n := lo; n < hi; n++ {
		G[n-lo] = math.Tanh(theta[0]) + l.b[n]
	}
	return nil
}
func (l logCosh) NewGradient() Gradient { return logCoshGrad{l} }

type logCoshGrad struct{ l logCosh }

func (g logCoshGrad) Grad(theta []float64, idx []int, grad []float64) (float64, error) {
	var mb float64
	for _, n := range idx {
		mb += g.l.b[n] / float64(len(idx))
	}
	grad[0] = math.Tanh(theta[0]) + mb
	return math.Log(math.Cosh(theta[0])) + mb*theta[0], nil
}

// TestDescentThatRises: from θ = 3 (λ = sech²3 = 0.00987) steps of η = 100
// pass the gate (ηλ = 0.99) but the first lands at θ = 3 − 100·tanh 3 =
// −96.5, where the loss is 95.8 against 2.31 at the start: the descent has
// left the valley and Measure says it diverged, with both losses.
func TestDescentThatRises(t *testing.T) {
	l := logCosh{b: []float64{0.1, -0.1, 0.05, -0.05}}
	_, err := Measure(l, []float64{3}, Settings{Eta: 100, BatchSize: 2, Steps: 200, Every: 1, TopK: 1, Bulk: -1, Descend: 5, Seed: 1}, nil)
	if err == nil || !strings.Contains(err.Error(), "gradient descent diverged (η = 100): the loss rose from 2.3093") {
		t.Errorf("err = %v, want the descent's divergence", err)
	}
	var se *StabilityError
	if errors.As(err, &se) {
		t.Errorf("a StabilityError: %v", err)
	}
}

// TestDivergenceInReport: a report whose measured numbers are finite
// passes; a NaN or infinite variance, end loss or median (with a direction
// used) is a divergence naming the number; the medians of no equilibrated
// direction and the slopes of fewer than two, NaN by design, are not.
func TestDivergenceInReport(t *testing.T) {
	nan := math.NaN()
	ok := func() *Report {
		r := &Report{Settings: Settings{Eta: 0.1}, LossEnd: map[string]float64{SGD: 1, SGLD: 1}}
		r.Minimum.LambdaMax, r.Minimum.TraceC, r.Minimum.GradNorm = 4, 1, 0.1
		r.Directions = []Direction{{Index: 1, Lambda: 4, VarSGD: 1e-3, VarSGLD: 1e-3, VarSGDDetrended: 1e-3, VarSGLDDetrended: 1e-3}}
		r.Summary.MedianRatioSGDMeasuredC, r.Summary.MedianRatioSGDHOverB, r.Summary.MedianRatioSGLD = Number(nan), Number(nan), Number(nan)
		r.Summary.RatioSGDQuasiStatic.Median, r.Summary.RatioSGLDQuasiStatic.Median, r.Summary.RatioSGDLyapunov.Median = Number(nan), Number(nan), Number(nan)
		r.Summary.LogLogSlopeSGD = Number(nan)
		return r
	}
	if err := ok().divergence(); err != nil {
		t.Errorf("no direction used, medians NaN: %v", err)
	}
	for name, spoil := range map[string]func(r *Report){
		"SGD's variance along direction 1 is NaN": func(r *Report) { r.Directions[0].VarSGD = nan },
		"end of SGLD is +Inf":                     func(r *Report) { r.LossEnd[SGLD] = math.Inf(1) },
		"quasi-static v of SGD is NaN": func(r *Report) {
			r.Summary.DirectionsUsed = 1
			r.Summary.MedianRatioSGDMeasuredC, r.Summary.MedianRatioSGDHOverB, r.Summary.MedianRatioSGLD = 1, 1, 1
			r.Summary.RatioSGDLyapunov.Median, r.Summary.RatioSGLDQuasiStatic.Median = 1, 1
		},
	} {
		r := ok()
		spoil(r)
		err := r.divergence()
		if err == nil || !strings.Contains(err.Error(), name) || !strings.Contains(err.Error(), "diverged (η = 0.1)") {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

// quartic is the 1-D loss ℓₙ(θ) = ½θ² + θ⁴ + bₙθ with Σbₙ = 0: its
// curvature 1 + 12θ² is 1 at the minimum θ = 0 and grows away from it, so
// a step η = 1.9 that is stable at the minimum (ηλ = 1.9) throws a chain
// that the noise carries to |θ| ≳ 0.1 further out each step, until θ is no
// longer finite.
type quartic struct{ b []float64 }

func (q quartic) Dim() int        { return 1 }
func (q quartic) NumSamples() int { return len(q.b) }
func (q quartic) Hessian(theta []float64) (hessian.Operator, error) {
	return symOp{mat.NewSymDense(1, []float64{1 + 12*theta[0]*theta[0]})}, nil
}
func (q quartic) PerSampleGradients(theta []float64, lo, hi int, G []float64) error {
	t := theta[0]
	for n := lo; n < hi; n++ {
		G[n-lo] = t + 4*t*t*t + q.b[n]
	}
	return nil
}
func (q quartic) NewGradient() Gradient { return quarticGrad{q} }

type quarticGrad struct{ q quartic }

func (g quarticGrad) Grad(theta []float64, idx []int, grad []float64) (float64, error) {
	var mb float64
	for _, n := range idx {
		mb += g.q.b[n] / float64(len(idx))
	}
	t := theta[0]
	grad[0] = t + 4*t*t*t + mb
	return t*t/2 + t*t*t*t + mb*t, nil
}

// TestChainsThatDiverge: at the minimum of the quartic η·λmax = 1.9 passes
// the gate, but SGD's minibatch noise (bₙ = ±1, B = 1) kicks θ to where the
// curvature makes η·λ far above 2, and the chain runs off to infinity: the
// measurement stops with a divergence, not a StabilityError, and returns
// no report.
func TestChainsThatDiverge(t *testing.T) {
	q := quartic{b: []float64{1, -1, 1, -1}}
	for _, w := range []int{1, 2} {
		r, err := Measure(q, []float64{0}, Settings{Eta: 1.9, BatchSize: 1, Steps: 2000, Every: 1, TopK: 1, Bulk: -1, Seed: 1, Workers: w}, nil)
		var se *StabilityError
		if err == nil || r != nil || errors.As(err, &se) || !strings.Contains(err.Error(), "diverged") {
			t.Errorf("%d workers: report %v, err = %v; want a divergence", w, r != nil, err)
		}
		if err != nil && (strings.Contains(err.Error(), "\n") || !strings.HasPrefix(err.Error(), "sgd diverged")) {
			t.Errorf("%d workers: %q, want one line, SGD's", w, err)
		}
	}
}
