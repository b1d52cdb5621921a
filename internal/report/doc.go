// Package report lays out one page of the claims of Xie, Sato & Sugiyama,
// "A Diffusion Theory for Deep Learning Dynamics: Stochastic Gradient
// Descent Exponentially Favors Flat Minima" (ICLR 2021), each with its
// regime checks, effect sizes against the prediction, exact references, a
// verdict and the rule that decided it, grouped under the paper's
// conclusions (Rows).
//
// The claims are not judged here: each experiment package owns its typed
// output and a function of type ClaimsFunc that judges its own claims from
// its own files, with Judge, the one rule shared by every claim (a claim
// outside its regime is NotTestable, never Disagrees; an interval that
// straddles the prediction is Inconclusive). Build asks every such
// function about every folder given and checks each claim against that
// rule; this package knows no field of any experiment's files and
// recomputes nothing, so folders from another machine or merged cluster
// sweeps work the same.
package report
