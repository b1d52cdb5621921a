// Package stats holds univariate statistics with no knowledge of networks or
// of the rest of sgn: the tail-index estimator of Mohammadi, Mohammadpour and
// Ogata (2015), the symmetric α-stable law (Chambers–Mallows–Stuck sampler,
// density and distribution function by Fourier inversion, McCulloch's
// quantile fit), the Gaussian maximum-likelihood fit, the
// Kolmogorov–Smirnov, Lilliefors and Anderson–Darling tests, sample
// skewness, quartiles, and batch-means confidence intervals for autocorrelated sequences.
//
// Every routine copies its input unless its name ends in Sorted (those take
// a sample already sorted in ascending order, to share one sort between
// several statistics); none modifies the caller's slice. It imports only the
// standard library and gonum.
package stats
