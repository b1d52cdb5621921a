package minimum

import (
	"math"
	"testing"

	"github.com/sgn-project/sgn/hessian"
	"github.com/sgn-project/sgn/model"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// rosenbrock is f(x, y) = (1 − x)² + 100(y − x²)², minimum 0 at (1, 1)
// with Hessian [[802, −400], [−400, 200]].
type rosenbrock struct{}

func (rosenbrock) Dim() int { return 2 }

func (rosenbrock) LossGrad(t, g []float64) (float64, error) {
	x, y := t[0], t[1]
	g[0] = -2*(1-x) - 400*x*(y-x*x)
	g[1] = 200 * (y - x*x)
	return (1-x)*(1-x) + 100*(y-x*x)*(y-x*x), nil
}

func (rosenbrock) Hessian(t []float64) (hessian.Operator, error) {
	x, y := t[0], t[1]
	return hessian.NewDense(mat.NewSymDense(2, []float64{2 - 400*(y-x*x) + 800*x*x, -400 * x, -400 * x, 200})), nil
}

// saddle is f(x, y) = ½(x² − y²): from (x, 0) every method that follows
// the gradient ends at the saddle (0, 0), Hessian eigenvalues −1 and 1.
type saddle struct{}

func (saddle) Dim() int { return 2 }

func (saddle) LossGrad(t, g []float64) (float64, error) {
	g[0], g[1] = t[0], -t[1]
	return (t[0]*t[0] - t[1]*t[1]) / 2, nil
}

func (saddle) Hessian([]float64) (hessian.Operator, error) {
	return hessian.NewDense(mat.NewSymDense(2, []float64{1, 0, 0, -1})), nil
}

func TestMinimizeRosenbrock(t *testing.T) {
	theta := []float64{-1.2, 1}
	st, err := Minimize(rosenbrock{}, theta, Options{GradTol: 1e-10, MaxIterations: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if !st.Converged || st.GradNorm > 1e-10 || math.Abs(theta[0]-1) > 1e-9 || math.Abs(theta[1]-1) > 1e-9 {
		t.Fatalf("θ = %v, stats %+v: want (1, 1) with ‖∇f‖ ≤ 1e-10", theta, st)
	}
	op, _ := rosenbrock{}.Hessian(theta)
	c, err := ExtremeCurvature(op)
	if err != nil {
		t.Fatal(err)
	}
	// Eigenvalues of [[802, −400], [−400, 200]]: (1002 ∓ √(1002² − 4·400))/2.
	lo, hi := (1002-math.Sqrt(1002*1002-1600))/2, (1002+math.Sqrt(1002*1002-1600))/2
	if math.Abs(c.Min-lo) > 1e-6 || math.Abs(c.Max-hi) > 1e-6 || c.IsSaddle() || c.Method != "dense" {
		t.Errorf("curvature %+v, want λ = %v, %v, a minimum", c, lo, hi)
	}
}

// TestNewtonCGFinishes: with L-BFGS cut short, Newton–CG on the exact
// Hessian reaches the minimum.
func TestNewtonCGFinishes(t *testing.T) {
	theta := []float64{1.1, 1.25}
	st, err := Minimize(rosenbrock{}, theta, Options{GradTol: 1e-12, MaxIterations: 1})
	if err != nil {
		t.Fatal(err)
	}
	if !st.Converged || st.NewtonIterations == 0 || math.Abs(theta[0]-1) > 1e-12 || math.Abs(theta[1]-1) > 1e-12 {
		t.Fatalf("θ = %v, stats %+v: want (1, 1) reached by Newton–CG", theta, st)
	}
}

func TestMinimizeFindsAndReportsASaddle(t *testing.T) {
	theta := []float64{0.3, 0}
	st, err := Minimize(saddle{}, theta, Options{GradTol: 1e-9, MaxIterations: 100})
	if err != nil {
		t.Fatal(err)
	}
	if !st.Converged || floats.Norm(theta, 2) > 1e-9 {
		t.Fatalf("θ = %v, %+v: want the stationary point (0, 0)", theta, st)
	}
	op, _ := saddle{}.Hessian(theta)
	c, err := ExtremeCurvature(op)
	if err != nil {
		t.Fatal(err)
	}
	if c.Min != -1 || c.Max != 1 || !c.IsSaddle() {
		t.Errorf("curvature %+v: want λ = −1, 1, a saddle", c)
	}
}

// TestMinimizeSoftmaxRegression: a network without hidden layer on two
// inputs e₁ (labels 0, 0, 1, 2) and e₂ (labels 0, 1, 2, 2). Its minimum
// predicts the label frequencies, (½, ¼, ¼) and (¼, ¼, ½), with the mean
// cross-entropy 1.5·ln 2.
func TestMinimizeSoftmaxRegression(t *testing.T) {
	net, err := model.New(model.Config{Layers: []int{2, 3}, Activation: model.Tanh, Init: model.InitGlorot, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	b := model.Batch{X: []float64{1, 0, 1, 0, 1, 0, 1, 0, 0, 1, 0, 1, 0, 1, 0, 1}, Y: []int{0, 0, 1, 2, 0, 1, 2, 2}}
	obj := Network{Net: net, Batch: b, Workers: 1}
	theta := append([]float64(nil), net.Theta...)
	st, err := Minimize(obj, theta, Options{GradTol: 1e-9, MaxIterations: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if !st.Converged || math.Abs(st.Loss-1.5*math.Ln2) > 1e-12 {
		t.Fatalf("%+v: want loss 1.5·ln 2 = %v with ‖∇L‖ ≤ 1e-9", st, 1.5*math.Ln2)
	}
	// Logits z = W·x + b (W is 3×2 row-major, then b): the probabilities of
	// each input.
	w, bias := theta[:6], theta[6:]
	for i, want := range [][]float64{{0.5, 0.25, 0.25}, {0.25, 0.25, 0.5}} {
		z := []float64{w[i] + bias[0], w[2+i] + bias[1], w[4+i] + bias[2]}
		s := floats.LogSumExp(z)
		for k := range z {
			if p := math.Exp(z[k] - s); math.Abs(p-want[k]) > 1e-8 {
				t.Errorf("input %d class %d: p = %v, want %v", i, k, p, want[k])
			}
		}
	}
	// The curvature from the R-operator against the eigenvalues of the
	// Hessian by central differences of the gradient.
	op, err := obj.Hessian(theta)
	if err != nil {
		t.Fatal(err)
	}
	c, err := ExtremeCurvature(op)
	if err != nil {
		t.Fatal(err)
	}
	n := len(theta)
	v := fdSpectrum(t, obj, theta, 1e-5)
	if math.Abs(c.Min-v[0]) > 1e-7 || math.Abs(c.Max-v[n-1]) > 1e-7 {
		t.Errorf("curvature %+v, central differences λ = %v … %v", c, v[0], v[n-1])
	}
	// The softmax is invariant to shifting the logits of an input: zero
	// curvature, a minimum (not a saddle).
	if math.Abs(c.Min) > 1e-12 || c.IsSaddle() || c.MaxResidual > 1e-12 {
		t.Errorf("curvature %+v: want λmin = 0, a minimum", c)
	}
}

// fdSpectrum returns the eigenvalues, ascending, of the Hessian of obj at
// theta by central differences of its gradient with step h (the upper
// triangle, column j from the gradients at theta ± h·eⱼ).
func fdSpectrum(t *testing.T, obj Objective, theta []float64, h float64) []float64 {
	t.Helper()
	n := len(theta)
	fd := mat.NewSymDense(n, nil)
	gp, gm := make([]float64, n), make([]float64, n)
	tp := append([]float64(nil), theta...)
	for j := range n {
		tp[j] = theta[j] + h
		if _, err := obj.LossGrad(tp, gp); err != nil {
			t.Fatal(err)
		}
		tp[j] = theta[j] - h
		if _, err := obj.LossGrad(tp, gm); err != nil {
			t.Fatal(err)
		}
		tp[j] = theta[j]
		for i := 0; i <= j; i++ {
			fd.SetSym(i, j, (gp[i]-gm[i])/(2*h))
		}
	}
	var eig mat.EigenSym
	if !eig.Factorize(fd, false) {
		t.Fatal("eigendecomposition failed")
	}
	return eig.Values(nil)
}
