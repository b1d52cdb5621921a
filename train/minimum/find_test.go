package minimum

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/sgn-project/sgn/data"
	"github.com/sgn-project/sgn/model"
)

// TestFindOnMNIST: the minimum of a 49-3-10 tanh network on 150 real
// MNIST images with weight decay. Its gradient by central differences of L
// (not by the backward pass Find used) is below the tolerance; λmin and
// λmax from Lanczos on the R-operator equal the eigenvalues of the
// Hessian by central differences of the gradient; the checkpoint written
// loads back to the same θ₀ bit for bit.
func TestFindOnMNIST(t *testing.T) {
	set, err := data.Load(data.Options{Split: "train", Pool: 4, First: 150})
	if err != nil {
		t.Skip("MNIST:", err)
	}
	net, err := model.New(model.Config{Layers: []int{49, 3, 10}, Activation: model.Tanh, Init: model.InitAuto, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	b := model.Batch{X: set.X, Y: set.Y}
	const decay = 1e-2
	theta, r, err := Find(net, b, Settings{Decay: decay, GradTol: 1e-8, Seed: 3, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Converged || !r.IsMinimum || r.Minimum.GradNorm > 1e-8 {
		t.Fatalf("report %+v: want a converged minimum", r)
	}
	obj := Network{Net: net, Batch: b, Decay: decay, Workers: 1}
	P := len(theta)
	loss := func(th []float64) float64 {
		ev, err := net.Evaluate(th, b, nil, 1)
		if err != nil {
			t.Fatal(err)
		}
		return ev.Loss + Penalty(decay, th)
	}
	// Central differences of L: truncation O(h²) ≈ 1e-10, rounding
	// ≈ 1e-16·L/h ≈ 1e-11 per coordinate.
	tp := append([]float64(nil), theta...)
	var fdSq float64
	const h = 1e-5
	for j := range P {
		tp[j] = theta[j] + h
		fp := loss(tp)
		tp[j] = theta[j] - h
		fm := loss(tp)
		tp[j] = theta[j]
		d := (fp - fm) / (2 * h)
		fdSq += d * d
	}
	if fd := math.Sqrt(fdSq); fd > 1e-8+float64(P)*1e-10 {
		t.Errorf("‖∇L(θ₀)‖ by central differences = %.3g, want ≈ 0 (Find: %.3g)", fd, r.Minimum.GradNorm)
	}
	v := fdSpectrum(t, obj, theta, h)
	if math.Abs(r.LambdaMin-v[0]) > 1e-6 || math.Abs(r.LambdaMax-v[P-1]) > 1e-6 {
		t.Errorf("Lanczos λ = %v … %v, central differences %v … %v", r.LambdaMin, r.LambdaMax, v[0], v[P-1])
	}
	if r.LambdaMin < 0 || r.Minimum.Loss >= r.Start.Loss {
		t.Errorf("λmin %v, loss %v from %v: want a minimum below the start", r.LambdaMin, r.Minimum.Loss, r.Start.Loss)
	}
	// ∇CE = −λθ at the minimum.
	if math.Abs(r.Minimum.GradNormCE-decay*r.Minimum.ThetaNorm) > 1e-8 {
		t.Errorf("‖∇CE‖ = %v, want λ‖θ₀‖ = %v", r.Minimum.GradNormCE, decay*r.Minimum.ThetaNorm)
	}

	dir := t.TempDir()
	if err := r.Write(dir, net, theta, model.CheckpointMeta{Pool: 4}); err != nil {
		t.Fatal(err)
	}
	back, meta, err := model.LoadCheckpoint(filepath.Join(dir, CheckpointFile))
	if err != nil {
		t.Fatal(err)
	}
	for j := range theta {
		if back.Theta[j] != theta[j] {
			t.Fatalf("θ₀[%d] = %v read back as %v", j, theta[j], back.Theta[j])
		}
	}
	if meta.Pool != 4 || meta.Metrics["weight_decay"] != decay || meta.Metrics["lambda_min"] != r.LambdaMin {
		t.Errorf("metadata %+v", meta)
	}
	rr, err := ReadReport(filepath.Join(dir, JSONFile))
	if err != nil || rr.ImagesDigest != ImagesDigest(b) || rr.LambdaMin != r.LambdaMin {
		t.Errorf("minimum.json read back: %+v, %v", rr, err)
	}
	if _, _, err := Find(net, b, Settings{}); err == nil {
		t.Error("no weight decay: want an error")
	}
}
