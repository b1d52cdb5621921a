package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sgn-project/sgn/data"
	"github.com/sgn-project/sgn/hessian"
	"github.com/sgn-project/sgn/internal/atomicfile"
	iseed "github.com/sgn-project/sgn/internal/seed"
	"github.com/sgn-project/sgn/model"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

const hessianExample = `sgn hessian --checkpoint out/figure-model/model.safetensors --first 2000 \
    --top-k 20 --bottom-k 5 --trace --density --full --out out/hessian
sgn hessian --checkpoint out/mnist-model/model.safetensors --first 10000 --top-k 20 --out out/hessian-mnist
sgn hessian --checkpoint out/figure-model/model.safetensors --layer 2 --full --save-matrix --out out/hessian-fc2`

// Names of the output files of 'sgn hessian' inside --out.
const (
	hessJSONFile     = "hessian.json"
	hessMatrixFile   = "hessian.safetensors"
	hessDensityBase  = "density"
	hessSpectrumBase = "spectrum"
)

// hessDefaultMaxMemory is the default --max-memory.
const hessDefaultMaxMemory = "8GiB"

// hessReport is hessian.json. Eigenvalues are of H, the Hessian of the mean
// cross-entropy over the selected samples at the checkpoint's θ (or of its
// diagonal block for --layer).
type hessReport struct {
	Version    string               `json:"version"`
	Checkpoint string               `json:"checkpoint"`
	Config     model.CheckpointMeta `json:"config"`
	Data       data.Selection       `json:"data"`
	// NumParams is the dimension of the operator analysed: P, or the size of
	// the layer's block for --layer. NumParamsModel is P.
	NumParams      int `json:"num_params"`
	NumParamsModel int `json:"num_params_model"`
	NumSamples     int `json:"num_samples"`
	// Layer is the 1-based layer of --layer (0: the whole network) and Block
	// its range [begin, end) in θ.
	Layer int    `json:"layer"`
	Block [2]int `json:"block"`
	// Loss is the mean cross-entropy at θ; GradNorm the Euclidean norm of
	// its gradient over all P parameters, GradNormBlock over the block.
	Loss          float64 `json:"loss"`
	GradNorm      float64 `json:"grad_norm"`
	GradNormBlock float64 `json:"grad_norm_block"`
	// Eigenvalues are the top-k eigenvalues by Lanczos, descending;
	// EigenvaluesSmallest the bottom-k, ascending. Residuals and
	// ResidualsSmallest are ‖Hv − λv‖ of each pair (‖v‖ = 1).
	Eigenvalues         []float64    `json:"eigenvalues"`
	EigenvaluesSmallest []float64    `json:"eigenvalues_smallest"`
	Residuals           []float64    `json:"residuals"`
	ResidualsSmallest   []float64    `json:"residuals_smallest"`
	Lanczos             *hessLanczos `json:"lanczos,omitempty"`
	Trace               *hessTrace   `json:"trace,omitempty"`
	Density             *hessDensity `json:"density,omitempty"`
	Full                *hessFull    `json:"full,omitempty"`
	// Timings are the wall-clock seconds of each stage.
	Timings map[string]float64 `json:"timings"`
	// Seed is --seed; the stages draw from seeds derived from it, recorded
	// in their sections.
	Seed uint64 `json:"seed"`
	// Configuration holds every flag of the command, as given or defaulted.
	Configuration map[string]string `json:"configuration"`
	Files         []string          `json:"files"`
}

type hessLanczos struct {
	Iterations int     `json:"iterations"`
	Converged  bool    `json:"converged"`
	Tol        float64 `json:"tol"`
	MaxIter    int     `json:"max_iter"`
	Seed       uint64  `json:"seed"`
}

// hessTrace is the trace of H: the Hutchinson estimate and its standard
// error, and the exact trace Σ H_ii when --full.
type hessTrace struct {
	Estimate *float64 `json:"estimate"`
	StdErr   *float64 `json:"stderr"`
	Samples  int      `json:"samples,omitempty"`
	Tol      float64  `json:"tol,omitempty"`
	Seed     uint64   `json:"seed,omitempty"`
	Exact    *float64 `json:"exact"`
}

