package escape

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strings"

	"github.com/sgn-project/sgn/internal/seed"
)

// Criterion kinds.
const (
	// CriterionCol: the run has crossed the col into the other valley, i.e.
	// (θ − b)·e ≥ ½·(o − b)·e with o the other valley's minimum (for the
	// double well x ≥ +0.5/√k).
	CriterionCol = "col"
	// CriterionDistance: |θ − a| ≥ Radius.
	CriterionDistance = "distance"
	// CriterionLoss: L(θ) ≥ L(a) + Delta.
	CriterionLoss = "loss"
)

// Criterion says when a run has escaped. It is checked after every step and
// the escape step is the first step at which it holds.
type Criterion struct {
	// Kind is "col" (default), "distance" or "loss".
	Kind string `json:"kind"`
	// Radius is r for "distance", in units of θ.
	Radius float64 `json:"radius,omitempty"`
	// Delta is δ for "loss".
	Delta float64 `json:"delta,omitempty"`
}

func (c *Criterion) validate() error {
	switch c.Kind {
	case CriterionCol:
		if c.Radius != 0 || c.Delta != 0 {
			return errors.New(`criterion "col" takes no radius or delta`)
		}
	case CriterionDistance:
		if !(c.Radius > 0) || math.IsInf(c.Radius, 0) || c.Delta != 0 {
			return FieldErrorf(`criterion "distance":`, "radius", "%v: want a positive number (and no δ)", c.Radius)
		}
	case CriterionLoss:
		if !(c.Delta > 0) || math.IsInf(c.Delta, 0) || c.Radius != 0 {
			return FieldErrorf(`criterion "loss":`, "delta", "%v: want a positive number (and no radius r)", c.Delta)
		}
	default:
		return fmt.Errorf("unknown criterion kind %q (want col, distance or loss)", c.Kind)
	}
	return nil
}

// Config is a sweep: a grid of points and a number of runs per point.
//
// JSON schema (escape/testdata/sweep.json is an example):
//
//	{
//	  "seed": 1,                      // sweep seed (uint64); run seeds derive from it
//	  "landscape": {                  // LandscapeSpec
//	    "name": "doublewell",         // "doublewell" or "styblinski-tang"
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
// A network landscape replaces "landscape" by "network" (NetworkSpec: an
// MLP on MNIST trained to a minimum; builtin example: escape/builtin/
// mlp-batch-size.json); its dynamics are "sgd", "sgd-gaussian", "sgld"
// and "gd" and its criterion "loss" or "distance".
//
// The grid is, for each dynamics in order, the Cartesian product of the
// lists that apply to it: sharpness × batch_size × eta for SGD dynamics,
// sharpness × eta × temperature for SGLD, sharpness × eta for GD, nested in
// that order (the last list varies fastest). Points are numbered from 0 in
// that order. Unknown fields are errors.
type Config struct {
	Seed        uint64        `json:"seed"`
	Landscape   LandscapeSpec `json:"landscape,omitzero"`
	Dynamics    []Dynamics    `json:"dynamics"`
	Sharpness   []float64     `json:"sharpness"`
	BatchSize   []float64     `json:"batch_size,omitempty"`
	Eta         []float64     `json:"eta"`
	Temperature []float64     `json:"temperature,omitempty"`
	Runs        int           `json:"runs"`
	MaxSteps    int64         `json:"max_steps"`
	Criterion   Criterion     `json:"criterion"`
	// Network, when set, replaces the analytic landscape by an MLP trained
	// to a minimum (see NetworkSpec); "landscape" must then be absent.
	Network *NetworkSpec `json:"network,omitempty"`
}

// ParseConfig decodes and validates a sweep configuration; name (a file
// name) prefixes the errors.
func ParseConfig(r io.Reader, name string) (Config, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var c Config
	if err := dec.Decode(&c); err != nil {
		return Config{}, fmt.Errorf("%s: not a valid sweep config: %w", name, err)
	}
	if dec.More() {
		return Config{}, fmt.Errorf("%s: not a valid sweep config: data after the JSON object", name)
	}
	if err := c.Validate(); err != nil {
		return Config{}, fmt.Errorf("%s: %w", name, err)
	}
	return c, nil
}

// ReadConfig reads and validates the sweep configuration in file path.
func ReadConfig(path string) (Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return Config{}, fmt.Errorf("cannot read sweep config: %w", err)
	}
	defer f.Close()
	return ParseConfig(f, path)
}

