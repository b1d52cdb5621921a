// Package sharpness measures which minima minibatch SGD selects on MNIST
// networks: a sweep of training runs over batch size B and learning rate η
// from one initialisation on one data selection, each ending with the
// sharpness of the minimum it reached (λmax(H) by Lanczos, tr H exactly or
// by Hutchinson), and fits of log sharpness against log(η/B).
//
// Xie, Sato & Sugiyama (ICLR 2021, Theorem 2) predict that SGD escapes
// sharp minima exponentially faster when η/B is large, so that SGD with a
// larger η/B ends in flatter minima; Jastrzębski et al. ("Three factors
// influencing minima in SGD", 2017) and Keskar et al. (ICLR 2017) report the
// same on networks. The runs go through the project's sweep machinery
// (internal/sweep): a run is one training run, so a grid of hundreds of runs
// shards into a Slurm array, resumes and merges like the escape sweeps.
package sharpness
