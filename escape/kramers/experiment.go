package kramers

import (
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/sgn-project/sgn/escape/network"
	"github.com/sgn-project/sgn/internal/cputime"
	"github.com/sgn-project/sgn/internal/sweep"
	"github.com/sgn-project/sgn/model"
)

// Experiment is the escape experiment as a sweep.Experiment: what sgn
// escape sweep, merge, fit, configs and figure run (Kramers' law for SGLD,
// Theorem 1, and its SGD counterpart, Theorem 2; Xie, Sato & Sugiyama
// 2021).
type Experiment struct{}

var _ sweep.Experiment[Config] = Experiment{}

// Builtins lists the builtin sweep configs.
func (Experiment) Builtins() []sweep.Builtin { return Builtins() }

// BuiltinJSON is the package's BuiltinJSON.
func (Experiment) BuiltinJSON(name string) ([]byte, error) { return BuiltinJSON(name) }

// LoadConfig reads a config (LoadConfig) and checks that every point can
// be simulated (CheckPoints).
func (Experiment) LoadConfig(spec string) (Config, error) {
	cfg, err := LoadConfig(spec)
	if err != nil {
		return cfg, err
	}
	if err := CheckPoints(cfg); err != nil {
		return cfg, fmt.Errorf("%s: %w", spec, err)
	}
	return cfg, nil
}

// Sweep runs the sweep (RunSweep).
func (Experiment) Sweep(dir string, cfg Config, opt sweep.Options) (sweep.Report, error) {
	res, err := RunSweep(dir, cfg, opt)
	if err != nil {
		return nil, err
	}
	return sweepText{res, cfg, opt.Shard}, nil
}

// Merge joins the shards (Merge).
func (Experiment) Merge(out string, inputs []string, version string) (sweep.MergeSummary, error) {
	return Merge(out, inputs, version)
}

// Fit fits the sweep folder (Fit).
func (Experiment) Fit(dir, out, version string, start cputime.Clock) (sweep.Fitted, error) {
	res, err := Fit(dir, out, version, start)
	return sweep.Fitted{Report: res, Shard: res.Data.Shard, Removed: res.Removed}, err
}

// Figure runs the six-panel figure (RunFigure).
func (Experiment) Figure(out string, opt sweep.FigureOptions) (sweep.Report, error) {
	rep, err := RunFigure(out, FigureOptions{Workers: opt.Workers, Quick: opt.Quick, Version: opt.Version, Start: opt.Start, Progress: opt.Progress})
	if err != nil {
		return nil, err
	}
	return figureText{rep, out}, nil
}

// sweepText is the summary of a sweep.
type sweepText struct {
	res   SweepResult
	cfg   Config
	shard sweep.Shard
}

// WriteText writes the network's minimum, the runs and the files.
func (t sweepText) WriteText(w io.Writer) error {
	res := t.res
	if mn := res.Minimum; mn != nil {
		fmt.Fprintf(w, "network %v %s on %s: θ₀ %s; loss %.6g, λmax(H) = %.4g (× k in φ)\n",
			mn.Spec.Layers, mn.Spec.Activation, mn.Data.Description, mn.Verdict, mn.Loss, mn.HessianTop)
	}
	sum := res.Summary
	fmt.Fprintf(w, "sweep %s: %d points × %d runs", t.cfg.Hash(), len(t.cfg.Points()), t.cfg.Runs)
	if t.shard.Count > 0 {
		fmt.Fprintf(w, ", shard %s: %d runs", t.shard, sum.Total)
	}
	fmt.Fprintf(w, " (%d resumed, %d simulated now); %d escaped\n", sum.Resumed, sum.New, res.Escaped)
	if sum.Dropped > 0 {
		fmt.Fprintf(w, "dropped %d damaged lines of runs.jsonl (a crash?) and simulated their runs again\n", sum.Dropped)
	}
	_, err := fmt.Fprintf(w, "wrote %s\n", strings.Join(res.Files, ", "))
	return err
}

