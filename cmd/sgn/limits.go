package main

import (
	"errors"
	"flag"
	"fmt"
	"math"
	"strings"

	"github.com/sgn-project/sgn/data"
	"github.com/sgn-project/sgn/internal/cli"
	"github.com/sgn-project/sgn/model"
)

// defaultMaxMemory is the default --max-memory.
const defaultMaxMemory = "8GiB"

// limits holds the limits shared by the commands, one spelling and parser
// everywhere: --max-memory SIZE (the buffers estimated before allocating;
// options that need more are a usage error; cli.ParseBytes) and
// --max-params N (the largest model built or loaded: a configuration above
// it is a usage error naming the flag, a checkpoint the file's fault).
type limits struct {
	memText   *string
	memory    int64
	maxParams *int
	// actText is --activation of the commands that read a checkpoint
	// (nil elsewhere), act its parsed value.
	actText *string
	act     model.Activation
}

// activationFlag registers --activation on fs: the activation of a plain
// PyTorch state_dict read by --checkpoint, which holds only the weights.
func (l *limits) activationFlag(fs *flag.FlagSet) {
	l.actText = fs.String("activation", "", "activation `name` of a PyTorch state_dict --checkpoint (default: the sidecar FILE.json, {\"activation\": \"gelu\"}); "+
		"one of "+strings.Join(model.ActivationNames(), ", ")+"; an sgn checkpoint has its own")
}

// memoryFlag registers --max-memory on fs; what says which buffers it
// bounds. parse parses it.
func (l *limits) memoryFlag(fs *flag.FlagSet, what string) {
	l.memText = fs.String("max-memory", defaultMaxMemory, "refuse options whose "+what+" need more memory than this `size`, estimated before allocating (e.g. 512MiB, 8GiB, 16GB)")
}

// paramsFlag registers --max-params on fs.
func (l *limits) paramsFlag(fs *flag.FlagSet) {
	l.maxParams = fs.Int("max-params", model.DefaultMaxParams, "refuse a model of more than `N` parameters (8N bytes per copy of θ)")
}

// limitFlags registers both flags.
func limitFlags(fs *flag.FlagSet, what string) *limits {
	l := &limits{}
	l.memoryFlag(fs, what)
	l.paramsFlag(fs)
	return l
}

// parse checks the flags' values (usage errors naming them).
func (l *limits) parse() error {
	if l.memText != nil {
		m, err := cli.ParseBytes(*l.memText)
		if err != nil {
			return cli.Usagef("--max-memory %q: %v", *l.memText, err)
		}
		l.memory = m
	}
	if l.actText != nil && *l.actText != "" {
		a, err := model.ParseActivation(*l.actText)
		if err != nil {
			return cli.Usagef("--activation: %v", err)
		}
		l.act = a
	}
	if l.maxParams != nil && *l.maxParams < 1 {
		return cli.Usagef("--max-params %d: want a positive number of parameters", *l.maxParams)
	}
	return nil
}

// params returns the --max-params limit (model.DefaultMaxParams when the
// command has no such flag).
func (l *limits) params() int {
	if l == nil || l.maxParams == nil {
		return model.DefaultMaxParams
	}
	return *l.maxParams
}

// checkMemory returns the memory refusal (cli.MemoryRefusal) when need
// bytes exceed --max-memory: what needs them (e.g. "200 runs per point")
// and what to lower instead of raising the limit.
func (l *limits) checkMemory(need float64, what, lower string) error {
	if need > float64(l.memory) {
		return cli.MemoryRefusal(what, int64(min(need, math.MaxInt64/2)), l.memory, lower)
	}
	return nil
}

// checkModel returns a usage error naming flagName (the flag or file that
// gave the architecture) when the model of c has more than --max-params
// parameters.
func (l *limits) checkModel(c model.Config, flagName string) error {
	if err := c.CheckSize(l.params()); err != nil {
		return cli.Usagef("%s: %v (raise --max-params to allow it)", flagName, err)
	}
	return nil
}

// checkLibraryParams returns a usage error when --max-params is above
// model.DefaultMaxParams for a command whose library builds its models
// within that limit (escape and selection networks): a larger value would
// be refused later, after the work started.
func (l *limits) checkLibraryParams(cmd string) error {
	if p := l.params(); p > model.DefaultMaxParams {
		return cli.Usagef("--max-params %d: %s builds models of at most %d parameters", p, cmd, model.DefaultMaxParams)
	}
	return nil
}

// loadCheckpoint loads a model checkpoint, sgn's or a PyTorch state_dict
// (with --activation or its sidecar), within --max-params: a file whose
// model is larger is the file's fault (exit status 1), and the error names
// the file and the flag that raises the limit; a state_dict without an
// activation is a usage error naming --activation.
func (l *limits) loadCheckpoint(path string) (*model.MLP, model.CheckpointMeta, error) {
	m, meta, _, err := model.LoadCheckpointOptions(path, model.LoadOptions{MaxParams: l.params(), Activation: l.act})
	if se := (*model.SizeError)(nil); errors.As(err, &se) {
		return nil, meta, fmt.Errorf("%w (raise --max-params to load it)", err)
	}
	if errors.Is(err, model.ErrNoActivation) {
		return nil, meta, cli.Usagef("%v (--activation NAME)", err)
	}
	if errors.Is(err, model.ErrActivationMismatch) {
		return nil, meta, cli.Usagef("--activation %s: %v", l.act, err)
	}
	return m, meta, err
}

// checkData refuses a data file (--data) whose selection is beyond its
// rows or needs more than --max-memory (data.CheckFile, from its headers);
// MNIST selections are bounded by the split.
func (l *limits) checkData(o data.Options) error {
	return cli.MemoryUsage(rowsUsage(data.CheckFile(o, l.memory), "", "--data"), nil)
}

// rowsUsage names the flags of a selection beyond the rows of a data file
// (a *data.RowsError): "--PREFIXfield N is out of range: want 0..R
// (FILEFLAG FILE holds R rows)"; other errors pass unchanged.
func rowsUsage(err error, prefix, fileFlag string) error {
	var re *data.RowsError
	if errors.As(err, &re) {
		return cli.Usagef("--%s%s %d is out of range: want 0..%d (%s %s holds %d rows)", prefix, re.Field, re.Value, re.Rows, fileFlag, re.File, re.Rows)
	}
	return err
}
