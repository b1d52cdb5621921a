package analysis

import (
	"fmt"
	"io"
	"strconv"
	"strings"
)

// WriteText writes the summary of sgn hessian: what was analysed, the
// loss and gradient, the extreme eigenvalues (Lanczos), the trace
// (Hutchinson or exact), the full spectrum's range and the files.
func (r *Report) WriteText(w io.Writer) error {
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
			fmt.Fprintf(w, "top eigenvalues: %s (Lanczos, %d iterations, %s)\n", joinFirst(r.Eigenvalues, 5), r.Lanczos.Iterations, conv)
		}
		if len(r.EigenvaluesSmallest) > 0 {
			fmt.Fprintf(w, "smallest eigenvalues: %s\n", joinFirst(r.EigenvaluesSmallest, 5))
		}
	}
	if t := r.Trace; t != nil {
		switch {
		case t.Estimate != nil && t.Exact != nil:
			fmt.Fprintf(w, "trace: %.6g ± %.2g (Hutchinson, %s); exact %.6g\n", *t.Estimate, *t.StdErr, t.probes(), *t.Exact)
		case t.Estimate != nil:
			fmt.Fprintf(w, "trace: %.6g ± %.2g (Hutchinson, %s)\n", *t.Estimate, *t.StdErr, t.probes())
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
	_, err := fmt.Fprintf(w, "wrote %s in %s (%.1f s)\n", strings.Join(r.Files, ", "), r.dir, r.Timings["total"])
	return err
}

// probes says how many probes Hutchinson took and, when it stopped at its
// cap short of its tolerance, that it did and the relative standard error
// it reached.
func (t *Trace) probes() string {
	if t.Converged == nil || *t.Converged || t.RelStdErr == nil {
		return fmt.Sprintf("%d probes", t.Samples)
	}
	return fmt.Sprintf("%d probes: did NOT reach the tolerance %.2g, relative standard error %.2g", t.Samples, t.Tol, *t.RelStdErr)
}

// joinFirst formats the first n values of x.
func joinFirst(x []float64, n int) string {
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
