// Package escape is the science that every escape experiment shares: how
// SGD and SGLD leave minima, according to Kramers' escape theory as stated
// by Xie, Sato & Sugiyama ("A Diffusion Theory for Deep Learning Dynamics:
// SGD Exponentially Favors Flat Minima", ICLR 2021), Theorems 1 and 2. It
// reads and writes no files and knows no networks or data; the
// experiments live beneath it (escape/kramers: escape-rate sweeps and the
// six-panel figure; escape/selection: minima selection on two valleys;
// escape/sharpness: the sharpness SGD reaches on MNIST networks;
// escape/equilibrium: fluctuations around a minimum).
//
// The pieces:
//
//   - Analytic landscapes with exact gradient and Hessian (Landscape,
//     NewLandscape): the double well L(x) = ΔL(kx² − 1)², its n-D version
//     with chosen transverse curvatures, and the n-D Styblinski–Tang
//     function, and the two-valley landscape TwoWell (a sharp and a flat
//     minimum either side of a col; name "twowell", runs start in the sharp
//     valley). Sharpness k is the reparametrisation θ → √k·θ. The finite
//     sum FiniteSum of the two-well has minibatch noise of covariance
//     exactly S(θ)/B (escape/selection).
//   - Dynamics (the typed Dynamics and its one table, dynamics.go): sgld,
//     sgd-diffusion (noise covariance η²·|H(θ)|/B) and gd on analytic
//     landscapes (AnalyticSimulator); sgd, sgd-gaussian, sgld and gd on
//     networks (NetworkStepper, run by escape/network); sgld, sgd and the
//     finite-sum diffusions on the two-well (TwoWellStepper, run by
//     escape/selection). A Point is one setting of a dynamics on a
//     landscape; runs start at the minimum, with an exact first-crossing
//     escape step (Criterion) or right-censoring at MaxSteps.
//   - Theory: Theorem 1 and Theorem 2 from the exact Hessians at the
//     minimum and the col (ValleyCurvature, AnalyticPrediction), with s
//     solved from a measured rate (Theorem2S); in 1-D the exact mean
//     first-passage time and rate of the continuous process
//     (ExactRate1D, by escape/firstpassage) and of the finite-step chains
//     (ExactChainSteps1D).
//   - Rates: the censored maximum-likelihood rate escapes/exposure with
//     its exact 95% interval (CensoredRate).
//
// Randomness: a run's PCG generator (math/rand/v2, rand.NewPCG(seed,
// PCGStream)) is seeded by the caller; normals come from a ziggurat over
// the PCG's 64-bit output (internal/normal). The same seed gives the same run.
//
// SGD-diffusion in 1-D. With C = |H|/B the noise vanishes where L″ = 0: on
// the double well at x = ±1/√(3k), between the minimum and the col. In
// continuous time the diffusion D(x) = η|L″(x)|/(2B) vanishes linearly
// there while the drift pushes back towards the minimum, so the process
// cannot cross that point at all when η/B is small (Feller's boundary
// classification); the discrete process crosses it only by jumps of size
// O(η). Escapes of sgd-diffusion in 1-D therefore depend on the finite step
// more than Theorem 2 (derived with D ≈ ηH_a/(2B) near a and η|H_b|/(2B)
// near b) assumes; the s solved from the measured rate shows by how much.
package escape
