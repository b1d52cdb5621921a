package model

import (
	"fmt"
	"math"

	"github.com/sgn-project/sgn/internal/workgroup"
)

// Batch is a set of samples as the model consumes them: X holds len(Y) rows
// of InputDim() features (row-major), Y the class labels.
type Batch struct {
	X []float64
	Y []int
}

// N returns the number of samples.
func (b Batch) N() int { return len(b.Y) }

// chunkRows is the number of samples processed together. It is fixed, and
// partial sums are combined in chunk order, so results are bit-identical
// whatever the number of workers.
const chunkRows = 256

// roundChunks is how many chunks' partial sums are held at once.
const roundChunks = 8

// check validates a batch against the model.
func (m *MLP) check(theta []float64, b Batch) error {
	if len(theta) != m.Layout.P {
		return fmt.Errorf("parameter vector has %d entries, the model %s has %d", len(theta), layersText(m.Layers), m.Layout.P)
	}
	D := m.InputDim()
	if b.N() == 0 {
		return fmt.Errorf("no samples")
	}
	if len(b.X) != b.N()*D {
		return fmt.Errorf("data has %d values for %d samples: the model %s expects %d features per sample", len(b.X), b.N(), layersText(m.Layers), D)
	}
	C := m.NumClasses()
	for i, y := range b.Y {
		if y < 0 || y >= C {
			return fmt.Errorf("label %d of sample %d is outside the model's %d classes", y, i, C)
		}
	}
	return nil
}

// chunks calls fn(c, lo, hi, p) for chunk c = [lo, hi) of n samples, on up to
// workers goroutines, each with its own pass. Chunks are visited in rounds of
// roundChunks; after each round done(first, count) is called on the caller's
// goroutine with the chunks of that round, in order.
func (m *MLP) chunks(n, workers int, fn func(c, lo, hi int, p *pass), done func(first, count int)) {
	nc := (n + chunkRows - 1) / chunkRows
	workers = chunkWorkers(workers, nc)
	passes := make([]*pass, workers)
	for w := range passes {
		passes[w] = newPass(m.Layers, chunkRows)
	}
	for first := 0; first < nc; first += roundChunks {
		count := min(roundChunks, nc-first)
		var g workgroup.Group
		next := make(chan int, count)
		for c := first; c < first+count; c++ {
			next <- c
		}
		close(next)
		for w := 0; w < min(workers, count); w++ {
			p := passes[w]
			g.Go("sample chunk", func() error {
				for c := range next {
					lo := c * chunkRows
					fn(c, lo, min(lo+chunkRows, n), p)
				}
				return nil
			})
		}
		// A worker's panic is raised again here, on the caller's goroutine.
		workgroup.Must(g.Wait())
		if done != nil {
			done(first, count)
		}
	}
}

// chunkWorkers is the number of goroutines (and their buffers) a pass over
// nc chunks in rounds of roundChunks uses when workers are asked for: at
// least one, and no more than there is work for; the others would be idle.
func chunkWorkers(workers, nc int) int {
	return max(1, min(workers, nc, roundChunks))
}

// Eval is the loss and accuracy of a model on a set of samples.
type Eval struct {
	// Loss is the mean softmax cross-entropy.
	Loss float64 `json:"loss"`
	// Accuracy is the fraction of samples whose largest logit is the label.
	Accuracy float64 `json:"accuracy"`
	// N is the number of samples.
	N int `json:"n"`
}

// Evaluate returns the mean loss and the accuracy of parameters theta on b
// and, when grad is not nil (length P), stores the gradient of the mean loss
// in grad. The samples are processed in chunks on up to workers goroutines;
// the result does not depend on workers.
func (m *MLP) Evaluate(theta []float64, b Batch, grad []float64, workers int) (Eval, error) {
	if err := m.check(theta, b); err != nil {
		return Eval{}, err
	}
	if grad != nil && len(grad) != m.Layout.P {
		return Eval{}, fmt.Errorf("gradient buffer has %d entries, want %d", len(grad), m.Layout.P)
	}
	n, D := b.N(), m.InputDim()
	scale := 1 / float64(n)
	var parts [][]float64
	if grad != nil {
		clear(grad)
		parts = make([][]float64, min(roundChunks, (n+chunkRows-1)/chunkRows))
		for i := range parts {
			parts[i] = make([]float64, m.Layout.P)
		}
	}
	nc := (n + chunkRows - 1) / chunkRows
	losses := make([]float64, nc)
	corrects := make([]int, nc)
	m.chunks(n, workers, func(c, lo, hi int, p *pass) {
		losses[c], corrects[c] = m.forward(theta, b.X[lo*D:hi*D], b.Y[lo:hi], hi-lo, p)
		if grad != nil {
			g := parts[c%roundChunks]
			clear(g)
			m.backward(theta, b.Y[lo:hi], scale, p, g)
		}
	}, func(first, count int) {
		if grad == nil {
			return
		}
		for c := first; c < first+count; c++ {
			g := parts[c%roundChunks]
			for i, v := range g {
				grad[i] += v
			}
		}
	})
	var e Eval
	var correct int
	for c := range losses {
		e.Loss += losses[c]
		correct += corrects[c]
	}
	e.N = n
	e.Loss /= float64(n)
	e.Accuracy = float64(correct) / float64(n)
	if math.IsNaN(e.Loss) || math.IsInf(e.Loss, 0) {
		return e, nonFiniteLoss(e.Loss)
	}
	return e, nil
}

