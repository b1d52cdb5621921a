package analysis

import (
	"math"
	"testing"

	"github.com/sgn-project/sgn/data"
	"github.com/sgn-project/sgn/internal/synthtest"
	"github.com/sgn-project/sgn/model"
	"gonum.org/v1/gonum/mat"
)

// fdHessian is the Hessian of the mean loss by central differences of the
// exact gradient (model.LossGrad), symmetrised: an answer independent of the
// R-operator that Run uses.
func fdHessian(t *testing.T, m *model.MLP, b model.Batch) *mat.SymDense {
	t.Helper()
	p := m.NumParams()
	ws := m.NewWorkspace(b.N())
	theta := append([]float64(nil), m.Theta...)
	gp, gm := make([]float64, p), make([]float64, p)
	h := mat.NewDense(p, p, nil)
	const eps = 1e-5
	for j := range p {
		theta[j] = m.Theta[j] + eps
		if _, err := m.LossGrad(ws, theta, b, gp); err != nil {
			t.Fatal(err)
		}
		theta[j] = m.Theta[j] - eps
		if _, err := m.LossGrad(ws, theta, b, gm); err != nil {
			t.Fatal(err)
		}
		theta[j] = m.Theta[j]
		for i := range p {
			h.Set(i, j, (gp[i]-gm[i])/(2*eps))
		}
	}
	return synthtest.Symmetrize(h)
}

// eigenvalues returns the eigenvalues of s in ascending order.
func eigenvalues(t *testing.T, s *mat.SymDense) []float64 {
	t.Helper()
	v, ok := synthtest.Eigenvalues(s)
	if !ok {
		t.Fatal("eigendecomposition failed")
	}
	return v
}

// mnistCase is the known-answer case of the analysis tests on real MNIST
// (skipped without it): the first 200 pooled training images, a 49-5-10
// tanh network, its Hessian on them by central differences of the gradient
// and that matrix's eigenvalues, ascending.
func mnistCase(t *testing.T) (m *model.MLP, meta model.CheckpointMeta, sel data.Options, dense *mat.SymDense, want []float64) {
	t.Helper()
	sel = data.Options{Split: "train", Pool: 4, First: 200}
	set, err := data.Load(sel)
	if err != nil {
		t.Skipf("MNIST: %v", err)
	}
	cfg := model.Config{Layers: []int{49, 5, 10}, Activation: model.Tanh, Seed: 3}
	m, err = model.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	dense = fdHessian(t, m, model.Batch{X: set.X, Y: set.Y})
	return m, model.CheckpointMeta{Config: cfg, Pool: 4}, sel, dense, eigenvalues(t, dense)
}

// TestRunAgainstFiniteDifferences: on real MNIST (the first 200 pooled
// training images) and a 49-5-10 tanh network, Run's Lanczos extremes, its
// exact eigenvalues (--full) and trace agree with the eigenvalues of the
// Hessian by central differences of the gradient; so do those of the second
// layer's diagonal block (Layer = 2).
func TestRunAgainstFiniteDifferences(t *testing.T) {
	m, meta, sel, dense, want := mnistCase(t)
	p := len(want)
	tol := 1e-6 * math.Max(math.Abs(want[0]), math.Abs(want[p-1]))

	rep, err := Run(m, meta, "in-memory", sel, Options{TopK: 3, BottomK: 2, Full: true, MaxMemory: 1 << 30, Seed: 1, Workers: 2, OutDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if rep.NumParams != p {
		t.Fatalf("P = %d, want %d", rep.NumParams, p)
	}
	for i, l := range rep.Eigenvalues {
		if d := math.Abs(l - want[p-1-i]); d > tol {
			t.Errorf("Lanczos λ%d = %.12g, finite differences %.12g", i+1, l, want[p-1-i])
		}
	}
	for i, l := range rep.EigenvaluesSmallest {
		if d := math.Abs(l - want[i]); d > tol {
			t.Errorf("Lanczos smallest λ%d = %.12g, finite differences %.12g", i+1, l, want[i])
		}
	}
	if rep.Full == nil || len(rep.Full.EigenvaluesAscending) != p {
		t.Fatalf("full: %+v", rep.Full)
	}
	tr := 0.0
	for i, l := range rep.Full.EigenvaluesAscending {
		tr += want[i]
		if math.Abs(l-want[i]) > tol {
			t.Errorf("full λ[%d] = %.12g, finite differences %.12g", i, l, want[i])
		}
	}
	if math.Abs(rep.Full.Trace-tr) > tol*float64(p) {
		t.Errorf("tr H = %.12g, finite differences %.12g", rep.Full.Trace, tr)
	}

	// The second layer's block: θ indices [49·5+5, P).
	lo := 49*5 + 5
	block := mat.NewSymDense(p-lo, nil)
	for i := lo; i < p; i++ {
		for j := i; j < p; j++ {
			block.SetSym(i-lo, j-lo, dense.At(i, j))
		}
	}
	wantB := eigenvalues(t, block)
	rb, err := Run(m, meta, "in-memory", sel, Options{TopK: 2, Full: true, Layer: 2, MaxMemory: 1 << 30, Seed: 1, Workers: 1, OutDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if rb.Block != [2]int{lo, p} || len(rb.Full.EigenvaluesAscending) != p-lo {
		t.Fatalf("layer 2: block %v, %d eigenvalues; want [%d %d], %d", rb.Block, len(rb.Full.EigenvaluesAscending), lo, p, p-lo)
	}
	for i, l := range rb.Full.EigenvaluesAscending {
		if math.Abs(l-wantB[i]) > tol {
			t.Errorf("layer 2 λ[%d] = %.12g, finite differences %.12g", i, l, wantB[i])
		}
	}
	for i, l := range rb.Eigenvalues {
		if math.Abs(l-wantB[len(wantB)-1-i]) > tol {
			t.Errorf("layer 2 Lanczos λ%d = %.12g, finite differences %.12g", i+1, l, wantB[len(wantB)-1-i])
		}
	}
}
