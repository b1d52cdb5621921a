// This file holds the per-sample gradients G and the noise covariance
// operator C = Σ/B built from them.

package covariance

import (
	"errors"
	"fmt"
	"math"

	"github.com/sgn-project/sgn/model"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"
)

// DefaultMemoryBudget is the memory, in bytes, the per-sample gradients may
// take when GradientOptions.MemoryBudget is 0: 512 MiB.
const DefaultMemoryBudget = 512 << 20

// GradientOptions configure NewGradients.
type GradientOptions struct {
	// MemoryBudget bounds the bytes taken by per-sample gradients. The N×P
	// matrix G is kept in memory when 8·N·P ≤ MemoryBudget; otherwise it is
	// recomputed, in chunks of rows that fit a quarter of the budget, on
	// every pass (matrix-free mode). 0 means DefaultMemoryBudget.
	MemoryBudget int64
	// Workers is the number of goroutines of the per-sample gradient passes
	// (< 1 means 1). Results do not depend on it.
	Workers int
}

// rowSource fills dst (rows r0..r1 of G, row-major, (r1−r0)×P) with
// per-sample gradients.
type rowSource func(dst []float64, r0, r1 int) error

// Gradients are the per-sample gradients gᵢ = ∇ℓ(θ, xᵢ) of N samples (the
// rows of G, N×P), with their mean ḡ and second moments. They are kept in
// memory, centred (G − 1ḡᵀ), when they fit the memory budget, and otherwise
// recomputed in chunks of rows on every pass, so every product below works
// for any P.
//
// Passes visit the rows in a fixed order in chunks whose size depends only on
// N, P and the memory budget, so results are bit-identical whatever the
// number of workers.
type Gradients struct {
	n, p   int
	src    rowSource // nil when the centred G is cached
	cache  []float64 // centred G, N×P, or nil
	chunk  int       // rows per chunk of a streamed pass
	mean   []float64 // ḡ
	meanSq float64   // (1/N) Σᵢ ‖gᵢ‖²
}

// NewGradients computes the per-sample gradients of the mean-loss terms
// ℓ(θ, xᵢ) of model m at parameters theta over the samples b, from one
// batched backward pass per chunk (model.PerSampleGradients), and their mean.
func NewGradients(m *model.MLP, theta []float64, b model.Batch, o GradientOptions) (*Gradients, error) {
	if m == nil {
		return nil, errors.New("covariance: nil model")
	}
	if len(theta) != m.NumParams() {
		return nil, fmt.Errorf("covariance: parameter vector has %d entries, the model %v has %d", len(theta), m.Layers, m.NumParams())
	}
	n, p := b.N(), m.NumParams()
	if n == 0 {
		return nil, errors.New("covariance: no samples")
	}
	workers := max(1, o.Workers)
	D := m.InputDim()
	if len(b.X) != n*D {
		return nil, fmt.Errorf("covariance: data has %d values for %d samples: the model %v expects %d features per sample", len(b.X), n, m.Layers, D)
	}
	src := func(dst []float64, r0, r1 int) error {
		sub := model.Batch{X: b.X[r0*D : r1*D], Y: b.Y[r0:r1]}
		return m.PerSampleGradients(theta, sub, dst, workers)
	}
	return newGradients(n, p, src, o.MemoryBudget)
}

// NewGradientsFromMatrix takes the per-sample gradients as the rows of G
// (N×P), for gradients computed elsewhere. G is copied.
func NewGradientsFromMatrix(G *mat.Dense) (*Gradients, error) {
	if G == nil || G.IsEmpty() {
		return nil, errors.New("covariance: empty gradient matrix")
	}
	n, p := G.Dims()
	src := func(dst []float64, r0, r1 int) error {
		for i := r0; i < r1; i++ {
			copy(dst[(i-r0)*p:(i-r0+1)*p], G.RawRowView(i))
		}
		return nil
	}
	return newGradients(n, p, src, int64(8*n*p))
}

