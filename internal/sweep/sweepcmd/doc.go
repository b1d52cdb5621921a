// Package sweepcmd builds the command family of a sweep experiment from its
// sweep.Experiment: the subcommands sweep, merge, fit, configs and figure,
// with one spelling of every flag for every experiment (the escape-rate
// sweeps against Kramers' theory and the minima-selection sweeps of Xie,
// Sato & Sugiyama, ICLR 2021, Theorems 1–2), so that a new experiment gets
// them by describing itself in a Family.
//
// It parses flags and prints summaries; what a run computes, its files and
// their clean-up belong to the experiment.
package sweepcmd
