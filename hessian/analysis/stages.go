package analysis

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"time"

	"github.com/sgn-project/sgn/data"
	"github.com/sgn-project/sgn/hessian"
	"github.com/sgn-project/sgn/internal/atomicfile"
	"github.com/sgn-project/sgn/internal/seed"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/mat"
)

// lanczos computes the top-k and bottom-k eigenpairs and draws them.
func (r *runner) lanczos() error {
	o := r.o
	if o.TopK+o.BottomK == 0 {
		return nil
	}
	t0 := time.Now()
	lseed := seed.Stream(o.Seed, lanczosStream)
	lo := hessian.LanczosOptions{Seed: lseed, MaxIter: o.MaxIter, Tol: o.Tol}
	// The cap on the products, raised when the basis is restarted: the
	// total the progress reports and the report records.
	effMax, err := hessian.LanczosMaxProducts(r.op.Dim(), o.TopK, o.BottomK, lo)
	if err != nil {
		return err
	}
	prog := r.progress(StageLanczos)
	lo.Progress = func(it, _ int) { prog(it, effMax) }
	sp, err := hessian.Lanczos(r.op, o.TopK, o.BottomK, lo)
	if err != nil {
		return err
	}
	rep := r.rep
	rep.Eigenvalues, rep.Residuals = nonNil(sp.Top), nonNil(sp.TopResiduals)
	rep.EigenvaluesSmallest, rep.ResidualsSmallest = nonNil(sp.Bottom), nonNil(sp.BottomResiduals)
	rep.Lanczos = &Lanczos{Iterations: sp.Iterations, Converged: sp.Converged, Tol: o.Tol, MaxIter: effMax, Seed: lseed}
	r.timings["lanczos"] = time.Since(t0).Seconds()
	if err := hessian.PlotSpectrum(sp.Top, sp.Bottom, filepath.Join(o.OutDir, SpectrumBase), "Hessian eigenvalues (Lanczos), "+r.title); err != nil {
		return err
	}
	rep.Files = append(rep.Files, SpectrumBase+".png", SpectrumBase+".svg")
	if o.SaveVectors {
		if err := saveVectors(filepath.Join(o.OutDir, VectorsFile), sp, rep); err != nil {
			return err
		}
		rep.Files = append(rep.Files, VectorsFile)
	}
	return nil
}

// saveVectors writes the Lanczos eigenpairs of sp as safetensors, float64,
// in PyTorch's layout: top_vectors (k×n, row i the unit eigenvector of
// top_eigenvalues[i], descending), bottom_vectors and bottom_eigenvalues
// (ascending) likewise, n the dimension analysed (P, or the layer's block,
// whose range in θ the metadata gives).
func saveVectors(path string, sp *hessian.Spectrum, rep *Report) error {
	var ts []data.Tensor
	for _, s := range []struct {
		name string
		vals []float64
		vecs *mat.Dense
	}{{"top", sp.Top, sp.TopVectors}, {"bottom", sp.Bottom, sp.BottomVectors}} {
		if len(s.vals) == 0 || s.vecs == nil {
			continue
		}
		n, k := s.vecs.Dims()
		rows := make([]float64, k*n)
		for i := 0; i < k; i++ {
			for j := 0; j < n; j++ {
				rows[i*n+j] = s.vecs.At(j, i)
			}
		}
		ts = append(ts,
			data.Tensor{Name: s.name + "_vectors", DType: data.DTypeF64, Shape: []int{k, n}, F64: rows},
			data.Tensor{Name: s.name + "_eigenvalues", DType: data.DTypeF64, Shape: []int{k}, F64: append([]float64(nil), s.vals...)})
	}
	meta, err := fileMeta(rep, "top_vectors: row i is the unit eigenvector of top_eigenvalues[i] (descending), by Lanczos; bottom_vectors and bottom_eigenvalues (ascending) likewise; block: the range of θ the vectors index")
	if err != nil {
		return err
	}
	return data.WriteSafetensors(path, ts, meta)
}

// fileMeta is the safetensors metadata of an output file: the run's
// description and what the tensors are.
func fileMeta(rep *Report, description string) (map[string]string, error) {
	cfg, err := json.Marshal(rep.Config)
	if err != nil {
		return nil, err
	}
	sel, err := json.Marshal(rep.Data)
	if err != nil {
		return nil, err
	}
	return map[string]string{
		"format":      "sgn hessian",
		"version":     rep.Version,
		"checkpoint":  rep.Checkpoint,
		"config":      string(cfg),
		"data":        string(sel),
		"block":       fmt.Sprintf("[%d, %d)", rep.Block[0], rep.Block[1]),
		"description": description,
	}, nil
}

// trace estimates the trace by Hutchinson's method.
func (r *runner) trace() error {
	o := r.o
	if !o.Trace {
		return nil
	}
	t0 := time.Now()
	tseed := seed.Stream(o.Seed, traceStream)
	prog := r.progress(StageTrace)
	est, err := hessian.Hutchinson(r.op, hessian.HutchinsonOptions{
		Seed: tseed, MinSamples: min(10, o.TraceMax), MaxSamples: o.TraceMax, Tol: o.TraceTol,
		Progress: func(d, _ int) { prog(d, o.TraceMax) },
	})
	if err != nil {
		return err
	}
	rel := est.RelStdErr()
	r.rep.Trace = &Trace{Estimate: &est.Estimate, StdErr: &est.StdErr, RelStdErr: &rel, Samples: est.Samples, Tol: o.TraceTol,
		Converged: &est.Converged, Seed: tseed}
	r.timings["trace"] = time.Since(t0).Seconds()
	return nil
}

