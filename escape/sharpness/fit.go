package sharpness

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"sort"
	"strconv"

	"github.com/sgn-project/sgn/internal/atomicfile"
	"github.com/sgn-project/sgn/internal/stats"
	"github.com/sgn-project/sgn/internal/sweep"
)

// Run is one run's record in selection-networks.json.
type Run struct {
	Point int    `json:"point"`
	Run   int    `json:"run"`
	Seed  uint64 `json:"seed"`
	Result
	// EtaOverB is η/B.
	EtaOverB float64 `json:"eta_over_b"`
}

// LineFit is a fit of one sharpness measure against log(η/B).
type LineFit struct {
	// Of is "log lambda_max" or "log trace"; Against is "log(eta/B)".
	Of      string `json:"of"`
	Against string `json:"against"`
	// N is the number of runs fitted (diverged runs and runs that did not
	// reach the target training loss are left out).
	N         int         `json:"n"`
	Slope     float64     `json:"slope"`
	SlopeCI   *[2]float64 `json:"slope_ci95"`
	Intercept float64     `json:"intercept"`
	R2        *float64    `json:"r2"`
	// Spearman is Spearman's rank correlation of the measure with η/B
	// (null when a sample is constant).
	Spearman *float64 `json:"spearman"`
}

// SameRatio lists the grid points that share one η/B but not (B, η): if only
// the ratio matters, as Theorem 2 says, their sharpness agrees.
type SameRatio struct {
	EtaOverB float64      `json:"eta_over_b"`
	Points   []PointMeans `json:"points"`
	// LambdaMaxSpread is max/min of the points' mean λmax.
	LambdaMaxSpread float64 `json:"lambda_max_spread"`
}

// PointMeans are the means over a point's converged runs.
type PointMeans struct {
	BatchSize    int     `json:"batch_size"`
	Eta          float64 `json:"eta"`
	Runs         int     `json:"runs"`
	LambdaMax    float64 `json:"lambda_max"`
	Trace        float64 `json:"trace"`
	TestAccuracy float64 `json:"test_accuracy"`
}

// Analysis is the content of selection-networks.json.
type Analysis struct {
	Version    string `json:"version"`
	ConfigHash string `json:"config_hash"`
	Config     Config `json:"config"`
	RunsFound  int    `json:"runs_found"`
	RunsTotal  int    `json:"runs_total"`
	Diverged   int    `json:"diverged"`
	// NotReached counts the runs that did not reach the target training
	// loss; they are left out of the fits.
	NotReached int `json:"not_reached"`
	// TraceNotConverged counts the runs whose tr H is Hutchinson's and
	// stopped at its cap of probes short of its tolerance (Result's
	// TraceConverged false): their trace is less precise than asked.
	TraceNotConverged int         `json:"trace_not_converged"`
	Runs              []Run       `json:"runs"`
	Fits              []LineFit   `json:"fits"`
	SameRatio         []SameRatio `json:"same_ratio"`
	Figures           []string    `json:"figures"`
	// WallSeconds and CPUSeconds are what the command that wrote the
	// analysis cost from its start (its process CPU time: user + system,
	// all threads); 0 (absent) when not recorded.
	WallSeconds float64 `json:"wall_seconds,omitempty"`
	CPUSeconds  float64 `json:"cpu_seconds,omitempty"`
}

// Analyze fits the runs of a sweep folder read back with Kind.Read.
func Analyze(d sweep.Data[Config, Result], version string) (*Analysis, error) {
	a := &Analysis{Version: version, ConfigHash: d.Hash, Config: d.Config, RunsFound: len(d.Runs), RunsTotal: d.Grid.Total()}
	var x, lam, tr []float64
	for _, rec := range d.Runs {
		r := Run{Point: rec.Point, Run: rec.Run, Seed: rec.Seed, Result: rec.Result,
			EtaOverB: rec.Result.Eta / float64(rec.Result.BatchSize)}
		a.Runs = append(a.Runs, r)
		if r.TraceConverged != nil && !*r.TraceConverged {
			a.TraceNotConverged++
		}
		if r.Diverged {
			a.Diverged++
			continue
		}
		if !r.ReachedTarget {
			a.NotReached++
			continue
		}
		if !(r.LambdaMax > 0) || !(r.Trace > 0) {
			return nil, fmt.Errorf("run %d of point %d: λmax %g, tr H %g: a log needs positive values", r.Run, r.Point, r.LambdaMax, r.Trace)
		}
		x = append(x, math.Log(r.EtaOverB))
		lam = append(lam, math.Log(r.LambdaMax))
		tr = append(tr, math.Log(r.Trace))
	}
	for _, f := range []struct {
		of string
		y  []float64
	}{{"log lambda_max", lam}, {"log trace", tr}} {
		lf, err := stats.FitLine(x, f.y)
		if err != nil {
			return nil, fmt.Errorf("fit of %s against log(eta/B): %w", f.of, err)
		}
		var rho *float64
		if r, err := stats.Spearman(x, f.y); err == nil {
			rho = &r
		}
		a.Fits = append(a.Fits, LineFit{Of: f.of, Against: "log(eta/B)", N: lf.N, Slope: lf.Slope, SlopeCI: lf.SlopeCI,
			Intercept: lf.Intercept, R2: lf.R2, Spearman: rho})
	}
	a.SameRatio = sameRatio(d.Config, a.Runs)
	return a, nil
}

