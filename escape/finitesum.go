package escape

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// FiniteSum is the finite-sum version of a TwoWell landscape L: N = 2ⁿ
// per-sample losses (n = Dim)
//
//	ℓᵢ(θ) = L(θ) + Σⱼ sⱼ(i)·φⱼ(θ),   sⱼ(i) = +1 if bit j of i is set, else −1,
//	φ₁(θ) = Φ(θ₁) = ∫₀^θ₁ σ(u) du,   φⱼ₊₁(θ) = √κⱼ(θ₁)·θⱼ₊₁,
//
// with σ the noise scale of TwoWell.NoiseScale and κⱼ the transverse
// curvature profile of the landscape. Every sign pattern appears once, so
// (1/N)·Σᵢ ℓᵢ = L exactly and the signs sⱼ are, over a uniformly drawn
// sample, independent with mean 0 and variance 1.
//
// Minibatch SGD draws B sample indices uniformly with replacement; the
// minibatch gradient is ∇L(θ) + Σⱼ s̄ⱼ·∇φⱼ(θ) with s̄ⱼ the batch mean of
// sⱼ, i.e. s̄ⱼ = (2Kⱼ − B)/B, Kⱼ ~ Binomial(B, ½) independent. Its noise
// covariance is therefore exactly C(θ) = S(θ)/B with
//
//	S(θ) = Σⱼ ∇φⱼ(θ)∇φⱼ(θ)ᵀ  (NoiseMatrix).
//
// At the three critical points S = |H| (σ² = |f″| there, ∇φⱼ₊₁ = √κⱼ eⱼ₊₁
// on θⱼ = 0), so C = H/B at each minimum. Near a minimum aᵢ the transverse
// block of S equals that of H exactly on the valley floor, the cross terms
// vanish to first order (κⱼ'(aᵢ) = 0), and along θ₁ σ'(aᵢ) = 0 while
// f‴(aᵢ)·aᵢ/hᵢ = 4 − 2|h_b|/hᵢ, so
//
//	‖S(θ) − H(θ)‖ ≤ (4 − 2|h_b|/hᵢ)·hᵢ·|θ₁ − aᵢ|/|aᵢ| + O(‖θ − aᵢ‖²):
//
// C ≈ H/B to first order in the distance from the minimum, and unlike
// |H|/B the noise never vanishes (σ² ≥ min(|h_b|, hᵢ) > 0), so escapes do
// not cross a point of zero noise.
type FiniteSum struct {
	*TwoWell
}

// NewFiniteSum builds the finite-sum version of spec.
func NewFiniteSum(spec TwoWellSpec) (*FiniteSum, error) {
	t, err := NewTwoWell(spec)
	if err != nil {
		return nil, err
	}
	return &FiniteSum{t}, nil
}

// N returns the number of per-sample losses, 2^Dim.
func (fs *FiniteSum) N() int { return 1 << fs.Dim() }

// sign returns sⱼ(i).
func sign(i, j int) float64 {
	if i>>j&1 == 1 {
		return 1
	}
	return -1
}

// SampleLoss returns ℓᵢ(θ).
func (fs *FiniteSum) SampleLoss(i int, x []float64) float64 {
	l := fs.Loss(x) + sign(i, 0)*fs.noisePotential(x[0])
	if fs.Dim() > 1 {
		w, w1, w2 := fs.profile(x[0])
		for j := range fs.lamB {
			k, _, _ := fs.kappa(j, x[0], w, w1, w2)
			l += sign(i, j+1) * math.Sqrt(k) * x[j+1]
		}
	}
	return l
}

// NoiseGrads stores ∇φⱼ(θ) as the columns of g (n×n).
func (fs *FiniteSum) NoiseGrads(g *mat.Dense, x []float64) {
	n := fs.Dim()
	g.Zero()
	g.Set(0, 0, fs.NoiseScale(x[0]))
	if n > 1 {
		w, w1, w2 := fs.profile(x[0])
		for j := range fs.lamB {
			k, k1, _ := fs.kappa(j, x[0], w, w1, w2)
			sk := math.Sqrt(k)
			g.Set(0, j+1, k1/(2*sk)*x[j+1])
			g.Set(j+1, j+1, sk)
		}
	}
}

// SampleGrad stores ∇ℓᵢ(θ) in dst.
func (fs *FiniteSum) SampleGrad(dst []float64, i int, x []float64) {
	n := fs.Dim()
	fs.Grad(dst, x)
	g := mat.NewDense(n, n, nil)
	fs.NoiseGrads(g, x)
	for j := range n {
		s := sign(i, j)
		for r := range n {
			dst[r] += s * g.At(r, j)
		}
	}
}

// MinibatchGrad stores the mean of ∇ℓᵢ(θ) over the sample indices batch
// in dst.
func (fs *FiniteSum) MinibatchGrad(dst []float64, batch []int, x []float64) error {
	if len(batch) == 0 {
		return fmt.Errorf("empty minibatch")
	}
	n := fs.Dim()
	tmp := make([]float64, n)
	for r := range dst {
		dst[r] = 0
	}
	for _, i := range batch {
		if i < 0 || i >= fs.N() {
			return fmt.Errorf("sample index %d: want 0 ≤ i < N = %d", i, fs.N())
		}
		fs.SampleGrad(tmp, i, x)
		for r := range dst {
			dst[r] += tmp[r] / float64(len(batch))
		}
	}
	return nil
}

// NoiseMatrix stores S(θ) = Σⱼ ∇φⱼ∇φⱼᵀ in dst: the covariance of one
// sample's gradient, so that the minibatch noise covariance is S/B.
func (fs *FiniteSum) NoiseMatrix(dst *mat.SymDense, x []float64) {
	n := fs.Dim()
	g := mat.NewDense(n, n, nil)
	fs.NoiseGrads(g, x)
	dst.SymOuterK(1, g)
}
