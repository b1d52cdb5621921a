// Package analysis runs the Hessian analyses of a trained network on a
// selection of MNIST — Lanczos extremes, Hutchinson's trace, the SLQ
// spectral density and the exact dense spectrum — and writes their report
// (hessian.json), figures and matrix file.
package analysis
