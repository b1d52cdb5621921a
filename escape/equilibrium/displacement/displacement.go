package displacement

import (
	"encoding/json"
	"errors"
	"fmt"
	"image/color"
	"io"
	"math"
	"path/filepath"
	"strings"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"

	"github.com/sgn-project/sgn/data"
	"github.com/sgn-project/sgn/escape/equilibrium"
	"github.com/sgn-project/sgn/escape/kramers"
	"github.com/sgn-project/sgn/escape/network"
	"github.com/sgn-project/sgn/internal/atomicfile"
	"github.com/sgn-project/sgn/internal/figure"
	"github.com/sgn-project/sgn/internal/memlimit"
	"github.com/sgn-project/sgn/model"
)

// Names of the files Write puts in its folder.
const (
	JSONFile   = "escape_fraction.json"
	FigureBase = "escape_fraction" // .png and .svg
)

// colGrey draws the isotropic reference k/P.
var colGrey = color.RGBA{R: 150, G: 150, B: 150, A: 255}

// Point is, for the runs of one grid point of a network escape sweep,
// the fraction of the displacement ‖θ − θ₀‖² at the escape step that lies
// in the top-k eigenspace of H(θ₀), k = 1 … K: does SGD leave a sharp
// minimum along a few sharp directions?
type Point struct {
	Point int    `json:"point"`
	Label string `json:"label"`
	// Runs is the number of runs re-simulated (from their recorded seeds;
	// each reproduced its recorded outcome), Escaped those that escaped
	// (the fractions are over these).
	Runs    int `json:"runs"`
	Escaped int `json:"escaped"`
	// Fraction[k−1] is the mean over the escaped runs of
	// Σ_{i≤k}(uᵢᵀδ)²/‖δ‖², δ = θ_escape − θ₀; Isotropic[k−1] = k/P.
	K         []int     `json:"k"`
	Fraction  []float64 `json:"fraction"`
	Isotropic []float64 `json:"isotropic"`
	// MeanDistance is the mean ‖δ‖ over the escaped runs.
	MeanDistance float64 `json:"mean_distance"`
}

// Report is escape_fraction.json.
type Report struct {
	Version string   `json:"version"`
	Command []string `json:"command,omitempty"`
	Sweep   string   `json:"sweep"`
	// Lambda holds the top-K eigenvalues of the landscape's Hessian at θ₀
	// (cross-entropy Hessian plus the weight decay), in θ.
	Lambda []float64      `json:"lambda"`
	Points []Point        `json:"points"`
	Data   data.Selection `json:"data"`
	Files  []string       `json:"files,omitempty"`
}

// Measure re-simulates the first runs runs of each of the given
// points of the network escape sweep in dir from their recorded seeds,
// checks that each reproduces its recorded outcome, and measures the
// fraction of its displacement at the escape step in the top-k
// eigenspaces of H(θ₀), k = 1 … topK (dense decomposition when P ≤
// equilibrium.FullMaxParams, else Lanczos). points nil means all points. The images
// come from the MNIST folder mnist (empty: data.Load's lookup); they must
// be the images the sweep's minimum was prepared on.
func Measure(dir, mnist string, points []int, runs, topK, workers int, progress equilibrium.Progress) (*Report, error) {
	return measure(dir, mnist, points, runs, topK, workers, progress, nil)
}

