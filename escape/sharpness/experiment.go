package sharpness

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/sgn-project/sgn/internal/cputime"
	"github.com/sgn-project/sgn/internal/sweep"
)

// Experiment is the sharpness of the minima SGD reaches against B and η as
// a sweep.Experiment: what sgn selection networks sweep, merge, fit,
// configs and figure run (Xie, Sato & Sugiyama 2021; Keskar et al. 2017;
// Jastrzębski et al. 2018).
type Experiment struct{}

var _ sweep.Experiment[Config] = Experiment{}

// BuiltinName is the name of the builtin sweep (Builtin): builtin:networks,
// or "builtin" alone.
const BuiltinName = "networks"

// Builtins lists the builtin sweep.
func (Experiment) Builtins() []sweep.Builtin {
	return []sweep.Builtin{{Name: BuiltinName, Description: "the figure: 49-16-16-10 tanh on 10,000 images, B ∈ {16, 64, 256} × η ∈ {0.025 … 0.2}, each run to training loss 0.35"}}
}

// BuiltinJSON returns the builtin sweep as JSON.
func (Experiment) BuiltinJSON(name string) ([]byte, error) {
	if name != BuiltinName {
		return nil, fmt.Errorf("no builtin config %q: want %s", name, BuiltinName)
	}
	b, err := json.MarshalIndent(Builtin(), "", "  ")
	return append(b, '\n'), err
}

// LoadConfig reads a config file (unknown fields refused) and validates
// it; "", "builtin" and builtin:networks are the builtin sweep.
func (e Experiment) LoadConfig(spec string) (Config, error) {
	if spec == "" || spec == "builtin" || spec == sweep.BuiltinPrefix+BuiltinName {
		return Builtin(), nil
	}
	if name, ok := strings.CutPrefix(spec, sweep.BuiltinPrefix); ok {
		_, err := e.BuiltinJSON(name)
		return Config{}, err
	}
	b, err := os.ReadFile(spec)
	if err != nil {
		return Config{}, err
	}
	return ParseConfig(b, spec)
}

// ParseConfig decodes a config (unknown fields and data after the object
// refused) and validates it; name, a file name, prefixes the errors.
func ParseConfig(b []byte, name string) (Config, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var c Config
	if err := dec.Decode(&c); err != nil {
		return Config{}, fmt.Errorf("%s: %w", name, err)
	}
	if dec.More() {
		return Config{}, fmt.Errorf("%s: data after the JSON object", name)
	}
	if err := c.Validate(); err != nil {
		return Config{}, fmt.Errorf("%s: %w", name, err)
	}
	return c, nil
}

// Sweep loads the images (opt.MNIST) and trains the runs (Sweep, which
// refuses a folder of another sweep or of other MNIST files before it
// trains).
func (Experiment) Sweep(dir string, cfg Config, opt sweep.Options) (sweep.Report, error) {
	d, err := LoadData(cfg, opt.MNIST)
	if err != nil {
		return nil, err
	}
	sum, err := Sweep(dir, cfg, d, opt, opt.Version)
	if err != nil {
		return nil, err
	}
	return sweepText{sum, dir}, nil
}

// Merge joins the shards (Kind.Merge) after checking that they, and the
// sweep out already holds, were run on the same MNIST files.
func (Experiment) Merge(out string, inputs []string, version string) (sweep.MergeSummary, error) {
	if err := sameMNIST(out, inputs); err != nil {
		return sweep.MergeSummary{}, err
	}
	return Kind.Merge(out, inputs, sweep.MergeOptions{Version: version})
}

// sameMNIST refuses inputs (and out, if it holds a sweep) whose configs
// record different data (MNIST digests, or data files' digests).
func sameMNIST(out string, inputs []string) error {
	var first identity
	var firstDir string
	for i, dir := range append(append([]string(nil), inputs...), out) {
		d, err := Kind.Inspect(dir)
		if i == len(inputs) && errors.Is(err, sweep.ErrNotSweep) {
			break // out holds no sweep yet
		}
		if err != nil {
			return err
		}
		if i == 0 {
			first, firstDir = d.Config.identity(), dir
			continue
		}
		if id := d.Config.identity(); id != first {
			return fmt.Errorf("%w: %s holds runs on %s, %s on %s; merge shards of one sweep on one set of data",
				ErrOtherMNIST, dir, id, firstDir, first)
		}
	}
	return nil
}

// Fit fits the sweep folder (Fit).
func (Experiment) Fit(dir, out, version string, start cputime.Clock) (sweep.Fitted, error) {
	d, err := Kind.Read(dir)
	if err != nil {
		return sweep.Fitted{}, err
	}
	a, err := Fit(dir, out, version, start)
	if err != nil {
		return sweep.Fitted{}, err
	}
	return sweep.Fitted{Report: fitText{a, out}, Shard: d.Shard}, nil
}

