package model

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/sgn-project/sgn/internal/synthtest"
	"gonum.org/v1/gonum/mat"
)

// denseFisher assembles the model Fisher (1/N) Σₙ Σ_y p(y|xₙ) gₙ,ᵧ gₙ,ᵧᵀ of m
// over b from the K per-class gradients gₙ,ᵧ = ∇ℓ(xₙ, y) of every sample
// (backward passes with the label set to each class in turn), with
// p(y|xₙ) = exp(−ℓ(xₙ, y)).
func denseFisher(t *testing.T, m *MLP, b Batch) *mat.SymDense {
	t.Helper()
	P, D, K := m.NumParams(), m.InputDim(), m.NumClasses()
	F := mat.NewSymDense(P, nil)
	g := make([]float64, P)
	for n := range b.N() {
		for y := range K {
			one := Batch{X: b.X[n*D : (n+1)*D], Y: []int{y}}
			if err := m.PerSampleGradients(m.Theta, one, g, 1); err != nil {
				t.Fatal(err)
			}
			l, err := m.Loss(m.Theta, one, 1)
			if err != nil {
				t.Fatal(err)
			}
			F.SymRankOne(F, math.Exp(-l)/float64(b.N()), mat.NewVecDense(P, g))
		}
	}
	return F
}

// TestFisherFormsDense: vᵀFv by the forward R-pass equals the quadratic
// form of the Fisher assembled from per-class gradients (a different code
// path: K backward passes per sample) on tiny networks of a curved and a
// piecewise-linear activation, over more samples than one chunk, for random
// directions and coordinate axes; for a network without hidden layer
// (logits linear in θ) the Fisher is the Hessian exactly; and the result
// does not depend on the number of workers.
func TestFisherFormsDense(t *testing.T) {
	for _, c := range []Config{
		{Layers: []int{5, 4, 3}, Activation: Tanh, Seed: 3},
		{Layers: []int{4, 3, 3, 4}, Activation: ReLU, Seed: 4},
		{Layers: []int{6, 4}, Activation: Tanh, Seed: 5},
	} {
		m, err := New(c)
		if err != nil {
			t.Fatal(err)
		}
		b := synthetic(300, c.Layers[0], m.NumClasses(), c.Seed+20)
		P := m.NumParams()
		h, err := m.NewHessian(m.Theta, b, 3)
		if err != nil {
			t.Fatal(err)
		}
		F := denseFisher(t, m, b)
		rng := rand.New(rand.NewPCG(c.Seed, 2))
		k := P + 4
		V := mat.NewDense(P, k, nil)
		for j := range P {
			V.Set(j, j, 1)
		}
		for j := P; j < k; j++ {
			for i := range P {
				V.Set(i, j, rng.NormFloat64())
			}
		}
		got := h.FisherForms(V)
		want := make([]float64, k)
		hv := make([]float64, P)
		for j := range k {
			v := mat.Col(nil, j, V)
			want[j] = mat.Inner(mat.NewVecDense(P, v), F, mat.NewVecDense(P, v))
			if len(c.Layers) == 2 {
				h.MulVec(hv, v)
				if vHv := mat.Dot(mat.NewVecDense(P, v), mat.NewVecDense(P, hv)); math.Abs(got[j]-vHv) > 1e-12*math.Abs(vHv) {
					t.Errorf("%v, no hidden layer: vᵀFv = %v, vᵀHv = %v (the Fisher is the Hessian)", c.Layers, got[j], vHv)
				}
			}
		}
		if e := synthtest.RelErr(got, want); e > 1e-12 {
			t.Errorf("%v %s: Fisher forms off the dense per-class Fisher by %.3g relative", c.Layers, c.Activation, e)
		}
		h1, err := m.NewHessian(m.Theta, b, 1)
		if err != nil {
			t.Fatal(err)
		}
		for j, v := range h1.FisherForms(V) {
			if v != got[j] {
				t.Fatalf("%v: direction %d: %v with 1 worker, %v with 3", c.Layers, j, v, got[j])
			}
		}
	}
}
