package escape

import (
	"slices"
	"testing"
)

// RegisterPush adds to the table, until the test ends, the dynamics
// "push": θ ← θ + η·(1, …, 1), every coordinate moved by η whatever the
// landscape, on analytic landscapes, networks and the two-well alike: a
// rule whose runs are known by hand.
func RegisterPush(t testing.TB) Dynamics {
	const push Dynamics = "push"
	saved := dynamicsTable
	t.Cleanup(func() { dynamicsTable = saved })
	dynamicsTable = append(slices.Clone(dynamicsTable), dynamicsInfo{name: push, on: onAnalytic | onNetwork | onTwoWell,
		step: func(w *walker, x, _ []float64) {
			for i := range x {
				x[i] += w.eta
			}
		},
		network: func(w *networkWalker, _, phi, _ []float64) {
			for i := range phi {
				phi[i] += w.eta
			}
		},
		twoWell: func(w *twoWellWalker, x []float64) error {
			for i := range x {
				x[i] += w.eta
			}
			return nil
		}})
	return push
}
