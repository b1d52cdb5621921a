package kramers

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/sgn-project/sgn/escape"
	"github.com/sgn-project/sgn/escape/network"
	"github.com/sgn-project/sgn/internal/atomicfile"
	"github.com/sgn-project/sgn/internal/cputime"
)

// ErrConfig is wrapped by the errors of RunOne and CheckPoints that come
// from the configuration (a value out of range, an unknown name) rather
// than from the computation.
var ErrConfig = errors.New("invalid configuration")

// CheckPoints checks that every point of a validated configuration can be
// simulated — landscape and dynamics names, parameters — without
// preparing anything; its errors name the point and wrap ErrConfig.
func CheckPoints(cfg Config) error {
	check := func(p Point) error { _, err := AnalyticSimulator(p); return err }
	if cfg.Network != nil {
		check = func(p Point) error { return network.CheckPoint(p.Point) }
	}
	for _, p := range cfg.Points() {
		if err := check(p); err != nil {
			return fmt.Errorf("%w: point %d (%s): %w", ErrConfig, p.Index, p.Label(), err)
		}
	}
	return nil
}

// RunOptions are the settings of RunOne and RunSweep that do not change
// their results.
type RunOptions struct {
	// Workers is the number of goroutines (at least 1).
	Workers int
	// Version is recorded in the files written.
	Version string
	// Progress, if not nil, is called after each run with the runs done and
	// the runs to do.
	Progress func(done, total int)
	// Removed, if not nil, is called with the files of an earlier run that
	// RunOne removed from the folder before starting (see StartRun).
	Removed func(names []string)
	// MNIST is the folder of the MNIST files of a network landscape
	// (empty: data.Load's lookup).
	MNIST string
	// MatchNoise, when positive, is the batch size B of the SGD whose noise
	// power at the minimum sets the temperature of an SGLD run (RunOne
	// only; MatchedNoise): the configuration's temperature is replaced.
	MatchNoise float64
}

// RunSeedsNote says how the run seeds derive from the seed.
const RunSeedsNote = "run r uses PCG seed RunSeed(seed, 0, r) (SplitMix64 of seed, point 0, r); each run's seed is in runs.jsonl"

// RunReport is escape.json, the report of RunOne.
type RunReport struct {
	Version    string                  `json:"version"`
	Command    string                  `json:"command"`
	Config     Config                  `json:"config"`
	ConfigHash string                  `json:"config_hash"`
	Point      Point                   `json:"point"`
	Seed       uint64                  `json:"seed"`
	RunSeeds   string                  `json:"run_seeds"`
	Workers    int                     `json:"workers"`
	RateUnit   string                  `json:"rate_unit"`
	Minimum    *network.MinimumSummary `json:"minimum,omitempty"`
	// MatchedNoise is how the temperature was set (RunOptions.MatchNoise).
	MatchedNoise *MatchedNoise `json:"matched_noise,omitempty"`
	Result       RateSummary   `json:"result"`
	RunsFile     string        `json:"runs_file"`
}

// RunResult is what RunOne did.
type RunResult struct {
	Report RunReport
	// Rate is the point's rate with its prediction (analytic landscapes).
	Rate PointRate
	// Minimum is the network's θ₀ (nil for an analytic landscape).
	Minimum *network.Minimum
	// MatchedNoise is how the temperature was set (RunOptions.MatchNoise).
	MatchedNoise *MatchedNoise
	// Files are the files written.
	Files []string
}