// measure is Measure calling ready, if not nil, once the sweep,
// its minimum and the images are read and checked, before the measurement.
func measure(dir, mnist string, points []int, runs, topK, workers int, progress equilibrium.Progress, ready func() error) (*Report, error) {
	if progress == nil {
		progress = func(string, int, int) {}
	}
	sw, err := kramers.ReadSweep(dir)
	if err != nil {
		return nil, err
	}
	cfg := sw.Config
	if cfg.Network == nil {
		return nil, fmt.Errorf("sweep %s is not on a network landscape: its config has no \"network\"", dir)
	}
	mn, err := network.PrepareMinimum(*cfg.Network, mnist, dir, workers)
	if err != nil {
		return nil, err
	}
	spec := mn.Spec
	set, err := spec.Load(mnist)
	if err != nil {
		return nil, err
	}
	m, err := model.New(model.Config{Layers: spec.Layers, Activation: spec.Activation})
	if err != nil {
		return nil, err
	}
	P := m.NumParams()
	if topK < 1 || topK > P {
		return nil, fmt.Errorf("top-k %d: want 1..%d (the network's parameters)", topK, P)
	}
	if ready != nil {
		if err := ready(); err != nil {
			return nil, err
		}
	}
	net := &equilibrium.Network{Model: m, Data: model.Batch{X: set.X, Y: set.Y}, Workers: workers}
	U, lambda, err := equilibrium.TopEigenpairs(net, mn.Theta, topK, progress)
	if err != nil {
		return nil, err
	}
	rep := &Report{Sweep: dir, Data: set.Selected()}
	for _, l := range lambda {
		rep.Lambda = append(rep.Lambda, l+spec.WeightDecay)
	}
	all := cfg.Points()
	if points == nil {
		for i := range all {
			points = append(points, i)
		}
	}
	fac := kramers.NetworkFactory(mn)
	for _, pi := range points {
		if pi < 0 || pi >= len(all) {
			return nil, fmt.Errorf("point %d: the sweep has points 0..%d", pi, len(all)-1)
		}
		p := all[pi]
		sim, err := fac(p)
		if err != nil {
			return nil, err
		}
		ep := Point{Point: pi, Label: p.Label(), Fraction: make([]float64, topK)}
		var sumDist float64
		for _, rec := range sw.Runs {
			if rec.Point != pi || ep.Runs == runs {
				continue
			}
			o, d, err := network.EscapeDisplacement(sim, mn, rec.Seed)
			if err != nil {
				return nil, fmt.Errorf("point %d run %d: %w", pi, rec.Run, err)
			}
			if o != rec.Result {
				return nil, fmt.Errorf("point %d run %d: re-simulated outcome %+v differs from the recorded %+v", pi, rec.Run, o, rec.Result)
			}
			ep.Runs++
			progress("escape runs", ep.Runs, runs)
			if !o.Escaped {
				continue
			}
			ep.Escaped++
			frac, dist := topFractions(U, d, topK)
			for k, f := range frac {
				ep.Fraction[k] += f
			}
			sumDist += dist
		}
		if ep.Runs == 0 {
			return nil, fmt.Errorf("point %d: no recorded runs in %s", pi, dir)
		}
		for k := range ep.Fraction {
			ep.Fraction[k] /= float64(max(ep.Escaped, 1))
			ep.K = append(ep.K, k+1)
			ep.Isotropic = append(ep.Isotropic, float64(k+1)/float64(P))
		}
		ep.MeanDistance = sumDist / float64(max(ep.Escaped, 1))
		rep.Points = append(rep.Points, ep)
	}
	return rep, nil
}

// topFractions returns Σ_{i≤k}(uᵢᵀδ)²/‖δ‖² for k = 1 … topK and ‖δ‖.
func topFractions(U *mat.Dense, d []float64, topK int) ([]float64, float64) {
	P := len(d)
	var total float64
	for _, v := range d {
		total += v * v
	}
	out := make([]float64, topK)
	var cum float64
	u := U.RawMatrix()
	for i := range topK {
		var p float64
		for j := 0; j < P; j++ {
			p += u.Data[j*u.Stride+i] * d[j]
		}
		cum += p * p
		if total > 0 {
			out[i] = cum / total
		}
	}
	return out, math.Sqrt(total)
}

// Write writes escape_fraction.json and the figure (fraction against
// k per point, with k/P) into dir.
func (r *Report) Write(dir string) error {
	base := filepath.Join(dir, FigureBase)
	r.Files = []string{filepath.Join(dir, JSONFile), base + ".png", base + ".svg"}
	p := plot.New()
	p.Title.Text = "displacement at the escape step in the top-k eigenspace of H(θ₀)"
	p.X.Label.Text = "k"
	p.Y.Label.Text = "fraction of ‖θ_escape − θ₀‖²"
	p.Y.Scale, p.Y.Tick.Marker = plot.LogScale{}, plot.LogTicks{Prec: 1}
	p.Legend.Top, p.Legend.Left = false, false
	p.Legend.TextStyle.Font.Size = vg.Points(8)
	add := func(name string, y []float64, k []int, col color.Color, dash []vg.Length) error {
		var pts plotter.XYs
		for i, v := range y {
			if v > 0 {
				pts = append(pts, plotter.XY{X: float64(k[i]), Y: v})
			}
		}
		if len(pts) == 0 {
			return nil
		}
		ln, err := plotter.NewLine(pts)
		if err != nil {
			return err
		}
		ln.Color, ln.Width, ln.Dashes = col, vg.Points(1.5), dash
		p.Add(ln)
		p.Legend.Add(name, ln)
		return nil
	}
	for i, ep := range r.Points {
		if err := add(fmt.Sprintf("%s (%d escaped)", ep.Label, ep.Escaped), ep.Fraction, ep.K, plotutil.Color(i), nil); err != nil {
			return err
		}
	}
	if len(r.Points) > 0 {
		ep := r.Points[0]
		if err := add("isotropic k/P", ep.Isotropic, ep.K, colGrey, []vg.Length{vg.Points(3), vg.Points(2)}); err != nil {
			return err
		}
	}
	if err := figure.Save(p, figure.Size{Width: 16 * vg.Centimeter, Height: 11 * vg.Centimeter}, base); err != nil {
		return err
	}
	js, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteBytes(r.Files[0], append(js, '\n'))
}

