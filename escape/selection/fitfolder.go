package selection

import (
	"fmt"

	"github.com/sgn-project/sgn/internal/cputime"
)

// Quick returns c scaled down for a test: at most three values per list,
// 4 replicas, steps and burn-in divided by 40.
func Quick(c Config) Config {
	cut := func(v []float64) []float64 {
		if len(v) > 3 {
			return []float64{v[0], v[len(v)/2], v[len(v)-1]}
		}
		return v
	}
	c.BatchSize, c.Eta, c.Temperature = cut(c.BatchSize), cut(c.Eta), cut(c.Temperature)
	c.Replicas = 4
	c.Steps /= 40
	c.BurnIn /= 40
	return c
}

// FitFolder reads the sweep folder dir, measures and fits it, and writes
// selection.json, selection.csv and the figure into out, selection.json
// with the wall and CPU seconds of the command since start (none for the
// zero Clock). It returns the report, the results and the paths written.
func FitFolder(dir, out, version string, start cputime.Clock) (Report, []Result, []string, error) {
	d, err := Read(dir)
	if err != nil {
		return Report{}, nil, nil, err
	}
	if len(d.Runs) == 0 {
		return Report{}, nil, nil, fmt.Errorf("%s holds no replicas yet: run the sweep first", dir)
	}
	rs, err := Analyze(d)
	if err != nil {
		return Report{}, nil, nil, err
	}
	fits := FitAll(rs)
	rep, err := NewReport(d, rs, fits, version)
	if err != nil {
		return Report{}, nil, nil, err
	}
	rep.WallSeconds, rep.CPUSeconds = start.Wall(), start.CPU()
	paths, err := rep.Write(out, rs)
	if err != nil {
		return Report{}, nil, nil, err
	}
	return rep, rs, paths, nil
}
