package kramers

import (
	"strings"
	"testing"
)

// TestBuiltinConfigs: every builtin config parses, has at least 100 runs
// per point, and each figure panel's relation has at least two values of
// its variable; unknown names are errors that list the known ones.
func TestBuiltinConfigs(t *testing.T) {
	bs := Builtins()
	if len(bs) < 6 {
		t.Fatalf("%d builtin configs, want the 6 of the figure", len(bs))
	}
	for _, b := range bs {
		c, err := LoadConfig(BuiltinPrefix + b.Name)
		if err != nil {
			t.Errorf("%s: %v", b.Name, err)
			continue
		}
		if c.Runs < 100 {
			t.Errorf("%s: %d runs per point, want ≥ 100", b.Name, c.Runs)
		}
		if c.Network != nil && c.Network.CheckEvery < 1 {
			t.Errorf("%s: network not normalised: %+v", b.Name, c.Network)
		}
	}
	for _, p := range FigurePanels() {
		c, err := BuiltinConfig(p.Builtin)
		if err != nil {
			t.Fatalf("panel %s: %v", p.Label, err)
		}
		var v *Variable
		for _, x := range Variables(c.Dynamics[0]) {
			if x.Name == p.Variable {
				v = &x
			}
		}
		if v == nil {
			t.Fatalf("panel %s: %s has no variable %q", p.Label, c.Dynamics[0], p.Variable)
		}
		seen := map[float64]bool{}
		for _, pt := range c.Points() {
			seen[paramValue(pt, v.Param)] = true
		}
		if len(seen) < 2 || len(c.Points()) != len(seen) {
			t.Errorf("panel %s: %d points, %d values of %s: want one series over ≥ 2 values", p.Label, len(c.Points()), len(seen), v.Param)
		}
	}
	if _, err := LoadConfig("builtin:nope"); err == nil || !strings.Contains(err.Error(), "mlp-batch-size") {
		t.Errorf("unknown builtin: error %v, want one listing the known names", err)
	}
	if _, err := BuiltinJSON("../config"); err == nil {
		t.Error("a path as builtin name: want an error")
	}
}
