package kramers

import (
	"reflect"
	"strings"
	"testing"

	"github.com/sgn-project/sgn/escape"
	"github.com/sgn-project/sgn/escape/network"
	"github.com/sgn-project/sgn/model"
)

// analyticSettings are the defaults of one run on the double well.
func analyticSettings(dyn string, given ...string) RunSettings {
	set := map[string]bool{}
	for _, g := range given {
		set[g] = true
	}
	return RunSettings{Landscape: escape.LandscapeSpec{Name: escape.DoubleWellName, Barrier: 1, Dim: 1}, Dynamics: dyn,
		Sharpness: 2, Eta: 1e-3, Temperature: 0.15, BatchSize: 4, Runs: 10, MaxSteps: 1000, Seed: 7,
		Criterion: escape.Criterion{Kind: escape.CriterionCol},
		Network:   network.Spec{Pool: 4, First: 1000, Minimizer: network.MinimizerLBFGS, MaxIterations: 100, GDEta: 0.5, GDMaxSteps: 100},
		Given:     escape.Given{Set: set}}
}

// TestRunSettingsCheck: the one-point configuration keeps only the
// settings its dynamics uses (D for sgld, B for the SGD kinds), and the
// rules between settings refuse, naming them, a setting given where it
// does not apply.
func TestRunSettingsCheck(t *testing.T) {
	cfg, err := analyticSettings("sgld").Check()
	if err != nil {
		t.Fatal(err)
	}
	want := Config{Seed: 7, Landscape: escape.LandscapeSpec{Name: escape.DoubleWellName, Barrier: 1, Dim: 1}, Dynamics: []escape.Dynamics{escape.SGLD},
		Sharpness: []float64{2}, Eta: []float64{1e-3}, Temperature: []float64{0.15}, Runs: 10, MaxSteps: 1000, Criterion: escape.Criterion{Kind: escape.CriterionCol}}
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("sgld: %+v, want %+v", cfg, want)
	}
	if cfg, err = analyticSettings("sgd-diffusion", "batch_size").Check(); err != nil || !reflect.DeepEqual(cfg.BatchSize, []float64{4}) || cfg.Temperature != nil {
		t.Errorf("sgd-diffusion: %+v, %v", cfg, err)
	}
	for _, c := range []struct {
		s    RunSettings
		want string
	}{
		{analyticSettings(""), "dynamics is required"},
		{analyticSettings("adam"), `dynamics: unknown dynamics "adam"`},
		{func() RunSettings { s := analyticSettings("sgld", "radius"); s.Criterion.Radius = 1; return s }(), "radius applies to criterion distance only"},
		{analyticSettings("sgld", "radius"), "radius 0: want a positive number"},
		{analyticSettings("sgld", "layers"), "layers applies to landscape mlp only"},
		{analyticSettings("sgld", "transverse"), "transverse applies to dim > 1 only"},
		{analyticSettings("sgld", "batch_size"), "batch_size applies to dynamics sgd-diffusion, sgd, sgd-gaussian"},
		{analyticSettings("sgd-diffusion", "temperature"), "temperature applies to dynamics sgld only"},
		{func() RunSettings { s := analyticSettings("sgld", "sharpness"); s.Sharpness = 0; return s }(), "sharpness 0: want a positive number"},
		{func() RunSettings { s := analyticSettings("gd", "match_noise"); s.MatchNoise = true; return s }(), "match_noise sets the temperature of dynamics sgld, not gd"},
		{func() RunSettings { s := analyticSettings("sgld", "temperature"); s.MatchNoise = true; return s }(), "match_noise and temperature both set D"},
		{func() RunSettings { s := analyticSettings("sgld"); s.MatchNoise = true; return s }(), "match_noise needs batch_size B"},
	} {
		if _, err := c.s.Check(); err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%+v: %v, want %q", c.s.Given.Set, err, c.want)
		}
	}
}

