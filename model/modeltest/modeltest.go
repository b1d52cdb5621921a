// Package modeltest makes the small seeded networks that sgn's engine tests
// compare against one another and against finite differences: an MLP of
// the activation table with synthetic samples, its parameters moved off the
// initialisation so that no bias is zero.
package modeltest

import (
	"math/rand/v2"
	"testing"

	"github.com/sgn-project/sgn/internal/synthtest"
	"github.com/sgn-project/sgn/model"
)

// Net returns the MLP of the given layers and activation initialised from
// seed and n samples of standard normal features with uniform labels, drawn
// from the PCG stream (seed, 7) that then moves every parameter by
// 0.1·N(0, 1) so that the biases are not zero.
func Net(t testing.TB, layers []int, act model.Activation, n int, seed uint64) (*model.MLP, model.Batch) {
	t.Helper()
	m, err := model.New(model.Config{Layers: layers, Activation: act, Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, 7))
	var b model.Batch
	b.X, b.Y = synthtest.Samples(rng, n, layers[0], layers[len(layers)-1], synthtest.Normal)
	for i := range m.Theta {
		m.Theta[i] += 0.1 * rng.NormFloat64()
	}
	return m, b
}