// hessDensity is the SLQ spectral density: Gauss quadrature nodes and
// weights of all runs (weights sum to 1) and the Gaussian width of the
// figure.
type hessDensity struct {
	Runs    int       `json:"runs"`
	Steps   int       `json:"steps"`
	Sigma   float64   `json:"sigma"`
	Seed    uint64    `json:"seed"`
	Nodes   []float64 `json:"nodes"`
	Weights []float64 `json:"weights"`
}

// hessFull is the dense eigendecomposition of the assembled matrix.
type hessFull struct {
	// EigenvaluesAscending holds all P eigenvalues in ascending order (the
	// order of the columns of "eigenvectors" in hessian.safetensors).
	EigenvaluesAscending []float64 `json:"eigenvalues_ascending"`
	// Top (descending) and Bottom (ascending) repeat the extreme ones, as
	// many as --top-k and --bottom-k.
	Top    []float64 `json:"top"`
	Bottom []float64 `json:"bottom"`
	// Trace is Σ H_ii.
	Trace float64 `json:"trace"`
	// Asymmetry is max |H_ij − H_ji| of the assembled columns before
	// symmetrisation; AsymmetryRelative divides it by max |H_ij|.
	Asymmetry         float64 `json:"asymmetry"`
	AsymmetryRelative float64 `json:"asymmetry_relative"`
	// LanczosMaxRelError* compare Lanczos with the dense decomposition:
	// max_i |λ_i(Lanczos) − λ_i(full)| / max_j |λ_j(full)|.
	LanczosMaxRelErrorTop    *float64 `json:"lanczos_max_rel_error_top,omitempty"`
	LanczosMaxRelErrorBottom *float64 `json:"lanczos_max_rel_error_bottom,omitempty"`
	// Bytes is the memory the assembly and decomposition needed.
	Bytes int64 `json:"bytes"`
}