// WriteText writes the summary of sgn equilibrium escape: per grid point,
// the runs that escaped, their mean distance from θ₀ and the fraction of
// the displacement in the top-k eigenspaces of H(θ₀) beside the isotropic
// k/P; then the files.
func (r *Report) WriteText(w io.Writer) error {
	for _, ep := range r.Points {
		line := fmt.Sprintf("point %d (%s): %d of %d runs escaped, mean ‖θ−θ₀‖ %.3g; fraction in the top", ep.Point, ep.Label, ep.Escaped, ep.Runs, ep.MeanDistance)
		for _, k := range []int{1, 5, 10, len(ep.K)} {
			if k <= len(ep.K) {
				line += fmt.Sprintf(" %d: %.3g (k/P %.3g);", k, ep.Fraction[k-1], ep.Isotropic[k-1])
			}
		}
		fmt.Fprintln(w, strings.TrimSuffix(line, ";"))
	}
	for _, f := range r.Files {
		fmt.Fprintf(w, "wrote %s\n", f)
	}
	return nil
}

// Job is a whole measurement of `sgn equilibrium escape`: the displacement
// of the runs of the network escape sweep in Sweep (Measure), written into
// OutDir.
type Job struct {
	Sweep, MNIST string
	// Points are the grid points analysed (nil: all); Runs the runs per
	// point; TopK the largest eigenspace.
	Points     []int
	Runs, TopK int
	Workers    int
	OutDir     string
	Version    string
	Command    []string
	Progress   equilibrium.Progress
	// Removed, if not nil, is told the names of an earlier run's files
	// removed from OutDir.
	Removed func(names []string)
}

// Run measures the escape displacement (Measure) and writes
// escape_fraction.json and its figure into OutDir; an earlier run's go
// once the sweep has been read and checked, before the measurement.
func Run(j Job) (*Report, error) {
	rep, err := measure(j.Sweep, j.MNIST, j.Points, j.Runs, j.TopK, j.Workers, j.Progress, func() error {
		gone, err := atomicfile.RemoveStale(j.OutDir, JSONFile, FigureBase+".png", FigureBase+".svg")
		if len(gone) > 0 && j.Removed != nil {
			j.Removed(gone)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	rep.Version, rep.Command = j.Version, j.Command
	return rep, rep.Write(j.OutDir)
}

// MemoryNeed bounds the bytes Measure holds for the runs of a network
// escape sweep of configuration cfg, with topK directions and workers
// goroutines: the sweep's minimum and a replica of each point
// (network.MemoryNeed), then, on the same samples, the eigenbasis of
// H(θ₀) (equilibrium.EigenMemoryNeed) and the P×topK directions.
func MemoryNeed(cfg kramers.Config, topK, workers int) (float64, error) {
	if cfg.Network == nil {
		return 0, errors.New("not a network sweep: the config has no \"network\"")
	}
	spec := cfg.Network.Normalized()
	base, err := network.MemoryNeed(spec, cfg.Dynamics, workers)
	if err != nil {
		return 0, err
	}
	rows, err := spec.Rows()
	if err != nil {
		return 0, err
	}
	eig, K, err := equilibrium.EigenMemoryNeed(spec.Layers, spec.Activation, rows, topK, workers)
	if err != nil {
		return 0, err
	}
	P, _ := model.ParamCount(spec.Layers)
	return base + eig + 8*float64(P)*K, nil
}

// CheckMemory returns a *memlimit.Error when Measure would hold more than
// limit bytes (MemoryNeed) for the network escape sweep of configuration
// cfg in the folder dir, with topK directions and workers goroutines,
// naming top_k and workers as what to lower; nil when it fits or limit is
// 0.
func CheckMemory(dir string, cfg kramers.Config, topK, workers int, limit int64) error {
	need, err := MemoryNeed(cfg, topK, workers)
	if err != nil {
		return err
	}
	return memlimit.Check(need, limit, fmt.Sprintf("on the network %v of %s", cfg.Network.Normalized().Layers, dir),
		[]memlimit.Setting{{Name: "top_k", Value: fmt.Sprint(topK)}}, memlimit.Lower("top_k"), memlimit.Lower("workers"))
}
