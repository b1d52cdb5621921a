package equilibrium

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat/distuv"

	"github.com/sgn-project/sgn/hessian"
	"github.com/sgn-project/sgn/internal/synthtest"
)

// quadratic is the landscape L(θ) = (1/N)Σₙ ℓₙ(θ) with per-sample losses
// ℓₙ(θ) = ½θᵀAθ + bₙᵀθ, Σₙ bₙ = 0: ∇ℓₙ = Aθ + bₙ, so the minimum is θ = 0,
// H = A and the per-sample gradient covariance is Σ = (1/N)Σₙ bₙbₙᵀ at
// every θ. The SGD and SGLD dynamics on it are exactly linear.
type quadratic struct {
	A *mat.SymDense
	b [][]float64
}

func newQuadratic(t *testing.T, eig []float64, N int, sd uint64) *quadratic {
	t.Helper()
	P := len(eig)
	rng := rand.New(rand.NewPCG(sd, 1))
	// A = Q diag(eig) Qᵀ with Q orthogonal (QR of a Gaussian matrix).
	Q := synthtest.Orthogonal(rng, P)
	A := mat.NewSymDense(P, nil)
	for i := range P {
		for j := i; j < P; j++ {
			var s float64
			for k := range P {
				s += Q.At(i, k) * eig[k] * Q.At(j, k)
			}
			A.SetSym(i, j, s)
		}
	}
	// bₙ with a non-isotropic, non-diagonal covariance, centred.
	mix := mat.NewDense(P, P, nil)
	for i := range P {
		for j := range P {
			mix.Set(i, j, rng.NormFloat64()*float64(1+i))
		}
	}
	b := make([][]float64, N)
	mean := make([]float64, P)
	for n := range b {
		z := make([]float64, P)
		for i := range z {
			z[i] = rng.NormFloat64()
		}
		b[n] = make([]float64, P)
		for i := range P {
			for j := range P {
				b[n][i] += mix.At(i, j) * z[j]
			}
			mean[i] += b[n][i] / float64(N)
		}
	}
	for n := range b {
		for i := range P {
			b[n][i] -= mean[i]
		}
	}
	return &quadratic{A: A, b: b}
}

func (q *quadratic) Dim() int        { return len(q.b[0]) }
func (q *quadratic) NumSamples() int { return len(q.b) }

func (q *quadratic) Hessian(theta []float64) (hessian.Operator, error) { return symOp{q.A}, nil }

func (q *quadratic) PerSampleGradients(theta []float64, lo, hi int, G []float64) error {
	P := q.Dim()
	for n := lo; n < hi; n++ {
		g := G[(n-lo)*P : (n-lo+1)*P]
		mat.NewVecDense(P, g).MulVec(q.A, mat.NewVecDense(P, theta))
		for i := range g {
			g[i] += q.b[n][i]
		}
	}
	return nil
}

func (q *quadratic) NewGradient() Gradient { return quadGrad{q} }

type quadGrad struct{ q *quadratic }

func (g quadGrad) Grad(theta []float64, idx []int, grad []float64) (float64, error) {
	q := g.q
	P := q.Dim()
	mat.NewVecDense(P, grad).MulVec(q.A, mat.NewVecDense(P, theta))
	loss := floats.Dot(theta, grad) / 2
	if idx == nil {
		return loss, nil // Σₙ bₙ = 0
	}
	for _, n := range idx {
		for i := range grad {
			grad[i] += q.b[n][i] / float64(len(idx))
			loss += q.b[n][i] * theta[i] / float64(len(idx))
		}
	}
	return loss, nil
}

type symOp struct{ a *mat.SymDense }

func (o symOp) Dim() int { return o.a.SymmetricDim() }
func (o symOp) MulVec(dst, v []float64) {
	mat.NewVecDense(len(dst), dst).MulVec(o.a, mat.NewVecDense(len(v), v))
}

// sigma returns Σ = (1/N)Σₙ bₙbₙᵀ.
func (q *quadratic) sigma() *mat.Dense {
	P, N := q.Dim(), q.NumSamples()
	s := mat.NewDense(P, P, nil)
	for _, b := range q.b {
		for i := range P {
			for j := range P {
				s.Set(i, j, s.At(i, j)+b[i]*b[j]/float64(N))
			}
		}
	}
	return s
}

