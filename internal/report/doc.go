// Package report turns the output folders of sgn's experiments into one
// page of the paper's claims (Xie, Sato & Sugiyama, "A Diffusion Theory for
// Deep Learning Dynamics: Stochastic Gradient Descent Exponentially Favors
// Flat Minima", ICLR 2021), each with what was measured, what the theory
// predicts, a verdict and the rule that decided it.
//
// It reads only files (covariance.json, noise.json, fit.json of an SGLD
// sweep, figure.json of the escape figure, selection.json,
// selection-networks.json, equilibrium.json); it recomputes nothing, so
// folders from another machine or merged cluster sweeps work the same.
// A claim whose file is missing is reported as inconclusive, with the
// command that would produce it.
package report