// WriteText writes the rates per point with their intervals and
// predictions, the fitted relations against Theorems 1 and 2, and the
// files.
func (res FitResult) WriteText(w io.Writer) error {
	sd := res.Data
	fmt.Fprintf(w, "sweep %s: %d of %d runs; γ per unit time (t = η·steps), 95%% intervals\n", sd.Hash, len(sd.Runs), sd.Grid.Total())
	for _, r := range res.Rates {
		g, lo, hi := r.RatePerTime()
		line := fmt.Sprintf("  %3d %-38s %5d/%-5d escaped  γ = %-10.4g [%.3g, %.3g]", r.Point.Index, r.Point.Label(), r.Estimate.Escaped, r.Estimate.Runs, g, lo, hi)
		if v := r.Ratio(); !math.IsNaN(v) {
			line += fmt.Sprintf("  measured/Theorem 1 = %.3f", v)
		}
		if v := r.S(); !math.IsNaN(v) {
			line += fmt.Sprintf("  s = %.3f", v)
		}
		fmt.Fprintln(w, line)
	}
	for _, rel := range res.Relations {
		fmt.Fprintf(w, "−log γ against %s (%s):\n", rel.XLabel, rel.Dynamics)
		for _, s := range rel.Series {
			if s.Line == nil {
				fmt.Fprintf(w, "  %s: %s\n", s.Label(), s.Note)
				continue
			}
			l := s.Line
			line := fmt.Sprintf("  %s: slope %.4g", s.Label(), l.Slope)
			if l.SlopeCI != nil {
				line += fmt.Sprintf(" [%.4g, %.4g]", l.SlopeCI[0], l.SlopeCI[1])
			}
			line += fmt.Sprintf(", intercept %.4g, R² %s, %d points", l.Intercept, FormatOpt(l.R2), l.N)
			if s.PredictedSlope != nil {
				line += fmt.Sprintf("; Theorem 1 slope %.4g", *s.PredictedSlope)
			}
			if s.SFromSlope != nil {
				line += fmt.Sprintf("; Theorem 2 slope %.4g (s=0) to %.4g (s=1), s from slope = %.3f", *s.PredictedSlopeS0, *s.PredictedSlopeS1, *s.SFromSlope)
			}
			fmt.Fprintln(w, line)
			if s.Note != "" {
				fmt.Fprintf(w, "    %s\n", s.Note)
			}
		}
	}
	_, err := fmt.Fprintf(w, "wrote %s\n", strings.Join(res.Files, ", "))
	return err
}

// figureText is the summary of the six-panel figure.
type figureText struct {
	rep FigureReport
	out string
}

// WriteText writes each panel, the times (and what sharding would take)
// and the files.
func (t figureText) WriteText(w io.Writer) error {
	rep := t.rep
	for _, p := range rep.Panels {
		fmt.Fprintf(w, "%s  [%d/%d runs escaped, %.0f s]\n", PanelTitle(p), p.Escaped, p.Runs, p.Seconds)
	}
	fmt.Fprintf(w, "wall time %.0f s on %d workers (sweeps %.0f s, of which network minima %.0f s)\n", rep.WallSeconds, rep.Workers, rep.SweepSeconds, rep.PrepareSeconds)
	perShard, nNet := rep.ShardCost()
	fmt.Fprintf(w, "on n shards of %d workers (each builtin sweep sharded, then merged and fitted) the sweeps take about %.0f s/n + %.0f s per shard (each of the %d network sweeps prepares its minimum in every shard)\n",
		rep.Workers, rep.SweepSeconds-rep.PrepareSeconds, perShard, nNet)
	stem := filepath.Join(t.out, rep.Figure)
	_, err := fmt.Fprintf(w, "wrote %s.png, %s.svg, %s\n", stem, stem, filepath.Join(t.out, FigureFile))
	return err
}

// FormatOpt formats an optional number with 4 significant digits, or
// "undefined".
func FormatOpt(p *float64) string {
	if p == nil {
		return "undefined"
	}
	return strconv.FormatFloat(*p, 'g', 4, 64)
}

