package hessian

import (
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/mat"

	"github.com/sgn-project/sgn/internal/eigen"
)

// DenseEigen is the exact eigendecomposition of an assembled symmetric
// matrix A (from Full) with the quantities reported beside it.
type DenseEigen struct {
	// Values holds the n eigenvalues in ascending order.
	Values []float64
	// Vectors holds the unit eigenvectors, column i for Values[i]; nil
	// unless asked for.
	Vectors *mat.Dense
	// Trace is Σ A_ii, summed in index order.
	Trace float64
	// MaxAbs is max |A_ij|, the scale of the assembly's asymmetry.
	MaxAbs float64
}

// Decompose computes the eigenvalues (and, when vectors, the eigenvectors)
// of A by sgn's dense symmetric eigensolver (eigen.Top: Householder
// tridiagonalisation, the Pal–Walker–Kahan QL/QR iteration and inverse
// iteration, every pair checked on A; Golub & Van Loan, Matrix
// Computations, 4th ed., §8.3 and §8.2.2), its trace and max |A_ij|.
func Decompose(a *mat.SymDense, vectors bool) (*DenseEigen, error) {
	n := a.SymmetricDim()
	k := 0
	if vectors {
		k = n
	}
	es, err := eigen.Top(a, func([]float64) int { return k }, eigen.Tol)
	if err != nil {
		return nil, fmt.Errorf("the dense eigendecomposition of the %d×%d matrix: %w", n, n, err)
	}
	d := &DenseEigen{Values: slices.Clone(es.Values)}
	slices.Reverse(d.Values)
	for i := 0; i < n; i++ {
		d.Trace += a.At(i, i)
		for j := i; j < n; j++ {
			d.MaxAbs = math.Max(d.MaxAbs, math.Abs(a.At(i, j)))
		}
	}
	if vectors {
		// Column i for the i-th smallest eigenvalue.
		d.Vectors = mat.NewDense(n, n, nil)
		for i := 0; i < n; i++ {
			d.Vectors.SetCol(i, mat.Col(nil, n-1-i, es.Vectors))
		}
	}
	return d, nil
}

// Top returns the k largest eigenvalues, descending.
func (d *DenseEigen) Top(k int) []float64 {
	n := len(d.Values)
	top := make([]float64, k)
	for i := range top {
		top[i] = d.Values[n-1-i]
	}
	return top
}

// Bottom returns the k smallest eigenvalues, ascending.
func (d *DenseEigen) Bottom(k int) []float64 { return slices.Clone(d.Values[:k]) }

// SpectralScale returns max |λ|, the largest eigenvalue in magnitude.
func (d *DenseEigen) SpectralScale() float64 {
	return math.Max(math.Abs(d.Values[0]), math.Abs(d.Values[len(d.Values)-1]))
}

// MaxRelError returns max_i |approx_i − exact_i| / scale (the plain maximum
// when scale is 0): the error of Lanczos' extreme eigenvalues against the
// dense decomposition, relative to the spectral scale max_j |λ_j|.
func MaxRelError(approx, exact []float64, scale float64) float64 {
	var d float64
	for i := range approx {
		d = math.Max(d, math.Abs(approx[i]-exact[i]))
	}
	if scale == 0 {
		return d
	}
	return d / scale
}

// DefaultSigma is PyHessian's width of the Gaussian smoothing of an SLQ
// density (Yao et al. 2020, density_generate): σ² = 10⁻⁵·max(1, λmax − λmin)
// over the quadrature nodes.
func DefaultSigma(d *Density) float64 {
	return math.Sqrt(1e-5 * math.Max(1, slices.Max(d.Nodes)-slices.Min(d.Nodes)))
}
