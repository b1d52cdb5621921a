package analysis

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/sgn-project/sgn/data"
	"github.com/sgn-project/sgn/hessian"
	"github.com/sgn-project/sgn/internal/atomicfile"
	"github.com/sgn-project/sgn/internal/memlimit"
	"github.com/sgn-project/sgn/model"
	"gonum.org/v1/gonum/floats"
)

// Stages reported to Options.Progress, in the order they run.
const (
	StageLanczos = "lanczos"
	StageTrace   = "trace"
	StageDensity = "density"
	StageFull    = "full" // units: assembled columns
)

// Seed streams of the stages: stage k draws from seed.Stream(Seed, k).
const (
	lanczosStream = 1
	traceStream   = 2
	densityStream = 3
)

// fullBlockSize is the number of columns Full assembles per block product.
const fullBlockSize = 64

// Options configure Run. Every stage is optional; at least one must be
// asked for.
type Options struct {
	// TopK and BottomK are the numbers of largest and smallest eigenvalues
	// by Lanczos (hessian.Lanczos) with tolerance Tol; MaxIter caps the
	// Krylov dimension (0: min(n, max(300, 10·max(TopK, BottomK)))).
	TopK, BottomK, MaxIter int
	Tol                    float64
	// SaveVectors writes the Lanczos eigenvectors to eigenvectors.safetensors
	// (for any P: they are the k vectors Lanczos returns).
	SaveVectors bool
	// Trace asks for Hutchinson's estimate (hessian.Hutchinson), stopping
	// at relative standard error TraceTol (after 10 probes) or TraceMax
	// probes.
	Trace    bool
	TraceTol float64
	TraceMax int
	// Density asks for the SLQ density (hessian.SLQ) of SLQRuns runs of
	// SLQSteps steps, drawn with Gaussian width Sigma (0:
	// hessian.DefaultSigma).
	Density           bool
	SLQRuns, SLQSteps int
	Sigma             float64
	// Full asks for the assembled matrix and its exact eigendecomposition,
	// refused when it needs more than MaxMemory bytes; SaveMatrix also
	// writes H, its eigenvectors and eigenvalues to hessian.safetensors.
	Full, SaveMatrix bool
	MaxMemory        int64
	// Layer restricts the analysis to the diagonal block of layer Layer
	// (1-based); 0 is the whole network.
	Layer int
	// Seed is the seed of the random vectors; Workers the goroutines of the
	// Hessian-vector products (results do not depend on it).
	Seed    uint64
	Workers int
	// OutDir is the output folder (created if missing); Version and
	// Configuration are recorded in the report.
	OutDir        string
	Version       string
	Configuration map[string]string
	// Progress, if not nil, is called with a stage (Stage*), the units done
	// and the total.
	Progress func(stage string, done, total int)
	// Removed, if not nil, is told the names of an earlier run's outputs
	// that this run did not write and removed from OutDir.
	Removed func(names []string)
}

// OptionError reports an option that does not fit the model. Field is the
// option's name in snake case ("top_k", "bottom_k", "max_iterations", "layer")
// and Detail its value and what is wrong; the message is
// "<field> <detail>".
type OptionError struct {
	Field, Detail string
}

// Error returns "<field> <detail>".
func (e *OptionError) Error() string { return e.Field + " " + e.Detail }

// Option returns the option's name in snake case and what is wrong with
// its value, for a caller that names the option its own way (a command's
// flag).
func (e *OptionError) Option() (field, detail string) { return e.Field, e.Detail }

// checkMemory returns a *memlimit.Error when the options need more than
// MaxMemory bytes for the model on n samples: what needs them, on how many
// samples, the stage that needs the most (StageLanczos, StageTrace,
// StageDensity, StageFull, or the Hessian's cached passes over the samples
// when none of them dominates) and the options that lower that stage's
// need, the one whose value weighs most first.
func (o Options) checkMemory(pl plan, m *model.MLP, n int) error {
	need, stage, field, err := o.memoryNeed(pl, m.Layers, m.Activation, n)
	if err != nil || need <= float64(o.MaxMemory) {
		return err
	}
	levers := stageLevers[stage]
	if field != "" {
		levers = []memlimit.Lever{memlimit.Lower(field)}
	}
	if levers == nil {
		levers = []memlimit.Lever{memlimit.Lower("first")}
	}
	return &memlimit.Error{What: fmt.Sprintf("%s on %d samples (most for %s)", pl.what, n, stage), Need: int64(min(need, math.MaxInt64/2)), Limit: o.MaxMemory, Levers: levers}
}