// lyapunov solves S = M S M + Q exactly for symmetric M by the linear
// system (I − M⊗M) vec S = vec Q.
func lyapunov(M, Q *mat.Dense) *mat.Dense {
	P, _ := M.Dims()
	K := mat.NewDense(P*P, P*P, nil)
	rhs := mat.NewVecDense(P*P, nil)
	for i := range P {
		for j := range P {
			r := i*P + j
			rhs.SetVec(r, Q.At(i, j))
			for k := range P {
				for l := range P {
					v := -M.At(i, k) * M.At(l, j)
					if r == k*P+l {
						v++
					}
					K.Set(r, k*P+l, v)
				}
			}
		}
	}
	var x mat.VecDense
	if err := x.SolveVec(K, rhs); err != nil {
		panic(err)
	}
	return mat.NewDense(P, P, x.RawVector().Data)
}

// exactStationary returns, on the quadratic q, the noise covariance
// C = Σ/B of SGD with batch size B and the exact stationary covariances of
// θ − θ₀ under SGD and under SGLD with diffusion D at learning rate η: the
// solutions S of the discrete Lyapunov equations S = MSMᵀ + Q with
// M = I − ηA, Q = η²C (SGD) and Q = 2ηD·I (SGLD).
func exactStationary(q *quadratic, eta, B, D float64) (C, sSGD, sSGLD *mat.Dense) {
	P := q.Dim()
	C = q.sigma()
	C.Scale(1/B, C)
	M := mat.NewDense(P, P, nil)
	for i := range P {
		for j := range P {
			d := 0.0
			if i == j {
				d = 1
			}
			M.Set(i, j, d-eta*q.A.At(i, j))
		}
	}
	var qSGD, qSGLD mat.Dense
	qSGD.Scale(eta*eta, C)
	qSGLD.Scale(2*eta*D, eye(P))
	return C, lyapunov(M, &qSGD), lyapunov(M, &qSGLD)
}

// TestQuadraticLyapunov: on the quadratic landscape the measured vᵢ of SGD
// and SGLD equal the exact stationary variances uᵢᵀSuᵢ of the discrete
// dynamics (the Lyapunov equation solved as a linear system) within their
// intervals; the closed forms equal those variances to rounding; cᵢ is
// uᵢᵀ(Σ/B)uᵢ; and the numbers do not depend on the number of workers.
func TestQuadraticLyapunov(t *testing.T) {
	eig := []float64{4, 2, 1, 0.5, 0.25, 0.1}
	q := newQuadratic(t, eig, 40, 3)
	P := q.Dim()
	s := Settings{Eta: 0.1, BatchSize: 8, Steps: 200000, BurnIn: 5000, Every: 1, TopK: 3, Bulk: 3, Seed: 11, Workers: 1}
	theta0 := make([]float64, P)
	r, err := Measure(q, theta0, s, nil)
	if err != nil {
		t.Fatal(err)
	}
	s.Workers = 2
	r2, err := Measure(q, theta0, s, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(r.Directions, r2.Directions) || !reflect.DeepEqual(r.LowDim, r2.LowDim) || !reflect.DeepEqual(fmt.Sprint(r.Summary), fmt.Sprint(r2.Summary)) {
		t.Errorf("results differ between 1 and 2 workers")
	}

	eta, D := s.Eta, r.Minimum.SGLDD
	C, sSGD, sSGLD := exactStationary(q, eta, float64(s.BatchSize), D)
	if want := eta * mat.Trace(C) / (2 * float64(P)); math.Abs(D-want) > 1e-12*want || !r.Minimum.SGLDDDefault {
		t.Errorf("default SGLD D = %v, want η·tr C/(2P) = %v", D, want)
	}

	if len(r.Directions) != P {
		t.Fatalf("%d directions, want all %d", len(r.Directions), P)
	}
	tq := func(level float64) float64 {
		return distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(DefaultBatches - 1)}.Quantile((1 + level) / 2)
	}
	widen := tq(0.999) / tq(0.95)
	covered := 0
	var sumSq float64
	for i, d := range r.Directions {
		if d.Index != i+1 || math.Abs(d.Lambda-eig[i]) > 1e-12 {
			t.Errorf("direction %d: index %d λ %v, want %d and %v", i, d.Index, d.Lambda, i+1, eig[i])
		}
		u := eigvec(t, q.A, d.Lambda)
		wantC := mat.Inner(u, C, u)
		if math.Abs(d.C-wantC) > 1e-12*wantC {
			t.Errorf("direction %d: c = %v, want uᵀ(Σ/B)u = %v", d.Index, d.C, wantC)
		}
		exact := [2]float64{mat.Inner(u, sSGD, u), mat.Inner(u, sSGLD, u)}
		pred := [2]Number{d.PredSGDMeasuredC, d.PredSGLD}
		meas := [2]float64{d.VarSGD, d.VarSGLD}
		ci := [2][2]Number{d.VarSGDCI95, d.VarSGLDCI95}
		for k, name := range []string{"SGD", "SGLD"} {
			if math.Abs(float64(pred[k])-exact[k]) > 1e-10*exact[k] {
				t.Errorf("direction %d %s: closed form %v, exact Lyapunov %v", d.Index, name, pred[k], exact[k])
			}
			lo, hi := float64(ci[k][0]), float64(ci[k][1])
			if lo <= exact[k] && exact[k] <= hi {
				covered++
			}
			half := (hi - lo) / 2
			if math.Abs(meas[k]-exact[k]) > widen*half {
				t.Errorf("direction %d %s: measured v = %.5g [%.5g, %.5g], exact %.5g: outside even the 99.9%% interval", d.Index, name, meas[k], lo, hi, exact[k])
			}
			if !(half < 0.1*exact[k]) {
				t.Errorf("direction %d %s: interval [%.5g, %.5g] too wide to test anything", d.Index, name, lo, hi)
			}
		}
		if !d.Equilibrated {
			t.Errorf("direction %d (λ = %v) not equilibrated", d.Index, d.Lambda)
		}
		sumSq += d.VarSGD + d.MeanSGD*d.MeanSGD
	}
	// 12 intervals at 95%: at least 9 cover (P(fewer) ≈ 0.2%).
	if covered < 9 {
		t.Errorf("only %d of 12 95%% intervals cover the exact variance", covered)
	}
	// The six directions span R^P: E‖θ − θ₀‖² is the sum of the E(uᵢᵀδ)².
	if math.Abs(sumSq-r.LowDim.MeanSqSGD) > 1e-9*sumSq {
		t.Errorf("Σ E(uᵢᵀδ)² = %v, E‖δ‖² = %v", sumSq, r.LowDim.MeanSqSGD)
	}
	if n := len(r.LowDim.FractionSGD); n != 3 || r.LowDim.FractionSGD[2] > 1 || r.LowDim.FractionSGD[0] <= 0 {
		t.Errorf("low_dim fraction_sgd = %v", r.LowDim.FractionSGD)
	}
	if r.Summary.DirectionsUsed != P || math.Abs(float64(r.Summary.MedianRatioSGDMeasuredC)-1) > 0.05 || math.Abs(float64(r.Summary.MedianRatioSGLD)-1) > 0.05 {
		t.Errorf("summary %+v", r.Summary)
	}
	if r.Minimum.GradNorm > 1e-14 {
		t.Errorf("‖∇L(θ₀)‖ = %v at the exact minimum", r.Minimum.GradNorm)
	}
}

