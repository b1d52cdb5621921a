package sweep

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/sgn-project/sgn/internal/atomicfile"
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
	// into out, replacing an earlier fit there.
	Fit(dir, out, version string) (Fitted, error)
	// Figure runs the experiment's figure end to end into out: its
	// builtin sweeps (resumed if present), their fits and the figure.
	Figure(out string, opt FigureOptions) (Report, error)
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
