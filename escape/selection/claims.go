package selection

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/sgn-project/sgn/escape"
	"github.com/sgn-project/sgn/internal/report"
)

// ClaimTwoValley is the id of the claim on two valleys.
const ClaimTwoValley = "selection-two-valley"

const statementTwoValley = "SGD prefers the flat of two valleys exponentially in B/η; SGLD prefers it only polynomially (through √det H)."

// ReadReport reads dir/selection.json; a file that is not a selection
// report (null, a list, wrong types, no fits) is an error naming it.
func ReadReport(dir string) (*Report, error) {
	return report.ReadTyped(filepath.Join(dir, JSONFile), func(r *Report) bool { return r.Fits != nil }, "a selection report: no fits")
}

// Claims judges minima selection on two valleys (Xie et al. 2021,
// Theorem 2 against Theorem 1) from dir/selection.json: every SGD kind's
// log P(flat)/P(sharp) rises with B/η, SGLD's slope against 1/D is its
// predicted ΔL₁ − ΔL₂. Without the file the claim is unmeasured.
func Claims(dir string) ([]report.Claim, error) {
	r, err := ReadReport(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return []report.Claim{report.Unmeasured(ClaimTwoValley, report.FlatMinima, statementTwoValley, JSONFile, "make selection-figure")}, nil
	}
	if err != nil {
		return nil, err
	}
	c := report.Claim{ID: ClaimTwoValley, Conclusion: report.FlatMinima, Statement: statementTwoValley,
		Sources: []report.Source{{Path: filepath.Join(dir, JSONFile), Version: r.Version, Seeds: map[string]uint64{"seed": r.Config.Seed},
			WallSeconds: r.WallSeconds, CPUSeconds: r.CPUSeconds}}}
	c.Figure = report.FigureBeside(dir, FigureStem+".svg")
	c.Rule = "agrees when every SGD kind's slope of log P(flat)/P(sharp) against B/η has a 95% interval above 0 and SGLD's slope against 1/D has an interval inside its predicted ΔL₁ − ΔL₂ ± δ (no exponential preference at equal barriers), δ the largest change in the fitted slope that each valley's escape rate within a factor 1.25 of Theorem 1's at every point can make (the log ratio within ±2 ln 1.25; a point prediction would be refuted by any sample large enough to resolve Theorem 1's own corrections, as the exact ratios' slope beside it shows); disagrees when an SGD interval lies below 0 or SGLD's lies outside its band; inconclusive when an interval straddles. Slopes by least squares weighted by 1/σᵢ² of each point's log ratio (σᵢ from its 95% interval), Student-t intervals. Beside each SGD slope: Theorem 2's slope with each valley's own path factor s (from the exact exponent ∫|f′|/σ² of its escape path); a common s for both valleys is only a derived summary"
	if s := r.Landscape.PathSSharp; s != nil {
		c.Details = append(c.Details, report.Quantity{Name: "path s of the sharp valley (Theorem 2's s of its exact escape exponent)", Value: *s})
	}
	if s := r.Landscape.PathSFlat; s != nil {
		c.Details = append(c.Details, report.Quantity{Name: "path s of the flat valley (Theorem 2's s of its exact escape exponent)", Value: *s})
	}
	var parts []string
	for _, f := range r.Fits {
		if f.Slope == nil || f.SlopeCI == nil {
			continue
		}
		iv := report.Interval{Lo: f.SlopeCI[0], Hi: f.SlopeCI[1]}
		name := string(f.Dynamics) + ": slope of log P(flat)/P(sharp) against " + f.Against
		e := report.Effect{Name: name, Value: *f.Slope, Interval: iv, Prediction: report.Above(0)}
		dyn := string(f.Dynamics)
		if f.Dynamics == escape.SGLD {
			pred := 0.0
			if f.PredictedSlope != nil {
				pred = *f.PredictedSlope
			}
			e.Prediction = report.Point(pred)
			if tol := f.PredictedSlopeTolerance; tol != nil {
				e.Prediction = report.Interval{Lo: pred - *tol, Hi: pred + *tol}
			}
			if f.ExactSlope != nil {
				e.Reference = &report.Quantity{Name: "slope of the exact continuous-time log ratios over the same 1/D", Value: *f.ExactSlope}
			}
		} else {
			if f.PredictedSlopePathS != nil {
				e.Reference = &report.Quantity{Name: "Theorem 2's slope with each valley's path s", Value: *f.PredictedSlopePathS}
			}
			if f.ExactSlope != nil {
				c.Details = append(c.Details, report.Quantity{Name: dyn + ": slope of the exact continuous-time log ratios over the same B/η", Value: *f.ExactSlope})
			}
			if f.Intercept != nil {
				c.Details = append(c.Details, report.QuantityWithin(dyn+": log-prefactor, the fitted intercept log P(flat)/P(sharp) at B/η → 0 (Theorem 2: 0)", *f.Intercept, f.InterceptCI))
			}
			if f.ExactIntercept != nil {
				c.Details = append(c.Details, report.Quantity{Name: dyn + ": log-prefactor of the exact continuous-time ratios", Value: *f.ExactIntercept})
			}
			if f.ImpliedS != nil {
				c.Details = append(c.Details, report.QuantityWithin(dyn+": common s (derived: the one s for both valleys that the fitted slope implies)", *f.ImpliedS, f.ImpliedSCI))
			}
		}
		c.Effects = append(c.Effects, e)
		part := fmt.Sprintf("%s %.4g %v", name, *f.Slope, iv)
		if e.Reference != nil {
			if f.Dynamics == escape.SGLD {
				part += fmt.Sprintf(" (predicted %v; exact ratios' slope %.4g)", e.Prediction, e.Reference.Value)
			} else {
				part += fmt.Sprintf(" (Theorem 2 with each valley's path s: %.4g)", e.Reference.Value)
			}
		}
		parts = append(parts, part)
	}
	c.Judge()
	if len(c.Effects) == 0 {
		c.Finding = "selection.json has no fitted line."
	} else {
		c.Finding = "Occupancy of the flat valley against the sharp one: " + strings.Join(parts, "; ") + "."
	}
	return []report.Claim{c}, nil
}