// TestOffMinimum: away from the minimum ‖∇L(θ₀)‖ and the predicted offset
// −uᵢᵀ∇L(θ₀)/λᵢ = −uᵢᵀθ₀ are reported, and the measured mean of
// uᵢᵀ(θ − θ₀) approaches it.
func TestOffMinimum(t *testing.T) {
	q := newQuadratic(t, []float64{2, 1, 0.5}, 20, 5)
	theta0 := []float64{0.3, -0.2, 0.1}
	r, err := Measure(q, theta0, Settings{Eta: 0.1, BatchSize: 4, Steps: 50000, BurnIn: 2000, Every: 5, TopK: 3, Seed: 2, Center: CenterTheta0}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var g mat.VecDense
	g.MulVec(q.A, mat.NewVecDense(3, theta0))
	if math.Abs(r.Minimum.GradNorm-mat.Norm(&g, 2)) > 1e-14 {
		t.Errorf("‖∇L(θ₀)‖ = %v, want %v", r.Minimum.GradNorm, mat.Norm(&g, 2))
	}
	for _, d := range r.Directions {
		u := eigvec(t, q.A, d.Lambda)
		want := -mat.Dot(u, mat.NewVecDense(3, theta0))
		if math.Abs(float64(d.PredMean)-want) > 1e-12 {
			t.Errorf("direction %d: pred_mean %v, want %v", d.Index, d.PredMean, want)
		}
		if sd := math.Sqrt(d.VarSGD); math.Abs(d.MeanSGD-want) > 0.2*sd {
			t.Errorf("direction %d: mean of uᵀ(θ − θ₀) %v, want about %v (spread %v)", d.Index, d.MeanSGD, want, sd)
		}
	}

	// Centred on the GD path the displacement is the zero-mean linear
	// process from the first step: its variances are the stationary ones.
	r, err = Measure(q, theta0, Settings{Eta: 0.1, BatchSize: 4, Steps: 100000, BurnIn: 2000, Every: 1, TopK: 3, Seed: 2, Center: CenterGD}, nil)
	if err != nil {
		t.Fatal(err)
	}
	rGD := r
	widen := 3.88 / 2.09 // t₁₉ quantiles 0.9995 / 0.975
	for _, d := range r.Directions {
		for k, v := range []struct {
			meas, mean float64
			pred       Number
			ci         [2]Number
		}{{d.VarSGD, d.MeanSGD, d.PredSGDMeasuredC, d.VarSGDCI95}, {d.VarSGLD, d.MeanSGLD, d.PredSGLD, d.VarSGLDCI95}} {
			half := float64(v.ci[1]-v.ci[0]) / 2
			if math.Abs(v.meas-float64(v.pred)) > widen*half || math.Abs(v.mean) > 0.1*math.Sqrt(v.meas) {
				t.Errorf("center gd, direction %d, chain %d: v = %.4g ± %.2g, mean %.3g; want v = %.4g, mean 0", d.Index, k, v.meas, half, v.mean, v.pred)
			}
		}
	}
	// The gradient-descent path beside the chains (two workers) is the
	// path before them (one worker): the same numbers.
	var runs [2]*Report
	for i, w := range []int{1, 2} {
		if runs[i], err = Measure(q, theta0, Settings{Eta: 0.1, BatchSize: 4, Steps: 20000, BurnIn: 2000, Every: 1, TopK: 3, Seed: 2, Center: CenterGD, Workers: w}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if !reflect.DeepEqual(runs[0].Directions, runs[1].Directions) || runs[0].GDPathEnd != runs[1].GDPathEnd ||
		!reflect.DeepEqual(runs[0].LossEnd, runs[1].LossEnd) || runs[0].GDPathEnd == 0 {
		t.Errorf("center gd: 1 and 2 workers differ (gd path end %v and %v, losses %v and %v)", runs[0].GDPathEnd, runs[1].GDPathEnd, runs[0].LossEnd, runs[1].LossEnd)
	}
	// 30 steps of gradient descent first: θ₀ ← (I − ηA)³⁰θ₀.
	r, err = Measure(q, theta0, Settings{Eta: 0.1, BatchSize: 4, Steps: 1000, Every: 5, TopK: 3, Seed: 2, Descend: 30}, nil)
	if err != nil {
		t.Fatal(err)
	}
	x := mat.NewVecDense(3, append([]float64(nil), theta0...))
	for range 30 {
		var ax mat.VecDense
		ax.MulVec(q.A, x)
		x.AddScaledVec(x, -0.1, &ax)
	}
	var ax mat.VecDense
	ax.MulVec(q.A, x)
	if math.Abs(r.Minimum.GradNormStart-mat.Norm(&g, 2)) > 1e-14 || math.Abs(r.Minimum.GradNorm-mat.Norm(&ax, 2)) > 1e-14 {
		t.Errorf("descent: ‖∇L‖ %v → %v, want %v → %v", r.Minimum.GradNormStart, r.Minimum.GradNorm, mat.Norm(&g, 2), mat.Norm(&ax, 2))
	}
	if rGD.LossEnd["gd"] > 1e-6 {
		t.Errorf("GD reference ends at loss %v, want about 0 (the minimum)", rGD.LossEnd["gd"])
	}
}

func eye(n int) *mat.Dense {
	m := mat.NewDense(n, n, nil)
	for i := range n {
		m.Set(i, i, 1)
	}
	return m
}

// eigvec returns the unit eigenvector of A for the simple eigenvalue lam.
func eigvec(t *testing.T, A *mat.SymDense, lam float64) *mat.VecDense {
	t.Helper()
	var es mat.EigenSym
	es.Factorize(A, true)
	var v mat.Dense
	es.VectorsTo(&v)
	vals := es.Values(nil)
	for j, l := range vals {
		if math.Abs(l-lam) < 1e-9 {
			return mat.VecDenseCopyOf(v.ColView(j))
		}
	}
	t.Fatalf("no eigenvalue %v in %v", lam, vals)
	return nil
}

// TestDiverges: with ηλ > 2 the dynamics blow up; Measure stops and says so.
func TestDiverges(t *testing.T) {
	q := newQuadratic(t, []float64{4, 1}, 10, 7)
	for _, w := range []int{1, 2} { // the gd path before the chains, and beside them
		_, err := Measure(q, []float64{0.1, 0.1}, Settings{Eta: 0.6, BatchSize: 2, Steps: 20000, BurnIn: 100, Every: 1, TopK: 2, Seed: 1, Workers: w}, nil)
		var se *StabilityError
		if !errors.As(err, &se) || math.Abs(se.LambdaMax-4) > 1e-12 || se.Eta != 0.6 || se.Descend != 0 {
			t.Errorf("η·λmax = 2.4, %d workers: err = %v, want a StabilityError at λmax = 4", w, err)
		}
	}
}
