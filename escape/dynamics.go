package escape

import (
	"fmt"
	"slices"
	"strings"
)

// Dynamics names a dynamics of the runs (see the table dynamicsTable).
type Dynamics string

// The dynamics.
const (
	// SGLD is θ ← θ − η∇L + √(2ηD)·ξ, ξ ~ N(0, I).
	SGLD Dynamics = "sgld"
	// SGDDiffusion is θ ← θ − η∇L + η·(|H(θ)|/B)^½·ξ: Gaussian noise with
	// covariance η²·C(θ), C = |H(θ)|/B (analytic landscapes).
	SGDDiffusion Dynamics = "sgd-diffusion"
	// GD is θ ← θ − η∇L, the noiseless control.
	GD Dynamics = "gd"
	// SGD is true minibatch SGD: θ ← θ − η·g_B(θ), g_B the mean gradient of
	// B samples drawn uniformly with replacement (networks).
	SGD Dynamics = "sgd"
	// SGDGaussian is the control of SGD with its noise replaced by a
	// Gaussian of the measured covariance: θ ← θ − η·(∇L(θ) + ξ),
	// ξ ~ N(0, C₀/B), C₀ the per-sample gradient covariance at the minimum
	// (networks).
	SGDGaussian Dynamics = "sgd-gaussian"
)

// dynamicsInfo is one row of the dynamics table.
type dynamicsInfo struct {
	name Dynamics
	// batch and temperature say whether the grid's batch_size (B) and
	// temperature (D) lists apply.
	batch, temperature bool
	// analytic and network say on which landscapes it runs.
	analytic, network bool
}

// dynamicsTable is the one table of the dynamics. Adding a dynamics: a row
// here, its step in the simulators (analyticSim.Run, networkSim.run) and
// its prediction, if any, in AnalyticPrediction.
var dynamicsTable = []dynamicsInfo{
	{name: SGLD, temperature: true, analytic: true, network: true},
	{name: SGDDiffusion, batch: true, analytic: true},
	{name: GD, analytic: true, network: true},
	{name: SGD, batch: true, network: true},
	{name: SGDGaussian, batch: true, network: true},
}

// info returns d's row of the table, or nil for an unknown name.
func (d Dynamics) info() *dynamicsInfo {
	for i := range dynamicsTable {
		if dynamicsTable[i].name == d {
			return &dynamicsTable[i]
		}
	}
	return nil
}

// UsesBatch reports whether the batch size B applies to d.
func (d Dynamics) UsesBatch() bool { i := d.info(); return i != nil && i.batch }

// UsesTemperature reports whether the SGLD temperature D applies to d.
func (d Dynamics) UsesTemperature() bool { i := d.info(); return i != nil && i.temperature }

// DynamicsNames returns the names of the dynamics of analytic landscapes
// (network false) or of networks (network true), in table order.
func DynamicsNames(network bool) []string {
	var names []string
	for _, r := range dynamicsTable {
		if network && r.network || !network && r.analytic {
			names = append(names, string(r.name))
		}
	}
	return names
}

// BatchDynamics returns the names of the dynamics that take a batch size.
func BatchDynamics() []string {
	var names []string
	for _, r := range dynamicsTable {
		if r.batch {
			names = append(names, string(r.name))
		}
	}
	return names
}

// ParseDynamics returns the dynamics named s.
func ParseDynamics(s string) (Dynamics, error) {
	d := Dynamics(s)
	if d.info() == nil {
		return "", fmt.Errorf("unknown dynamics %q: want %s", s, strings.Join(slices.Concat(DynamicsNames(false), []string{string(SGD), string(SGDGaussian)}), ", "))
	}
	return d, nil
}

// CheckOn returns an error unless d runs on the landscape kind (network or
// analytic).
func (d Dynamics) CheckOn(network bool) error {
	i := d.info()
	switch {
	case i == nil:
		_, err := ParseDynamics(string(d))
		return err
	case network && !i.network:
		return fmt.Errorf("dynamics %q: a network landscape takes %s", d, strings.Join(DynamicsNames(true), ", "))
	case !network && !i.analytic:
		return fmt.Errorf("dynamics %q: an analytic landscape takes %s", d, strings.Join(DynamicsNames(false), ", "))
	}
	return nil
}
