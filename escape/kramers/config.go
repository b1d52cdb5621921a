package kramers

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/sgn-project/sgn/escape"
	"github.com/sgn-project/sgn/escape/network"
	"github.com/sgn-project/sgn/internal/seed"
	"github.com/sgn-project/sgn/internal/sweep"
)

// Config is a sweep: a grid of points and a number of runs per point.
//
// JSON schema (escape/kramers/testdata/sweep.json is an example):
//
//	{
//	  "seed": 1,                      // sweep seed (uint64); run seeds derive from it
//	  "landscape": {                  // LandscapeSpec
//	    "name": "doublewell",         // "doublewell", "styblinski-tang" or "twowell" (shape in "twowell": TwoWellSpec)
//	    "barrier": 1,                 // ΔL > 0
//	    "dim": 1,                     // n ≥ 1 (default 1)
//	    "transverse": [1],            // doublewell, dim > 1: curvatures at the minimum, k = 1
//	    "col_ratio": 1                // doublewell, dim > 1: transverse curvature col/minimum
//	  },
//	  "dynamics": ["sgld", "sgd-diffusion", "gd"],
//	  "sharpness": [1, 2, 4],         // k > 0, every dynamics
//	  "batch_size": [1, 2, 4],        // B > 0, dynamics "sgd-…" only
//	  "eta": [0.001],                 // learning rate η > 0, every dynamics
//	  "temperature": [0.15],          // SGLD diffusion D > 0, "sgld" only
//	  "runs": 200,                    // runs per point
//	  "max_steps": 1000000,           // runs not escaped by then are right-censored
//	  "criterion": {"kind": "col"}    // or {"kind":"distance","radius":r}, {"kind":"loss","delta":δ}
//	}
//
// A network landscape replaces "landscape" by "network" (network.Spec: an
// MLP on MNIST trained to a minimum; builtin example: escape/kramers/builtin/
// mlp-batch-size.json); its dynamics are "sgd", "sgd-gaussian", "sgld"
// and "gd" and its criterion "loss" or "distance".
//
// The grid is, for each dynamics in order, the Cartesian product of the
// lists that apply to it: sharpness × batch_size × eta for SGD dynamics,
// sharpness × eta × temperature for SGLD, sharpness × eta for GD, nested in
// that order (the last list varies fastest). Points are numbered from 0 in
// that order. Unknown fields are errors.
type Config struct {
	Seed        uint64               `json:"seed"`
	Landscape   escape.LandscapeSpec `json:"landscape,omitzero"`
	Dynamics    []escape.Dynamics    `json:"dynamics"`
	Sharpness   []float64            `json:"sharpness"`
	BatchSize   []float64            `json:"batch_size,omitempty"`
	Eta         []float64            `json:"eta"`
	Temperature []float64            `json:"temperature,omitempty"`
	Runs        int                  `json:"runs"`
	MaxSteps    int64                `json:"max_steps"`
	Criterion   escape.Criterion     `json:"criterion"`
	// Network, when set, replaces the analytic landscape by an MLP trained
	// to a minimum (see network.Spec); "landscape" must then be absent.
	Network *network.Spec `json:"network,omitempty"`
}

// ParseConfig decodes and validates a sweep configuration; name (a file
// name) prefixes the errors.
func ParseConfig(r io.Reader, name string) (Config, error) {
	raw, err := io.ReadAll(io.LimitReader(r, maxConfigBytes+1))
	if err != nil {
		return Config{}, fmt.Errorf("%s: %w", name, err)
	}
	if len(raw) > maxConfigBytes {
		return Config{}, fmt.Errorf("%s: not a valid sweep config: larger than %d MiB", name, maxConfigBytes>>20)
	}
	var c Config
	if err := sweep.DecodeConfig(bytes.NewReader(raw), name, "sweep config", &c); err != nil {
		return Config{}, err
	}
	if err := escape.RefuseExplicitZeros(raw, defaultedFields()...); err != nil {
		return Config{}, fmt.Errorf("%s: %w", name, err)
	}
	if err := c.Validate(); err != nil {
		return Config{}, fmt.Errorf("%s: %w", name, err)
	}
	return c, nil
}

// maxConfigBytes bounds a sweep config file: a grid is at most a few
// lists of numbers.
const maxConfigBytes = 16 << 20

// defaultedFields are the fields of a config whose zero value means the
// default when the field is left out (Validate fills it in), so an
// explicit 0 in a file is refused instead of silently replaced.
func defaultedFields() [][]string {
	return [][]string{
		{"landscape", "dim"}, {"landscape", "col_ratio"},
		{"landscape", "twowell", "dim"}, {"landscape", "twowell", "sharpness"}, {"landscape", "twowell", "h_flat"},
		{"landscape", "twowell", "h_col"}, {"landscape", "twowell", "barrier"}, {"landscape", "twowell", "barrier_flat"},
		{"network", "pool"}, {"network", "first"}, {"network", "grad_tol"}, {"network", "max_iterations"},
		{"network", "gd_eta"}, {"network", "gd_max_steps"}, {"network", "check_every"},
	}
}

