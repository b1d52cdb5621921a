package minimum

import (
	"fmt"
	"io"
)

// WriteText writes the summary of sgn minimum: the loss at the start and at
// θ₀ with the iterations taken, the extreme eigenvalues of H(θ₀) that tell
// a minimum from a saddle, and the verdict.
func (r *Report) WriteText(w io.Writer) error {
	fmt.Fprintf(w, "start: loss %.6g (CE %.6g, accuracy %.4g), ‖∇L‖ %.3g\n", r.Start.Loss, r.Start.CrossEntropy, r.Start.Accuracy, r.Start.GradNorm)
	fmt.Fprintf(w, "θ₀: loss %.6g (CE %.6g, accuracy %.4g), ‖∇L‖ %.3g, ‖∇CE‖ %.3g after %d L-BFGS + %d Newton–CG iterations\n",
		r.Minimum.Loss, r.Minimum.CrossEntropy, r.Minimum.Accuracy, r.Minimum.GradNorm, r.Minimum.GradNormCE, r.LBFGSIterations, r.NewtonIterations)
	fmt.Fprintf(w, "H(θ₀) = ∇²CE + λI: λmin %.4g, λmax %.4g (Lanczos, %d products)\n", r.LambdaMin, r.LambdaMax, r.LanczosIterations)
	_, err := fmt.Fprintf(w, "%s\n", r.Verdict)
	return err
}
