package graph

import (
	"math/rand/v2"
	"os"
	"testing"

	"github.com/sgn-project/sgn/internal/synthtest"
	"github.com/sgn-project/sgn/model"
)

// TestMain installs the pure-Go GEMM the graph's operations call in the
// program (model.UseBLAS) before the tests and benchmarks.
func TestMain(m *testing.M) {
	model.UseBLAS()
	os.Exit(m.Run())
}

// synthetic returns n samples of d features uniform on [0, 1) with labels
// uniform over c classes, from the PCG stream (seed, 1).
func synthetic(n, d, c int, seed uint64) model.Batch {
	var b model.Batch
	b.X, b.Y = synthtest.Samples(rand.New(rand.NewPCG(seed, 1)), n, d, c, synthtest.Uniform)
	return b
}

// testNets returns one small network per activation of model's table, with
// one to three hidden layers in turn.
func testNets() []model.Config {
	shapes := [][]int{{6, 7, 4}, {5, 6, 5, 3}, {4, 5, 5, 4, 3}}
	var cs []model.Config
	for i, name := range model.ActivationNames() {
		cs = append(cs, model.Config{Layers: shapes[i%len(shapes)], Activation: model.Activation(name), Seed: uint64(i + 1)})
	}
	return append(cs, model.Config{Layers: []int{5, 3}, Activation: model.Tanh, Init: model.InitTorch, Seed: 20})
}

// againstEngine returns the relative differences of the gradient g and
// the loss of a graph's step on b from those of the model's own engine
// (model.MLP.Evaluate, one worker) at m.Theta.
func againstEngine(t *testing.T, m *model.MLP, b model.Batch, g []float64, loss float64) (dg, dloss float64) {
	t.Helper()
	gE := make([]float64, m.NumParams())
	e, err := m.Evaluate(m.Theta, b, gE, 1)
	if err != nil {
		t.Fatal(err)
	}
	return synthtest.RelErr(g, gE), synthtest.RelErr([]float64{loss}, []float64{e.Loss})
}
