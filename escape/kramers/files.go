package kramers

import (
	"path/filepath"

	"github.com/sgn-project/sgn/internal/report"
)

// Names of the files of a fitted sweep and of the escape figure in their
// folder.
const (
	FitFile    = "fit.json"
	FigureFile = "figure.json"
	RatesFile  = "rates.csv"
)

// ReadFit reads dir/fit.json; a file that is not a fit report is an error
// naming it.
func ReadFit(dir string) (*FitReport, error) {
	return report.ReadTyped(filepath.Join(dir, FitFile), func(r *FitReport) bool { return r.Relations != nil }, "a fit report: no relations")
}

// ReadFigure reads dir/figure.json; a file that is not the escape figure's
// report is an error naming it.
func ReadFigure(dir string) (*FigureReport, error) {
	return report.ReadTyped(filepath.Join(dir, FigureFile), func(r *FigureReport) bool { return r.Panels != nil }, "the escape figure's report: no panels")
}
