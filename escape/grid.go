package escape

import (
	"fmt"
	"math"
	"strings"
)

// SettingList is one list of a sweep's grid of settings, by its JSON name:
// "sharpness" (k), "batch_size" (B), "eta" (η) or "temperature" (the SGLD
// diffusion D), the quantities Theorems 1 and 2 of Xie, Sato & Sugiyama
// (ICLR 2021) vary.
type SettingList struct {
	Name   string
	Values []float64
}

// CheckGrid checks the dynamics and the setting lists of a sweep: at least
// one dynamics (example names some in the error), none listed twice, each
// accepted by check; "batch_size" given exactly when a dynamics UsesBatch,
// "temperature" exactly when one UsesTemperature, every other list not
// empty; every value a positive finite number (a FieldError naming the
// list).
func CheckGrid(dyns []Dynamics, check func(Dynamics) error, example []Dynamics, lists ...SettingList) error {
	if len(dyns) == 0 {
		q := make([]string, len(example))
		for i, d := range example {
			q[i] = fmt.Sprintf("%q", d)
		}
		return fmt.Errorf(`"dynamics" is empty: want a list such as [%s]`, strings.Join(q, ", "))
	}
	seen := map[Dynamics]bool{}
	anyBatch, anyTemp := false, false
	for _, d := range dyns {
		if seen[d] {
			return fmt.Errorf("dynamics %q listed twice", d)
		}
		seen[d] = true
		if err := check(d); err != nil {
			return err
		}
		anyBatch = anyBatch || d.UsesBatch()
		anyTemp = anyTemp || d.UsesTemperature()
	}
	for _, l := range lists {
		needed := true
		switch l.Name {
		case "batch_size":
			needed = anyBatch
		case "temperature":
			needed = anyTemp
		}
		if needed && len(l.Values) == 0 {
			return fmt.Errorf("%q is empty: the dynamics %v need at least one value", l.Name, dyns)
		}
		if !needed && len(l.Values) > 0 {
			return fmt.Errorf("%q is given but none of the dynamics %v uses it", l.Name, dyns)
		}
		for _, x := range l.Values {
			if !(x > 0) || math.IsInf(x, 0) {
				return FieldErrorf("", l.Name, "%v: want positive numbers", x)
			}
		}
	}
	return nil
}
