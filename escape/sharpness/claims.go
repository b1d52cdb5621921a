package sharpness

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"

	"github.com/sgn-project/sgn/internal/report"
)

// ClaimNetworks is the id of the claim on the sharpness SGD reaches.
const ClaimNetworks = "selection-networks"

const statementNetworks = "On networks, SGD with a smaller η/B finds sharper minima."

// ReadAnalysis reads dir/selection-networks.json; a file that is not one
// (null, a list, wrong types, no fits) is an error naming it.
func ReadAnalysis(dir string) (*Analysis, error) {
	return report.ReadTyped(filepath.Join(dir, ResultFile), func(r *Analysis) bool { return r.Fits != nil }, "a sharpness analysis: no fits")
}

// Claims judges, from dir/selection-networks.json, that the sharpness
// (λmax) of the minimum SGD reaches falls with η/B (Xie et al. 2021,
// Theorem 2: SGD favours flat minima the more, the larger η/B). Without
// the file the claim is unmeasured.
func Claims(dir string) ([]report.Claim, error) {
	a, err := ReadAnalysis(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return []report.Claim{report.Unmeasured(ClaimNetworks, report.FlatMinima, statementNetworks, ResultFile, "make selection-figure")}, nil
	}
	if err != nil {
		return nil, err
	}
	c := report.Claim{ID: ClaimNetworks, Conclusion: report.FlatMinima, Statement: statementNetworks,
		Sources: []report.Source{{Path: filepath.Join(dir, ResultFile), Version: a.Version, Seeds: map[string]uint64{"seed": a.Config.Seed}, DataDigest: cmp.Or(a.Config.MNIST, a.Config.DataSHA256),
			WallSeconds: a.WallSeconds, CPUSeconds: a.CPUSeconds}}}
	c.Figure = report.FigureBeside(dir, SharpnessFigure+".svg")
	c.Rule = "agrees when the slope of log λmax against log(η/B) has a 95% interval below 0; disagrees when it lies above 0; inconclusive when it contains 0"
	for _, f := range a.Fits {
		if f.SlopeCI == nil {
			continue
		}
		iv := report.Interval{Lo: f.SlopeCI[0], Hi: f.SlopeCI[1]}
		name := "slope of " + f.Of + " against " + f.Against
		if f.Of == "log lambda_max" {
			c.Effects = append(c.Effects, report.Effect{Name: name, Value: f.Slope, Interval: iv, Prediction: report.Below(0)})
		} else {
			c.Details = append(c.Details, report.Quantity{Name: name, Value: f.Slope, Interval: &iv})
		}
		if f.Spearman != nil {
			c.Details = append(c.Details, report.Quantity{Name: "Spearman ρ of " + f.Of + " with η/B", Value: *f.Spearman})
		}
	}
	c.Judge()
	if len(c.Effects) == 0 {
		c.Finding = "selection-networks.json has no fit of log λmax with an interval."
	} else {
		e := c.Effects[0]
		c.Finding = fmt.Sprintf("Training runs over (B, η) from one initialisation: %s %.4g %v.", e.Name, e.Value, e.Interval)
	}
	return []report.Claim{c}, nil
}
