package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/sgn-project/sgn/internal/cli"
	"github.com/sgn-project/sgn/internal/domain"
	"github.com/sgn-project/sgn/internal/outlock"
)

// claimOut makes dir the output folder of this command, before any long
// work (outlock.Claim: created, locked for the life of the command, checked
// writable; call release when done). A second sgn on the same folder fails
// at once with an error naming the folder and the holder. SGN_LOCK=none
// runs without the lock (docs/cluster.md, "Locks on shared file systems").
func claimOut(dir string) (release func(), err error) {
	l, err := outlock.Claim(dir, "sgn "+strings.Join(os.Args[1:], " "), os.Getenv(outlock.ModeEnv))
	switch {
	case errors.Is(err, outlock.ErrMode):
		return nil, cli.Usagef("%v", err)
	case errors.Is(err, outlock.ErrLocked):
		return nil, err
	case err != nil:
		return nil, fmt.Errorf("--out: %w", err)
	}
	if w := l.Warning(); w != "" {
		fmt.Fprintf(os.Stderr, "sgn: warning: %s\n", w)
	}
	return func() { l.Release() }, nil
}

// claimAfter is claimOut(dir) once the last check before it passed: check,
// if not nil, is returned and nothing is claimed.
func claimAfter(check error, dir string) (release func(), err error) {
	if check != nil {
		return nil, check
	}
	return claimOut(dir)
}

// removed returns the callback by which a library reports the files of an
// earlier run that it removed from dir: a line on stderr unless quiet.
func (a *app) removed(cmd, dir string, quiet bool) func(names []string) {
	return func(names []string) {
		if len(names) > 0 && !quiet {
			fmt.Fprintf(a.stderr, "sgn %s: removed the earlier run's %s from %s\n", cmd, strings.Join(names, ", "), dir)
		}
	}
}

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
	if err := domain.First(cli.Parse(fs, args, false), cli.CheckWorkers(o.workers)); err != nil {
		return err
	}
	if o.out == "" {
		return cli.Usagef("--out DIR is required (see -h)")
	}
	return nil
}
