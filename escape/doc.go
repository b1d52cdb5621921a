// Package escape measures how SGD and SGLD escape from minima and checks the
// measurement against Kramers' escape theory as stated by Xie, Sato &
// Sugiyama ("A Diffusion Theory for Deep Learning Dynamics: SGD
// Exponentially Favors Flat Minima", ICLR 2021), Theorems 1 and 2.
//
// The pieces:
//
//   - Analytic landscapes with exact gradient and Hessian (Landscape,
//     NewLandscape): the double well L(x) = ΔL(kx² − 1)², its n-D version
//     with chosen transverse curvatures, and the n-D Styblinski–Tang
//     function. Sharpness k is the reparametrisation θ → √k·θ.
//   - Dynamics (the typed Dynamics and its one table, dynamics.go): sgld,
//     sgd-diffusion (noise covariance η²·|H(θ)|/B) and gd on analytic
//     landscapes (AnalyticSimulator); sgd, sgd-gaussian, sgld and gd on
//     networks (NetworkFactory). Runs start at the minimum, with an exact
//     first-crossing escape step or right-censoring at max_steps.
//   - Network landscapes (NetworkSpec, PrepareMinimum): an MLP on MNIST
//     with weight decay, brought to a minimum θ₀ by L-BFGS and Newton–CG
//     (minimize), with the extreme Hessian eigenvalues and a verdict
//     (minimum, saddle, not converged, none) in minimum.json.
//   - Rates (EstimateRate): the censored maximum-likelihood rate
//     escapes/exposure with an exact 95% interval, per step and per unit
//     time t = η·steps; theory (AnalyticPrediction): Theorem 1, Theorem 2
//     with s solved from the measured rate, and in 1-D the exact rate of the
//     continuous process.
//   - Sweeps (Config, Sweep, Merge, ReadSweep): a grid of points, one
//     JSON line per run, resumable, shardable, mergeable, on the generic
//     machinery of internal/sweep. Sweep takes a Factory that builds a
//     Simulator per point (Run(seed) → Outcome); Merge also copies a
//     network sweep's minimum.json.
//   - Fits (PointRates, FitRelations, WriteFit): −log γ against 1/k, B and
//     1/η (SGD) and against log k and 1/D (SGLD), with figures.
//   - Commands (RunOne, RunSweep, Fit, SaveBuiltin, RunFigure): what each
//     'sgn escape' subcommand does, one call each.
//
// Randomness: every run has its own seed RunSeed(sweep seed, point, run)
// (SplitMix64) and its own PCG generator (math/rand/v2, rand.NewPCG(seed,
// stream)); normals come from a ziggurat over the PCG's 64-bit output
// (Ziggurat). Results are therefore identical whatever the number of
// workers or shards.
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
