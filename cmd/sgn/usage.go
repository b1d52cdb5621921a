package main

import (
	"cmp"
	"errors"
	"io"
	"strings"

	"github.com/sgn-project/sgn/internal/cli"
)

// libraryUsage names the flags in a library's typed errors, as usage
// errors: an option error (Option: covariance's, hessian/analysis' and
// noiseshape's *OptionError, minimum's *FieldError, train's
// *SettingError) as "--flag detail", the flag the option in kebab case
// unless renamed maps it to another; options given without one they need
// (Text: analysis.NeedError); the memory refusal (memlimit.Error,
// cli.MemoryUsage). Other errors pass unchanged.
func libraryUsage(err error, renamed map[string]string) error {
	var oe interface{ Option() (field, detail string) }
	if errors.As(err, &oe) {
		field, detail := oe.Option()
		return optionUsage(field, detail, renamed)
	}
	var ne interface {
		Text(name func(option string) string) string
	}
	if errors.As(err, &ne) {
		return cli.Usagef("%s", ne.Text(func(o string) string { return "--" + cmp.Or(renamed[o], strings.ReplaceAll(o, "_", "-")) }))
	}
	return cli.MemoryUsage(err, renamed)
}

// summarise ends the progress display of a library call (end, if not nil),
// then returns the call's error, or prints its report's summary
// (WriteText) on stdout.
func summarise[R interface{ WriteText(io.Writer) error }](a *app, end func(), rep R, err error) error {
	if end != nil {
		end()
	}
	if err != nil {
		return err
	}
	return rep.WriteText(a.stdout)
}