// WriteText writes the summary of a run: the network's minimum, the
// runs escaped, the rate with its interval against Theorems 1 and 2, and
// the files.
func (res RunResult) WriteText(w io.Writer) error {
	p, pr, pred, sum := res.Report.Point, res.Rate, res.Rate.Prediction, res.Report.Result
	if mn := res.Minimum; mn != nil {
		fmt.Fprintf(w, "network %v on %s: θ₀ %s; loss %.6g, λmax(H) = %.4g (%.4g in φ at k = %g)\n",
			mn.Spec.Layers, mn.Data.Description, mn.Verdict, mn.Loss, mn.HessianTop, p.Sharpness*mn.HessianTop, p.Sharpness)
		fmt.Fprintf(w, "%s: %d/%d runs escaped\n", p.Label(), pr.Estimate.Escaped, pr.Estimate.Runs)
	} else {
		ls := res.Report.Config.Landscape
		fmt.Fprintf(w, "%s on %s (ΔL=%g, dim %d): %d/%d runs escaped\n", p.Label(), ls.Name, ls.Barrier, ls.Dim, pr.Estimate.Escaped, pr.Estimate.Runs)
	}
	if m := res.MatchedNoise; m != nil {
		fmt.Fprintf(w, "matched noise: SGD with B = %g at the minimum has tr C = %.6g over n = %d coordinates, so D = η·tr C/(2n) = %.6g\n",
			m.BatchSize, m.TraceC, m.Dim, m.Temperature)
	}
	g, lo, hi := pr.RatePerTime()
	fmt.Fprintf(w, "escape rate γ = %.4g per unit time, 95%% CI [%.4g, %.4g] (%.4g per step)\n", g, lo, hi, pr.Estimate.Rate)
	if pred != nil && pred.Rate != nil {
		fmt.Fprintf(w, "Theorem 1 (Kramers): %.4g per unit time; measured/predicted = %.3f\n", *pred.Rate, pr.Ratio())
		if pred.ExactRate != nil {
			fmt.Fprintf(w, "exact continuous-time rate: %.4g; measured/exact = %.3f\n", *pred.ExactRate, g / *pred.ExactRate)
		}
	}
	if pred != nil && pred.RateS0 != nil {
		fmt.Fprintf(w, "Theorem 2: %.4g (s = 0) to %.4g (s = 1) per unit time; s solved from the measured rate = %s\n", *pred.RateS0, *pred.RateS1, FormatOpt(sum.S))
	}
	if sum.EtaHMax != nil && *sum.EtaHMax >= 2 {
		fmt.Fprintf(w, "warning: η·λmax(H(a)) = %.3g ≥ 2: the minimum is unstable even without noise\n", *sum.EtaHMax)
	}
	_, err := fmt.Fprintf(w, "wrote %s\n", strings.Join(res.Files, ", "))
	return err
}

// Need bounds what a sweep (or RunOne) of cfg holds with workers
// goroutines: the bookkeeping of its runs (RunsBytes) and, on a network,
// the samples, the minimum and the replicas (network.MemoryNeed) and the
// minibatches (NetworkBatchBytes).
func (Experiment) Need(cfg Config, workers int) (sweep.Need, error) {
	n := sweep.Need{Bytes: RunsBytes(cfg), What: fmt.Sprintf("%d runs per point", cfg.Runs)}
	net := cfg.Network
	if net == nil {
		return n, nil
	}
	n.Model, n.MNIST = model.Config{Layers: net.Layers, Activation: net.Activation}, true
	b, err := network.MemoryNeed(*net, cfg.Dynamics, workers)
	n.Bytes += b + NetworkBatchBytes(cfg, workers)
	n.What += fmt.Sprintf(" on the network %v with %d workers (dynamics %v, batch sizes %v)", net.Layers, workers, cfg.Dynamics, cfg.BatchSize)
	return n, err
}

// Describe is the escape experiment (Xie, Sato & Sugiyama, ICLR 2021, Theorems 1–2) in the help of its commands.
func (Experiment) Describe() sweep.Description {
	return sweep.Description{About: `Escape times of SGD and SGLD from the minimum of an analytic landscape or
of an MLP trained on MNIST, against Kramers' theory (Theorem 1: SGLD;
Theorem 2: SGD).`,
		Units: "runs", Fit: "rates per point and −log γ against 1/k, B, 1/η (SGD) and log k, 1/D (SGLD)",
		Figure: "run the builtin configs of the six-panel figure, fit them and draw it", FigureOut: "one sweep folder per panel, escape-figure.png/.svg, figure.json"}
}
