package kramers

import (
	"errors"
	"fmt"
	"math"

	"github.com/sgn-project/sgn/escape"
	"github.com/sgn-project/sgn/escape/network"
)

// validateNetwork checks the parts of a network sweep config.
func (c *Config) validateNetwork() error {
	if c.Landscape.Name != "" || c.Landscape.Barrier != 0 || c.Landscape.Dim != 0 || len(c.Landscape.Transverse) > 0 || c.Landscape.ColRatio != 0 {
		return errors.New(`"network" and "landscape" are exclusive: give one of them`)
	}
	*c.Network = c.Network.Normalized()
	if err := c.Network.Validate(); err != nil {
		return err
	}
	if c.Criterion.Kind != escape.CriterionLoss && c.Criterion.Kind != escape.CriterionDistance {
		return fmt.Errorf(`criterion %q: a network landscape needs {"kind":"loss","delta":δ} or {"kind":"distance","radius":r}`, c.Criterion.Kind)
	}
	for _, d := range c.Dynamics {
		if err := d.CheckOn(true); err != nil {
			return err
		}
	}
	for _, b := range c.BatchSize {
		if b != math.Trunc(b) {
			return escape.FieldErrorf("", "batch_size", "%v: a network needs whole numbers of samples", b)
		}
	}
	return nil
}

// NetworkFactory returns the Factory of the network landscape started at
// mn: network.Factory on each point's setting.
func NetworkFactory(mn *network.Minimum) Factory {
	f := network.Factory(mn)
	return func(p Point) (escape.Simulator, error) { return f(p.Point) }
}

// NetworkSweep runs a network sweep into dir: it prepares the minimum of
// cfg.Network (cached in dir/minimum.json, which it writes), then runs
// Sweep with NetworkFactory. A folder that holds another sweep is refused
// before anything is written.
func NetworkSweep(dir string, cfg Config, opt SweepOptions) (SweepSummary, *network.Minimum, error) {
	if err := cfg.Validate(); err != nil {
		return SweepSummary{}, nil, err
	}
	if cfg.Network == nil {
		return SweepSummary{}, nil, errors.New("not a network sweep: the config has no \"network\"")
	}
	for _, p := range cfg.Points() {
		if err := network.CheckPoint(p.Point); err != nil {
			return SweepSummary{}, nil, fmt.Errorf("point %d (%s): %w", p.Index, p.Label(), err)
		}
	}
	if err := sweeps.CheckFolder(dir, cfg, opt.Shard); err != nil {
		return SweepSummary{}, nil, err
	}
	mn, err := network.PrepareMinimum(*cfg.Network, opt.MNIST, dir, opt.Workers)
	if err != nil {
		return SweepSummary{}, nil, err
	}
	mn.Version = opt.Version
	if err := mn.Write(dir); err != nil {
		return SweepSummary{}, nil, err
	}
	sum, err := Sweep(dir, cfg, NetworkFactory(mn), opt)
	return sum, mn, err
}
