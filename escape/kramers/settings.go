package kramers

import (
	"fmt"
	"strings"

	"github.com/sgn-project/sgn/escape"
	"github.com/sgn-project/sgn/escape/network"
	"github.com/sgn-project/sgn/internal/domain"
)

// RunSettings are the settings of one escape run (RunOne) given one by one,
// as a command line gives them, and the rules between them: which settings
// apply to which landscape (analytic or the MLP), dynamics, criterion and
// minimiser, and which numbers must be positive when given. Check turns
// them into the one-point Config of Theorems 1–2's experiment (Xie, Sato &
// Sugiyama, ICLR 2021).
type RunSettings struct {
	// Landscape is the analytic landscape (its Transverse included), or
	// Name "mlp" for the network of Network.
	Landscape escape.LandscapeSpec
	// Network is the MLP of Landscape "mlp": every field as given, Layers
	// and Activation already parsed; Check keeps those that apply.
	Network network.Spec
	// Dynamics is the name of the dynamics ("" is refused).
	Dynamics                               string
	Sharpness, Eta, Temperature, BatchSize float64
	Runs                                   int
	MaxSteps                               int64
	Seed                                   uint64
	Criterion                              escape.Criterion
	// MatchNoise sets SGLD's temperature from the noise of SGD with
	// BatchSize (RunOptions.MatchNoise).
	MatchNoise bool
	// Given says which fields were given, by JSON name ("mnist" for a
	// folder of MNIST files, "match_noise"), and names them in errors.
	Given escape.Given
}

// MatchBatch is the RunOptions.MatchNoise of the settings: with
// MatchNoise, the batch size B of the SGD whose noise SGLD matches; 0
// otherwise.
func (s RunSettings) MatchBatch() float64 {
	if s.MatchNoise {
		return s.BatchSize
	}
	return 0
}

// networkOnly and analyticOnly are the settings that apply to the MLP and
// to the analytic landscapes only.
var (
	networkOnly  = []string{"layers", "activation", "first", "mnist", "pool", "data", "init_seed", "start", "weight_decay", "minimizer", "grad_tol", "max_iterations", "gd_eta", "gd_max_steps", "check_every"}
	analyticOnly = []string{"barrier", "dim", "transverse", "col_ratio"}
)

