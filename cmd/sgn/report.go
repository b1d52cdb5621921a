package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/sgn-project/sgn/internal/cli"
	"github.com/sgn-project/sgn/internal/paper"
	"github.com/sgn-project/sgn/internal/report"
)

// runReport implements 'sgn report': the page of the paper's claims built
// from existing output folders, recomputing nothing.
func runReport(a *app, args []string) error {
	fs := a.newFlagSet("report",
		"report DIR... [--out DIR]",
		"sgn report out/cvh out/noise out/sgld out/escape-figure out/selection out/equilibrium --out out/paper")
	out := fs.String("out", "out/paper", "output `folder` for index.html and report.json")
	quiet := fs.Bool("quiet", false, "no progress (report prints none) and no notice")
	dirs, err := cli.ParseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(dirs) == 0 {
		return cli.Usagef("give the output folders to read, e.g. sgn report out/cvh out/noise (see -h)")
	}
	for _, d := range dirs {
		if st, err := os.Stat(d); err != nil || !st.IsDir() {
			return fmt.Errorf("%s is not a folder: give output folders of sgn commands", d)
		}
	}
	release, err := claimOut(*out)
	if err != nil {
		return err
	}
	defer release()
	r, err := report.Build(dirs, version, paper.Experiments())
	if err != nil {
		return err
	}
	gone, err := report.RemoveOutputs(*out)
	if err != nil {
		return err
	}
	a.removed("report", *out, *quiet)(gone)
	if err := report.Write(r, *out); err != nil {
		return err
	}
	if err := r.WriteText(a.stdout); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "wrote %s and %s\n", filepath.Join(*out, "index.html"), filepath.Join(*out, "report.json"))
	return nil
}