// Loss returns the mean cross-entropy of theta on b (see Evaluate).
func (m *MLP) Loss(theta []float64, b Batch, workers int) (float64, error) {
	e, err := m.Evaluate(theta, b, nil, workers)
	return e.Loss, err
}

// Gather returns the samples idx of b as a new batch (repeats allowed).
func (m *MLP) Gather(b Batch, idx []int, dst Batch) Batch {
	D := m.InputDim()
	dst.X = dst.X[:0]
	dst.Y = dst.Y[:0]
	for _, i := range idx {
		dst.X = append(dst.X, b.X[i*D:(i+1)*D]...)
		dst.Y = append(dst.Y, b.Y[i])
	}
	return dst
}

// PerSampleGradients stores in G (N×P, row-major) the gradient of each
// sample's own loss ℓ(θ, x_i), from one batched backward pass per chunk: for
// z = aWᵀ + b the per-sample weight gradient is the outer product δ_iᵀ a_i,
// with δ taken for the summed (unscaled) loss. Row i of G sums, divided by
// N, to the gradient of the mean loss.
func (m *MLP) PerSampleGradients(theta []float64, b Batch, G []float64, workers int) error {
	if err := m.check(theta, b); err != nil {
		return err
	}
	P, n, D := m.Layout.P, b.N(), m.InputDim()
	if len(G) != n*P {
		return fmt.Errorf("per-sample gradient buffer has %d entries, want N×P = %d×%d", len(G), n, P)
	}
	lo := m.Layout
	m.chunks(n, workers, func(c, r0, r1 int, p *pass) {
		m.forward(theta, b.X[r0*D:r1*D], b.Y[r0:r1], r1-r0, p)
		m.backward(theta, b.Y[r0:r1], 1, p, nil)
		for i := 0; i < r1-r0; i++ {
			g := G[(r0+i)*P : (r0+i+1)*P]
			for l := 0; l < lo.NumLayers(); l++ {
				in, out := lo.Layers[l], lo.Layers[l+1]
				a := p.input(l)[i*in : (i+1)*in]
				d := p.d[l][i*out : (i+1)*out]
				w := lo.W(g, l)
				for o, dv := range d {
					row := w[o*in : (o+1)*in]
					for j, av := range a {
						row[j] = dv * av
					}
				}
				copy(lo.B(g, l), d)
			}
		}
	}, nil)
	return nil
}

// Workspace holds the buffers of one forward and backward pass, so that a
// caller stepping many small minibatches (the SGD loop) allocates nothing
// per step. A Workspace is not safe for concurrent use.
type Workspace struct {
	p    *pass
	rows int
}

// NewWorkspace returns a workspace for minibatches of up to rows samples.
func (m *MLP) NewWorkspace(rows int) *Workspace {
	return &Workspace{p: newPass(m.Layers, rows), rows: rows}
}

// LossGrad returns the mean loss of theta on b and stores its gradient in
// grad, in one pass over the whole minibatch on the calling goroutine (the
// same mathematics as Evaluate, without its chunking, goroutines and
// allocations).
func (m *MLP) LossGrad(ws *Workspace, theta []float64, b Batch, grad []float64) (float64, error) {
	if err := m.check(theta, b); err != nil {
		return 0, err
	}
	n := b.N()
	if n > ws.rows {
		return 0, fmt.Errorf("minibatch of %d samples, the workspace holds %d", n, ws.rows)
	}
	if len(grad) != m.Layout.P {
		return 0, fmt.Errorf("gradient buffer has %d entries, want %d", len(grad), m.Layout.P)
	}
	loss, _ := m.forward(theta, b.X, b.Y, n, ws.p)
	// The gradient overwrites grad (θ's layout has no gaps: every entry is
	// some layer's W or b).
	m.backwardTo(theta, b.Y, 1/float64(n), ws.p, grad, true)
	return loss / float64(n), nil
}
