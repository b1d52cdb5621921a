package main

import (
	"flag"
	"fmt"

	"github.com/sgn-project/sgn/hessian/analysis"
	"github.com/sgn-project/sgn/internal/cli"
	"github.com/sgn-project/sgn/internal/domain"
)

const hessianExample = `sgn hessian --checkpoint out/figure-model/model.safetensors --first 2000 \
    --top-k 20 --bottom-k 5 --trace --density --full --out out/hessian
sgn hessian --checkpoint out/mnist-model/model.safetensors --first 10000 --top-k 20 --out out/hessian-mnist
sgn hessian --checkpoint out/figure-model/model.safetensors --layer 2 --full --save-matrix --out out/hessian-fc2
sgn hessian --checkpoint out/figure-model/model.safetensors --top-k 10 --save-vectors --out out/hessian-vectors`

// runHessian implements 'sgn hessian': flags, the checkpoint and its data
// selection, analysis.Run, the summary.
func runHessian(a *app, args []string) error {
	var o analysis.Options
	fs := a.newFlagSet("hessian", "hessian --checkpoint FILE [flags]", hessianExample)
	in := inputFlags(fs, "model checkpoint (`file`.safetensors written by sgn train, or a PyTorch state_dict: see --activation); required", 2000, "the Hessian of the mean loss", "buffers (the cached passes over the samples, the Lanczos basis, the SLQ basis, the dense matrices of --full)")
	fs.IntVar(&o.TopK, "top-k", 20, "number of largest eigenvalues by Lanczos")
	fs.IntVar(&o.BottomK, "bottom-k", 0, "number of smallest eigenvalues by Lanczos")
	fs.IntVar(&o.MaxIter, "max-iterations", 0, "cap on the Lanczos Krylov dimension (left out: min(P, max(300, 10k)))")
	cli.Deprecate(fs, a.stderr, "hessian", "max-iter", "max-iterations")
	fs.Float64Var(&o.Tol, "tol", 1e-6, "Lanczos stopping tolerance: every residual ‖Hv − λv‖ ≤ tol·max|λ|")
	fs.BoolVar(&o.Trace, "trace", false, "estimate the trace by Hutchinson's method (Rademacher probes)")
	fs.Float64Var(&o.TraceTol, "trace-tol", 1e-2, "Hutchinson stops when stderr ≤ trace-tol·|estimate| (after 10 probes) or at --trace-max")
	fs.IntVar(&o.TraceMax, "trace-max", 1000, "Hutchinson's maximum number of probes")
	fs.BoolVar(&o.Density, "density", false, "spectral density by stochastic Lanczos quadrature (figure density.png/.svg)")
	fs.IntVar(&o.SLQRuns, "slq-runs", 5, "SLQ: number of random start vectors")
	fs.IntVar(&o.SLQSteps, "slq-steps", 100, "SLQ: Lanczos steps per start vector")
	fs.Float64Var(&o.Sigma, "sigma", 0, "SLQ: width of the Gaussian smoothing (left out: as PyHessian, σ = √(1e-5·max(1, λmax−λmin)) over the SLQ nodes)")
	fs.BoolVar(&o.Full, "full", false, "assemble the whole Hessian and decompose it exactly (small models)")
	fs.IntVar(&o.Layer, "layer", 0, "restrict to the diagonal block of layer `L` (1-based: fcL.weight and fcL.bias)")
	fs.BoolVar(&o.SaveMatrix, "save-matrix", false, "with --full, write H, its eigenvectors and eigenvalues to hessian.safetensors")
	fs.BoolVar(&o.SaveVectors, "save-vectors", false, "write the Lanczos eigenvectors of --top-k and --bottom-k (any P) to eigenvectors.safetensors: top_vectors k×P, top_eigenvalues, bottom_…")
	fs.Uint64Var(&o.Seed, "seed", 1, "seed of the random vectors (Lanczos start, Hutchinson probes, SLQ starts)")
	cli.WorkersVar(fs, &o.Workers, "the Hessian-vector products")
	out := fs.String("out", "out/hessian", "output `folder` (created if missing)")
	quiet := fs.Bool("quiet", false, "no progress on stderr")
	if err := cli.Parse(fs, args, false); err != nil {
		return err
	}
	// The values that need no file, and the flags given together
	// (analysis.Options.Validate).
	set := cli.Given(fs)
	if err := domain.First(in.parse(), libraryUsage(o.Validate(), nil), cli.CheckGiven(fs, set, domain.PositiveInt, "max-iterations", "layer"),
		cli.CheckGiven(fs, set, domain.Positive, "sigma")); err != nil {
		return err
	}
	o.MaxMemory = in.lim.memory
	m, meta, err := in.lim.loadCheckpoint(*in.ckpt)
	if err != nil {
		return err
	}
	release, err := claimOut(*out)
	if err != nil {
		return err
	}
	defer release()
	sel, err := selectionFor(*in.sel, set["first"], meta)
	if err != nil {
		return err
	}
	if err := in.lim.checkData(sel); err != nil {
		return err
	}
	o.OutDir, o.Version, o.Configuration = *out, version, map[string]string{}
	fs.VisitAll(func(fl *flag.Flag) { o.Configuration[fl.Name] = fl.Value.String() })
	if !*quiet {
		if err := a.sayLoading("hessian", sel); err != nil {
			return err
		}
	}
	update, end := cli.Stages(a.stderr, a.isTerminal, "", *quiet, map[string]string{analysis.StageFull: "columns"})
	o.Progress, o.Removed = update, a.removed("hessian", *out, *quiet)
	rep, err := analysis.Run(m, meta, *in.ckpt, sel, o)
	end()
	if err != nil {
		return libraryUsage(err, nil)
	}
	if l := rep.Lanczos; l != nil && !l.Converged && !*quiet {
		fmt.Fprintf(a.stderr, "sgn hessian: warning: Lanczos stopped at --max-iterations %d before every residual reached --tol %g; see the residuals\n", l.MaxIter, l.Tol)
	}
	return rep.WriteText(a.stdout)
}
