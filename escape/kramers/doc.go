// Package kramers measures escape rates of SGD and SGLD from minima and
// checks them against Kramers' escape theory as stated by Xie, Sato &
// Sugiyama ("A Diffusion Theory for Deep Learning Dynamics: SGD
// Exponentially Favors Flat Minima", ICLR 2021), Theorems 1 and 2: the
// sweeps behind `sgn escape` and its six-panel figure. The landscapes,
// dynamics and theory it measures against are those of package escape.
//
// The pieces:
//
//   - Network landscapes: Config.Network, a network.Spec (package
//     escape/network: an MLP on MNIST brought to a minimum θ₀ and its
//     simulators); NetworkSweep prepares the minimum into the sweep folder
//     and runs the points through NetworkFactory.
//   - Rates (EstimateRate): escape.CensoredRate over the runs of a point,
//     per step and per unit time t = η·steps; theory (AnalyticPrediction):
//     escape.AnalyticPrediction on the point's setting.
//   - Sweeps (Config, Sweep, Merge, ReadSweep): a grid of points, one
//     JSON line per run, resumable, shardable, mergeable, on the generic
//     machinery of internal/sweep. Sweep takes a Factory that builds a
//     Simulator per point (Run(seed) → Outcome); Merge also copies a
//     network sweep's minimum.json.
//   - Fits (PointRates, FitRelations, WriteFit): −log γ against 1/k, B and
//     1/η (SGD) and against log k and 1/D (SGLD), with figures.
//   - Commands (RunOne, RunSweep, Fit, SaveBuiltin, RunFigure): what each
//     'sgn escape' subcommand does, one call each; InspectFolder and
//     StartRun decide what an output folder may hold.
//
// Randomness: every run has its own seed RunSeed(sweep seed, point, run)
// (SplitMix64) and its own PCG generator (math/rand/v2, rand.NewPCG(seed,
// escape.PCGStream)). Results are therefore identical whatever the number
// of workers or shards.
package kramers
