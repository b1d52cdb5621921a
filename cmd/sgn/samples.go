package main

import (
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/sgn-project/sgn/data"
	"github.com/sgn-project/sgn/internal/cli"
	"github.com/sgn-project/sgn/model"
)

// mnistUsage is the help text of --mnist in every command that takes it.
const mnistUsage = "`folder` holding the four MNIST idx .gz files (default: $SGN_MNIST, then the copy in the binary (make build), then the GoMNIST module)"

// input is what a command that analyses a trained model reads: the
// checkpoint (--checkpoint, --activation of a PyTorch state_dict, within
// --max-params), the samples (the selection flags) and --max-memory.
type input struct {
	ckpt *string
	sel  *data.Options
	lim  *limits
}

// inputFlags registers the flags of an input on fs: ckptHelp is the help of
// --checkpoint, first the default --first and what the samples are for
// (addSelectionFlags), memory the buffers --max-memory bounds.
func inputFlags(fs *flag.FlagSet, ckptHelp string, first int, what, memory string) input {
	in := input{ckpt: fs.String("checkpoint", "", ckptHelp), sel: addSelectionFlags(fs, first, what), lim: limitFlags(fs, memory)}
	in.lim.activationFlag(fs)
	return in
}

// parse checks that --checkpoint is given and the limits' values.
func (in input) parse() error {
	if *in.ckpt == "" {
		return cli.Usagef("--checkpoint FILE is required (see -h)")
	}
	return in.lim.parse()
}

// addSelectionFlags registers the data-selection flags shared by the
// analysis commands (--mnist, --split, --first, --random, --data-seed) and
// returns the options they fill. what says what the samples are used for.
func addSelectionFlags(fs *flag.FlagSet, first int, what string) *data.Options {
	o := &data.Options{}
	fs.StringVar(&o.Dir, "mnist", "", mnistUsage)
	fs.StringVar(&o.Split, "split", "train", "MNIST split: train or test")
	fs.IntVar(&o.First, "first", first, what+" over the first `N` images of the split (0: all)")
	fs.IntVar(&o.Random, "random", 0, "instead of --first, `N` images drawn at random without replacement")
	fs.Uint64Var(&o.Seed, "data-seed", 1, "seed of the --random selection")
	fs.StringVar(&o.File, "data", "", "instead of MNIST, the arrays x (N×d features) and y (N labels) of this safetensors or .npz `file` (--first/--random select its rows)")
	return o
}

// selectionFor completes o for the checkpoint's preprocessing and checks it
// (data.Options.ForModel): errors are usage errors naming the flag.
func selectionFor(o data.Options, firstSet bool, meta model.CheckpointMeta) (data.Options, error) {
	if o.File == "" && meta.Pool == 0 {
		return o, cli.Usagef("--data FILE is required: the checkpoint's model takes %d input features, not an MNIST width (784, 196 or 49 after pooling by 1, 2 or 4); give the data it was trained on", meta.Layers[0])
	}
	o, err := o.ForModel(meta.Pool, firstSet)
	if err != nil {
		return o, selectionUsage(err)
	}
	return o, nil
}

// optionUsage is the usage error "--flag detail" of a library's option
// error whose field is named in snake case: the flag is the field in kebab
// case ("top_k": --top-k) unless renamed maps it to another.
func optionUsage(field, detail string, renamed map[string]string) error {
	name, ok := renamed[field]
	if !ok {
		name = strings.ReplaceAll(field, "_", "-")
	}
	return cli.Usagef("--%s %s", name, detail)
}

// selectionUsage returns err as a usage error; a data.FieldError names the
// flag of the field (the flags are spelled as data names the fields).
func selectionUsage(err error) error {
	var fe *data.FieldError
	if errors.As(err, &fe) {
		return cli.Usagef("--%s %s", fe.Field, fe.Detail)
	}
	return cli.Usagef("%v", err)
}

// loadAnalysed loads the checkpoint of in within its limits and the samples
// its selection flags (firstSet: --first was given) choose for it,
// checked against --max-memory and the model; unless quiet or cmd is "",
// it says on stderr that it loads them.
func (a *app) loadAnalysed(cmd string, in input, firstSet, quiet bool) (*model.MLP, model.CheckpointMeta, *data.Set, error) {
	m, meta, err := in.lim.loadCheckpoint(*in.ckpt)
	if err != nil {
		return nil, meta, nil, err
	}
	o, err := selectionFor(*in.sel, firstSet, meta)
	if err != nil {
		return nil, meta, nil, err
	}
	if err := in.lim.checkData(o); err != nil {
		return nil, meta, nil, err
	}
	if cmd != "" && !quiet {
		if err := a.sayLoading(cmd, o); err != nil {
			return nil, meta, nil, err
		}
	}
	s, err := loadSelection(o, m, *in.ckpt)
	return m, meta, s, err
}

// loadSelection loads the samples o and checks that they fit the model of
// checkpoint ckpt (data.LoadFor).
func loadSelection(o data.Options, m *model.MLP, ckpt string) (*data.Set, error) {
	return data.LoadFor(o, m.Layers, "checkpoint "+ckpt)
}

// sayLoading says on stderr that cmd loads the samples o, once data.Check
// has found their files and checked their headers: a command refused for
// a missing or malformed file prints its one line only.
func (a *app) sayLoading(cmd string, o data.Options) error {
	if err := data.Check(o); err != nil {
		return err
	}
	fmt.Fprintf(a.stderr, "sgn %s: loading %s\n", cmd, o.Source())
	return nil
}
