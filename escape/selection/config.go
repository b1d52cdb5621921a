package selection

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"

	"github.com/sgn-project/sgn/escape"
	"github.com/sgn-project/sgn/internal/sweep"
)

// Config is a selection sweep: one two-valley landscape, a grid of
// dynamics and parameters, and Replicas independent trajectories per point.
//
// JSON (escape/selection/builtin/twowell.json is the builtin one):
//
//	{
//	  "seed": 1,                         // replica seeds derive from it
//	  "landscape": {"dim": 1, "sharpness": 2, "h_flat": 1, "h_col": 0.5,
//	                "barrier": 0.02, "barrier_flat": 0.02},   // Spec
//	  "dynamics": ["sgld", "sgd-diffusion-finite-sum", "sgd"],
//	  "batch_size": [1, 2, 4],           // B, SGD kinds only (sgd: integers)
//	  "eta": [0.05],                     // learning rate η, every dynamics
//	  "temperature": [0.01, 0.005],      // SGLD diffusion D, sgld only
//	  "replicas": 16,                    // independent trajectories per point
//	  "steps": 4000000,                  // measured steps per replica
//	  "burn_in": 200000                  // steps before, not measured
//	}
//
// The grid is, for each dynamics in order, batch_size × eta (SGD kinds) or
// eta × temperature (sgld), the last list varying fastest; points are
// numbered from 0 in that order. Unknown fields are errors.
type Config struct {
	Seed        uint64             `json:"seed"`
	Landscape   escape.TwoWellSpec `json:"landscape"`
	Dynamics    []escape.Dynamics  `json:"dynamics"`
	BatchSize   []float64          `json:"batch_size,omitempty"`
	Eta         []float64          `json:"eta"`
	Temperature []float64          `json:"temperature,omitempty"`
	Replicas    int                `json:"replicas"`
	Steps       int64              `json:"steps"`
	BurnIn      int64              `json:"burn_in"`
}

// Validate fills in the landscape's defaults and checks c, including that
// every point can be simulated (NewSimulator).
func (c *Config) Validate() error {
	c.Landscape.Normalize()
	if err := c.Landscape.Validate(); err != nil {
		return err
	}
	if err := escape.CheckGrid(c.Dynamics, escape.Dynamics.CheckOnTwoWell, []escape.Dynamics{SGLD, SGDDiffusionFiniteSum, SGD},
		escape.SettingList{Name: "eta", Values: c.Eta}, escape.SettingList{Name: "batch_size", Values: c.BatchSize},
		escape.SettingList{Name: "temperature", Values: c.Temperature}); err != nil {
		return err
	}
	if c.Replicas < 2 {
		return escape.FieldErrorf("", "replicas", "%d: want at least 2 (the occupancy interval comes from their spread)", c.Replicas)
	}
	if c.Steps < 1 {
		return escape.FieldErrorf("", "steps", "%d: want a positive integer", c.Steps)
	}
	if c.BurnIn < 0 {
		return escape.FieldErrorf("", "burn_in", "%d: want an integer ≥ 0", c.BurnIn)
	}
	if int64(len(c.Points()))*int64(c.Replicas) > math.MaxInt32 {
		return errors.New("the sweep has more than 2³¹ replicas")
	}
	for _, p := range c.Points() {
		if _, err := NewSimulator(p); err != nil {
			return fmt.Errorf("point %d (%s): %w", p.Index, p.Label(), err)
		}
	}
	return nil
}

// Hash returns 16 hex digits of the SHA-256 of the configuration's JSON
// with defaults filled in: two sweeps with equal hashes simulate the same
// replicas.
func (c Config) Hash() string {
	c.Landscape.Normalize()
	h, _ := sweep.ConfigHash(c) // a Config always encodes
	return h
}

// Points enumerates the grid in point order.
func (c Config) Points() []Point {
	var ps []Point
	one := []float64{0}
	for _, d := range c.Dynamics {
		bs, ds := one, one
		if usesBatch(d) {
			bs = c.BatchSize
		}
		if usesTemperature(d) {
			ds = c.Temperature
		}
		for _, b := range bs {
			for _, eta := range c.Eta {
				for _, t := range ds {
					ps = append(ps, Point{Index: len(ps), Dynamics: d, BatchSize: b, Eta: eta, Temperature: t,
						Landscape: c.Landscape, Steps: c.Steps, BurnIn: c.BurnIn})
				}
			}
		}
	}
	return ps
}

// ParseConfig decodes and validates a configuration; name prefixes errors.
func ParseConfig(b []byte, name string) (Config, error) {
	var c Config
	if err := sweep.DecodeConfig(bytes.NewReader(b), name, "selection config", &c); err != nil {
		return Config{}, err
	}
	if err := escape.RefuseExplicitZeros(b, [][]string{{"landscape", "dim"}, {"landscape", "sharpness"}, {"landscape", "h_flat"},
		{"landscape", "h_col"}, {"landscape", "barrier"}, {"landscape", "barrier_flat"}}...); err != nil {
		return Config{}, fmt.Errorf("%s: %w", name, err)
	}
	if err := c.Validate(); err != nil {
		return Config{}, fmt.Errorf("%s: %w", name, err)
	}
	return c, nil
}

//go:embed builtin/*.json
var builtinFS embed.FS

