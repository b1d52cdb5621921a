package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"reflect"
	"strings"
	"unicode/utf8"
)

// The help and usage conventions every command follows, in one place so that
// a new command gets them by using NewFlagSet, Parse and Group:
//
//   - -h, -help, --help and `sgn help CMD [SUB]` print the help on stdout and
//     exit 0; a usage error prints one line on stderr and exits 2.
//   - The help lists the flags as --name, with the default once (a flag whose
//     usage already says its default shows no second one); deprecated
//     spellings are left out of the help (they keep working).
//   - A misspelled command, subcommand or flag gets "did you mean".

// IsHelpArg reports whether s asks for help.
func IsHelpArg(s string) bool {
	return s == "-h" || s == "-help" || s == "--help" || s == "help"
}

// PrintFlags writes the flags of fs, sorted by name, as "  --name value"
// followed by the usage text indented on the next line, and the default
// when it is not the zero value and the usage does not state it already.
// Deprecated spellings (Deprecate) are not listed.
func PrintFlags(w io.Writer, fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		if _, ok := f.Value.(*deprecatedValue); ok {
			return
		}
		name, usage := flag.UnquoteUsage(f)
		line := "  --" + f.Name
		if name != "" {
			line += " " + name
		}
		if !strings.Contains(usage, "(default") && !isZeroDefault(f) {
			if _, ok := f.Value.(interface{ IsBoolFlag() bool }); ok || !isStringFlag(f) {
				usage += fmt.Sprintf(" (default %s)", f.DefValue)
			} else {
				usage += fmt.Sprintf(" (default %q)", f.DefValue)
			}
		}
		fmt.Fprintf(w, "%s\n      %s\n", line, strings.ReplaceAll(usage, "\n", "\n      "))
	})
}

// isStringFlag reports whether f holds a plain string (its default is
// quoted in the help, as the flag package does).
func isStringFlag(f *flag.Flag) bool {
	t := reflect.TypeOf(f.Value)
	return t.Kind() == reflect.Pointer && t.Elem().Kind() == reflect.String
}

// isZeroDefault reports whether f's default is the zero value of its type
// (then the help shows no default), as flag.PrintDefaults decides it.
func isZeroDefault(f *flag.Flag) (zero bool) {
	t := reflect.TypeOf(f.Value)
	var z flag.Value
	if t.Kind() == reflect.Pointer {
		z = reflect.New(t.Elem()).Interface().(flag.Value)
	} else {
		z = reflect.Zero(t).Interface().(flag.Value)
	}
	defer func() {
		// A String method that cannot take a zero value: compare with
		// the usual zeros instead.
		if recover() != nil {
			zero = f.DefValue == "" || f.DefValue == "0" || f.DefValue == "false"
		}
	}()
	return f.DefValue == z.String()
}

// DidYouMean returns " (did you mean X?)" with the choice closest to word
// when one is close enough to be a misspelling (edit distance at most a
// third of its length, at least 1, or a prefix of it), and "" otherwise.
// prefix is put before the suggestion ("--" for flags).
func DidYouMean(word string, choices []string, prefix string) string {
	best, bestD := "", 1<<30
	for _, c := range choices {
		d := EditDistance(word, c)
		if strings.HasPrefix(c, word) && len(word) >= 2 {
			d = min(d, 1)
		}
		if d < bestD {
			best, bestD = c, d
		}
	}
	if best == "" || bestD > max(1, utf8.RuneCountInString(best)/3) {
		return ""
	}
	return fmt.Sprintf(" (did you mean %s%s?)", prefix, best)
}

// EditDistance is the optimal string alignment distance between a and b
// in runes: insertions, deletions, substitutions and transpositions of two
// adjacent runes cost 1 each (Damerau 1964; no substring is edited twice),
// so the common slip "frist" is one edit from "first".
func EditDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}

// Sub is one subcommand of a Group; Run gets the caller's context A and
// the arguments after the subcommand's name.
type Sub[A any] struct {
	Name, Summary string
	Run           func(a A, args []string) error
}

// Group is a command made of subcommands (sgn data, sgn escape, sgn
// selection, …): its help lists them, an unknown one gets "did you mean".
type Group[A any] struct {
	Path    string // the command's words: "sgn selection twowell"
	About   string // paragraph shown in the help
	Example string // one or more example lines
	Subs    []Sub[A]
}