// means returns the per-point means over converged runs, in point order.
func means(c Config, runs []Run) []PointMeans {
	byPoint := map[int]*PointMeans{}
	var order []int
	for _, r := range runs {
		if r.Diverged || !r.ReachedTarget {
			continue
		}
		pm, ok := byPoint[r.Point]
		if !ok {
			b, eta := c.Point(r.Point)
			pm = &PointMeans{BatchSize: b, Eta: eta}
			byPoint[r.Point] = pm
			order = append(order, r.Point)
		}
		pm.Runs++
		pm.LambdaMax += r.LambdaMax
		pm.Trace += r.Trace
		pm.TestAccuracy += r.TestAccuracy
	}
	sort.Ints(order)
	out := make([]PointMeans, 0, len(order))
	for _, p := range order {
		pm := *byPoint[p]
		n := float64(pm.Runs)
		pm.LambdaMax, pm.Trace, pm.TestAccuracy = pm.LambdaMax/n, pm.Trace/n, pm.TestAccuracy/n
		out = append(out, pm)
	}
	return out
}

// sameRatio groups the points by η/B (equal to 1e-12 relative) and keeps the
// groups of two points or more.
func sameRatio(c Config, runs []Run) []SameRatio {
	var groups []SameRatio
	for _, pm := range means(c, runs) {
		ratio := pm.Eta / float64(pm.BatchSize)
		i := sort.Search(len(groups), func(i int) bool { return groups[i].EtaOverB >= ratio*(1-1e-12) })
		if i < len(groups) && math.Abs(groups[i].EtaOverB-ratio) <= 1e-12*ratio {
			groups[i].Points = append(groups[i].Points, pm)
			continue
		}
		groups = append(groups, SameRatio{})
		copy(groups[i+1:], groups[i:])
		groups[i] = SameRatio{EtaOverB: ratio, Points: []PointMeans{pm}}
	}
	out := []SameRatio{}
	for _, g := range groups {
		if len(g.Points) < 2 {
			continue
		}
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, p := range g.Points {
			lo, hi = math.Min(lo, p.LambdaMax), math.Max(hi, p.LambdaMax)
		}
		g.LambdaMaxSpread = hi / lo
		out = append(out, g)
	}
	return out
}

// WriteCSV writes one row per run to path, atomically.
func WriteCSV(path string, runs []Run) error {
	return atomicfile.Write(path, func(w io.Writer) error {
		cw := csv.NewWriter(w)
		cw.Write([]string{"point", "run", "seed", "batch_size", "eta", "eta_over_b", "epochs", "steps", "reached_target", "diverged",
			"lambda_max", "trace", "trace_stderr", "trace_method", "grad_norm", "train_loss", "train_accuracy", "test_loss", "test_accuracy",
			"trace_converged", "trace_rel_stderr"})
		g := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
		// conv is empty for an exact trace.
		conv := func(c *bool) string {
			if c == nil {
				return ""
			}
			return strconv.FormatBool(*c)
		}
		for _, r := range runs {
			cw.Write([]string{strconv.Itoa(r.Point), strconv.Itoa(r.Run), strconv.FormatUint(r.Seed, 10), strconv.Itoa(r.BatchSize),
				g(r.Eta), g(r.EtaOverB), strconv.Itoa(r.Epochs), strconv.Itoa(r.Steps), strconv.FormatBool(r.ReachedTarget), strconv.FormatBool(r.Diverged),
				g(r.LambdaMax), g(r.Trace), g(r.TraceStdErr), r.TraceMethod, g(r.GradNorm), g(r.TrainLoss), g(r.TrainAccuracy),
				g(r.TestLoss), g(r.TestAccuracy), conv(r.TraceConverged), g(r.TraceRelStdErr)})
		}
		cw.Flush()
		return cw.Error()
	})
}

// Files written by Write beside selection-networks.json.
const (
	CSVFile         = "selection-networks.csv"
	SharpnessFigure = "sharpness-vs-ratio"
	AccuracyFigure  = "accuracy-vs-sharpness"
)

// Write writes a's JSON, CSV and figures into out.
func Write(a *Analysis, out string) error {
	a.Figures = []string{SharpnessFigure, AccuracyFigure}
	if err := PlotSharpness(a, filepath.Join(out, SharpnessFigure)); err != nil {
		return err
	}
	if err := PlotAccuracy(a, filepath.Join(out, AccuracyFigure)); err != nil {
		return err
	}
	if err := WriteCSV(filepath.Join(out, CSVFile), a.Runs); err != nil {
		return err
	}
	b, err := json.MarshalIndent(a, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteBytes(filepath.Join(out, ResultFile), append(b, '\n'))
}