// runHessian implements 'sgn hessian'.
func runHessian(a *app, args []string) error {
	fs := a.newFlagSet("hessian", "hessian --checkpoint FILE [flags]", hessianExample)
	checkpoint := fs.String("checkpoint", "", "model checkpoint (`file`.safetensors written by sgn train); required")
	sel := addSelectionFlags(fs, 2000, "the Hessian of the mean loss")
	topK := fs.Int("top-k", 20, "number of largest eigenvalues by Lanczos")
	bottomK := fs.Int("bottom-k", 0, "number of smallest eigenvalues by Lanczos")
	maxIter := fs.Int("max-iter", 0, "cap on the Lanczos Krylov dimension (0: min(P, max(300, 10k)))")
	tol := fs.Float64("tol", 1e-6, "Lanczos stopping tolerance: every residual ‖Hv − λv‖ ≤ tol·max|λ|")
	trace := fs.Bool("trace", false, "estimate the trace by Hutchinson's method (Rademacher probes)")
	traceTol := fs.Float64("trace-tol", 1e-2, "Hutchinson stops when stderr ≤ trace-tol·|estimate| (after 10 probes) or at --trace-max")
	traceMax := fs.Int("trace-max", 1000, "Hutchinson's maximum number of probes")
	density := fs.Bool("density", false, "spectral density by stochastic Lanczos quadrature (figure density.png/.svg)")
	slqRuns := fs.Int("slq-runs", 5, "SLQ: number of random start vectors")
	slqSteps := fs.Int("slq-steps", 100, "SLQ: Lanczos steps per start vector")
	sigma := fs.Float64("sigma", 0, "SLQ: width of the Gaussian smoothing (0: as PyHessian, σ = √(1e-5·max(1, λmax−λmin)) over the SLQ nodes)")
	full := fs.Bool("full", false, "assemble the whole Hessian and decompose it exactly (small models)")
	maxMemory := fs.String("max-memory", hessDefaultMaxMemory, "refuse --full when it needs more memory than this (e.g. 512MiB, 8GiB, 16GB)")
	layer := fs.Int("layer", 0, "restrict to the diagonal block of layer `L` (1-based: fcL.weight and fcL.bias)")
	saveMatrix := fs.Bool("save-matrix", false, "with --full, write H, its eigenvectors and eigenvalues to hessian.safetensors")
	seed := fs.Uint64("seed", 1, "seed of the random vectors (Lanczos start, Hutchinson probes, SLQ starts)")
	workers := workersFlag(fs, "the Hessian-vector products")
	out := fs.String("out", "out/hessian", "output `folder` (created if missing)")
	quiet := fs.Bool("quiet", false, "no progress on stderr")
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	set := flagsSet(fs)
	start := time.Now()

	// Flag values that need no file.
	switch {
	case *checkpoint == "":
		return usagef("--checkpoint FILE is required (see -h)")
	case *topK < 0:
		return usagef("--top-k %d: want ≥ 0", *topK)
	case *bottomK < 0:
		return usagef("--bottom-k %d: want ≥ 0", *bottomK)
	case *maxIter < 0:
		return usagef("--max-iter %d: want ≥ 0 (0 for the default)", *maxIter)
	case !(*tol > 0) || math.IsInf(*tol, 0):
		return usagef("--tol %v: want a positive number", *tol)
	case !(*traceTol > 0) || math.IsInf(*traceTol, 0):
		return usagef("--trace-tol %v: want a positive number", *traceTol)
	case *traceMax < 2:
		return usagef("--trace-max %d: want ≥ 2 (a standard error needs two probes)", *traceMax)
	case *slqRuns < 1:
		return usagef("--slq-runs %d: want ≥ 1", *slqRuns)
	case *slqSteps < 1:
		return usagef("--slq-steps %d: want ≥ 1", *slqSteps)
	case *sigma < 0 || math.IsNaN(*sigma) || math.IsInf(*sigma, 0):
		return usagef("--sigma %v: want ≥ 0 (0 for the automatic width)", *sigma)
	case set["layer"] && *layer < 1:
		return usagef("--layer %d: layers count from 1 (fc1)", *layer)
	case *saveMatrix && !*full:
		return usagef("--save-matrix needs --full (it writes the assembled matrix)")
	case *workers < 1:
		return usagef("--workers %d: want ≥ 1", *workers)
	case *topK+*bottomK == 0 && !*trace && !*density && !*full:
		return usagef("nothing to compute: --top-k and --bottom-k are 0 and none of --trace, --density, --full is given")
	}
	memLimit, err := hessParseBytes(*maxMemory)
	if err != nil {
		return usagef("--max-memory %q: %v", *maxMemory, err)
	}

	// The checkpoint, then the checks against the model.
	m, meta, err := model.LoadCheckpoint(*checkpoint)
	if err != nil {
		return err
	}
	o, err := selectionFor(*sel, set["first"], meta)
	if err != nil {
		return err
	}
	lo := m.Layout
	L := lo.NumLayers()
	P := lo.P
	begin, end := 0, P
	if *layer != 0 {
		if *layer > L {
			return usagef("--layer %d: the model %v has %d layers (fc1..fc%d)", *layer, meta.Layers, L, L)
		}
		begin, end = lo.LayerRange(*layer - 1)
	}
	dim := end - begin
	what := fmt.Sprintf("the model's P = %d parameters", P)
	if *layer != 0 {
		what = fmt.Sprintf("the %d parameters of layer %d", dim, *layer)
	}
	if *topK > dim {
		return usagef("--top-k %d is larger than %s", *topK, what)
	}
	if *bottomK > dim {
		return usagef("--bottom-k %d is larger than %s", *bottomK, what)
	}
	if k := max(*topK, *bottomK); *maxIter > 0 && *maxIter < k {
		return usagef("--max-iter %d is smaller than k = %d", *maxIter, k)
	}
	var fullBytes int64
	if *full {
		copies := int64(2) // H and the eigensolver's working copy
		if *saveMatrix {
			copies = 3 // and the eigenvectors
		}
		fullBytes = hessMulSat(hessian.FullBytes(dim), copies)
		if fullBytes > memLimit {
			return usagef("--full on %s needs %s for %d copies of a %d×%d float64 matrix, more than --max-memory %s; raise --max-memory or use Lanczos (--top-k) alone",
				what, hessFormatBytes(fullBytes), copies, dim, dim, hessFormatBytes(memLimit))
		}
	}

	// The data, with the checkpoint's preprocessing.
	timings := map[string]float64{}
	t0 := time.Now()
	if !*quiet {
		fmt.Fprintf(a.stderr, "sgn hessian: loading MNIST %s (pool %d)\n", o.Split, o.Pool)
	}
	s, err := loadSelection(o, m, *checkpoint)
	if err != nil {
		return err
	}
	timings["load"] = time.Since(t0).Seconds()
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return fmt.Errorf("cannot create --out %s: %w", *out, err)
	}

	t0 = time.Now()
	h, err := m.NewHessian(m.Theta, model.Batch{X: s.X, Y: s.Y}, *workers)
	if err != nil {
		return fmt.Errorf("checkpoint %s on %s: %w", *checkpoint, s.Selection, err)
	}
	var op hessian.Operator = h
	if *layer != 0 {
		blk, err := h.LayerBlock(*layer - 1)
		if err != nil {
			return err
		}
		op = blk
	}
	timings["setup"] = time.Since(t0).Seconds()

	rep := &hessReport{
		Version:        version,
		Checkpoint:     *checkpoint,
		Config:         meta,
		Data:           s.Selected(),
		NumParams:      dim,
		NumParamsModel: P,
		NumSamples:     s.N,
		Layer:          *layer,
		Block:          [2]int{begin, end},
		Loss:           h.Loss(),
		GradNorm:       floats.Norm(h.Gradient(), 2),
		GradNormBlock:  floats.Norm(h.Gradient()[begin:end], 2),
		Timings:        timings,
		Seed:           *seed,
		Configuration:  map[string]string{},
	}
	fs.VisitAll(func(f *flag.Flag) { rep.Configuration[f.Name] = f.Value.String() })
	title := fmt.Sprintf("%s %v, %s", meta.Activation, meta.Layers, s.Selection)
	if *layer != 0 {
		title = fmt.Sprintf("fc%d block of %s", *layer, title)
	}

	// Lanczos: top-k and bottom-k eigenpairs.
	if *topK+*bottomK > 0 {
		t0 = time.Now()
		lseed := iseed.Stream(*seed, 1)
		effMax := *maxIter
		if effMax == 0 {
			effMax = max(300, 10*max(*topK, *bottomK))
		}
		effMax = min(effMax, dim)
		p := a.newProgress("lanczos", effMax, *quiet)
		sp, err := hessian.Lanczos(op, *topK, *bottomK, hessian.LanczosOptions{
			Seed: lseed, MaxIter: *maxIter, Tol: *tol,
			Progress: func(it, mx int) { p.Update(it, "") },
		})
		p.Done()
		if err != nil {
			return err
		}
		rep.Eigenvalues, rep.Residuals = hessNonNil(sp.Top), hessNonNil(sp.TopResiduals)
		rep.EigenvaluesSmallest, rep.ResidualsSmallest = hessNonNil(sp.Bottom), hessNonNil(sp.BottomResiduals)
		rep.Lanczos = &hessLanczos{Iterations: sp.Iterations, Converged: sp.Converged, Tol: *tol, MaxIter: effMax, Seed: lseed}
		timings["lanczos"] = time.Since(t0).Seconds()
		if !sp.Converged && !*quiet {
			fmt.Fprintf(a.stderr, "sgn hessian: warning: Lanczos stopped at --max-iter %d before every residual reached --tol %g; see the residuals\n", effMax, *tol)
		}
		if err := hessian.PlotSpectrum(sp.Top, sp.Bottom, filepath.Join(*out, hessSpectrumBase), "Hessian eigenvalues (Lanczos), "+title); err != nil {
			return err
		}
		rep.Files = append(rep.Files, hessSpectrumBase+".png", hessSpectrumBase+".svg")
	}

	// Hutchinson's trace.
	if *trace {
		t0 = time.Now()
		tseed := iseed.Stream(*seed, 2)
		p := a.newProgress("trace", *traceMax, *quiet)
		est, err := hessian.Hutchinson(op, hessian.HutchinsonOptions{
			Seed: tseed, MinSamples: min(10, *traceMax), MaxSamples: *traceMax, Tol: *traceTol,
			Progress: func(d, mx int) { p.Update(d, "") },
		})
		p.Done()
		if err != nil {
			return err
		}
		rep.Trace = &hessTrace{Estimate: &est.Estimate, StdErr: &est.StdErr, Samples: est.Samples, Tol: *traceTol, Seed: tseed}
		timings["trace"] = time.Since(t0).Seconds()
	}

	// SLQ spectral density.
	if *density {
		t0 = time.Now()
		dseed := iseed.Stream(*seed, 3)
		steps := min(*slqSteps, dim)
		p := a.newProgress("density", *slqRuns*steps, *quiet)
		d, err := hessian.SLQ(op, hessian.SLQOptions{
			Seed: dseed, NumRuns: *slqRuns, Steps: steps,
			Progress: func(dn, tot int) { p.Update(dn, "") },
		})
		p.Done()
		if err != nil {
			return err
		}
		sg := *sigma
		if sg == 0 {
			// PyHessian's density_generate: σ² = 1e-5·max(1, λmax − λmin).
			sg = math.Sqrt(1e-5 * math.Max(1, slices.Max(d.Nodes)-slices.Min(d.Nodes)))
		}
		rep.Density = &hessDensity{Runs: d.NumRuns, Steps: d.Steps, Sigma: sg, Seed: dseed, Nodes: d.Nodes, Weights: d.Weights}
		if err := hessian.PlotDensity(d, sg, filepath.Join(*out, hessDensityBase), "Hessian spectral density (SLQ), "+title); err != nil {
			return err
		}
		rep.Files = append(rep.Files, hessDensityBase+".png", hessDensityBase+".svg")
		timings["density"] = time.Since(t0).Seconds()
	}

	// The whole matrix and its exact eigendecomposition.
	if *full {
		t0 = time.Now()
		p := a.newProgress("full", dim, *quiet)
		H, asym, err := hessian.Full(op, 64, func(d, tot int) { p.Update(d, "columns") })
		p.Done()
		if err != nil {
			return err
		}
		timings["full_assembly"] = time.Since(t0).Seconds()
		t0 = time.Now()
		f, vecs, err := hessDecompose(H, *saveMatrix, asym, fullBytes)
		if err != nil {
			return err
		}
		f.Top = make([]float64, *topK)
		for i := range f.Top {
			f.Top[i] = f.EigenvaluesAscending[dim-1-i]
		}
		f.Bottom = slices.Clone(f.EigenvaluesAscending[:*bottomK])
		scale := math.Max(math.Abs(f.EigenvaluesAscending[0]), math.Abs(f.EigenvaluesAscending[dim-1]))
		if rep.Lanczos != nil {
			if *topK > 0 {
				e := hessMaxRelDiff(rep.Eigenvalues, f.Top, scale)
				f.LanczosMaxRelErrorTop = &e
			}
			if *bottomK > 0 {
				e := hessMaxRelDiff(rep.EigenvaluesSmallest, f.Bottom, scale)
				f.LanczosMaxRelErrorBottom = &e
			}
		}
		rep.Full = f
		if rep.Trace == nil {
			rep.Trace = &hessTrace{}
		}
		rep.Trace.Exact = &f.Trace
		timings["full_eigen"] = time.Since(t0).Seconds()
		if *saveMatrix {
			t0 = time.Now()
			if err := hessSaveMatrix(filepath.Join(*out, hessMatrixFile), H, vecs, f.EigenvaluesAscending, rep); err != nil {
				return err
			}
			rep.Files = append(rep.Files, hessMatrixFile)
			timings["save_matrix"] = time.Since(t0).Seconds()
		}
	}

	timings["total"] = time.Since(start).Seconds()
	rep.Files = append([]string{hessJSONFile}, rep.Files...)
	js, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding %s: %w", hessJSONFile, err)
	}
	if err := atomicfile.WriteBytes(filepath.Join(*out, hessJSONFile), append(js, '\n')); err != nil {
		return err
	}
	hessSummary(a, rep, *out)
	return nil
}