// stageLevers are the options that lower the memory of each stage: the
// Lanczos basis holds up to MaxIter vectors of length P, Hutchinson a
// pass over the samples per worker, the SLQ basis SLQSteps vectors of
// length P, the dense decomposition P² per copy.
var stageLevers = map[string][]memlimit.Lever{
	StageLanczos: {memlimit.Lower("top_k"), memlimit.Lower("bottom_k"), memlimit.Lower("max_iterations")},
	StageTrace:   {memlimit.Lower("first"), memlimit.Lower("workers")},
	StageDensity: {memlimit.Lower("slq_steps")},
	StageFull:    {memlimit.Drop("full"), memlimit.Lower("first")},
}

// plan is what Run checked before loading any data.
type plan struct {
	begin, end, dim int
	fullBytes       int64
	what            string
}

// check validates o against the model: the block, k against its dimension,
// the memory of the dense decomposition.
func (o Options) check(lo model.Layout, layers []int) (plan, error) {
	L := lo.NumLayers()
	p := plan{begin: 0, end: lo.P, what: fmt.Sprintf("the model's P = %d parameters", lo.P)}
	if o.Layer < 0 || o.Layer > L {
		return p, &OptionError{"layer", fmt.Sprintf("%d: the model %v has %d layers (fc1..fc%d)", o.Layer, layers, L, L)}
	}
	if o.Layer != 0 {
		p.begin, p.end = lo.LayerRange(o.Layer - 1)
		p.what = fmt.Sprintf("the %d parameters of layer %d", p.end-p.begin, o.Layer)
	}
	p.dim = p.end - p.begin
	switch k := max(o.TopK, o.BottomK); {
	case o.TopK > p.dim:
		return p, &OptionError{"top_k", fmt.Sprintf("%d is larger than %s", o.TopK, p.what)}
	case o.BottomK > p.dim:
		return p, &OptionError{"bottom_k", fmt.Sprintf("%d is larger than %s", o.BottomK, p.what)}
	case o.MaxIter > 0 && o.MaxIter < k:
		return p, &OptionError{"max_iterations", fmt.Sprintf("%d is smaller than k = %d", o.MaxIter, k)}
	}
	if o.Full {
		copies := 2 // H and the eigensolver's working copy
		if o.SaveMatrix {
			copies = 3 // and the eigenvectors
		}
		p.fullBytes = mulSat(hessian.FullBytes(p.dim), int64(copies))
		if p.fullBytes > o.MaxMemory {
			return p, &memlimit.Error{Settings: []memlimit.Setting{{Name: "full"}}, Need: p.fullBytes, Limit: o.MaxMemory, Levers: []memlimit.Lever{memlimit.Drop("full")},
				What: fmt.Sprintf("on %s (%d copies of a %d×%d float64 matrix)", p.what, copies, p.dim, p.dim)}
		}
	}
	return p, nil
}

// mulSat returns a·b, saturating at math.MaxInt64.
func mulSat(a, b int64) int64 {
	if a != 0 && b > math.MaxInt64/a {
		return math.MaxInt64
	}
	return a * b
}

// Run loads the samples sel (their pool must be the checkpoint's), builds
// the exact Hessian of the mean cross-entropy at the checkpoint's θ
// (model.Hessian, Pearlmutter's R-operator), runs the stages o asks for and
// writes hessian.json, the figures and (SaveMatrix) hessian.safetensors in
// o.OutDir (hessian.json after each stage, with the stages still to run in
// Report.Pending, so that a stage that fails leaves the earlier ones
// saved), then removes an earlier run's outputs it did not write (told
// to o.Removed). checkpoint is the file m and meta were loaded from. Options
// that do not fit the model are reported before any data is loaded, as an
// *OptionError or a *memlimit.Error (options whose buffers, estimated first,
// need more than MaxMemory bytes).
func Run(m *model.MLP, meta model.CheckpointMeta, checkpoint string, sel data.Options, o Options) (*Report, error) {
	start := time.Now()
	pl, err := o.check(m.Layout, meta.Layers)
	if err != nil {
		return nil, err
	}
	// The memory is estimated for the samples selected before any is
	// loaded, and again for those loaded (setup).
	if err := o.checkMemory(pl, m, sel.NominalSize()); err != nil {
		return nil, err
	}
	r := &runner{o: o, pl: pl, timings: map[string]float64{}}
	if err := r.setup(m, meta, checkpoint, sel); err != nil {
		return nil, err
	}
	stages := []struct {
		name  string
		run   func() error
		asked bool
	}{
		{StageLanczos, r.lanczos, o.TopK+o.BottomK > 0},
		{StageTrace, r.trace, o.Trace},
		{StageDensity, r.density, o.Density},
		{StageFull, r.full, o.Full},
	}
	saved := false
	for i, st := range stages {
		if err := st.run(); err != nil {
			if saved {
				return nil, fmt.Errorf("%s: %w (the stages before it are saved in %s)", st.name, err, filepath.Join(o.OutDir, JSONFile))
			}
			return nil, err
		}
		// What is finished is written before a later stage can fail:
		// hessian.json with the stages still to run (Report.Pending).
		var pending []string
		for _, later := range stages[i+1:] {
			if later.asked {
				pending = append(pending, later.name)
			}
		}
		if st.asked && len(pending) > 0 {
			r.rep.Pending = pending
			if _, err := r.write(start, false); err != nil {
				return nil, err
			}
			saved = true
		}
	}
	r.rep.Pending = nil
	return r.write(start, true)
}

