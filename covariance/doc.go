// Package covariance compares the covariance of the stochastic gradient
// noise C(θ) = Σ(θ)/B, built from per-sample gradients, with H(θ)/B in the
// eigenbasis of the Hessian, for one model or for a pretrained model against
// a random one of the same architecture, and draws the figure.
//
// The covariance follows Xie, Sato and Sugiyama ("A Diffusion Theory for
// Deep Learning Dynamics: SGD Exponentially Favors Flat Minima", ICLR 2021):
// with gᵢ = ∇ℓ(θ, xᵢ) over N samples and ḡ their mean,
//
//	Σ   = (1/N) Σᵢ gᵢgᵢᵀ − ḡḡᵀ   (the per-sample gradient covariance)
//	FIM = (1/N) Σᵢ gᵢgᵢᵀ          (the empirical Fisher)
//	C   = Σ/B                     (the covariance of a minibatch gradient of size B)
//
// and the claim under test is C ≈ FIM/B ≈ H/B near a minimum. The shape of
// the noise lives in the subpackage noiseshape.
package covariance