// hessDecompose returns the eigenvalues (ascending) and trace of H and, when
// vectors, its eigenvectors (columns in the order of the eigenvalues).
func hessDecompose(H *mat.SymDense, vectors bool, asym float64, bytes int64) (*hessFull, *mat.Dense, error) {
	n := H.SymmetricDim()
	var es mat.EigenSym
	if !es.Factorize(H, vectors) {
		return nil, nil, fmt.Errorf("the dense eigendecomposition of the %d×%d Hessian did not converge", n, n)
	}
	f := &hessFull{EigenvaluesAscending: es.Values(nil), Asymmetry: asym, Bytes: bytes}
	var amax float64
	for i := 0; i < n; i++ {
		f.Trace += H.At(i, i)
		for j := i; j < n; j++ {
			amax = math.Max(amax, math.Abs(H.At(i, j)))
		}
	}
	if amax > 0 {
		f.AsymmetryRelative = asym / amax
	}
	var vecs *mat.Dense
	if vectors {
		vecs = mat.NewDense(n, n, nil)
		es.VectorsTo(vecs)
	}
	return f, vecs, nil
}

// hessSaveMatrix writes H (P×P), its eigenvectors (P×P, column i belongs to
// eigenvalue i) and the eigenvalues (ascending) as safetensors, float64,
// with the run's description in the metadata.
func hessSaveMatrix(path string, H *mat.SymDense, vecs *mat.Dense, vals []float64, rep *hessReport) error {
	n := H.SymmetricDim()
	// H's storage is n×n row-major with the upper triangle authoritative;
	// its lower triangle is filled in place (SymDense never reads it), so
	// the matrix is written without a copy. vecs is a fresh n×n Dense.
	raw := H.RawSymmetric()
	if raw.Uplo != blas.Upper || raw.Stride != n {
		return fmt.Errorf("internal: unexpected storage of the assembled Hessian")
	}
	a := raw.Data[:n*n]
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			a[j*n+i] = a[i*n+j]
		}
	}
	vr := vecs.RawMatrix()
	if vr.Stride != n {
		return fmt.Errorf("internal: unexpected storage of the eigenvectors")
	}
	v := vr.Data[:n*n]
	cfg, err := json.Marshal(rep.Config)
	if err != nil {
		return err
	}
	sel, err := json.Marshal(rep.Data)
	if err != nil {
		return err
	}
	meta := map[string]string{
		"format":      "sgn hessian",
		"version":     version,
		"checkpoint":  rep.Checkpoint,
		"config":      string(cfg),
		"data":        string(sel),
		"block":       fmt.Sprintf("[%d, %d)", rep.Block[0], rep.Block[1]),
		"description": "hessian: H (P×P) of the mean cross-entropy; eigenvectors: column i is the unit eigenvector of eigenvalues[i]; eigenvalues ascending",
	}
	return data.WriteSafetensors(path, []data.Tensor{
		{Name: "hessian", DType: data.DTypeF64, Shape: []int{n, n}, F64: a},
		{Name: "eigenvectors", DType: data.DTypeF64, Shape: []int{n, n}, F64: v},
		{Name: "eigenvalues", DType: data.DTypeF64, Shape: []int{n}, F64: vals},
	}, meta)
}