// write writes hessian.json with the stages finished and, when the run is
// finished, removes an earlier run's outputs that this run has not written:
// they (its density figures, its matrix) never stay beside a finished
// run's hessian.json, and go only once this run has succeeded, so bad
// input loses nothing. (hessian.json's files name those of its run.)
func (r *runner) write(start time.Time, finished bool) (*Report, error) {
	o := r.o
	r.timings["total"] = time.Since(start).Seconds()
	rep := *r.rep
	rep.dir = o.OutDir
	rep.Files = append([]string{JSONFile}, rep.Files...)
	js, err := json.MarshalIndent(&rep, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding %s: %w", JSONFile, err)
	}
	if err := atomicfile.WriteBytes(filepath.Join(o.OutDir, JSONFile), append(js, '\n')); err != nil {
		return nil, err
	}
	if !finished {
		return &rep, nil
	}
	var stale []string
	for _, n := range []string{MatrixFile, VectorsFile, DensityCSV, DensityBase + ".png", DensityBase + ".svg", SpectrumBase + ".png", SpectrumBase + ".svg"} {
		if !slices.Contains(rep.Files, n) {
			stale = append(stale, n)
		}
	}
	gone, err := atomicfile.RemoveStale(o.OutDir, stale...)
	if err != nil {
		return nil, err
	}
	if len(gone) > 0 && o.Removed != nil {
		o.Removed(gone)
	}
	return &rep, nil
}

// runner carries a run through its stages.
type runner struct {
	o       Options
	pl      plan
	op      hessian.Operator
	rep     *Report
	title   string
	timings map[string]float64
}

// progress forwards to o.Progress.
func (r *runner) progress(stage string) func(done, total int) {
	return func(done, total int) {
		if r.o.Progress != nil {
			r.o.Progress(stage, done, total)
		}
	}
}

// setup loads the data, builds the Hessian (or its layer block) and starts
// the report.
func (r *runner) setup(m *model.MLP, meta model.CheckpointMeta, checkpoint string, sel data.Options) error {
	t0 := time.Now()
	s, err := data.Load(sel)
	if err != nil {
		return err
	}
	if err := data.CheckFits(s, m.Layers); err != nil {
		return fmt.Errorf("checkpoint %s: %w", checkpoint, err)
	}
	r.timings["load"] = time.Since(t0).Seconds()
	if err := r.o.checkMemory(r.pl, m, s.N); err != nil {
		return err
	}
	if err := os.MkdirAll(r.o.OutDir, 0o755); err != nil {
		return fmt.Errorf("cannot create the output folder %s: %w", r.o.OutDir, err)
	}
	t0 = time.Now()
	h, err := m.NewHessian(m.Theta, model.Batch{X: s.X, Y: s.Y}, r.o.Workers)
	if err != nil {
		return fmt.Errorf("checkpoint %s on %s: %w", checkpoint, s.Selection, err)
	}
	r.op = h
	if r.o.Layer != 0 {
		blk, err := h.LayerBlock(r.o.Layer - 1)
		if err != nil {
			return err
		}
		r.op = blk
	}
	r.timings["setup"] = time.Since(t0).Seconds()
	pl := r.pl
	r.rep = &Report{
		Version: r.o.Version, Checkpoint: checkpoint, Config: meta, Data: s.Selected(),
		NumParams: pl.dim, NumParamsModel: m.Layout.P, NumSamples: s.N,
		Layer: r.o.Layer, Block: [2]int{pl.begin, pl.end},
		Loss: h.Loss(), GradNorm: floats.Norm(h.Gradient(), 2), GradNormBlock: floats.Norm(h.Gradient()[pl.begin:pl.end], 2),
		Timings: r.timings, Seed: r.o.Seed, Configuration: r.o.Configuration,
	}
	r.title = fmt.Sprintf("%s %v, %s", meta.Activation, meta.Layers, s.Selection)
	if r.o.Layer != 0 {
		r.title = fmt.Sprintf("fc%d block of %s", r.o.Layer, r.title)
	}
	return nil
}
