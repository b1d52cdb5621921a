package network

import (
	"errors"
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/sgn-project/sgn/data"
	"github.com/sgn-project/sgn/escape"
	"github.com/sgn-project/sgn/internal/synthtest"
	"github.com/sgn-project/sgn/model"
)

// TestPrepareMinimumFromStart: a network spec whose start is the checkpoint
// of a minimum of the same loss stays there (gonum counts its initial check
// as one L-BFGS iteration; no step is taken, no Newton step either: the
// same θ₀ bit for bit); a checkpoint of another architecture is refused,
// naming the field.
func TestPrepareMinimumFromStart(t *testing.T) {
	if _, err := data.FindMNIST(""); err != nil {
		t.Skipf("MNIST not found: %v", err)
	}
	spec := Spec{Layers: []int{49, 4, 10}, First: 100, WeightDecay: 1e-2}
	first, err := PrepareMinimum(spec, "", "", 1)
	if err != nil {
		t.Fatal(err)
	}
	if !first.Converged || first.LBFGSIterations == 0 {
		t.Fatalf("the minimum from the initialisation: %+v", first.MinimumSearch)
	}
	dir := t.TempDir()
	net, err := model.New(model.Config{Layers: spec.Layers, Activation: model.Tanh})
	if err != nil {
		t.Fatal(err)
	}
	copy(net.Theta, first.Theta)
	ck := filepath.Join(dir, "minimum.safetensors")
	if err := model.SaveCheckpoint(ck, net, model.CheckpointMeta{Pool: 4}); err != nil {
		t.Fatal(err)
	}
	spec.Start = ck
	again, err := PrepareMinimum(spec, "", "", 1)
	if err != nil {
		t.Fatal(err)
	}
	if again.LBFGSIterations > 1 || again.NewtonIterations != 0 || synthtest.MaxAbsDiff(again.Theta, first.Theta) != 0 || !again.Converged {
		t.Errorf("from the minimum's checkpoint: %+v, θ moved by %v", again.MinimumSearch, synthtest.MaxAbsDiff(again.Theta, first.Theta))
	}
	other, err := model.New(model.Config{Layers: []int{49, 5, 10}, Activation: model.Tanh})
	if err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "other.safetensors")
	if err := model.SaveCheckpoint(bad, other, model.CheckpointMeta{Pool: 4}); err != nil {
		t.Fatal(err)
	}
	spec.Start = bad
	var fe *escape.FieldError
	if _, err := PrepareMinimum(spec, "", "", 1); !errors.As(err, &fe) || fe.Field != "start" {
		t.Errorf("another architecture: %v, want a field error naming start", err)
	}
}

// TestGradientNoiseTrace against the per-sample gradients of package
// model's engine (LossGrad on one sample at a time): tr Σ = (1/N)Σ‖gᵢ − ḡ‖².
func TestGradientNoiseTrace(t *testing.T) {
	layers := []int{6, 5, 3}
	net, err := model.New(model.Config{Layers: layers, Activation: model.Tanh, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	const n = 40
	rng := rand.New(rand.NewPCG(1, 2))
	x := make([]float64, n*layers[0])
	y := make([]int, n)
	for i := range x {
		x[i] = rng.NormFloat64()
	}
	for i := range y {
		y[i] = rng.IntN(3)
	}
	mn := &Minimum{Spec: Spec{Layers: layers, Activation: model.Tanh}, Theta: net.Theta, x: x, y: y}
	got, err := mn.GradientNoiseTrace()
	if err != nil {
		t.Fatal(err)
	}
	P := net.NumParams()
	ws := net.NewWorkspace(1)
	gs := make([][]float64, n)
	mean := make([]float64, P)
	for i := range n {
		gs[i] = make([]float64, P)
		if _, err := net.LossGrad(ws, net.Theta, model.Batch{X: x[i*layers[0] : (i+1)*layers[0]], Y: y[i : i+1]}, gs[i]); err != nil {
			t.Fatal(err)
		}
		for j, v := range gs[i] {
			mean[j] += v / n
		}
	}
	want := 0.0
	for i := range n {
		for j, v := range gs[i] {
			want += (v - mean[j]) * (v - mean[j]) / n
		}
	}
	if math.Abs(got-want) > 1e-12*want {
		t.Errorf("tr Σ = %.15g, per-sample gradients of model give %.15g", got, want)
	}
}
