package sweep

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/sgn-project/sgn/internal/atomicfile"
	"github.com/sgn-project/sgn/internal/cputime"
)

// Experiment is a sweep experiment — a grid of points, runs per point,
// results per run — as its family of commands runs it: the builtin
// configurations, reading a configuration, the sweep (Kind.Run beneath),
// merging shards (Kind.Merge), the fit of a finished sweep and the
// experiment's figure. C is the experiment's configuration. cmd/sgn builds
// the subcommands sweep, merge, fit, configs and figure of every
// experiment from it, with one spelling.
type Experiment[C any] interface {
	// Builtins lists the configurations that ship with the experiment.
	Builtins() []Builtin
	// BuiltinJSON returns the builtin configuration name (without the
	// BuiltinPrefix) as JSON; an unknown name is an error listing the
	// names.
	BuiltinJSON(name string) ([]byte, error)
	// LoadConfig reads and validates a configuration: a JSON file, or
	// BuiltinPrefix and a builtin's name.
	LoadConfig(spec string) (C, error)
	// Sweep computes the runs of cfg (or of opt.Shard of them) into dir,
	// resuming a folder of the same sweep and shard.
	Sweep(dir string, cfg C, opt Options) (Report, error)
	// Merge combines the folders inputs of one sweep (its shards) into out
	// (Kind.Merge, and the files the experiment copies along).
	Merge(out string, inputs []string, version string) (MergeSummary, error)
	// Fit analyses the sweep folder dir (whole, merged, or one shard)
	// into out, replacing an earlier fit there; the fit's file records the
	// wall and CPU seconds of the command since start.
	Fit(dir, out, version string, start cputime.Clock) (Fitted, error)
	// Figure runs the experiment's figure end to end into out: its
	// builtin sweeps (resumed if present), their fits and the figure.
	Figure(out string, opt FigureOptions) (Report, error)
	// Need is what a sweep of cfg holds with workers goroutines, before
	// anything runs: the command's limits are checked against it.
	Need(cfg C, workers int) (Need, error)
	// Describe is the experiment in its command's help.
	Describe() Description
}

// Description is how an experiment describes itself in the help of its
// command family (internal/sweep/sweepcmd).
type Description struct {
	// About is the paragraph of the family's help: what is measured,
	// against which theory.
	About string
	// Units is what its runs are called: "runs", "replicas".
	Units string
	// Fit and Figure say what fit and figure do; FigureOut what figure
	// writes into its folder.
	Fit, Figure, FigureOut string
}

// BuiltinPrefix marks a builtin configuration where a file is expected:
// --config builtin:NAME.
const BuiltinPrefix = "builtin:"

// Builtin is one builtin configuration of an experiment.
type Builtin struct {
	// Name is the configuration's name (used as builtin:NAME).
	Name string
	// Description says what it measures.
	Description string
}

// Report is what a step of an Experiment did, as the summary a command
// prints.
type Report interface {
	// WriteText writes the summary: what was computed, its headline
	// numbers and the files written.
	WriteText(w io.Writer) error
}

// Fitted is what Experiment.Fit did.
type Fitted struct {
	Report
	// Shard is the shard the fitted folder holds (zero: the whole sweep).
	Shard Shard
	// Removed are the files of an earlier fit removed from the output
	// folder before this one was written.
	Removed []string
}

// FigureOptions are the settings of Experiment.Figure.
type FigureOptions struct {
	// Workers is the number of goroutines (GOMAXPROCS when ≤ 0).
	Workers int
	// Quick shrinks every sweep, for tests and trials (folders NAME-quick).
	Quick bool
	// Version is recorded in the outputs.
	Version string
	// Start is the command's start: the figure's files record the wall and
	// CPU seconds since then (the zero Clock: none).
	Start cputime.Clock
	// Progress, if not nil, is called with the stage (the sweep running),
	// the runs done and the runs of the stage.
	Progress func(stage string, done, total int)
}

// ErrNoBuiltin is wrapped by the error of SaveBuiltin for a name that is
// not a builtin configuration.
var ErrNoBuiltin = errors.New("no such builtin configuration")