// hessSummary prints the short human summary on stdout.
func hessSummary(a *app, r *hessReport, out string) {
	w := a.stdout
	what := fmt.Sprintf("P = %d", r.NumParams)
	if r.Layer != 0 {
		what = fmt.Sprintf("layer %d block, %d of P = %d parameters", r.Layer, r.NumParams, r.NumParamsModel)
	}
	fmt.Fprintf(w, "Hessian of %s: %s, N = %d (%s)\n", r.Checkpoint, what, r.NumSamples, r.Data.Description)
	if r.Layer != 0 {
		fmt.Fprintf(w, "loss %.6g, gradient norm %.4g (layer %d block: %.4g)\n", r.Loss, r.GradNorm, r.Layer, r.GradNormBlock)
	} else {
		fmt.Fprintf(w, "loss %.6g, gradient norm %.4g\n", r.Loss, r.GradNorm)
	}
	if r.Lanczos != nil {
		conv := "converged"
		if !r.Lanczos.Converged {
			conv = "NOT converged"
		}
		if len(r.Eigenvalues) > 0 {
			fmt.Fprintf(w, "top eigenvalues: %s (Lanczos, %d iterations, %s)\n", hessJoin(r.Eigenvalues, 5), r.Lanczos.Iterations, conv)
		}
		if len(r.EigenvaluesSmallest) > 0 {
			fmt.Fprintf(w, "smallest eigenvalues: %s\n", hessJoin(r.EigenvaluesSmallest, 5))
		}
	}
	if t := r.Trace; t != nil {
		switch {
		case t.Estimate != nil && t.Exact != nil:
			fmt.Fprintf(w, "trace: %.6g ± %.2g (Hutchinson, %d probes); exact %.6g\n", *t.Estimate, *t.StdErr, t.Samples, *t.Exact)
		case t.Estimate != nil:
			fmt.Fprintf(w, "trace: %.6g ± %.2g (Hutchinson, %d probes)\n", *t.Estimate, *t.StdErr, t.Samples)
		case t.Exact != nil:
			fmt.Fprintf(w, "trace: %.6g (exact)\n", *t.Exact)
		}
	}
	if f := r.Full; f != nil {
		ev := f.EigenvaluesAscending
		fmt.Fprintf(w, "full: eigenvalues from %.6g to %.6g, asymmetry %.2g relative", ev[0], ev[len(ev)-1], f.AsymmetryRelative)
		if f.LanczosMaxRelErrorTop != nil {
			fmt.Fprintf(w, ", Lanczos top-k error %.2g", *f.LanczosMaxRelErrorTop)
		}
		if f.LanczosMaxRelErrorBottom != nil {
			fmt.Fprintf(w, ", bottom-k error %.2g", *f.LanczosMaxRelErrorBottom)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "wrote %s in %s (%.1f s)\n", strings.Join(r.Files, ", "), out, r.Timings["total"])
}

// hessJoin formats the first n values of x.
func hessJoin(x []float64, n int) string {
	var parts []string
	for i, v := range x {
		if i == n {
			parts = append(parts, "…")
			break
		}
		parts = append(parts, strconv.FormatFloat(v, 'g', 6, 64))
	}
	return strings.Join(parts, " ")
}

// hessMaxRelDiff returns max_i |a_i − b_i| / scale.
func hessMaxRelDiff(a, b []float64, scale float64) float64 {
	var d float64
	for i := range a {
		d = math.Max(d, math.Abs(a[i]-b[i]))
	}
	if scale == 0 {
		return d
	}
	return d / scale
}

// hessNonNil returns x, or an empty slice for nil (so JSON shows []).
func hessNonNil(x []float64) []float64 {
	if x == nil {
		return []float64{}
	}
	return x
}

// hessMulSat returns a·b, saturating at math.MaxInt64.
func hessMulSat(a, b int64) int64 {
	if a != 0 && b > math.MaxInt64/a {
		return math.MaxInt64
	}
	return a * b
}

// hessParseBytes parses a memory size: a number of bytes with an optional
// unit, KiB, MiB, GiB, TiB (powers of 1024; K, M, G, T too) or KB, MB, GB, TB
// (powers of 1000).
func hessParseBytes(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := len(t)
	for i > 0 && (t[i-1] < '0' || t[i-1] > '9') && t[i-1] != '.' {
		i--
	}
	num, unit := strings.TrimSpace(t[:i]), strings.TrimSpace(t[i:])
	mult := map[string]float64{
		"": 1, "B": 1,
		"K": 1 << 10, "KiB": 1 << 10, "M": 1 << 20, "MiB": 1 << 20, "G": 1 << 30, "GiB": 1 << 30, "T": 1 << 40, "TiB": 1 << 40,
		"KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12,
	}[unit]
	if mult == 0 {
		return 0, fmt.Errorf("unknown unit %q: want a size such as 512MiB, 8GiB or 16GB", unit)
	}
	x, err := strconv.ParseFloat(num, 64)
	if err != nil || x <= 0 || math.IsInf(x, 0) {
		return 0, fmt.Errorf("want a positive size such as 512MiB, 8GiB or 16GB")
	}
	if x*mult >= math.MaxInt64 {
		return math.MaxInt64, nil
	}
	return int64(x * mult), nil
}

// hessFormatBytes formats a size with a binary unit, e.g. "11.8 MiB".
func hessFormatBytes(b int64) string {
	if b == math.MaxInt64 {
		return "more than 8 EiB"
	}
	units := []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	x := float64(b)
	u := 0
	for x >= 1024 && u < len(units)-1 {
		x /= 1024
		u++
	}
	if u == 0 {
		return fmt.Sprintf("%d B", b)
	}
	return fmt.Sprintf("%.1f %s (%d bytes)", x, units[u], b)
}