// RunOne simulates the runs of the one point of cfg into folder out:
// out/runs.jsonl, out/escape.json (RunReport) and, for a network,
// out/minimum.json. Once cfg is checked, it starts clean (StartRun): a
// folder holding a sweep is refused, an earlier run's files are removed.
func RunOne(out string, cfg Config, opt RunOptions) (RunResult, error) {
	if err := cfg.Validate(); err != nil {
		return RunResult{}, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	if err := CheckPoints(cfg); err != nil {
		return RunResult{}, err
	}
	p := cfg.Points()[0]
	if err := os.MkdirAll(out, 0o755); err != nil {
		return RunResult{}, fmt.Errorf("cannot create the output folder: %w", err)
	}
	if _, err := checkRunFolder(out); err != nil {
		return RunResult{}, err
	}
	var res RunResult
	if opt.MatchNoise > 0 && p.Dynamics != escape.SGLD {
		return res, fmt.Errorf("%w: %w, not of %s", ErrConfig, ErrMatchNoise, p.Dynamics)
	}
	sim, err := res.prepare(out, &p, &cfg, opt)
	if err != nil {
		return res, err
	}
	// The earlier run's files go only now, when the new run has its
	// simulator (a network's minimum may take minutes, and fail).
	removed, err := StartRun(out, cfg)
	if err != nil {
		return res, err
	}
	if len(removed) > 0 && opt.Removed != nil {
		opt.Removed(removed)
	}
	if res.Minimum != nil {
		res.Minimum.Version = opt.Version
		if err := res.Minimum.Write(out); err != nil {
			return res, err
		}
		res.Files = append(res.Files, filepath.Join(out, network.MinimumFile))
	}
	var progress func(int)
	if opt.Progress != nil {
		progress = func(done int) { opt.Progress(done, cfg.Runs) }
	}
	recs, err := RunPoint(sim, cfg.Seed, cfg.Runs, opt.Workers, progress)
	if err != nil {
		return res, err
	}
	runsPath := filepath.Join(out, RunsFile)
	if err := WriteRuns(runsPath, recs); err != nil {
		return res, err
	}
	res.Rate.Point, res.Rate.Estimate = p, EstimateRate(recs)
	res.Report = RunReport{Version: opt.Version, Command: "escape run", Config: cfg, ConfigHash: cfg.Hash(), Point: p, Seed: cfg.Seed,
		RunSeeds: RunSeedsNote, Workers: opt.Workers, RateUnit: RateUnit, Result: res.Rate.Summary(), RunsFile: RunsFile,
		MatchedNoise: res.MatchedNoise}
	if res.Minimum != nil {
		res.Report.Minimum = res.Minimum.Summary(cfg.Sharpness)
	}
	b, err := json.MarshalIndent(res.Report, "", "  ")
	if err != nil {
		return res, err
	}
	jsonPath := filepath.Join(out, RunFile)
	if err := atomicfile.WriteBytes(jsonPath, append(b, '\n')); err != nil {
		return res, err
	}
	res.Files = append([]string{jsonPath, runsPath}, res.Files...)
	return res, nil
}

// prepare builds the simulator of p: on a network it prepares and writes
// the minimum first; on an analytic landscape it computes the prediction.
// With opt.MatchNoise it sets p's temperature, and cfg's, from SGD's noise
// at the minimum first.
func (res *RunResult) prepare(out string, p *Point, cfg *Config, opt RunOptions) (escape.Simulator, error) {
	match := func(mn *network.Minimum) error {
		if opt.MatchNoise <= 0 {
			return nil
		}
		m, err := matchNoise(*p, mn, opt.MatchNoise)
		if err != nil {
			return err
		}
		p.Temperature, cfg.Temperature, res.MatchedNoise = m.Temperature, []float64{m.Temperature}, &m
		return nil
	}
	if cfg.Network == nil {
		if err := match(nil); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrConfig, err)
		}
		sim, err := AnalyticSimulator(*p)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrConfig, err)
		}
		res.Rate.Prediction, err = AnalyticPrediction(*p)
		return sim, err
	}
	mn, err := network.PrepareMinimum(*cfg.Network, opt.MNIST, out, opt.Workers)
	if errors.Is(err, network.ErrOtherImages) {
		// An earlier single run's minimum: this run replaces it.
		mn, err = network.PrepareMinimum(*cfg.Network, opt.MNIST, "", opt.Workers)
	}
	if err != nil {
		return nil, err
	}
	res.Minimum = mn
	if err := match(mn); err != nil {
		return nil, err
	}
	return NetworkFactory(mn)(*p)
}

// NetworkFile is the summary of a network sweep's minimum in its folder.
const NetworkFile = "network.json"

// SweepResult is what RunSweep did.
type SweepResult struct {
	Summary SweepSummary
	// Minimum is the network's θ₀ (nil for an analytic landscape).
	Minimum *network.Minimum
	// Runs and Escaped count the runs in the folder and those that escaped.
	Runs, Escaped int
	// Files are the files written.
	Files []string
}

