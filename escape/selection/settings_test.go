package selection

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/sgn-project/sgn/escape"
)

// TestRunSettingsCheck: one point of the two-valley sweep keeps D for sgld
// and B for the SGD kinds; a setting of the other kind, an explicit 0 and
// a configuration Validate refuses are errors naming the setting.
func TestRunSettingsCheck(t *testing.T) {
	settings := func(dyn string, given ...string) RunSettings {
		set := map[string]bool{}
		for _, g := range given {
			set[g] = true
		}
		return RunSettings{Landscape: escape.TwoWellSpec{Dim: 1, Sharpness: 2, HFlat: 1, Barrier: 0.02}, Dynamics: dyn,
			Eta: 0.05, Temperature: 0.004, BatchSize: 4, Replicas: 2, Steps: 100, BurnIn: 10, Seed: 3, Given: escape.Given{Set: set}}
	}
	cfg, err := settings("sgld").Check()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cfg.Temperature, []float64{0.004}) || cfg.BatchSize != nil || cfg.Seed != 3 || cfg.Replicas != 2 || cfg.Landscape.HCol != 0.5 {
		t.Errorf("sgld: %+v", cfg)
	}
	if cfg, err = settings("sgd").Check(); err != nil || !reflect.DeepEqual(cfg.BatchSize, []float64{4}) || cfg.Temperature != nil {
		t.Errorf("sgd: %+v, %v", cfg, err)
	}
	for _, c := range []struct {
		s    RunSettings
		want string
	}{
		{settings(""), "dynamics is required"},
		{settings("sgld", "batch_size"), "batch_size applies to the SGD kinds only"},
		{settings("sgd", "temperature"), "temperature applies to dynamics sgld only"},
		{func() RunSettings { s := settings("sgd", "h_col"); s.Landscape.HCol = 0; return s }(), "h_col 0: want a positive number"},
		{func() RunSettings { s := settings("sgd", "burn_in"); s.BurnIn = -1; return s }(), "burn_in -1: want an integer ≥ 0"},
	} {
		if _, err := c.s.Check(); err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%+v: %v, want %q", c.s.Given.Set, err, c.want)
		}
	}
	s := settings("sgd")
	s.Replicas = 1
	var fe *escape.FieldError
	if _, err := s.Check(); !errors.As(err, &fe) || fe.Field != "replicas" {
		t.Errorf("one replica: %v, want the FieldError of replicas", err)
	}
}
