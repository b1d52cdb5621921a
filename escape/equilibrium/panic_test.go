package equilibrium

import (
	"errors"
	"strings"
	"testing"

	"github.com/sgn-project/sgn/internal/workgroup"
)

// panicky is the quadratic whose minibatch gradients panic (a bug in a
// gradient, injected by the test) once the chains run.
type panicky struct{ *quadratic }

func (p panicky) NewGradient() Gradient { return panickyGrad{} }

type panickyGrad struct{}

func (panickyGrad) Grad(theta []float64, idx []int, grad []float64) (float64, error) {
	if idx != nil {
		var s []float64
		_ = s[len(idx)] // index out of range
	}
	return 0, nil
}

// TestChainPanicIsAnError: a panic in the gradient of the SGD and SGLD
// chains, which run on their own goroutines, comes back from runChains as a
// one-line error naming the chain, for one worker and for two.
func TestChainPanicIsAnError(t *testing.T) {
	q := panicky{newQuadratic(t, []float64{2, 1, 0.5}, 10, 1)}
	U := eye(3)
	for _, workers := range []int{1, 2} {
		s := Settings{Eta: 0.1, BatchSize: 2, Steps: 10, BurnIn: 0, Every: 1, TopK: 1, Seed: 1, Workers: workers}.Normalized()
		_, err := runChains(q, make([]float64, 3), U, s, 0, [2]uint64{1, 2}, nil, func(string, int, int) {})
		var pe *workgroup.PanicError
		if !errors.As(err, &pe) || !strings.Contains(err.Error(), "chain: internal error: panic: runtime error: index out of range") {
			t.Errorf("workers %d: runChains = %v, want the chain's panic as an error", workers, err)
		}
	}
}
