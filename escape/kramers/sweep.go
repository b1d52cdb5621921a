package kramers

import (
	"fmt"

	"github.com/sgn-project/sgn/escape"
	"github.com/sgn-project/sgn/escape/network"
	"github.com/sgn-project/sgn/internal/sweep"
)

// Factory builds the Simulator of a grid point. It is where landscape and
// dynamics names are checked: it returns an error naming the offending
// value for a point it cannot simulate. The sweep machinery calls it for
// every point before it simulates or writes anything.
type Factory func(p Point) (escape.Simulator, error)

// PredictFunc returns the prediction for a point, or nil when theory says
// nothing about it.
type PredictFunc func(p Point) (*escape.Prediction, error)

// RunRecord is one run of a sweep, one line of runs.jsonl:
// {"point","run","seed","escaped","step"}.
type RunRecord = sweep.Record[escape.Outcome]

// SweepData is a sweep folder read back: its configuration, grid, shard
// and runs.
type SweepData = sweep.Data[Config, escape.Outcome]

// SweepOptions are the settings of Sweep that do not change its results.
type SweepOptions = sweep.Options

// SweepSummary tells what Sweep did.
type SweepSummary = sweep.Summary

// Shard is a deterministic slice of a sweep's runs (see sweep.Shard).
type Shard = sweep.Shard

// ParseShard parses "i/n" with 0 ≤ i < n.
func ParseShard(s string) (Shard, error) { return sweep.ParseShard(s) }

// Files of a sweep folder.
const (
	ConfigFile = sweep.ConfigFile
	RunsFile   = sweep.RunsFile
)

// sweeps is the kind of the escape sweeps: configurations Config, results
// Outcome.
var sweeps = sweep.Kind[Config, escape.Outcome]{
	Grid: func(c *Config) (sweep.Grid, string, error) {
		if err := c.Validate(); err != nil {
			return sweep.Grid{}, "", err
		}
		return sweep.Grid{Points: len(c.Points()), Runs: c.Runs, Seed: c.Seed}, c.Hash(), nil
	},
	Check: func(c *Config, r RunRecord) error {
		if r.Result.Step < 1 || r.Result.Step > c.MaxSteps {
			return fmt.Errorf("step %d is not in 1..max_steps = %d", r.Result.Step, c.MaxSteps)
		}
		return nil
	},
}

// RunPoint simulates runs runs of one point with run seeds
// RunSeed(seed, 0, r), on workers goroutines, and returns the records in
// run order. progress, if not nil, is called after each run.
func RunPoint(sim escape.Simulator, seed uint64, runs, workers int, progress func(done int)) ([]RunRecord, error) {
	g := sweep.Grid{Points: 1, Runs: runs, Seed: seed}
	tasks := make([]sweep.Task, runs)
	for r := range tasks {
		tasks[r] = g.Task(0, r)
	}
	return sweep.CollectBatches(tasks, workers, MaxBatch, func(ts []sweep.Task) ([]escape.Outcome, []error) {
		return escape.RunBatch(sim, seeds(ts))
	}, progress)
}

// MaxBatch is the most runs of a point a worker simulates together
// (escape.RunBatch; a network landscape steps them in lockstep, their full
// losses by one product per layer: network.MaxBatch). The workers take
// batches that shrink towards the end of a sweep (sweep.ExecuteBatches),
// so both cores stay busy to its end; the records do not depend on it.
const MaxBatch = network.MaxBatch

// seeds returns the seeds of tasks.
func seeds(ts []sweep.Task) []uint64 {
	s := make([]uint64, len(ts))
	for i, t := range ts {
		s[i] = t.Seed
	}
	return s
}

// Sweep simulates the runs of cfg (or of opt.Shard of them) into folder dir
// with the simulators factory builds: dir/config.json (the configuration
// and its hash) and dir/runs.jsonl (one RunRecord per line), resumable and
// shardable as sweep.Kind.Run describes. Nothing is written before every
// point has a simulator. Each run's seed is RunSeed(cfg.Seed, point, run),
// so the records do not depend on the number of workers, on sharding or on
// interruptions.
func Sweep(dir string, cfg Config, factory Factory, opt SweepOptions) (SweepSummary, error) {
	if err := cfg.Validate(); err != nil {
		return SweepSummary{}, err
	}
	points := cfg.Points()
	sims := make([]escape.Simulator, len(points))
	for i, p := range points {
		s, err := factory(p)
		if err != nil {
			return SweepSummary{}, fmt.Errorf("point %d (%s): %w", i, p.Label(), err)
		}
		sims[i] = s
	}
	return sweeps.RunBatches(dir, cfg, MaxBatch, func(ts []sweep.Task) ([]escape.Outcome, []error) {
		return escape.RunBatch(sims[ts[0].Point], seeds(ts))
	}, opt)
}

// WriteRuns writes records as runs.jsonl lines sorted by (point, run) to
// path atomically (the format Sweep writes).
func WriteRuns(path string, recs []RunRecord) error {
	return sweep.WriteRuns(path, append([]RunRecord(nil), recs...))
}

// ReadSweep reads and checks the sweep folder dir.
func ReadSweep(dir string) (SweepData, error) { return sweeps.Read(dir) }

// MergeSummary tells what Merge did.
type MergeSummary = sweep.MergeSummary

// Merge combines the sweep folders inputs (shards or partial copies of one
// sweep) into folder out, as sweep.Kind.Merge describes, and copies the
// shards' minimum.json (a network sweep's θ₀, the same in every shard). The
// folder of a single run (RunOne) is refused, wrapping ErrFolderTaken.
func Merge(out string, inputs []string, version string) (MergeSummary, error) {
	if f, err := InspectFolder(out); err == nil && f.Kind == FolderRun {
		return MergeSummary{}, fmt.Errorf("%s holds %s, whose %s a merge would overwrite: %w", out, f, RunsFile, ErrFolderTaken)
	}
	return sweeps.Merge(out, inputs, sweep.MergeOptions{Version: version, Copy: []string{network.MinimumFile}})
}

// AnalyticSimulator is the Factory of the analytic landscapes:
// escape.AnalyticSimulator on the point's setting.
func AnalyticSimulator(p Point) (escape.Simulator, error) { return escape.AnalyticSimulator(p.Point) }

// AnalyticPrediction is the PredictFunc of the analytic landscapes:
// escape.AnalyticPrediction (Theorems 1 and 2) on the point's setting.
func AnalyticPrediction(p Point) (*escape.Prediction, error) {
	return escape.AnalyticPrediction(p.Point)
}
