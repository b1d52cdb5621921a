package selection

import (
	"fmt"
	"github.com/sgn-project/sgn/internal/domain"

	"github.com/sgn-project/sgn/escape"
)

// RunSettings are the settings of one point of a selection sweep given one
// by one, as a command line gives them, and the rules between them: the
// dynamics takes D (sgld) or B (the SGD kinds), not both, and the numbers
// whose 0 means "the default" must be positive when given. Check turns them
// into the one-point Config of the two-valley experiment (Xie, Sato &
// Sugiyama, ICLR 2021, Theorems 1–2).
type RunSettings struct {
	Landscape                   escape.TwoWellSpec
	Dynamics                    string
	Eta, Temperature, BatchSize float64
	Replicas                    int
	Steps, BurnIn               int64
	Seed                        uint64
	// Given says which fields were given, by JSON name, and names them in
	// errors.
	Given escape.Given
}

// Check applies the rules and returns the validated configuration of the
// one point the settings describe. Its errors name the settings as Given
// does, or are Config.Validate's *escape.FieldError (JSON names).
func (s RunSettings) Check() (Config, error) {
	g, ls := s.Given, s.Landscape
	if s.Dynamics == "" {
		return Config{}, fmt.Errorf("%s is required: sgld, sgd-diffusion-finite-sum, sgd or sgd-diffusion-abs-h", g.N("dynamics"))
	}
	sgld := escape.Dynamics(s.Dynamics) == SGLD
	if err := domain.First(
		g.In(domain.Positive, "sharpness", ls.Sharpness), g.In(domain.Positive, "h_flat", ls.HFlat), g.In(domain.Positive, "h_col", ls.HCol),
		g.In(domain.Positive, "barrier", ls.Barrier), g.In(domain.Positive, "barrier_flat", ls.BarrierFlat),
		g.In(domain.Positive, "transverse_sharp", ls.TransverseSharp...), g.In(domain.Positive, "transverse_flat", ls.TransverseFlat...),
		g.In(domain.Positive, "transverse_col", ls.TransverseCol...), g.In(domain.Positive, "eta", s.Eta),
		g.In(domain.Positive, "temperature", s.Temperature), g.In(domain.Positive, "batch_size", s.BatchSize),
		g.In(domain.PositiveInt, "dim", float64(ls.Dim)), g.In(domain.PositiveInt, "replicas", float64(s.Replicas)), g.In(domain.PositiveInt, "steps", float64(s.Steps)),
		g.In(domain.AtLeastZero, "burn_in", float64(s.BurnIn)),
		g.Only(!sgld, "the SGD kinds", "batch_size"),
		g.Only(sgld, g.N("dynamics")+" sgld", "temperature"),
	); err != nil {
		return Config{}, err
	}
	cfg := Config{Seed: s.Seed, Landscape: ls, Dynamics: []escape.Dynamics{escape.Dynamics(s.Dynamics)}, Eta: []float64{s.Eta},
		Replicas: s.Replicas, Steps: s.Steps, BurnIn: s.BurnIn}
	if sgld {
		cfg.Temperature = []float64{s.Temperature}
	} else {
		cfg.BatchSize = []float64{s.BatchSize}
	}
	return cfg, cfg.Validate()
}
