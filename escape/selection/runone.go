package selection

import (
	"io"

	"github.com/sgn-project/sgn/internal/cputime"
	"github.com/sgn-project/sgn/internal/sweep"
)

// RunOne simulates the one point of cfg into out (Experiment.Sweep) and
// fits it there (Experiment.Fit): what sgn selection twowell run does.
// The report's WriteText is the sweep's summary, then the fit's; the fit's
// file records the seconds since start.
func RunOne(out string, cfg Config, opt sweep.Options, start cputime.Clock) (sweep.Report, error) {
	e := Experiment{}
	rep, err := e.Sweep(out, cfg, opt)
	if err != nil {
		return nil, err
	}
	fit, err := e.Fit(out, out, opt.Version, start)
	if err != nil {
		return nil, err
	}
	return reports{rep, fit.Report}, nil
}

// reports are summaries written one after the other.
type reports []sweep.Report

// WriteText writes each summary in turn.
func (r reports) WriteText(w io.Writer) error {
	for _, s := range r {
		if err := s.WriteText(w); err != nil {
			return err
		}
	}
	return nil
}
