package selection

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
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
	path := filepath.Join(dir, JSONFile)
	var r Report
	if err := report.ReadObject(path, &r); err != nil {
		return nil, err
	}
	if r.Fits == nil {
		return nil, fmt.Errorf("%s is not a selection report: no fits", path)
	}
	return &r, nil
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
		Sources: []report.Source{{Path: filepath.Join(dir, JSONFile), Version: r.Version, Seeds: map[string]uint64{"seed": r.Config.Seed}}}}
	if p := filepath.Join(dir, FigureStem+".svg"); fileExists(p) {
		c.Figure = p
	}
	c.Rule = "agrees when every SGD kind's slope of log P(flat)/P(sharp) against B/η has a 95% interval above 0 and SGLD's slope against 1/D has an interval containing its predicted ΔL₁ − ΔL₂ (no exponential preference at equal barriers); disagrees when an SGD interval lies below 0 or SGLD's misses its prediction"
	var parts []string
	for _, f := range r.Fits {
		if f.Slope == nil || f.SlopeCI == nil {
			continue
		}
		iv := report.Interval{Lo: f.SlopeCI[0], Hi: f.SlopeCI[1]}
		name := string(f.Dynamics) + ": slope of log P(flat)/P(sharp) against " + f.Against
		e := report.Effect{Name: name, Value: *f.Slope, Interval: iv, Prediction: report.Above(0)}
		if f.Dynamics == escape.SGLD {
			pred := 0.0
			if f.PredictedSlope != nil {
				pred = *f.PredictedSlope
			}
			e.Prediction = report.Point(pred)
		} else if f.ImpliedS != nil {
			c.Details = append(c.Details, report.Quantity{Name: string(f.Dynamics) + ": implied s", Value: *f.ImpliedS})
		}
		c.Effects = append(c.Effects, e)
		parts = append(parts, fmt.Sprintf("%s %.4g %v", name, *f.Slope, iv))
	}
	c.Judge()
	if len(c.Effects) == 0 {
		c.Finding = "selection.json has no fitted line."
	} else {
		c.Finding = "Occupancy of the flat valley against the sharp one: " + strings.Join(parts, "; ") + "."
	}
	return []report.Claim{c}, nil
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}
