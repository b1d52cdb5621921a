// Package selection measures minima selection on the two-valley landscape
// twowell: how much more time SGD and SGLD spend in a flat valley than in a
// sharp one, against the escape theory of Xie, Sato & Sugiyama, "A
// Diffusion Theory for Deep Learning Dynamics: Stochastic Gradient Descent
// Exponentially Favors Flat Minima" (ICLR 2021), Theorems 1 and 2.
//
// The pieces:
//
//   - The landscape is the escape package's escape.TwoWell (a sharp
//     valley a₁ and a flat valley a₂ on either side of a col) and its
//     finite sum escape.FiniteSum (minibatch noise of covariance exactly
//     S(θ)/B).
//   - Dynamics (Simulator): sgld, sgd-diffusion-finite-sum (Gaussian noise of
//     covariance η²S(θ)/B), sgd (true minibatch SGD on the finite sum) and
//     sgd-diffusion-abs-h (the escape package's η²|H(θ)|/B, whose noise
//     vanishes at the inflection points on every 1-D escape path). Long
//     trajectories (Replica) count the time on each side of the col and
//     the transitions between valleys, a transition being a change of the
//     valley last reached half way from the col to its minimum.
//   - Measurement (Measure): the occupancy ratio P(flat)/P(sharp) with a
//     95% interval from the spread of independent replicas, and the rates
//     γ(a₁→a₂), γ(a₂→a₁) per unit time t = η·steps by the censored
//     exponential maximum likelihood of the escape package (transitions
//     over exposure, exact Garwood interval).
//   - Theory (Predict): Theorem 1's and Theorem 2's rates and ratios
//     from the exact Hessians, and in 1-D the exact ratio of the
//     continuous-time process (ExactRatio1D).
//   - Sweeps (Config, Sweep, Merge, Read) on internal/sweep, fits of the
//     log ratio against B/η (SGD kinds, with the s the slope implies) and
//     1/D (sgld) (FitAll), selection.json, selection.csv and the figure
//     (Report, DrawFigure).
//
// Replica r of point p of a sweep with seed s uses the PCG generator
// seeded by seed.Derive(s, p, r), so results do not depend on the number
// of workers or on sharding.
package selection
