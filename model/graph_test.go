package model

import "testing"

// The Gorgonia graph's loss and gradient equal the gonum engine's (and so
// central finite differences, see TestGradientFiniteDifferences), and an
// in-place update of θ is seen by the next run.
func TestGraphMatchesEngine(t *testing.T) {
	for _, c := range testNets {
		m, _ := New(c)
		b := synthetic(16, c.Layers[0], m.NumClasses(), c.Seed+30)
		gr, err := m.NewGraph(16)
		if err != nil {
			t.Fatal(err)
		}
		P := m.NumParams()
		for step := 0; step < 3; step++ {
			gG := make([]float64, P)
			lossG, err := gr.Run(b.X, b.Y, gG)
			if err != nil {
				t.Fatal(err)
			}
			gE := make([]float64, P)
			e, _ := m.Evaluate(m.Theta, b, gE, 1)
			if d := relErr([]float64{lossG}, []float64{e.Loss}); d > 1e-13 {
				t.Errorf("%v %s: Gorgonia loss %v, engine %v", c.Layers, c.Activation, lossG, e.Loss)
			}
			if d := relErr(gG, gE); d > 1e-12 {
				t.Errorf("%v %s step %d: Gorgonia gradient differs from the engine by %.3g", c.Layers, c.Activation, step, d)
			}
			for i := range m.Theta {
				m.Theta[i] -= 0.5 * gG[i]
			}
		}
		gr.Close()
	}
}