// TestRunSettingsNetwork: on the MLP the criterion defaults to loss (and
// then needs δ), a data file takes every row and no pooling, and only the
// chosen minimiser's settings are kept.
func TestRunSettingsNetwork(t *testing.T) {
	mlp := func(given ...string) RunSettings {
		s := analyticSettings("sgd", given...)
		s.Landscape = escape.LandscapeSpec{Name: "mlp"}
		s.Network.Layers, s.Network.Activation = []int{49, 8, 10}, model.Tanh
		s.Criterion.Delta = 0.05
		return s
	}
	if _, err := mlp().Check(); err == nil || !strings.HasPrefix(err.Error(), "delta δ is required with the loss criterion") {
		t.Errorf("no delta: %v", err)
	}
	cfg, err := mlp("delta").Check()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Criterion.Kind != escape.CriterionLoss || cfg.Network == nil || cfg.Network.Pool != 4 || cfg.Network.MaxIterations != 100 || cfg.Network.GDEta != 0 || cfg.Network.GDMaxSteps != 0 {
		t.Errorf("lbfgs network: %+v %+v", cfg.Criterion, cfg.Network)
	}
	s := mlp("delta", "data", "minimizer")
	s.Network.Data, s.Network.Minimizer = "x.npz", network.MinimizerGD
	if cfg, err = s.Check(); err != nil || cfg.Network.Pool != 0 || cfg.Network.First != 0 || cfg.Network.MaxIterations != 0 || cfg.Network.GDEta != 0.5 {
		t.Errorf("gd on a data file: %+v, %v", cfg.Network, err)
	}
	for _, c := range []struct {
		s    RunSettings
		want string
	}{
		{mlp("delta", "barrier"), "barrier applies to analytic landscapes only"},
		{mlp("delta", "max_iterations", "gd_eta"), "gd_eta applies to minimizer gd only"},
		{func() RunSettings { s := mlp("delta", "pool", "data"); s.Network.Data = "x.npz"; return s }(), "pool and data: a data file holds its features"},
		{func() RunSettings { s := mlp("delta", "mnist", "data"); s.Network.Data = "x.npz"; return s }(), "mnist and data: give one source"},
	} {
		if _, err := c.s.Check(); err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%+v: %v, want %q", c.s.Given.Set, err, c.want)
		}
	}
}

// TestNeed: an analytic sweep needs its runs' bookkeeping and builds no
// model; a network sweep adds the network's and the minibatches' bytes and
// names its model, which reads MNIST.
func TestNeed(t *testing.T) {
	cfg, err := analyticSettings("sgld").Check()
	if err != nil {
		t.Fatal(err)
	}
	n, err := Experiment{}.Need(cfg, 2)
	if err != nil || n.Bytes != RunsBytes(cfg) || n.Model != nil || n.MNIST || n.What != "10 runs per point" {
		t.Errorf("analytic: %+v, %v", n, err)
	}
	s := analyticSettings("sgd", "delta", "batch_size")
	s.Landscape = escape.LandscapeSpec{Name: "mlp"}
	s.Network.Layers, s.Network.Activation, s.Criterion.Delta = []int{49, 8, 10}, model.Tanh, 0.05
	if cfg, err = s.Check(); err != nil {
		t.Fatal(err)
	}
	net, err := network.MemoryNeed(*cfg.Network, cfg.Dynamics, 3)
	if err != nil {
		t.Fatal(err)
	}
	n, err = Experiment{}.Need(cfg, 3)
	if err != nil || n.Bytes != RunsBytes(cfg)+net+NetworkBatchBytes(cfg, 3) || !n.MNIST || !reflect.DeepEqual(n.Model, model.Config{Layers: []int{49, 8, 10}, Activation: model.Tanh}) ||
		!strings.HasPrefix(n.What, "10 runs per point on the network [49 8 10] with 3 workers") {
		t.Errorf("network: %+v, %v", n, err)
	}
}

// TestMatchBatch: the batch size only when the noise is matched.
func TestMatchBatch(t *testing.T) {
	if b := (RunSettings{BatchSize: 8, MatchNoise: true}).MatchBatch(); b != 8 {
		t.Errorf("matched: %v, want 8", b)
	}
	if b := (RunSettings{BatchSize: 8}).MatchBatch(); b != 0 {
		t.Errorf("not matched: %v, want 0", b)
	}
}
