package escape

import (
	"errors"
	"fmt"
	"math"
)

// Criterion kinds.
const (
	// CriterionCol: the run has crossed the col into the other valley, i.e.
	// (θ − b)·e ≥ ½·(o − b)·e with o the other valley's minimum (for the
	// double well x ≥ +0.5/√k).
	CriterionCol = "col"
	// CriterionDistance: |θ − a| ≥ Radius.
	CriterionDistance = "distance"
	// CriterionLoss: L(θ) ≥ L(a) + Delta.
	CriterionLoss = "loss"
)

// Criterion says when a run has escaped. It is checked after every step and
// the escape step is the first step at which it holds.
type Criterion struct {
	// Kind is "col" (default), "distance" or "loss".
	Kind string `json:"kind"`
	// Radius is r for "distance", in units of θ.
	Radius float64 `json:"radius,omitempty"`
	// Delta is δ for "loss".
	Delta float64 `json:"delta,omitempty"`
}

// Validate checks the kind and its one parameter.
func (c *Criterion) Validate() error {
	switch c.Kind {
	case CriterionCol:
		if c.Radius != 0 || c.Delta != 0 {
			return errors.New(`criterion "col" takes no radius or delta`)
		}
	case CriterionDistance:
		if !(c.Radius > 0) || math.IsInf(c.Radius, 0) || c.Delta != 0 {
			return FieldErrorf(`criterion "distance":`, "radius", "%v: want a positive number (and no δ)", c.Radius)
		}
	case CriterionLoss:
		if !(c.Delta > 0) || math.IsInf(c.Delta, 0) || c.Radius != 0 {
			return FieldErrorf(`criterion "loss":`, "delta", "%v: want a positive number (and no radius r)", c.Delta)
		}
	default:
		return fmt.Errorf("unknown criterion kind %q (want col, distance or loss)", c.Kind)
	}
	return nil
}