func newGradients(n, p int, src rowSource, budget int64) (*Gradients, error) {
	if budget <= 0 {
		budget = DefaultMemoryBudget
	}
	g := &Gradients{n: n, p: p, src: src, mean: make([]float64, p)}
	rowBytes := int64(8 * p)
	g.chunk = int(gradientRows(n, p, budget)) // the rows MemoryNeed counts
	cached := int64(n)*rowBytes <= budget
	var buf []float64
	if cached {
		g.cache = make([]float64, n*p)
	} else {
		buf = make([]float64, g.chunk*p)
	}
	// First pass: ḡ and (1/N) Σ ‖gᵢ‖², summed in row order.
	for r0 := 0; r0 < n; r0 += g.chunk {
		r1 := min(n, r0+g.chunk)
		rows := buf
		if cached {
			rows = g.cache[r0*p : r1*p]
		}
		rows = rows[:(r1-r0)*p]
		if err := src(rows, r0, r1); err != nil {
			return nil, fmt.Errorf("covariance: per-sample gradients: %w", err)
		}
		for i := 0; i < r1-r0; i++ {
			row := rows[i*p : (i+1)*p]
			for k, v := range row {
				g.mean[k] += v
				g.meanSq += v * v
			}
		}
	}
	inv := 1 / float64(n)
	for k := range g.mean {
		g.mean[k] *= inv
	}
	g.meanSq *= inv
	for _, v := range g.mean {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, errors.New("covariance: a per-sample gradient is not finite: the parameters have diverged")
		}
	}
	if cached {
		for i := 0; i < n; i++ {
			row := g.cache[i*p : (i+1)*p]
			for k := range row {
				row[k] -= g.mean[k]
			}
		}
		g.src = nil
	}
	return g, nil
}

// N returns the number of samples.
func (g *Gradients) N() int { return g.n }

// Dim returns P, the number of parameters.
func (g *Gradients) Dim() int { return g.p }

// Cached reports whether G is held in memory (otherwise every pass
// recomputes it in chunks).
func (g *Gradients) Cached() bool { return g.cache != nil }

// Mean returns ḡ = (1/N) Σᵢ gᵢ, the gradient of the mean loss (do not
// modify).
func (g *Gradients) Mean() []float64 { return g.mean }

// TraceFIM returns tr FIM = (1/N) Σᵢ ‖gᵢ‖².
func (g *Gradients) TraceFIM() float64 { return g.meanSq }

// TraceSigma returns tr Σ = (1/N) Σᵢ ‖gᵢ‖² − ‖ḡ‖².
func (g *Gradients) TraceSigma() float64 {
	return g.meanSq - blas64.Dot(vec(g.mean), vec(g.mean))
}

// SimpleNoiseScale returns B_simple = tr Σ / ‖ḡ‖², the gradient noise scale
// of McCandlish, Kaplan, Amodei et al., "An Empirical Model of Large-Batch
// Training" (2018), eq. 2.8: the batch size at which the noise of the
// minibatch gradient is about as large as the gradient itself. It is +Inf
// when ḡ = 0.
func (g *Gradients) SimpleNoiseScale() float64 {
	return g.TraceSigma() / blas64.Dot(vec(g.mean), vec(g.mean))
}

// pass calls fn on consecutive chunks of rows of the centred matrix
// G − 1ḡᵀ, in row order; rows is a view valid during the call only.
func (g *Gradients) pass(fn func(r0 int, rows blas64.General)) error {
	if g.cache != nil {
		fn(0, blas64.General{Rows: g.n, Cols: g.p, Stride: g.p, Data: g.cache})
		return nil
	}
	buf := make([]float64, g.chunk*g.p)
	for r0 := 0; r0 < g.n; r0 += g.chunk {
		r1 := min(g.n, r0+g.chunk)
		rows := buf[:(r1-r0)*g.p]
		if err := g.src(rows, r0, r1); err != nil {
			return fmt.Errorf("covariance: per-sample gradients: %w", err)
		}
		for i := 0; i < r1-r0; i++ {
			row := rows[i*g.p : (i+1)*g.p]
			for k := range row {
				row[k] -= g.mean[k]
			}
		}
		fn(r0, blas64.General{Rows: r1 - r0, Cols: g.p, Stride: g.p, Data: rows})
	}
	return nil
}