// density estimates the spectral density by SLQ and draws it.
func (r *runner) density() error {
	o := r.o
	if !o.Density {
		return nil
	}
	t0 := time.Now()
	dseed := seed.Stream(o.Seed, densityStream)
	steps := min(o.SLQSteps, r.pl.dim)
	prog := r.progress(StageDensity)
	d, err := hessian.SLQ(r.op, hessian.SLQOptions{
		Seed: dseed, NumRuns: o.SLQRuns, Steps: steps,
		Progress: func(dn, _ int) { prog(dn, o.SLQRuns*steps) },
	})
	if err != nil {
		return err
	}
	sg := o.Sigma
	if sg == 0 {
		sg = hessian.DefaultSigma(d)
	}
	r.rep.Density = &Density{Runs: d.NumRuns, Steps: d.Steps, Sigma: sg, Seed: dseed, Nodes: d.Nodes, Weights: d.Weights}
	if err := hessian.PlotDensity(d, sg, filepath.Join(o.OutDir, DensityBase), "Hessian spectral density (SLQ), "+r.title); err != nil {
		return err
	}
	grid, phi := d.Curve(sg)
	if err := atomicfile.Write(filepath.Join(o.OutDir, DensityCSV), func(w io.Writer) error {
		bw := bufio.NewWriter(w)
		fmt.Fprintln(bw, "lambda,density")
		for i := range grid {
			fmt.Fprintf(bw, "%s,%s\n", strconv.FormatFloat(grid[i], 'g', -1, 64), strconv.FormatFloat(phi[i], 'g', -1, 64))
		}
		return bw.Flush()
	}); err != nil {
		return err
	}
	r.rep.Files = append(r.rep.Files, DensityBase+".png", DensityBase+".svg", DensityCSV)
	r.timings["density"] = time.Since(t0).Seconds()
	return nil
}

// full assembles the matrix, decomposes it exactly, compares Lanczos with
// it and (SaveMatrix) writes it.
func (r *runner) full() error {
	o, rep := r.o, r.rep
	if !o.Full {
		return nil
	}
	t0 := time.Now()
	H, asym, err := hessian.Full(r.op, fullBlockSize, r.progress(StageFull))
	if err != nil {
		return err
	}
	r.timings["full_assembly"] = time.Since(t0).Seconds()
	t0 = time.Now()
	eig, err := hessian.Decompose(H, o.SaveMatrix)
	if err != nil {
		return fmt.Errorf("the Hessian: %w", err)
	}
	f := &Full{EigenvaluesAscending: eig.Values, Top: eig.Top(o.TopK), Bottom: eig.Bottom(o.BottomK),
		Trace: eig.Trace, Asymmetry: asym, Bytes: r.pl.fullBytes}
	if eig.MaxAbs > 0 {
		f.AsymmetryRelative = asym / eig.MaxAbs
	}
	if rep.Lanczos != nil {
		scale := eig.SpectralScale()
		if o.TopK > 0 {
			e := hessian.MaxRelError(rep.Eigenvalues, f.Top, scale)
			f.LanczosMaxRelErrorTop = &e
		}
		if o.BottomK > 0 {
			e := hessian.MaxRelError(rep.EigenvaluesSmallest, f.Bottom, scale)
			f.LanczosMaxRelErrorBottom = &e
		}
	}
	rep.Full = f
	if rep.Trace == nil {
		rep.Trace = &Trace{}
	}
	rep.Trace.Exact = &f.Trace
	r.timings["full_eigen"] = time.Since(t0).Seconds()
	if !o.SaveMatrix {
		return nil
	}
	t0 = time.Now()
	if err := saveMatrix(filepath.Join(o.OutDir, MatrixFile), H, eig.Vectors, eig.Values, rep); err != nil {
		return err
	}
	rep.Files = append(rep.Files, MatrixFile)
	r.timings["save_matrix"] = time.Since(t0).Seconds()
	return nil
}

// saveMatrix writes H (n×n), its eigenvectors (n×n, column i belongs to
// eigenvalue i) and the eigenvalues (ascending) as safetensors, float64,
// with the run's description in the metadata.
func saveMatrix(path string, H *mat.SymDense, vecs *mat.Dense, vals []float64, rep *Report) error {
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
	meta, err := fileMeta(rep, "hessian: H (P×P) of the mean cross-entropy; eigenvectors: column i is the unit eigenvector of eigenvalues[i]; eigenvalues ascending")
	if err != nil {
		return err
	}
	return data.WriteSafetensors(path, []data.Tensor{
		{Name: "hessian", DType: data.DTypeF64, Shape: []int{n, n}, F64: a},
		{Name: "eigenvectors", DType: data.DTypeF64, Shape: []int{n, n}, F64: vr.Data[:n*n]},
		{Name: "eigenvalues", DType: data.DTypeF64, Shape: []int{n}, F64: vals},
	}, meta)
}

// nonNil returns x, or an empty slice for nil (so JSON shows []).
func nonNil(x []float64) []float64 {
	if x == nil {
		return []float64{}
	}
	return x
}