// Validate fills in defaults (landscape dim 1, criterion "col") and checks
// the numbers and the structure of c and the dynamics names. Landscape
// names, and which dynamics run on which landscape, are checked by the
// Factory that builds the simulators.
func (c *Config) Validate() error {
	if c.Network == nil {
		c.Landscape.normalize()
	}
	if c.Criterion.Kind == "" {
		c.Criterion.Kind = CriterionCol
	}
	if c.Network != nil {
		if err := c.validateNetwork(); err != nil {
			return err
		}
	} else if err := c.Landscape.validate(); err != nil {
		return err
	}
	if err := c.Criterion.validate(); err != nil {
		return err
	}
	if len(c.Dynamics) == 0 {
		return errors.New(`"dynamics" is empty: want a list such as ["sgld", "sgd-diffusion"]`)
	}
	seen := map[Dynamics]bool{}
	anyBatch, anyTemp := false, false
	for _, d := range c.Dynamics {
		if seen[d] {
			return fmt.Errorf("dynamics %q listed twice", d)
		}
		seen[d] = true
		if _, err := ParseDynamics(string(d)); err != nil {
			return err
		}
		anyBatch = anyBatch || d.UsesBatch()
		anyTemp = anyTemp || d.UsesTemperature()
	}
	lists := []struct {
		name   string
		v      []float64
		needed bool
	}{
		{"sharpness", c.Sharpness, true},
		{"eta", c.Eta, true},
		{"batch_size", c.BatchSize, anyBatch},
		{"temperature", c.Temperature, anyTemp},
	}
	for _, l := range lists {
		if l.needed && len(l.v) == 0 {
			return fmt.Errorf("%q is empty: the dynamics %v need at least one value", l.name, c.Dynamics)
		}
		if !l.needed && len(l.v) > 0 {
			return fmt.Errorf("%q is given but none of the dynamics %v uses it", l.name, c.Dynamics)
		}
		for _, x := range l.v {
			if !(x > 0) || math.IsInf(x, 0) {
				return FieldErrorf("", l.name, "%v: want positive numbers", x)
			}
		}
	}
	if c.Runs < 1 {
		return FieldErrorf("", "runs", "%d: want a positive integer", c.Runs)
	}
	if c.MaxSteps < 1 {
		return FieldErrorf("", "max_steps", "%d: want a positive integer", c.MaxSteps)
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
		c.Landscape.normalize()
	}
	if c.Criterion.Kind == "" {
		c.Criterion.Kind = CriterionCol
	}
	b, _ := json.Marshal(c) // a Config always encodes
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:8])
}

// Point is one grid point of a sweep: everything a simulator needs.
type Point struct {
	// Index numbers the point in grid order from 0.
	Index    int      `json:"point"`
	Dynamics Dynamics `json:"dynamics"`
	// Sharpness k > 0.
	Sharpness float64 `json:"sharpness"`
	// BatchSize B (0 when the dynamics does not use it).
	BatchSize float64 `json:"batch_size,omitempty"`
	// Eta is the learning rate η.
	Eta float64 `json:"eta"`
	// Temperature is the SGLD diffusion D (0 when the dynamics does not use it).
	Temperature float64       `json:"temperature,omitempty"`
	Landscape   LandscapeSpec `json:"-"`
	Criterion   Criterion     `json:"-"`
	MaxSteps    int64         `json:"-"`
	// Network is the network landscape (nil for an analytic one).
	Network *NetworkSpec `json:"-"`
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
						ps = append(ps, Point{Index: len(ps), Dynamics: dyn, Sharpness: k, BatchSize: b, Eta: eta,
							Temperature: d, Landscape: c.Landscape, Criterion: c.Criterion, MaxSteps: c.MaxSteps, Network: c.Network})
					}
				}
			}
		}
	}
	return ps
}

// Label describes the point in a few words, e.g. "sgld k=2 η=0.001 D=0.15".
func (p Point) Label() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s k=%g", p.Dynamics, p.Sharpness)
	if p.BatchSize != 0 {
		fmt.Fprintf(&b, " B=%g", p.BatchSize)
	}
	fmt.Fprintf(&b, " η=%g", p.Eta)
	if p.Temperature != 0 {
		fmt.Fprintf(&b, " D=%g", p.Temperature)
	}
	return b.String()
}

// RunSeed returns the seed of run `run` of point `point` in a sweep with
// seed `seed`: seed.Derive(seed, point, run), SplitMix64 applied in turn to
// the sweep seed, the point and the run. It depends on nothing else, so
// results do not depend on the number of workers or on sharding.
func RunSeed(s uint64, point, run int) uint64 {
	return seed.Derive(s, uint64(point), uint64(run))
}

// canonicalJSON is json.Marshal with the encoder's defaults for files users
// read: indented, no HTML escaping, a final newline.
func canonicalJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
