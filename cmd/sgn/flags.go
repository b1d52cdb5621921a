package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"runtime"
	"strconv"
	"strings"

	"github.com/sgn-project/sgn/escape"
)

// The flag spellings shared by the commands:
//
//   - --workers N: goroutines, default runtime.NumCPU() in every command
//     (workersFlag); results never depend on it.
//   - --seed S: the seed of the command's own randomness; --data-seed S: the
//     seed of the data selection (--random) or of the minibatch order.
//
// A renamed flag keeps its old spelling for a release (deprecatedFlag).

// mnistUsage is the help text of --mnist in every command that takes it.
const mnistUsage = "`folder` holding the four MNIST idx .gz files (default: $SGN_MNIST, then the copy in the binary (make build), then the GoMNIST module)"

// workersFlag registers --workers with the default every command uses,
// runtime.NumCPU(); what says what the goroutines do. checkWorkers validates
// the value.
func workersFlag(fs *flag.FlagSet, what string) *int {
	p := new(int)
	workersVar(fs, p, what)
	return p
}

// workersVar is workersFlag storing into p.
func workersVar(fs *flag.FlagSet, p *int, what string) {
	fs.IntVar(p, "workers", runtime.NumCPU(), "goroutines for "+what+" (default: the number of CPUs; results do not depend on it)")
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
	workersVar(fs, &o.workers, what)
	fs.StringVar(&o.out, "out", "", outHelp)
	fs.BoolVar(&o.quiet, "quiet", false, "no progress on stderr")
	return o
}

// parse parses args (no positional arguments) and checks --workers and
// that --out is given.
func (o *outFlags) parse(fs *flag.FlagSet, args []string) error {
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	if err := checkWorkers(o.workers); err != nil {
		return err
	}
	if o.out == "" {
		return usagef("--out DIR is required (see -h)")
	}
	return nil
}

// checkWorkers returns a usage error unless n ≥ 1.
func checkWorkers(n int) error {
	if n < 1 {
		return usagef("--workers %d: must be at least 1", n)
	}
	return nil
}

// deprecatedFlag registers old as a deprecated spelling of the flag current
// (already registered on fs) of the command cmd, e.g. "data export": setting
// old sets current and prints one line on w, "sgn: --old is deprecated for
// cmd; use --current". flagsSet reports it under current's name.
func deprecatedFlag(fs *flag.FlagSet, w io.Writer, cmd, old, current string) {
	f := fs.Lookup(current)
	if f == nil {
		panic("deprecatedFlag: no flag --" + current) // a programming error
	}
	fs.Var(&deprecatedValue{Value: f.Value, w: w, cmd: cmd, old: old, current: current}, old, "deprecated spelling of --"+current)
}

// deprecatedValue forwards to the value of the current spelling and warns
// once when set.
type deprecatedValue struct {
	flag.Value
	w                 io.Writer
	cmd, old, current string
	warned            bool
}

// Set warns (once) and sets the current flag.
func (d *deprecatedValue) Set(s string) error {
	if !d.warned {
		fmt.Fprintf(d.w, "sgn: --%s is deprecated for %s; use --%s\n", d.old, d.cmd, d.current)
		d.warned = true
	}
	return d.Value.Set(s)
}

// String is the current flag's value; flag.PrintDefaults calls it on a zero
// deprecatedValue too, which has none.
func (d *deprecatedValue) String() string {
	if d == nil || d.Value == nil {
		return ""
	}
	return d.Value.String()
}

// IsBoolFlag lets a deprecated boolean flag be given without a value.
func (d *deprecatedValue) IsBoolFlag() bool {
	b, ok := d.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// Domains of numeric flags for checkGiven.
var (
	positive    = domain{"a positive number", func(v float64) bool { return v > 0 && !math.IsInf(v, 0) }}
	nonNegative = domain{"a number ≥ 0", func(v float64) bool { return v >= 0 && !math.IsInf(v, 0) }}
	positiveInt = domain{"a positive integer", func(v float64) bool { return v >= 1 && v == math.Trunc(v) && !math.IsInf(v, 0) }}
	atLeastZero = domain{"an integer ≥ 0", func(v float64) bool { return v >= 0 && v == math.Trunc(v) && !math.IsInf(v, 0) }}
)

// domain is the set of values a numeric flag accepts, in words.
type domain struct {
	want string
	ok   func(float64) bool
}

// checkGiven returns a usage error naming the first of the flags names
// that was given on the command line (set, from flagsSet) with a value
// outside d; a comma-separated list is checked value by value. A flag left
// out keeps its default and is not checked: so a flag whose zero value
// means "the default" refuses an explicit 0 instead of replacing it.
func checkGiven(fs *flag.FlagSet, set map[string]bool, d domain, names ...string) error {
	for _, n := range names {
		f := fs.Lookup(n)
		if f == nil {
			panic("checkGiven: no flag --" + n) // a programming error
		}
		if !set[n] {
			continue
		}
		for _, s := range strings.Split(f.Value.String(), ",") {
			if v, err := strconv.ParseFloat(strings.TrimSpace(s), 64); err != nil || !d.ok(v) {
				return usagef("--%s %s: want %s", n, f.Value.String(), d.want)
			}
		}
	}
	return nil
}

// fieldFlagError names the flag of an invalid configuration field that
// the flags of a command set (fields maps the fields' JSON names to the
// flags): "--flag detail". Other errors keep their message. Both are usage
// errors.
func fieldFlagError(err error, fields map[string]string) error {
	var fe *escape.FieldError
	if errors.As(err, &fe) {
		if name, ok := fields[fe.Field]; ok {
			return usagef("--%s %s", name, fe.Detail)
		}
	}
	return usagef("%v", err)
}

// floatList is a comma-separated list of numbers as a flag value.
type floatList []float64

// String is the list as it is given: comma-separated.
func (l *floatList) String() string {
	s := make([]string, len(*l))
	for i, v := range *l {
		s[i] = strconv.FormatFloat(v, 'g', -1, 64)
	}
	return strings.Join(s, ",")
}

// Set parses a comma-separated list of numbers.
func (l *floatList) Set(s string) error {
	*l = nil
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil {
			return fmt.Errorf("%q is not a number", f)
		}
		*l = append(*l, v)
	}
	return nil
}