// RunSweep runs the sweep cfg (or opt.Shard of it) into dir — Sweep on an
// analytic landscape, NetworkSweep on a network, which also writes
// dir/network.json — and counts the escapes in the folder. The folder of a
// single run (RunOne) is refused, wrapping ErrFolderTaken.
func RunSweep(dir string, cfg Config, opt SweepOptions) (SweepResult, error) {
	var res SweepResult
	if f, err := InspectFolder(dir); err == nil && f.Kind == FolderRun {
		return res, fmt.Errorf("%s holds %s, whose %s a sweep would overwrite: %w", dir, f, RunsFile, ErrFolderTaken)
	}
	var err error
	if cfg.Network != nil {
		res.Summary, res.Minimum, err = NetworkSweep(dir, cfg, opt)
	} else {
		res.Summary, err = Sweep(dir, cfg, AnalyticSimulator, opt)
	}
	if err != nil {
		return res, err
	}
	sd, err := ReadSweep(dir)
	if err != nil {
		return res, err
	}
	res.Runs = len(sd.Runs)
	for _, r := range sd.Runs {
		if r.Result.Escaped {
			res.Escaped++
		}
	}
	res.Files = []string{filepath.Join(dir, ConfigFile), filepath.Join(dir, RunsFile)}
	if res.Minimum == nil {
		return res, nil
	}
	info := struct {
		Version string                  `json:"version"`
		Hash    string                  `json:"config_hash"`
		Minimum *network.MinimumSummary `json:"minimum"`
		Note    string                  `json:"note"`
	}{opt.Version, cfg.Hash(), res.Minimum.Summary(cfg.Sharpness), "θ₀ is in " + network.MinimumFile + "; hessian_top is λmax of the Hessian in φ = θ/√k, k·λmax(H(θ₀)), from exact Hessian-vector products (hessian_method)"}
	b, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return res, err
	}
	path := filepath.Join(dir, NetworkFile)
	if err := atomicfile.WriteBytes(path, append(b, '\n')); err != nil {
		return res, err
	}
	res.Files = append(res.Files, filepath.Join(dir, network.MinimumFile), path)
	return res, nil
}

// FitResult is what Fit did.
type FitResult struct {
	Data      SweepData
	Rates     []PointRate
	Relations []RelationFit
	// Files are the files written; Removed the files of an earlier fit
	// removed from the folder first.
	Files, Removed []string
}

// Fit reads the sweep folder dir, estimates each point's rate with its
// prediction, fits the relations and writes rates.csv, fit.json and the
// figures into out (WriteFit), after removing an earlier fit's files
// there. fit.json records the wall and CPU seconds of the command since
// start (none for the zero Clock).
func Fit(dir, out, version string, start cputime.Clock) (FitResult, error) {
	var res FitResult
	var err error
	if res.Data, err = ReadSweep(dir); err != nil {
		return res, err
	}
	if res.Rates, err = PointRates(res.Data, AnalyticPrediction); err != nil {
		return res, err
	}
	res.Relations = FitRelations(res.Rates)
	if res.Removed, err = removeFit(out); err != nil {
		return res, err
	}
	res.Files, err = WriteFit(out, res.Data, res.Rates, res.Relations, version, start)
	return res, err
}

// removeFit removes the files an earlier fit wrote into dir — rates.csv,
// fit.json and the figures its fit.json lists — so that a fit of another
// sweep or grid never leaves the old relations' figures beside its own. It
// returns the names removed.
func removeFit(dir string) ([]string, error) {
	names := []string{RatesFile, FitFile}
	if b, err := os.ReadFile(filepath.Join(dir, FitFile)); err == nil {
		var old struct {
			Figures []string `json:"figures"`
		}
		if json.Unmarshal(b, &old) == nil {
			for _, f := range old.Figures {
				// Only the names WriteFit gives, never a path.
				if strings.HasPrefix(f, "fit-") && !strings.ContainsAny(f, `/\`) {
					names = append(names, f+".png", f+".svg")
				}
			}
		}
	}
	return atomicfile.RemoveStale(dir, names...)
}

// SaveBuiltin writes the builtin config name as dir/name.json (creating
// dir) and returns its bytes.
func SaveBuiltin(dir, name string) ([]byte, error) {
	b, err := BuiltinJSON(name)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	if dir == "" {
		return b, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("cannot create the output folder: %w", err)
	}
	return b, atomicfile.WriteBytes(filepath.Join(dir, name+".json"), b)
}
