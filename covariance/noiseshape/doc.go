// Package noiseshape measures the shape of the stochastic gradient noise
// ξ = g_B − ḡ of a model at a fixed θ, in two views: the P coordinates of
// one minibatch's noise as one sample (Simsekli, Sagun and Gurbuzbalaban
// 2019) and each coordinate's noise over many minibatches (Xie, Sato and
// Sugiyama 2021). For each it reports the tail index, Gaussian and
// symmetric α-stable fits, tests of normality against synthetic references,
// and writes the numbers (JSON, CSV) and the figures (PNG, SVG).
package noiseshape
