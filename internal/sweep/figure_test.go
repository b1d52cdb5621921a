package sweep

import (
	"bytes"
	"fmt"
	"io"
	"path/filepath"
	"testing"

	"github.com/sgn-project/sgn/internal/cputime"
)

// textReport is a Report that writes its string.
type textReport string

func (t textReport) WriteText(w io.Writer) error { _, err := io.WriteString(w, string(t)); return err }

// figureExp is an Experiment whose sweep reports progress and whose steps
// say what they were called with.
type figureExp struct{ Experiment[int] }

func (figureExp) Sweep(dir string, cfg int, opt Options) (Report, error) {
	opt.Progress(1, 2)
	return textReport(fmt.Sprintf("swept %d into %s (workers %d, version %s)\n", cfg, filepath.Base(dir), opt.Workers, opt.Version)), nil
}

func (figureExp) Fit(dir, out, version string, start cputime.Clock) (Fitted, error) {
	return Fitted{Report: textReport(fmt.Sprintf("fitted %s into %s (%s, clock zero %v)\n", filepath.Base(dir), filepath.Base(out), version, start.IsZero()))}, nil
}

// TestSweepAndFit: the sweep then the fit, with the figure's options, the
// progress labelled by the sweep folder's name (the fit gets the figure's
// start), and both summaries.
func TestSweepAndFit(t *testing.T) {
	var stages []string
	opt := FigureOptions{Workers: 3, Version: "v1", Start: cputime.Start(), Progress: func(stage string, done, total int) {
		stages = append(stages, fmt.Sprintf("%s %d/%d", stage, done, total))
	}}
	r, err := SweepAndFit[int](figureExp{}, filepath.Join("fig", "sw-quick"), "fig", 7, opt)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := r.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	want := "swept 7 into sw-quick (workers 3, version v1)\nfitted sw-quick into fig (v1, clock zero false)\n"
	if b.String() != want || len(stages) != 1 || stages[0] != "sw-quick 1/2" {
		t.Errorf("summary %q (want %q), progress %v", b.String(), want, stages)
	}
}
