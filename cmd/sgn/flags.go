package main

import (
	"errors"
	"flag"
	"strings"

	"github.com/sgn-project/sgn/escape"
	"github.com/sgn-project/sgn/internal/cli"
)

// mnistUsage is the help text of --mnist in every command that takes it.
const mnistUsage = "`folder` holding the four MNIST idx .gz files (default: $SGN_MNIST, then the copy in the binary (make build), then the GoMNIST module)"

// outFlags are the flags every command that writes a folder takes:
// --workers, --out and --quiet.
type outFlags struct {
	workers int
	out     string
	quiet   bool
}

// outputFlags registers --workers (what the goroutines do), --out (its
// help) and --quiet on fs.
func outputFlags(fs *flag.FlagSet, what, outHelp string) *outFlags {
	o := &outFlags{}
	cli.WorkersVar(fs, &o.workers, what)
	fs.StringVar(&o.out, "out", "", outHelp)
	fs.BoolVar(&o.quiet, "quiet", false, "no progress on stderr")
	return o
}

// parse parses args (no positional arguments) and checks --workers and
// that --out is given.
func (o *outFlags) parse(fs *flag.FlagSet, args []string) error {
	if err := cli.Parse(fs, args, false); err != nil {
		return err
	}
	if err := cli.CheckWorkers(o.workers); err != nil {
		return err
	}
	if o.out == "" {
		return cli.Usagef("--out DIR is required (see -h)")
	}
	return nil
}

// fieldFlagError names the flag of an invalid configuration field that a
// flag of fs sets (the JSON name col_ratio is the flag --col-ratio): "--flag
// detail". Other errors keep their message. Both are usage errors.
func fieldFlagError(err error, fs *flag.FlagSet) error {
	var fe *escape.FieldError
	if errors.As(err, &fe) {
		if name := strings.ReplaceAll(fe.Field, "_", "-"); fs.Lookup(name) != nil {
			return cli.Usagef("--%s %s", name, fe.Detail)
		}
	}
	return cli.Usagef("%v", err)
}
