package selection

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sgn-project/sgn/internal/cputime"
	"github.com/sgn-project/sgn/internal/sweep"
)

// Experiment is minima selection on the two-valley landscape as a
// sweep.Experiment: what sgn selection twowell sweep, merge, fit, configs
// and figure run (the occupancy ratio and the transition rates against
// Theorems 1 and 2 of Xie, Sato & Sugiyama 2021).
type Experiment struct{}

var _ sweep.Experiment[Config] = Experiment{}

// Builtins lists the builtin configs.
func (Experiment) Builtins() []sweep.Builtin { return builtins().List() }

// BuiltinJSON is the package's BuiltinJSON.
func (Experiment) BuiltinJSON(name string) ([]byte, error) { return BuiltinJSON(name) }

// LoadConfig is the package's LoadConfig.
func (Experiment) LoadConfig(spec string) (Config, error) { return LoadConfig(spec) }

// Sweep checks the folder (CheckFolder) and runs the sweep (Sweep).
func (Experiment) Sweep(dir string, cfg Config, opt sweep.Options) (sweep.Report, error) {
	if err := CheckFolder(dir, cfg, opt.Shard); err != nil {
		return nil, err
	}
	start := time.Now()
	sum, err := Sweep(dir, cfg, opt)
	if err != nil {
		return nil, err
	}
	return sweepText{cfg, sum, time.Since(start).Seconds(), dir}, nil
}

// Merge is the package's Merge.
func (Experiment) Merge(out string, inputs []string, version string) (sweep.MergeSummary, error) {
	return Merge(out, inputs, version)
}

// Fit measures and fits the sweep folder dir into out (FitFolder).
func (Experiment) Fit(dir, out, version string, start cputime.Clock) (sweep.Fitted, error) {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return sweep.Fitted{}, fmt.Errorf("cannot create %s: %w", out, err)
	}
	rep, _, paths, err := FitFolder(dir, out, version, start)
	if err != nil {
		return sweep.Fitted{}, err
	}
	d, err := Read(dir)
	return sweep.Fitted{Report: fitText{rep, paths}, Shard: d.Shard}, err
}

// Figure runs the builtin twowell sweep (Quick: scaled down, folder
// twowell-quick) into out/twowell and fits it into out.
func (e Experiment) Figure(out string, opt sweep.FigureOptions) (sweep.Report, error) {
	cfg, err := LoadConfig(BuiltinPrefix + figureBuiltin)
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(out, figureBuiltin)
	if opt.Quick {
		cfg = Quick(cfg)
		dir += "-quick"
	}
	return sweep.SweepAndFit[Config](e, dir, out, cfg, opt)
}

// sweepText is the summary of a sweep.
type sweepText struct {
	cfg     Config
	sum     sweep.Summary
	seconds float64
	dir     string
}

// WriteText writes the grid, the replicas resumed and simulated, and the
// files.
func (t sweepText) WriteText(w io.Writer) error {
	fmt.Fprintf(w, "sweep %s: %d points × %d replicas of %d steps (%d resumed, %d simulated now in %.1f s)\n",
		t.cfg.Hash(), len(t.cfg.Points()), t.cfg.Replicas, t.cfg.Steps, t.sum.Resumed, t.sum.New, t.seconds)
	_, err := fmt.Fprintf(w, "wrote %s, %s\n", filepath.Join(t.dir, sweep.ConfigFile), filepath.Join(t.dir, sweep.RunsFile))
	return err
}

// fitText is the summary of a fit.
type fitText struct {
	rep   Report
	paths []string
}

