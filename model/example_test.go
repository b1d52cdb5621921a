package model_test

import (
	"fmt"
	"math"

	"github.com/sgn-project/sgn/model"
)

// A 2-3-2 tanh MLP with θ set by hand: its mean cross-entropy and gradient
// on two samples. With W₁ = 0 every hidden unit is tanh(b₁) and the
// logits are W₂·tanh(b₁) + b₂; ∂L/∂b₂ is the mean of p − e_y.
func ExampleMLP_Evaluate() {
	m, err := model.New(model.Config{Layers: []int{2, 3, 2}, Activation: model.Tanh, Seed: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	// PyTorch's state_dict order: W₁ (3×2), b₁ (3), W₂ (2×3), b₂ (2).
	theta := []float64{0, 0, 0, 0, 0, 0, 0.5, -0.5, 1, 1, 0, -1, 2, 0, 0, 0, 0}
	b := model.Batch{X: []float64{1, 2, 3, 4}, Y: []int{0, 1}}
	grad := make([]float64, m.NumParams())
	ev, err := m.Evaluate(theta, b, grad, 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	h := math.Tanh(0.5)
	z0, z1 := h+0-math.Tanh(1), 2*h
	lse := math.Log(math.Exp(z0) + math.Exp(z1))
	fmt.Printf("loss %.6f (by hand %.6f), accuracy %.1f\n", ev.Loss, lse-(z0+z1)/2, ev.Accuracy)
	fmt.Printf("∂L/∂b₂ = %.6f\n", grad[15:])
	// Output:
	// loss 0.869699 (by hand 0.869699), accuracy 0.5
	// ∂L/∂b₂ = [-0.272716 0.272716]
}

// An activation of the table: f, f′ (from z and f(z)) and f″.
func ExampleActivation() {
	a, err := model.ParseActivation("tanh")
	if err != nil {
		fmt.Println(err)
		return
	}
	z := 0.5
	fz := a.F(z)
	fmt.Printf("f = %.6f, f′ = %.6f, f″ = %.6f\n", fz, a.FPrime(z, fz), a.FSecond(z, fz))
	// Output:
	// f = 0.462117, f′ = 0.786448, f″ = -0.726862
}