// Check applies the rules and returns the configuration of the one point
// the settings describe; its errors name the settings as Given does.
func (s RunSettings) Check() (Config, error) {
	g, n, net := s.Given, s.Given.N, &s.Network
	if s.Dynamics == "" {
		return Config{}, fmt.Errorf("%s is required: sgld, sgd-diffusion or gd (mlp: sgd, sgd-gaussian, sgld or gd)", n("dynamics"))
	}
	mlp := s.Landscape.Name == "mlp"
	crit := s.Criterion.Kind
	if mlp && !g.Set["criterion"] {
		crit = escape.CriterionLoss
	}
	ls := s.Landscape
	if err := domain.First(
		g.Only(mlp, n("landscape")+" mlp", networkOnly...),
		g.Only(!mlp, "analytic landscapes", analyticOnly...),
		g.In(domain.Positive, "barrier", ls.Barrier), g.In(domain.Positive, "sharpness", s.Sharpness), g.In(domain.Positive, "eta", s.Eta),
		g.In(domain.Positive, "temperature", s.Temperature), g.In(domain.Positive, "batch_size", s.BatchSize), g.In(domain.Positive, "col_ratio", ls.ColRatio),
		g.In(domain.Positive, "transverse", ls.Transverse...), g.In(domain.Positive, "grad_tol", net.GradTol), g.In(domain.Positive, "gd_eta", net.GDEta),
		g.In(domain.Positive, "radius", s.Criterion.Radius), g.In(domain.Positive, "delta", s.Criterion.Delta),
		g.In(domain.PositiveInt, "runs", float64(s.Runs)), g.In(domain.PositiveInt, "max_steps", float64(s.MaxSteps)), g.In(domain.PositiveInt, "dim", float64(ls.Dim)),
		g.In(domain.PositiveInt, "pool", float64(net.Pool)), g.In(domain.PositiveInt, "first", float64(net.First)), g.In(domain.PositiveInt, "max_iterations", float64(net.MaxIterations)),
		g.In(domain.PositiveInt, "gd_max_steps", float64(net.GDMaxSteps)), g.In(domain.PositiveInt, "check_every", float64(net.CheckEvery)),
		g.In(domain.NonNegative, "weight_decay", net.WeightDecay),
		g.Only(crit == escape.CriterionDistance, n("criterion")+" distance", "radius"),
		g.Only(crit == escape.CriterionLoss, n("criterion")+" loss", "delta"),
		g.Only(mlp || ls.Dim > 1, n("dim")+" > 1", "transverse", "col_ratio"),
	); err != nil {
		return Config{}, err
	}
	dyn, err := escape.ParseDynamics(s.Dynamics)
	if err != nil {
		return Config{}, fmt.Errorf("%s: %w", n("dynamics"), err)
	}
	if s.MatchNoise {
		switch {
		case dyn != escape.SGLD:
			return Config{}, fmt.Errorf("%s sets the temperature of %s sgld, not %s", n("match_noise"), n("dynamics"), dyn)
		case g.Set["temperature"]:
			return Config{}, fmt.Errorf("%s and %s both set D: give one", n("match_noise"), n("temperature"))
		case !g.Set["batch_size"]:
			return Config{}, fmt.Errorf("%s needs %s B, the batch size of the SGD whose noise SGLD matches", n("match_noise"), n("batch_size"))
		}
	}
	if err := domain.First(
		g.Only(dyn.UsesTemperature(), n("dynamics")+" sgld", "temperature"),
		g.Only(dyn.UsesBatch() || s.MatchNoise, n("dynamics")+" "+strings.Join(escape.BatchDynamics(), ", "), "batch_size"),
	); err != nil {
		return Config{}, err
	}
	cfg := Config{Seed: s.Seed, Dynamics: []escape.Dynamics{dyn}, Sharpness: []float64{s.Sharpness}, Eta: []float64{s.Eta},
		Runs: s.Runs, MaxSteps: s.MaxSteps, Criterion: s.Criterion}
	if dyn.UsesBatch() {
		cfg.BatchSize = []float64{s.BatchSize}
	}
	if dyn.UsesTemperature() {
		cfg.Temperature = []float64{s.Temperature}
	}
	if !mlp {
		cfg.Landscape = ls
		return cfg, nil
	}
	return s.networkConfig(cfg)
}

// networkConfig completes cfg with the network of the settings.
func (s RunSettings) networkConfig(cfg Config) (Config, error) {
	g, n, net := s.Given, s.Given.N, s.Network
	if net.Data != "" {
		switch {
		case g.Set["pool"]:
			return cfg, fmt.Errorf("%s and %s: a data file holds its features as they are (leave %s out)", n("pool"), n("data"), n("pool"))
		case g.Set["mnist"]:
			return cfg, fmt.Errorf("%s and %s: give one source of samples", n("mnist"), n("data"))
		}
		net.Pool = 0
		if !g.Set["first"] {
			net.First = 0 // every row of the file
		}
	}
	gd := net.Minimizer == network.MinimizerGD
	if err := domain.First(g.Only(!gd, n("minimizer")+" lbfgs", "max_iterations"), g.Only(gd, n("minimizer")+" gd", "gd_eta", "gd_max_steps")); err != nil {
		return cfg, err
	}
	if gd {
		net.MaxIterations = 0
	} else {
		net.GDEta, net.GDMaxSteps = 0, 0
	}
	cfg.Network = &net
	if !g.Set["criterion"] {
		cfg.Criterion.Kind = escape.CriterionLoss
	}
	if cfg.Criterion.Kind == escape.CriterionLoss && !g.Set["delta"] {
		return cfg, fmt.Errorf("%s δ is required with the loss criterion: escaped when L ≥ L(θ₀) + δ (e.g. %s 0.05)", n("delta"), n("delta"))
	}
	return cfg, nil
}
