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
	printClaims(a, r)
	fmt.Fprintf(a.stdout, "wrote %s and %s\n", filepath.Join(*out, "index.html"), filepath.Join(*out, "report.json"))
	return nil
}

// printClaims prints one line per claim of r and the count of verdicts.
func printClaims(a *app, r *report.Report) {
	for _, c := range r.Claims {
		v := string(c.Verdict)
		if !c.Measured() {
			v = "not-measured"
		}
		fmt.Fprintf(a.stdout, "%-26s %-12s %s\n", c.ID, v, c.Finding)
	}
	n := r.Counts()
	fmt.Fprintf(a.stdout, "%d claims measured: %d agree, %d disagree, %d inconclusive, %d not testable", len(r.Claims)-r.Unmeasured(),
		n[report.Agrees], n[report.Disagrees], n[report.Inconclusive], n[report.NotTestable])
	if u := r.Unmeasured(); u > 0 {
		fmt.Fprintf(a.stdout, "; %d not measured (no folder given holds their input)", u)
	}
	fmt.Fprintln(a.stdout)
}
