// Package hessian holds generic curvature algorithms over a symmetric linear
// operator: Lanczos eigenpairs, Hutchinson's trace estimator, stochastic
// Lanczos quadrature (SLQ) spectral densities, full-matrix assembly with its
// dense eigendecomposition, and their figures.
//
// The package knows nothing of neural networks: anything that can multiply a
// vector by a symmetric matrix (a network's Hessian through Pearlmutter's
// R-operator, an analytic landscape's Hessian, a dense matrix) is an Operator.
package hessian
