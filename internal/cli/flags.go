package cli

import (
	"errors"
	"flag"
	"fmt"
	"github.com/sgn-project/sgn/internal/domain"
	"io"
	"strconv"
	"strings"
)

// UsageError is an error in the command line: the command exits with
// status 2.
type UsageError struct{ Msg string }

// Error is the message, one line.
func (e *UsageError) Error() string { return e.Msg }

// Usagef returns a usage error (exit status 2) with a formatted message.
func Usagef(format string, args ...any) error {
	return &UsageError{Msg: fmt.Sprintf(format, args...)}
}

// NewFlagSet returns a flag set for the command name (e.g. "sgn train")
// whose help, written on w, shows the synopsis and an example before the
// flags. Parse errors are returned as usage errors by Parse.
func NewFlagSet(w io.Writer, name, synopsis, example string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	// Only the help is written to the output: parse errors are returned.
	fs.SetOutput(w)
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "Usage: %s\n\n", synopsis)
		if example != "" {
			fmt.Fprintf(w, "Example:\n  %s\n\n", strings.ReplaceAll(strings.TrimSpace(example), "\n", "\n  "))
		}
		fmt.Fprintf(w, "Flags:\n")
		PrintFlags(w, fs)
	}
	return fs
}

// Parse parses args and turns a parse error into a usage error (--name
// spelling, "did you mean"); -h, -help and --help print the help and
// return flag.ErrHelp. Positional arguments are refused unless allowArgs.
func Parse(fs *flag.FlagSet, args []string, allowArgs bool) error {
	// The flag package would print the problem and the usage text.
	out := fs.Output()
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	fs.SetOutput(out)
	if errors.Is(err, flag.ErrHelp) {
		fs.Usage()
		return flag.ErrHelp
	}
	if err != nil {
		return parseError(fs, err)
	}
	if !allowArgs && fs.NArg() > 0 {
		return Usagef("unexpected argument %q (see -h)", fs.Arg(0))
	}
	return nil
}

// ParseInterleaved parses flags that may come before, between or after
// positional arguments, and returns the positional arguments.
func ParseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := Parse(fs, args, true); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// Given returns the names of the flags given on the command line; a
// deprecated spelling counts as its current name.
func Given(fs *flag.FlagSet) map[string]bool {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) {
		if d, ok := f.Value.(*deprecatedValue); ok {
			set[d.current] = true
			return
		}
		set[f.Name] = true
	})
	return set
}

// GivenFields is Given for settings named by their JSON fields, the flags
// spelled in kebab case (--col-ratio sets col_ratio): the fields given, and
// the name of a field as the user spelled it (col_ratio: "--col-ratio") for
// errors.
func GivenFields(fs *flag.FlagSet) (set map[string]bool, name func(field string) string) {
	set = map[string]bool{}
	for f := range Given(fs) {
		set[strings.ReplaceAll(f, "-", "_")] = true
	}
	return set, func(f string) string { return "--" + strings.ReplaceAll(f, "_", "-") }
}

// parseError rewrites an error of fs.Parse in the help's spelling (--name)
// and adds "did you mean" to an unknown flag.
func parseError(fs *flag.FlagSet, err error) error {
	msg := err.Error()
	const undefined = "flag provided but not defined: -"
	if rest, ok := strings.CutPrefix(msg, undefined); ok {
		name := strings.TrimLeft(rest, "-")
		var names []string
		fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
		return Usagef("unknown flag --%s%s (see --help)", name, DidYouMean(name, names, "--"))
	}
	for _, p := range []string{"for flag -", "needs an argument: -", "-help requested"} {
		if i := strings.Index(msg, p); i >= 0 && !strings.HasPrefix(msg[i+len(p):], "-") {
			msg = msg[:i+len(p)] + "-" + msg[i+len(p):]
		}
	}
	return Usagef("%s (see --help)", msg)
}

// Deprecate registers old as a deprecated spelling of the flag current
// (already registered on fs) of the command cmd, e.g. "data export": setting
// old sets current and prints one line on w, "sgn: --old is deprecated for
// cmd; use --current". Given reports it under current's name and the help
// leaves it out.
func Deprecate(fs *flag.FlagSet, w io.Writer, cmd, old, current string) {
	f := fs.Lookup(current)
	if f == nil {
		panic("cli.Deprecate: no flag --" + current) // a programming error
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

// CheckGiven returns a usage error naming the first of the flags names
// that was given on the command line (set, from Given) with a value
// outside d; a comma-separated list is checked value by value. A flag left
// out keeps its default and is not checked: so a flag whose zero value
// means "the default" refuses an explicit 0 instead of replacing it.
func CheckGiven(fs *flag.FlagSet, set map[string]bool, d domain.Domain, names ...string) error {
	for _, n := range names {
		f := fs.Lookup(n)
		if f == nil {
			panic("cli.CheckGiven: no flag --" + n) // a programming error
		}
		if !set[n] {
			continue
		}
		for _, s := range strings.Split(f.Value.String(), ",") {
			if v, err := strconv.ParseFloat(strings.TrimSpace(s), 64); err != nil || !d.Contains(v) {
				return Usagef("--%s %s: want %s", n, f.Value.String(), d.Want())
			}
		}
	}
	return nil
}

// FloatList is a comma-separated list of numbers as a flag value.
type FloatList []float64

// String is the list as it is given: comma-separated.
func (l *FloatList) String() string {
	s := make([]string, len(*l))
	for i, v := range *l {
		s[i] = strconv.FormatFloat(v, 'g', -1, 64)
	}
	return strings.Join(s, ",")
}

// Set parses a comma-separated list of numbers.
func (l *FloatList) Set(s string) error {
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

// ParseSizes parses a list such as "64" or "16,64,256" into distinct
// positive integers (batch sizes).
func ParseSizes(s string) ([]int, error) {
	var out []int
	seen := map[int]bool{}
	for _, p := range strings.Split(s, ",") {
		b, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil {
			return nil, fmt.Errorf("expected comma-separated positive integers, e.g. 16,64,256")
		}
		if b <= 0 {
			return nil, fmt.Errorf("batch size %d must be positive", b)
		}
		if seen[b] {
			return nil, fmt.Errorf("batch size %d is listed twice", b)
		}
		seen[b] = true
		out = append(out, b)
	}
	return out, nil
}

// ParseIndices parses a comma-separated list of indices, whole numbers
// ≥ 0 such as "0,2".
func ParseIndices(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		i, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || i < 0 {
			return nil, fmt.Errorf("%q is not an index: want whole numbers ≥ 0 such as 0,2", strings.TrimSpace(f))
		}
		out = append(out, i)
	}
	return out, nil
}

// Only returns a usage error naming the first of the flags names that was
// given on the command line (set, from Given) unless ok: "--NAME applies to
// WHERE only" (e.g. where "--dynamics sgld").
func Only(set map[string]bool, ok bool, where string, names ...string) error {
	for _, n := range names {
		if set[n] && !ok {
			return Usagef("--%s applies to %s only", n, where)
		}
	}
	return nil
}

// ParseOne is ParseInterleaved for a command of one positional argument
// (a folder): no argument or more than one is the usage error "give
// HINT".
func ParseOne(fs *flag.FlagSet, args []string, hint string) (string, error) {
	pos, err := ParseInterleaved(fs, args)
	if err != nil {
		return "", err
	}
	if len(pos) != 1 {
		return "", Usagef("give %s", hint)
	}
	return pos[0], nil
}
