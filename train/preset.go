package train

import (
	"fmt"
	"strings"

	"github.com/sgn-project/sgn/data"
	"github.com/sgn-project/sgn/model"
)

// Overrides are the values of a training run that replace a preset's in
// FromPreset: a nil field keeps the preset's value.
type Overrides struct {
	// Layers are the widths, input first ("49,16,16,10"); a run given them
	// is no longer the preset (Settings.Preset is cleared).
	Layers *string
	// Activation and Init are model.Activation and model.Init names.
	Activation, Init *string
	// Seed initialises the model (model.Config.Seed).
	Seed *uint64
	// Pool, given without Layers, also sets the input width to (28/Pool)².
	Pool, BatchSize                    *int
	LR, Momentum, WeightDecay          *float64
	DataSeed                           *uint64
	TrainFirst, TrainRandom, TestFirst *int
	Engine                             *string
	// Data is a data file to train on instead of MNIST (Settings.Data; the
	// pool is then 0) and Test the one to evaluate on; without Layers the
	// preset's hidden layers take the file's features and classes.
	Data, Test string
}

// FromPreset returns the architecture and training settings of the preset
// name (Presets) with the values ov gives in their place. A bad name or
// value is a *SettingError whose Field is "preset", "layers",
// "activation" or "init"; a data file that cannot be read is named by
// data.InspectFile's error. The result is not checked further: see
// Settings.Check and model.Config.Validate.
func FromPreset(name string, ov Overrides) (model.Config, Settings, error) {
	p, ok := Presets()[name]
	if !ok {
		return p.Model, p.Settings, &SettingError{Field: "preset", Label: "preset", Detail: fmt.Sprintf("%q: expected %s", name, strings.Join(PresetNames(), " or "))}
	}
	mc, s := p.Model, p.Settings
	mc.Layers = append([]int(nil), mc.Layers...)
	if ov.Layers != nil {
		l, err := model.ParseLayers(*ov.Layers)
		if err != nil {
			return mc, s, &SettingError{Field: "layers", Label: "layers", Detail: strings.TrimPrefix(err.Error(), "layers ")}
		}
		mc.Layers, s.Preset = l, ""
	}
	if ov.Activation != nil {
		if mc.Activation = model.Activation(*ov.Activation); mc.Activation.Validate() != nil {
			return mc, s, &SettingError{Field: "activation", Label: "activation", Detail: strings.TrimPrefix(mc.Activation.Validate().Error(), "activation ")}
		}
	}
	if ov.Init != nil {
		if mc.Init = model.Init(*ov.Init); mc.Init.Validate() != nil {
			return mc, s, &SettingError{Field: "init", Label: "init", Detail: strings.TrimPrefix(mc.Init.Validate().Error(), "init ")}
		}
	}
	set(&mc.Seed, ov.Seed)
	set(&s.Pool, ov.Pool)
	set(&s.BatchSize, ov.BatchSize)
	set(&s.LR, ov.LR)
	set(&s.Momentum, ov.Momentum)
	set(&s.WeightDecay, ov.WeightDecay)
	set(&s.Seed, ov.DataSeed)
	set(&s.TrainFirst, ov.TrainFirst)
	set(&s.TrainRandom, ov.TrainRandom)
	set(&s.TestFirst, ov.TestFirst)
	if ov.Engine != nil {
		s.Engine = Engine(*ov.Engine)
	}
	if ov.Data == "" {
		if ov.Pool != nil && ov.Layers == nil && s.Pool > 0 && s.Pool <= 28 {
			mc.Layers[0] = (28 / s.Pool) * (28 / s.Pool)
		}
		return mc, s, nil
	}
	s.Data, s.Test, s.Pool = ov.Data, ov.Test, 0
	if ov.Layers == nil {
		info, err := data.InspectFile(s.Data)
		if err != nil {
			return mc, s, err
		}
		classes, err := info.Classes()
		if err != nil {
			return mc, s, err
		}
		mc.Layers[0], mc.Layers[len(mc.Layers)-1] = info.D, classes
	}
	return mc, s, nil
}

// set sets *dst to *v when v is not nil.
func set[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}