// WriteText writes the occupancy ratio and rates of each point against
// Theorems 1 and 2, the fits and the files.
func (t fitText) WriteText(w io.Writer) error {
	rep := t.rep
	f := func(p *float64) string {
		if p == nil {
			return "—"
		}
		return fmt.Sprintf("%.4g", *p)
	}
	pair := func(v []any) string {
		s := make([]string, 2)
		for i, x := range v {
			if y, ok := x.(float64); ok {
				s[i] = fmt.Sprintf("%.4g", y)
			} else {
				s[i] = "∞"
			}
		}
		return "[" + s[0] + ", " + s[1] + "]"
	}
	fmt.Fprintf(w, "P(flat)/P(sharp) with 95%% CI; rates per unit time t = η·steps\n")
	for _, p := range rep.Points {
		par := fmt.Sprintf("D=%s", f(p.Temperature))
		theory := "Theorem 1 " + f(p.PredictedRatio)
		if p.BatchSize != nil {
			par = fmt.Sprintf("B=%s", f(p.BatchSize))
			theory = fmt.Sprintf("Theorem 2 %s (s=0) … %s (s=1), implied s %s", f(p.PredictedRatioS0), f(p.PredictedRatioS1), f(p.ImpliedS))
		}
		note := ""
		if !p.Equilibrated {
			note = "  NOT EQUILIBRATED (no transition one way)"
		}
		fmt.Fprintf(w, "%-20s %-9s η=%-6g ratio %s %s  exact %s  %s  γ(s→f) %s %s  γ(f→s) %s %s  %d transitions%s\n",
			p.Dynamics, par, p.Eta, f(p.OccupancyRatio), pair(p.OccupancyRatioCI), f(p.PredictedExact), theory,
			f(p.RateSharpToFlat), pair(p.RateSharpToFlatCI), f(p.RateFlatToSharp), pair(p.RateFlatToSharpCI), p.Transitions, note)
	}
	for _, ft := range rep.Fits {
		if ft.Slope == nil {
			fmt.Fprintf(w, "fit %s: %s\n", ft.Dynamics, ft.Note)
			continue
		}
		ci := "—"
		if ft.SlopeCI != nil {
			ci = fmt.Sprintf("[%.4g, %.4g]", ft.SlopeCI[0], ft.SlopeCI[1])
		}
		fmt.Fprintf(w, "fit %s: log ratio = %.4g + %.4g·%s, slope CI %s, r2 %s", ft.Dynamics, *ft.Intercept, *ft.Slope, ft.Against, ci, f(ft.R2))
		if ft.PredictedSlope != nil {
			fmt.Fprintf(w, "; Theorem 1: slope %s, intercept %s", f(ft.PredictedSlope), f(ft.PredictedIntercept))
		}
		if ft.PredictedSlopeS0 != nil {
			fmt.Fprintf(w, "; Theorem 2: slope %s (s=0) … %s (s=1)", f(ft.PredictedSlopeS0), f(ft.PredictedSlopeS1))
			if ft.PredictedSlopePathS != nil {
				fmt.Fprintf(w, ", %s with each valley's path s", f(ft.PredictedSlopePathS))
			}
			fmt.Fprintf(w, "; common s (derived from the slope) %s", f(ft.ImpliedS))
		}
		fmt.Fprintln(w)
	}
	_, err := fmt.Fprintf(w, "wrote %s\n", strings.Join(t.paths, ", "))
	return err
}

// Need bounds what a sweep of cfg holds: the bookkeeping of its replicas
// (SweepBytes); the simulators hold a few vectors each and no model.
func (Experiment) Need(cfg Config, _ int) (sweep.Need, error) {
	return sweep.Need{Bytes: SweepBytes(cfg), What: fmt.Sprintf("replicas %d at %d points", cfg.Replicas, len(cfg.Points()))}, nil
}

// Describe is the two-valley selection experiment (Xie, Sato & Sugiyama, ICLR 2021, Theorems 1–2) in the help of its commands.
func (Experiment) Describe() sweep.Description {
	return sweep.Description{About: `Minima selection on the two-valley landscape twowell: long trajectories of
sgld, sgd-diffusion-finite-sum and minibatch sgd cross back and forth between a sharp
and a flat valley; measured are the occupancy ratio P(flat)/P(sharp) and the
transition rates each way, beside Theorem 1 (SGLD) and Theorem 2 (SGD).`,
		Units: "replicas", Fit: "selection.json, selection.csv and the figure from a sweep folder",
		Figure: "run the builtin config and fit it (what make selection-figure does)", FigureOut: "the sweep in DIR/twowell, selection.json/.csv and selection.png/.svg in DIR"}
}