// Validate fills in defaults (landscape dim 1, criterion "col") and checks
// the numbers and the structure of c and the dynamics names. Landscape
// names, and which dynamics run on which landscape, are checked by the
// Factory that builds the simulators.
func (c *Config) Validate() error {
	if c.Network == nil {
		c.Landscape.Normalize()
	}
	if c.Criterion.Kind == "" {
		c.Criterion.Kind = escape.CriterionCol
	}
	if c.Network != nil {
		if err := c.validateNetwork(); err != nil {
			return err
		}
	} else if err := c.Landscape.Validate(); err != nil {
		return err
	}
	if err := c.Criterion.Validate(); err != nil {
		return err
	}
	check := func(d escape.Dynamics) error { _, err := escape.ParseDynamics(string(d)); return err }
	if err := escape.CheckGrid(c.Dynamics, check, []escape.Dynamics{escape.SGLD, escape.SGDDiffusion},
		escape.SettingList{Name: "sharpness", Values: c.Sharpness}, escape.SettingList{Name: "eta", Values: c.Eta},
		escape.SettingList{Name: "batch_size", Values: c.BatchSize}, escape.SettingList{Name: "temperature", Values: c.Temperature}); err != nil {
		return err
	}
	if c.Runs < 1 {
		return escape.FieldErrorf("", "runs", "%d: want a positive integer", c.Runs)
	}
	if c.MaxSteps < 1 {
		return escape.FieldErrorf("", "max_steps", "%d: want a positive integer", c.MaxSteps)
	}
	n := c.numPoints()
	if n > maxPoints {
		return fmt.Errorf("the sweep has %d grid points, more than %d: shorten the lists", n, maxPoints)
	}
	if n > math.MaxInt32/int64(c.Runs) {
		return errors.New("the sweep has more than 2³¹ runs")
	}
	return nil
}

// maxPoints bounds the grid of a sweep: every point gets a simulator, built
// before the first run.
const maxPoints = 1 << 20

// numPoints counts the grid points of Points without enumerating them,
// saturating at 2⁶² (a few lists of numbers multiply into a grid too large
// to hold).
func (c Config) numPoints() int64 {
	const most = 1 << 62
	mul := func(a int64, n int) int64 {
		if n == 0 {
			n = 1 // an unused list counts once (see Points)
		}
		if a > most/int64(n) {
			return most
		}
		return a * int64(n)
	}
	var total int64
	for _, dyn := range c.Dynamics {
		n := mul(int64(len(c.Sharpness)), len(c.Eta))
		if dyn.UsesBatch() {
			n = mul(n, len(c.BatchSize))
		}
		if dyn.UsesTemperature() {
			n = mul(n, len(c.Temperature))
		}
		total = min(total+n, most)
	}
	return total
}

// Hash returns a short hash (16 hex digits of SHA-256) of the
// configuration's JSON encoding with defaults filled in; two sweeps with
// equal hashes simulate the same runs.
func (c Config) Hash() string {
	if c.Network == nil {
		c.Landscape.Normalize()
	}
	if c.Criterion.Kind == "" {
		c.Criterion.Kind = escape.CriterionCol
	}
	h, _ := sweep.ConfigHash(c) // a Config always encodes
	return h
}

// Point is one grid point of a sweep: its number, the setting of the
// dynamics on the landscape (escape.Point) and, for a network landscape,
// the network.
type Point struct {
	// Index numbers the point in grid order from 0.
	Index int `json:"point"`
	escape.Point
	// Network is the network landscape (nil for an analytic one).
	Network *network.Spec `json:"-"`
}

// Points enumerates the grid of a validated configuration in point order
// (see Config).
func (c Config) Points() []Point {
	var ps []Point
	one := []float64{0}
	for _, dyn := range c.Dynamics {
		bs, ds := one, one
		if dyn.UsesBatch() {
			bs = c.BatchSize
		}
		if dyn.UsesTemperature() {
			ds = c.Temperature
		}
		for _, k := range c.Sharpness {
			for _, b := range bs {
				for _, eta := range c.Eta {
					for _, d := range ds {
						ps = append(ps, Point{Index: len(ps), Point: escape.Point{Dynamics: dyn, Sharpness: k, BatchSize: b, Eta: eta,
							Temperature: d, Landscape: c.Landscape, Criterion: c.Criterion, MaxSteps: c.MaxSteps}, Network: c.Network})
					}
				}
			}
		}
	}
	return ps
}

// RunSeed returns the seed of run `run` of point `point` in a sweep with
// seed `seed`: seed.Derive(seed, point, run), SplitMix64 applied in turn to
// the sweep seed, the point and the run. It depends on nothing else, so
// results do not depend on the number of workers or on sharding.
func RunSeed(s uint64, point, run int) uint64 {
	return seed.Derive(s, uint64(point), uint64(run))
}
