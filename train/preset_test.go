package train

import (
	"errors"
	"path/filepath"
	"slices"
	"testing"

	"github.com/sgn-project/sgn/data"
	"github.com/sgn-project/sgn/model"
)

// TestFromPreset: the preset's values are kept unless overridden; new
// layers clear the preset's name, a pool alone sets the input width, a data
// file gives the input and output widths, bad names are *SettingError.
func TestFromPreset(t *testing.T) {
	p := Presets()["figure"]
	mc, s, err := FromPreset("figure", Overrides{})
	if err != nil || !slices.Equal(mc.Layers, p.Model.Layers) || mc.Activation != p.Model.Activation || s != p.Settings {
		t.Fatalf("no overrides: %v %+v %v; want the preset %v %+v", mc, s, err, p.Model, p.Settings)
	}
	pool, lr, eta := 2, 0.05, "gonum"
	mc, s, err = FromPreset("figure", Overrides{Pool: &pool, LR: &lr, Engine: &eta})
	if err != nil || !slices.Equal(mc.Layers, []int{196, 16, 16, 10}) || s.Pool != 2 || s.LR != 0.05 || s.Engine != EngineGonum || s.Preset != "figure" || s.BatchSize != 64 {
		t.Errorf("pool 2, η 0.05, gonum: %v %+v %v", mc.Layers, s, err)
	}
	if Presets()["figure"].Model.Layers[0] != 49 {
		t.Error("FromPreset changed the preset's layers")
	}
	layers, act := "49,8,10", "relu"
	mc, s, err = FromPreset("figure", Overrides{Layers: &layers, Activation: &act, Pool: &pool})
	if err != nil || !slices.Equal(mc.Layers, []int{49, 8, 10}) || mc.Activation != model.ReLU || s.Preset != "" {
		t.Errorf("layers 49,8,10 relu: %v %s %q %v; want the layers given and no preset name", mc.Layers, mc.Activation, s.Preset, err)
	}
	path := filepath.Join(t.TempDir(), "d.safetensors")
	if err := data.ExportSet(path, &data.Set{N: 2, D: 3, X: make([]float64, 6), Y: []int{0, 3}, Classes: 4, Split: "train"}, nil); err != nil {
		t.Fatal(err)
	}
	mc, s, err = FromPreset("figure", Overrides{Data: path})
	if err != nil || !slices.Equal(mc.Layers, []int{3, 16, 16, 4}) || s.Data != path || s.Pool != 0 {
		t.Errorf("data file of 3 features and 4 classes: %v %+v %v", mc.Layers, s, err)
	}
	bad, badInit := "soft", "xavier2"
	for _, c := range []struct {
		name  string
		ov    Overrides
		field string
	}{{"figur", Overrides{}, "preset"}, {"figure", Overrides{Layers: &bad}, "layers"}, {"figure", Overrides{Activation: &bad}, "activation"}, {"figure", Overrides{Init: &badInit}, "init"}} {
		var se *SettingError
		if _, _, err := FromPreset(c.name, c.ov); !errors.As(err, &se) || se.Field != c.field {
			t.Errorf("%s %+v: %v; want a *SettingError on %s", c.name, c.ov, err, c.field)
		}
	}
}