// builtinError is an unknown builtin's error, matching ErrNoBuiltin.
type builtinError struct{ error }

// Is matches ErrNoBuiltin.
func (builtinError) Is(target error) bool { return target == ErrNoBuiltin }

// SaveBuiltin returns the builtin configuration name of e as JSON and, when
// dir is not empty, also writes it as dir/name.json (creating dir).
func SaveBuiltin[C any](e Experiment[C], dir, name string) ([]byte, error) {
	b, err := e.BuiltinJSON(name)
	if err != nil {
		return nil, builtinError{err}
	}
	if dir == "" {
		return b, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("cannot create %s: %w", dir, err)
	}
	return b, atomicfile.WriteBytes(filepath.Join(dir, name+".json"), b)
}

// BuiltinSet is an experiment's builtin configurations: the files
// NAME.json in the folder Dir of FS (the package's embedded folder), each
// described by Describe.
type BuiltinSet struct {
	FS       fs.FS
	Dir      string
	Describe func(name string) string
}

// List returns the builtins sorted by name.
func (s BuiltinSet) List() []Builtin {
	entries, _ := fs.ReadDir(s.FS, s.Dir) // an embedded folder: cannot fail
	var out []Builtin
	for _, e := range entries {
		if name, ok := strings.CutSuffix(e.Name(), ".json"); ok {
			out = append(out, Builtin{Name: name, Description: s.Describe(name)})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// JSON returns the text of the builtin name (without BuiltinPrefix); an
// unknown name is an error listing the names.
func (s BuiltinSet) JSON(name string) ([]byte, error) {
	b, err := fs.ReadFile(s.FS, path.Join(s.Dir, name+".json"))
	if err != nil || strings.ContainsAny(name, "/\\") {
		var names []string
		for _, bi := range s.List() {
			names = append(names, bi.Name)
		}
		return nil, fmt.Errorf("no builtin config %q: want one of %s", name, strings.Join(names, ", "))
	}
	return b, nil
}

// Read returns the JSON text of spec: BuiltinPrefix and a builtin's name,
// or a file; a file that cannot be read is an error calling it a what
// ("sweep config").
func (s BuiltinSet) Read(spec, what string) ([]byte, error) {
	if name, ok := strings.CutPrefix(spec, BuiltinPrefix); ok {
		return s.JSON(name)
	}
	b, err := os.ReadFile(spec)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", what, err)
	}
	return b, nil
}

// DecodeConfig decodes the one JSON object of r into c (a pointer),
// refusing unknown fields and anything after the object; the errors start
// with name (a file, or BuiltinPrefix and a name) and call it a what
// ("sweep config").
func DecodeConfig(r io.Reader, name, what string, c any) error {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(c); err != nil {
		return fmt.Errorf("%s: not a valid %s: %w", name, what, err)
	}
	if dec.More() {
		return fmt.Errorf("%s: not a valid %s: data after the JSON object", name, what)
	}
	return nil
}

// SweepAndFit is the figure of an experiment whose figure is one sweep:
// it runs the sweep cfg into dir with e (opt's workers and version, the
// progress labelled by dir's name; an earlier run there resumes) and fits
// it into out. The report is the two summaries, one after the other.
func SweepAndFit[C any](e Experiment[C], dir, out string, cfg C, opt FigureOptions) (Report, error) {
	so := Options{Workers: opt.Workers, Version: opt.Version}
	if opt.Progress != nil {
		so.Progress = func(done, total int) { opt.Progress(filepath.Base(dir), done, total) }
	}
	sw, err := e.Sweep(dir, cfg, so)
	if err != nil {
		return nil, err
	}
	fit, err := e.Fit(dir, out, opt.Version, opt.Start)
	if err != nil {
		return nil, err
	}
	return Reports{sw, fit.Report}, nil
}

// Reports is several summaries, written one after the other.
type Reports []Report

// WriteText writes each summary in turn.
func (rs Reports) WriteText(w io.Writer) error {
	for _, r := range rs {
		if err := r.WriteText(w); err != nil {
			return err
		}
	}
	return nil
}