// Sigma returns the per-sample gradient covariance Σ = (1/N) Σᵢ gᵢgᵢᵀ −
// ḡḡᵀ (P×P), computed as (1/N)(G − 1ḡᵀ)ᵀ(G − 1ḡᵀ), which is the same
// matrix with less cancellation, by matrix products of chunks of rows
// (dgemm: twice dsyrk's arithmetic, but the packed kernel runs it several
// times faster than gonum's dsyrk). It allocates the 8·P² bytes of the
// matrix: callers bound P by MemoryNeed.
func (g *Gradients) Sigma() (*mat.SymDense, error) {
	s := blas64.Symmetric{Uplo: blas.Upper, N: g.p, Stride: g.p, Data: make([]float64, g.p*g.p)}
	full := blas64.General{Rows: g.p, Cols: g.p, Stride: g.p, Data: s.Data}
	err := g.pass(func(_ int, rows blas64.General) {
		blas64.Gemm(blas.Trans, blas.NoTrans, 1/float64(g.n), rows, rows, 1, full)
	})
	if err != nil {
		return nil, err
	}
	out := mat.NewSymDense(g.p, nil)
	out.SetRawSymmetric(s)
	return out, nil
}

// FIM returns the empirical Fisher FIM = (1/N) Σᵢ gᵢgᵢᵀ = Σ + ḡḡᵀ (P×P).
func (g *Gradients) FIM() (*mat.SymDense, error) {
	s, err := g.Sigma()
	if err != nil {
		return nil, err
	}
	s.SymRankOne(s, 1, mat.NewVecDense(g.p, g.mean))
	return s, nil
}

// ProjectSigma returns UᵀΣU (k×k) for the columns of U (P×k), computed as
// (1/N) AᵀA (dgemm) with A = (G − 1ḡᵀ)U formed chunk by chunk, and Uᵀḡ (length k),
// so that UᵀFIM U = UᵀΣU + (Uᵀḡ)(Uᵀḡ)ᵀ. One pass over G: for U holding
// Hessian eigenvectors this is the projection the comparison with H/B needs,
// for any P.
func (g *Gradients) ProjectSigma(U *mat.Dense) (*mat.SymDense, []float64, error) {
	if U == nil || U.IsEmpty() {
		return nil, nil, errors.New("covariance: ProjectSigma: empty U")
	}
	r, k := U.Dims()
	if r != g.p {
		return nil, nil, fmt.Errorf("covariance: ProjectSigma: U has %d rows, want P = %d", r, g.p)
	}
	u := U.RawMatrix()
	s := blas64.Symmetric{Uplo: blas.Upper, N: k, Stride: k, Data: make([]float64, k*k)}
	var a []float64
	err := g.pass(func(_ int, rows blas64.General) {
		if cap(a) < rows.Rows*k {
			a = make([]float64, rows.Rows*k)
		}
		ag := blas64.General{Rows: rows.Rows, Cols: k, Stride: k, Data: a[:rows.Rows*k]}
		blas64.Gemm(blas.NoTrans, blas.NoTrans, 1, rows, u, 0, ag)
		blas64.Gemm(blas.Trans, blas.NoTrans, 1/float64(g.n), ag, ag, 1, blas64.General{Rows: k, Cols: k, Stride: k, Data: s.Data})
	})
	if err != nil {
		return nil, nil, err
	}
	out := mat.NewSymDense(k, nil)
	out.SetRawSymmetric(s)
	pm := make([]float64, k)
	blas64.Gemv(blas.Trans, 1, u, vec(g.mean), 0, vec(pm))
	return out, pm, nil
}