// names returns the names of g's subcommands.
func (g Group[A]) names() []string {
	n := make([]string, len(g.Subs))
	for i, s := range g.Subs {
		n[i] = s.Name
	}
	return n
}

// Run dispatches args to g's subcommands; help goes to w.
func (g Group[A]) Run(a A, w io.Writer, args []string) error {
	want := strings.Join(g.names(), ", ")
	if len(args) == 0 {
		ex := ""
		if g.Example != "" {
			ex = " (e.g. " + strings.SplitN(strings.TrimSpace(g.Example), "\n", 2)[0] + ")"
		}
		return Usagef("missing subcommand: want one of: %s%s", want, ex)
	}
	if IsHelpArg(args[0]) {
		g.Usage(w)
		return flag.ErrHelp
	}
	for _, s := range g.Subs {
		if s.Name == args[0] {
			return InCommand(g.Path+" "+s.Name, s.Run(a, args[1:]))
		}
	}
	return Usagef("unknown subcommand %q%s: want one of: %s", args[0], DidYouMean(args[0], g.names(), ""), want)
}

// CommandError is the error of a subcommand with the words that name it
// ("sgn data export"), which its error line begins with.
type CommandError struct {
	Path string
	Err  error
}

func (e *CommandError) Error() string { return e.Err.Error() }

// Unwrap returns the subcommand's error.
func (e *CommandError) Unwrap() error { return e.Err }

// InCommand returns err as the error of the command path: nil for nil,
// err itself for help (flag.ErrHelp) and for an error that already names
// its command (the innermost subcommand's path is kept).
func InCommand(path string, err error) error {
	var ce *CommandError
	if err == nil || errors.Is(err, flag.ErrHelp) || errors.As(err, &ce) {
		return err
	}
	return &CommandError{Path: path, Err: err}
}

// CommandPath is the path of the subcommand whose error err is (see
// InCommand), or def when err names none.
func CommandPath(err error, def string) string {
	var ce *CommandError
	if errors.As(err, &ce) {
		return ce.Path
	}
	return def
}

// Exit writes the error line of err, if any, on w and returns the exit
// status: 0 for none or for help (flag.ErrHelp), 2 for a usage error, 1
// for a failure. The line begins with the path of the subcommand whose
// error it is (CommandPath; def when none); failure, if not nil, gives the
// text of a failure in place of its Error.
func Exit(w io.Writer, def string, err error, failure func(error) string) int {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return 0
	}
	prefix := CommandPath(err, def)
	if ue := (*UsageError)(nil); errors.As(err, &ue) {
		fmt.Fprintf(w, "%s: %v\n", prefix, err)
		return 2
	}
	msg := err.Error()
	if failure != nil {
		msg = failure(err)
	}
	fmt.Fprintf(w, "%s: %s\n", prefix, msg)
	return 1
}

// Usage writes g's help.
func (g Group[A]) Usage(w io.Writer) {
	fmt.Fprintf(w, "Usage: %s <subcommand> [flags]\n\n", g.Path)
	if g.About != "" {
		fmt.Fprintf(w, "%s\n\n", strings.TrimSpace(g.About))
	}
	fmt.Fprintf(w, "Subcommands:\n")
	WriteTable(w, "  ", g.names(), func(i int) string { return g.Subs[i].Summary })
	if g.Example != "" {
		fmt.Fprintf(w, "\nExample:\n  %s\n", strings.ReplaceAll(strings.TrimSpace(g.Example), "\n", "\n  "))
	}
	fmt.Fprintf(w, "\nRun '%s <subcommand> --help' for its flags and an example.\n", g.Path)
}

// WriteTable writes names and their descriptions in two aligned columns,
// the descriptions wrapped at 80 columns.
func WriteTable(w io.Writer, indent string, names []string, desc func(i int) string) {
	width := 0
	for _, n := range names {
		width = max(width, utf8.RuneCountInString(n))
	}
	pad := len(indent) + width + 2
	for i, n := range names {
		fmt.Fprintf(w, "%s%-*s  ", indent, width, n)
		col := pad
		for j, word := range strings.Fields(desc(i)) {
			l := utf8.RuneCountInString(word)
			if j > 0 && col+1+l > 80 {
				fmt.Fprintf(w, "\n%s", strings.Repeat(" ", pad))
				col = pad
			} else if j > 0 {
				fmt.Fprint(w, " ")
				col++
			}
			fmt.Fprint(w, word)
			col += l
		}
		fmt.Fprintln(w)
	}
}