// Figure trains the builtin sweep (Quick: 1 run per point of a 2 × 2 grid
// on 2,000 images for at most 20 epochs, folder networks-quick) into
// out/networks and fits it into out.
func (e Experiment) Figure(out string, opt sweep.FigureOptions) (sweep.Report, error) {
	cfg, dir := Builtin(), filepath.Join(out, BuiltinName)
	if opt.Quick {
		cfg.Runs, cfg.BatchSizes, cfg.Etas = 1, cfg.BatchSizes[:2], cfg.Etas[:2]
		cfg.TrainFirst, cfg.TestFirst, cfg.Epochs = 2000, 1000, 20
		dir += "-quick"
	}
	return sweep.SweepAndFit[Config](e, dir, out, cfg, opt)
}

// sweepText is the summary of a sweep.
type sweepText struct {
	sum sweep.Summary
	dir string
}

// WriteText writes the runs trained and resumed.
func (t sweepText) WriteText(w io.Writer) error {
	_, err := fmt.Fprintf(w, "%d training runs (%d resumed, %d now) into %s\n", t.sum.Total, t.sum.Resumed, t.sum.New, t.dir)
	return err
}

// fitText is the summary of a fit.
type fitText struct {
	a   *Analysis
	out string
}

// WriteText writes the runs, the fitted slopes, the points of equal η/B
// and the files.
func (t fitText) WriteText(w io.Writer) error {
	an := t.a
	fmt.Fprintf(w, "%d of %d runs (%d diverged)\n", an.RunsFound, an.RunsTotal, an.Diverged)
	if an.TraceNotConverged > 0 {
		fmt.Fprintf(w, "warning: Hutchinson's trace of %d runs stopped at its cap of %d probes short of its relative standard error %g (trace_converged false; trace_rel_stderr the one reached)\n",
			an.TraceNotConverged, traceMaxSamples, traceTol)
	}
	for _, f := range an.Fits {
		ci := ""
		if f.SlopeCI != nil {
			ci = fmt.Sprintf(" [%.3g, %.3g]", f.SlopeCI[0], f.SlopeCI[1])
		}
		r2, rho := "", ""
		if f.R2 != nil {
			r2 = fmt.Sprintf(", R² %.3f", *f.R2)
		}
		if f.Spearman != nil {
			rho = fmt.Sprintf(", Spearman ρ %.3f", *f.Spearman)
		}
		fmt.Fprintf(w, "%s against %s: slope %.3g%s%s%s over %d runs\n", f.Of, f.Against, f.Slope, ci, r2, rho, f.N)
	}
	for _, g := range an.SameRatio {
		var parts []string
		for _, p := range g.Points {
			parts = append(parts, fmt.Sprintf("B %d η %g: λmax %.3g", p.BatchSize, p.Eta, p.LambdaMax))
		}
		fmt.Fprintf(w, "η/B = %.3g: %s (spread ×%.2f)\n", g.EtaOverB, strings.Join(parts, "; "), g.LambdaMaxSpread)
	}
	_, err := fmt.Fprintf(w, "wrote %s, %s and figures %s, %s (.png/.svg)\n", filepath.Join(t.out, ResultFile),
		filepath.Join(t.out, CSVFile), SharpnessFigure, AccuracyFigure)
	return err
}

// Need bounds what a sweep of cfg holds with workers training runs at a
// time (Config.MemoryNeed), and its model.
func (Experiment) Need(cfg Config, workers int) (sweep.Need, error) {
	b, err := cfg.MemoryNeed(workers)
	return sweep.Need{Bytes: b, What: fmt.Sprintf("%d runs at a time of the model %v", workers, cfg.Model.Layers), Model: cfg.Model, MNIST: true}, err
}

// Describe is the sharpness experiment (the minima SGD reaches against η/B; Xie, Sato & Sugiyama, ICLR 2021) in the help of its commands.
func (Experiment) Describe() sweep.Description {
	return sweep.Description{About: `How sharp is the minimum SGD finds? Training runs over a grid of batch size B
and learning rate η from one initialisation on one data selection; each run
ends with λmax(H) (Lanczos), tr H (exact for small P, Hutchinson otherwise),
‖∇L‖ and train/test loss and accuracy. Runs shard, merge and resume like the
escape sweeps.`,
		Units: "training runs", Fit: "log λmax and log tr H against log(η/B): selection-networks.json, CSV, figures",
		Figure: "train the builtin sweep into DIR/networks and fit it into DIR", FigureOut: "the sweep in DIR/networks, selection-networks.json/.csv and the figures in DIR"}
}
