// Package noiseshape measures the shape of the stochastic gradient noise
// ξ = g_B − ḡ of a model at a fixed θ, in two views: the P coordinates of
// one minibatch's noise as one sample (Simsekli, Sagun and Gurbuzbalaban
// 2019) and each coordinate's noise over many minibatches (Xie, Sato and
// Sugiyama 2021). Across minibatches it measures the departure from
// normality by effect sizes — skewness, excess kurtosis and the KS
// distance to the fitted normal, along coordinates, random directions and
// the noise's top principal directions, with bootstrap intervals — beside
// the value a Gaussian sample of the same size gives and the central-limit
// prediction κ/B from the per-sample gradients. It also reports the tail
// index, Gaussian and symmetric α-stable fits and, as a footnote, tests of
// normality, and writes noise.json (Report), CSV tables and figures.
package noiseshape
