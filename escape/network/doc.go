// Package network is the network landscape of the escape experiments
// (Xie, Sato & Sugiyama, "A Diffusion Theory for Deep Learning Dynamics:
// SGD Exponentially Favors Flat Minima", ICLR 2021, Theorems 1 and 2
// measured on MLPs): an MLP on MNIST with weight decay (Spec) brought to a
// minimum θ₀ by L-BFGS and Newton–CG or gradient descent (PrepareMinimum,
// train/minimum), with the extreme Hessian eigenvalues and a verdict
// (minimum, saddle, not converged, none) in minimum.json (Minimum), and
// its simulators (Factory): sgd, sgd-gaussian, sgld and gd from θ₀ at any
// sharpness k, on a model/replica engine per goroutine, until the loss or
// distance criterion says the run escaped. It knows no sweeps: package
// escape/kramers runs its points, escape/equilibrium re-simulates them
// (EscapeDisplacement).
//
// Randomness: a run's simulator draws from its own PCG generator
// (math/rand/v2, rand.NewPCG(seed, escape.PCGStream)) and ziggurat
// normals, so a seed gives the same run whatever the number of workers.
package network
