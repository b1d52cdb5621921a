package model

import (
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
)

// The gonum engine: forward and backward passes written out on gonum's
// BLAS, float64, by backpropagation (Rumelhart, Hinton & Williams 1986) in
// PyTorch's layout (W_l is out×in, samples as rows):
//
//	z_l = a_{l−1} W_lᵀ + b_l,  a_l = f(z_l),  p = softmax(z_L)
//	δ_L = s·(p − Y),  ∇W_l = δ_lᵀ a_{l−1},  ∇b_l = Σ_i δ_{l,i},
//	δ_{l−1} = (δ_l W_l) ⊙ f′(z_{l−1})
//
// where s is the scale of the loss (1/N for the mean) and f, f′ come from
// the activation table (activation.go). This engine serves evaluation,
// full-data gradients, per-sample gradients, the R-operator and, through
// Workspace and LossGrad, training with train.EngineGonum; the Gorgonia graph
// (package model/graph) is the other training engine. Both are checked against each
// other and against central finite differences in the tests.

// pass holds the forward and backward quantities of one chunk of samples.
type pass struct {
	n int         // rows in use
	x []float64   // n×D input (a view, not owned)
	z [][]float64 // z[l]: n×out_l pre-activations of layer l (0-based)
	a [][]float64 // a[l]: n×out_l, f(z) for hidden layers, softmax p for the last
	d [][]float64 // d[l]: δ of layer l, n×out_l
}

func newPass(layers []int, capRows int) *pass {
	L := len(layers) - 1
	p := &pass{z: make([][]float64, L), a: make([][]float64, L), d: make([][]float64, L)}
	for l := 0; l < L; l++ {
		p.z[l] = make([]float64, capRows*layers[l+1])
		p.a[l] = make([]float64, capRows*layers[l+1])
		p.d[l] = make([]float64, capRows*layers[l+1])
	}
	return p
}

// input returns a_{l−1} for layer l, i.e. x for l = 0.
func (p *pass) input(l int) []float64 {
	if l == 0 {
		return p.x
	}
	return p.a[l-1]
}

func general(rows, cols int, data []float64) blas64.General {
	return blas64.General{Rows: rows, Cols: cols, Stride: cols, Data: data[:rows*cols]}
}

// affine stores x·Wᵀ + b in z: the n rows of x (each of in values) through
// the out×in weights w, the bias b added to every row (the bias copied into
// z, then the product added by one GEMM).
func affine(z, x, w, b []float64, n, in, out int) {
	for i := 0; i < n; i++ {
		copy(z[i*out:(i+1)*out], b)
	}
	blas64.Gemm(blas.NoTrans, blas.Trans, 1, general(n, in, x), general(out, in, w), 1, general(n, out, z))
}

// forward computes z, a and p for the n rows of x and returns the summed
// cross-entropy Σ_i −log p_{i,y_i} and the number of correct predictions
// (argmax of the logits equals the label). y may be nil (then both are 0).
func (m *MLP) forward(theta []float64, x []float64, y []int, n int, p *pass) (lossSum float64, correct int) {
	lo := m.Layout
	L := lo.NumLayers()
	p.n, p.x = n, x[:n*lo.Layers[0]]
	for l := 0; l < L; l++ {
		in, out := lo.Layers[l], lo.Layers[l+1]
		z := p.z[l][:n*out]
		affine(z, p.input(l), lo.W(theta, l), lo.B(theta, l), n, in, out)
		a := p.a[l][:n*out]
		if l < L-1 {
			m.Activation.Apply(a, z)
			continue
		}
		// softmax with the row max subtracted for stability
		for i := 0; i < n; i++ {
			zi, ai := z[i*out:(i+1)*out], a[i*out:(i+1)*out]
			mx, arg := zi[0], 0
			for k, v := range zi {
				if v > mx {
					mx, arg = v, k
				}
			}
			var s float64
			for k, v := range zi {
				e := math.Exp(v - mx)
				ai[k] = e
				s += e
			}
			for k := range ai {
				ai[k] /= s
			}
			if y != nil {
				lossSum += mx + math.Log(s) - zi[y[i]]
				if arg == y[i] {
					correct++
				}
			}
		}
	}
	return lossSum, correct
}

// backward computes δ_l for every layer with δ_L = scale·(p − Y). When grad
// is not nil it adds ∇W_l = δ_lᵀ a_{l−1} and ∇b_l = Σ_i δ_{l,i} into grad.
func (m *MLP) backward(theta []float64, y []int, scale float64, p *pass, grad []float64) {
	m.backwardTo(theta, y, scale, p, grad, false)
}

// backwardTo is backward, storing the gradient in grad instead of adding
// to it when overwrite is set (the same values as adding to a zeroed grad,
// without clearing and reading it).
func (m *MLP) backwardTo(theta []float64, y []int, scale float64, p *pass, grad []float64, overwrite bool) {
	lo := m.Layout
	L := lo.NumLayers()
	n := p.n
	C := lo.Layers[L]
	dL := p.d[L-1][:n*C]
	copy(dL, p.a[L-1][:n*C])
	for i := 0; i < n; i++ {
		dL[i*C+y[i]] -= 1
	}
	if scale != 1 {
		for i := range dL {
			dL[i] *= scale
		}
	}
	for l := L - 1; l >= 0; l-- {
		in, out := lo.Layers[l], lo.Layers[l+1]
		d := p.d[l][:n*out]
		if grad != nil {
			beta := 1.0
			gb := lo.B(grad, l)
			if overwrite {
				beta = 0
				clear(gb)
			}
			blas64.Gemm(blas.Trans, blas.NoTrans, 1, general(n, out, d), general(n, in, p.input(l)), beta, general(out, in, lo.W(grad, l)))
			for i := 0; i < n; i++ {
				row := d[i*out : (i+1)*out]
				for k, v := range row {
					gb[k] += v
				}
			}
		}
		if l == 0 {
			break
		}
		// δ_{l−1} = (δ_l W_l) ⊙ f′(z_{l−1})
		dp := p.d[l-1][:n*in]
		blas64.Gemm(blas.NoTrans, blas.NoTrans, 1, general(n, out, d), general(out, in, lo.W(theta, l)), 0, general(n, in, dp))
		m.Activation.MulDeriv(dp, p.z[l-1][:n*in], p.a[l-1][:n*in])
	}
}
