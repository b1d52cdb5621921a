// Command sgn trains small MLPs on MNIST with Gorgonia and measures their
// stochastic gradient noise: Hessian spectra, the noise covariance C(θ) against
// H(θ)/B, the shape of the noise, and escape times of SGD and SGLD from sharp
// minima.
//
// Usage:
//
//	sgn <command> [flags]
//
// Run `sgn help` for the list of commands and `sgn <command> -h` for one.
// Each command parses its flags, calls one library function and prints a
// short summary; the packages it calls are described in ARCHITECTURE.md.
package main