// BuiltinPrefix marks a builtin config where a file is expected.
const BuiltinPrefix = sweep.BuiltinPrefix

// figureBuiltin is the builtin config of the figure.
const figureBuiltin = "twowell"

// builtins returns the configs of builtinFS.
func builtins() sweep.BuiltinSet {
	return sweep.BuiltinSet{FS: builtinFS, Dir: "builtin", Describe: func(name string) string {
		if name == figureBuiltin {
			return "the figure: sgld, sgd-diffusion-finite-sum and sgd between a sharp and a flat valley"
		}
		return "example sweep"
	}}
}

// BuiltinJSON returns the text of builtin config name.
func BuiltinJSON(name string) ([]byte, error) { return builtins().JSON(name) }

// LoadConfig reads a configuration from a file or, for "builtin:NAME",
// from the builtin configs.
func LoadConfig(spec string) (Config, error) {
	b, err := builtins().Read(spec, "selection config")
	if err != nil {
		return Config{}, err
	}
	return ParseConfig(b, spec)
}

// Record is one replica of a sweep, one line of runs.jsonl:
// {"point","run","seed","steps","flat_steps","sharp_exposure",
// "flat_exposure","sharp_to_flat","flat_to_sharp"}.
type Record = sweep.Record[Replica]

// Data is a sweep folder read back.
type Data = sweep.Data[Config, Replica]

// Options are the settings of Sweep that do not change its results.
type Options = sweep.Options

// kind is the kind of the selection sweeps.
var kind = sweep.Kind[Config, Replica]{
	Grid: func(c *Config) (sweep.Grid, string, error) {
		if err := c.Validate(); err != nil {
			return sweep.Grid{}, "", err
		}
		return sweep.Grid{Points: len(c.Points()), Runs: c.Replicas, Seed: c.Seed}, c.Hash(), nil
	},
	Check: func(c *Config, r Record) error {
		x := r.Result
		if x.Steps != c.Steps || x.FlatSteps < 0 || x.FlatSteps > x.Steps || x.SharpExposure < 0 || x.FlatExposure < 0 ||
			x.SharpExposure+x.FlatExposure != x.Steps || x.SharpToFlat < 0 || x.FlatToSharp < 0 ||
			x.SharpToFlat+x.FlatToSharp > x.Steps || abs64(x.SharpToFlat-x.FlatToSharp) > 1 {
			return fmt.Errorf("replica counts %+v are not those of a trajectory of %d steps", x, c.Steps)
		}
		return nil
	},
}

func abs64(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

// Sweep simulates the replicas of cfg (or of opt.Shard of them) into dir:
// config.json and runs.jsonl, resumable and shardable as internal/sweep
// describes. Nothing is written before every point has a simulator.
func Sweep(dir string, cfg Config, opt Options) (sweep.Summary, error) {
	if err := cfg.Validate(); err != nil {
		return sweep.Summary{}, err
	}
	sims := make([]*Simulator, 0)
	for _, p := range cfg.Points() {
		s, err := NewSimulator(p)
		if err != nil {
			return sweep.Summary{}, fmt.Errorf("point %d (%s): %w", p.Index, p.Label(), err)
		}
		sims = append(sims, s)
	}
	return kind.Run(dir, cfg, func(t sweep.Task) (Replica, error) { return sims[t.Point].Run(t.Seed) }, opt)
}

// Merge combines shard folders of one sweep into out.
func Merge(out string, inputs []string, version string) (sweep.MergeSummary, error) {
	return kind.Merge(out, inputs, sweep.MergeOptions{Version: version})
}

// Read reads and checks a sweep folder.
func Read(dir string) (Data, error) { return kind.Read(dir) }

// CheckFolder returns an error when dir holds another sweep than cfg (or
// another shard), or the fit of a sweep kept elsewhere (selection.json
// without config.json, as a figure or a fit writes), and writes nothing.
func CheckFolder(dir string, cfg Config, shard sweep.Shard) error {
	_, errFit := os.Stat(filepath.Join(dir, JSONFile))
	_, errCfg := os.Stat(filepath.Join(dir, sweep.ConfigFile))
	if errFit == nil && errors.Is(errCfg, os.ErrNotExist) {
		return fmt.Errorf("%s holds %s without %s: the fit of a sweep kept elsewhere (a figure or a fit wrote it), which a sweep here would overwrite; choose another folder", dir, JSONFile, sweep.ConfigFile)
	}
	return kind.CheckFolder(dir, cfg, shard)
}

// RunPoint simulates replicas replicas of one point with seeds
// seed.Derive(seed, 0, r) on workers goroutines, without a folder.
func RunPoint(p Point, seed uint64, replicas, workers int, progress func(done int)) ([]Replica, error) {
	sim, err := NewSimulator(p)
	if err != nil {
		return nil, err
	}
	g := sweep.Grid{Points: 1, Runs: replicas, Seed: seed}
	tasks := make([]sweep.Task, replicas)
	for r := range tasks {
		tasks[r] = g.Task(0, r)
	}
	recs, err := sweep.Collect(tasks, workers, func(t sweep.Task) (Replica, error) { return sim.Run(t.Seed) }, progress)
	if err != nil {
		return nil, err
	}
	out := make([]Replica, len(recs))
	for i, r := range recs {
		out[i] = r.Result
	}
	return out, nil
}