// mulSigma stores Σ·V in dst (both P×k): (1/N)(G − 1ḡᵀ)ᵀ((G − 1ḡᵀ)V),
// chunk by chunk.
func (g *Gradients) mulSigma(dst, v blas64.General) error {
	k := v.Cols
	for i := 0; i < dst.Rows; i++ {
		clear(dst.Data[i*dst.Stride : i*dst.Stride+k])
	}
	var a []float64
	return g.pass(func(_ int, rows blas64.General) {
		if cap(a) < rows.Rows*k {
			a = make([]float64, rows.Rows*k)
		}
		ag := blas64.General{Rows: rows.Rows, Cols: k, Stride: k, Data: a[:rows.Rows*k]}
		blas64.Gemm(blas.NoTrans, blas.NoTrans, 1, rows, v, 0, ag)
		blas64.Gemm(blas.Trans, blas.NoTrans, 1/float64(g.n), rows, ag, 1, dst)
	})
}

// NoiseCovariance is the covariance of the minibatch gradient noise,
// C = Σ/B (Xie et al. 2021, the formula of C(θ)), as a matrix-free symmetric operator:
//
//	C·V = [Gᵀ(GV)/N − ḡ(ḡᵀV)] / B
//
// with G streamed in chunks (or held in memory when it fits). It
// implements hessian.BlockOperator, so Lanczos runs on it as on a Hessian.
// Products are computed with the centred rows, (G − 1ḡᵀ)ᵀ((G − 1ḡᵀ)V)/(NB),
// the same matrix. A pass that fails to recompute G (which cannot happen
// once NewGradients succeeded on the same data) panics, as the operator
// interface has no error.
type NoiseCovariance struct {
	g *Gradients
	b int
}

// NewNoiseCovariance returns C = Σ/B for the per-sample gradients g and
// batch size B ≥ 1.
func NewNoiseCovariance(g *Gradients, batchSize int) (*NoiseCovariance, error) {
	if g == nil {
		return nil, errors.New("covariance: nil gradients")
	}
	if batchSize <= 0 {
		return nil, fmt.Errorf("covariance: batch size %d: must be positive", batchSize)
	}
	return &NoiseCovariance{g: g, b: batchSize}, nil
}

// Dim returns P.
func (c *NoiseCovariance) Dim() int { return c.g.p }

// BatchSize returns B.
func (c *NoiseCovariance) BatchSize() int { return c.b }

// Dense returns C = Σ/B as a dense P×P matrix (see Gradients.Sigma).
func (c *NoiseCovariance) Dense() (*mat.SymDense, error) {
	s, err := c.g.Sigma()
	if err != nil {
		return nil, err
	}
	s.ScaleSym(1/float64(c.b), s)
	return s, nil
}

// MulVec stores C·v in dst; both have length P. It panics on other lengths.
func (c *NoiseCovariance) MulVec(dst, v []float64) {
	p := c.g.p
	if len(dst) != p || len(v) != p {
		panic(fmt.Sprintf("covariance: NoiseCovariance.MulVec with lengths %d and %d, want %d", len(dst), len(v), p))
	}
	c.mul(blas64.General{Rows: p, Cols: 1, Stride: 1, Data: dst}, blas64.General{Rows: p, Cols: 1, Stride: 1, Data: v})
}

// MulMat stores C·V in dst; V and dst are P×k. It panics on other shapes.
func (c *NoiseCovariance) MulMat(dst, v *mat.Dense) {
	r, k := v.Dims()
	dr, dk := dst.Dims()
	if r != c.g.p || dr != c.g.p || dk != k {
		panic(fmt.Sprintf("covariance: NoiseCovariance.MulMat with %d×%d into %d×%d, want P = %d rows", r, k, dr, dk, c.g.p))
	}
	c.mul(dst.RawMatrix(), v.RawMatrix())
}

func (c *NoiseCovariance) mul(dst, v blas64.General) {
	if err := c.g.mulSigma(dst, v); err != nil {
		panic(err)
	}
	s := 1 / float64(c.b)
	for i := 0; i < dst.Rows; i++ {
		row := dst.Data[i*dst.Stride : i*dst.Stride+dst.Cols]
		for j := range row {
			row[j] *= s
		}
	}
}

func vec(x []float64) blas64.Vector { return blas64.Vector{N: len(x), Inc: 1, Data: x} }
