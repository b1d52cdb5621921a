package model

import (
	"fmt"
	"sync"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Graph is the MLP as Gorgonia expression graphs for a fixed batch size:
// the forward pass, the mean softmax cross-entropy and its gradient by
// Gorgonia's reverse-mode differentiation (first order only: Gorgonia's
// second derivatives are wrong, so it never differentiates twice). The
// operations are whole layers (graph_ops.go) calling the installed BLAS.
//
// A minibatch is split into a fixed number of chunks that depends only on
// the batch size (graphChunks), each with its own graph; their gradients are
// added in chunk order. So the result is bit-for-bit the same whatever the
// number of workers that runs the chunks (SetWorkers).
type Graph struct {
	m       *MLP
	batch   int
	chunks  []*graphChunk
	workers int
	errs    []error
}

// graphChunk is the graph of samples [lo, lo+n) of the minibatch.
type graphChunk struct {
	lo, n  int
	g      *G.ExprGraph
	loss   *G.Node
	roots  G.Nodes
	vm     G.VM
	x, y   *tensor.Dense // the chunk's samples (n×D) and labels (n)
	xNode  *G.Node
	grad   []float64 // its contribution to the gradient, θ layout
	lossOp *sceOp
}

// graphChunks is the number of chunks a minibatch of batch samples is split
// into for a model of P parameters: two when each chunk has at least 32
// samples and about a million multiply-adds per pass (so that two cores can
// share a step), one for small steps, where the machine's per-run cost
// would outweigh the second core. It depends on the problem only.
func graphChunks(batch, P int) int {
	if batch >= 64 && batch*P >= 1<<21 {
		return 2
	}
	return 1
}

// NewGraph builds the training graph of m for minibatches of batch samples.
// It runs on one worker until SetWorkers says otherwise.
func (m *MLP) NewGraph(batch int) (*Graph, error) {
	if batch <= 0 {
		return nil, fmt.Errorf("batch size %d: must be positive", batch)
	}
	gr := &Graph{m: m, batch: batch, workers: 1}
	K := graphChunks(batch, m.Layout.P)
	for c := 0; c < K; c++ {
		lo, hi := c*batch/K, (c+1)*batch/K
		ch, err := m.newGraphChunk(lo, hi-lo, 1/float64(batch))
		if err != nil {
			gr.Close()
			return nil, err
		}
		gr.chunks = append(gr.chunks, ch)
	}
	gr.errs = make([]error, K)
	return gr, nil
}

// newGraphChunk builds the graph of n samples whose loss is scaled by
// scale (1/B: the chunk's share of the minibatch mean).
func (m *MLP) newGraphChunk(lo, n int, scale float64) (*graphChunk, error) {
	lo2 := m.Layout
	L := lo2.NumLayers()
	D, C := m.InputDim(), m.NumClasses()
	ch := &graphChunk{lo: lo, n: n, g: G.NewGraph(), grad: make([]float64, lo2.P)}
	ch.x = tensor.New(tensor.WithShape(n, D), tensor.Of(tensor.Float64))
	ch.y = tensor.New(tensor.WithShape(n), tensor.Of(tensor.Float64))
	a := G.NewMatrix(ch.g, G.Float64, G.WithShape(n, D), G.WithName("x"), G.WithValue(ch.x))
	ch.xNode = a
	y := G.NewVector(ch.g, G.Float64, G.WithShape(n), G.WithName("y"), G.WithValue(ch.y))
	var params G.Nodes
	for l := 0; l < L; l++ {
		in, out := lo2.Layers[l], lo2.Layers[l+1]
		wT := tensor.New(tensor.WithShape(out, in), tensor.WithBacking(lo2.W(m.Theta, l)))
		bT := tensor.New(tensor.WithShape(out), tensor.WithBacking(lo2.B(m.Theta, l)))
		w := G.NewMatrix(ch.g, G.Float64, G.WithShape(out, in), G.WithName(fmt.Sprintf("fc%d.weight", l+1)), G.WithValue(wT))
		b := G.NewVector(ch.g, G.Float64, G.WithShape(out), G.WithName(fmt.Sprintf("fc%d.bias", l+1)), G.WithValue(bT))
		params = append(params, w, b)
		name := fmt.Sprintf("fc%d", l+1)
		lin := &linearOp{
			opBase: newOpBase(name, hmLinear, nil, n, out),
			n:      n, in: in, outDim: out,
			needDx: l > 0,
			dwBuf:  lo2.W(ch.grad, l), dbBuf: lo2.B(ch.grad, l),
		}
		z, err := G.ApplyOp(lin, a, w, b)
		if err != nil {
			return nil, fmt.Errorf("building %s: %w", name, err)
		}
		if l == L-1 {
			a = z
			break
		}
		act := &actOp{opBase: newOpBase(name+"."+m.Activation.String(), hmUnary, nil, n, out), act: m.Activation}
		if a, err = G.ApplyOp(act, z); err != nil {
			return nil, fmt.Errorf("building %s: %w", act.name, err)
		}
	}
	ch.lossOp = &sceOp{opBase: newOpBase("cross-entropy", hmLoss, nil), n: n, classes: C, scale: scale}
	var err error
	if ch.loss, err = G.ApplyOp(ch.lossOp, a, y); err != nil {
		return nil, fmt.Errorf("building the loss: %w", err)
	}
	grads, err := G.Grad(ch.loss, params...)
	if err != nil {
		return nil, fmt.Errorf("building the gradient graph: %w", err)
	}
	ch.roots = append(G.Nodes{ch.loss}, grads...)
	ch.vm = G.NewTapeMachine(ch.g.SubgraphRoots(ch.roots...))
	return ch, nil
}

// Batch returns the batch size the graph was built for.
func (gr *Graph) Batch() int { return gr.batch }

// SetWorkers sets how many goroutines run the chunks of a step (at least
// one). The results do not depend on it.
func (gr *Graph) SetWorkers(n int) { gr.workers = max(n, 1) }

// Close releases the graph's machines.
func (gr *Graph) Close() error {
	var first error
	for _, ch := range gr.chunks {
		if err := ch.vm.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// Run computes the mean loss of the current θ on the minibatch (x: Batch()
// rows, y: Batch() labels) and stores its gradient in grad (length P, θ order).
func (gr *Graph) Run(x []float64, y []int, grad []float64) (float64, error) {
	m := gr.m
	D, C := m.InputDim(), m.NumClasses()
	if len(y) != gr.batch || len(x) != gr.batch*D {
		return 0, fmt.Errorf("minibatch of %d samples with %d values, the graph takes %d samples of %d features", len(y), len(x), gr.batch, D)
	}
	if len(grad) != m.Layout.P {
		return 0, fmt.Errorf("gradient buffer has %d entries, want %d", len(grad), m.Layout.P)
	}
	for i, c := range y {
		if c < 0 || c >= C {
			return 0, fmt.Errorf("label %d of sample %d is outside the model's %d classes", c, i, C)
		}
	}
	run := func(k int) {
		ch := gr.chunks[k]
		// The chunk's rows of x are bound as they are, without a copy.
		xs := tensor.New(tensor.WithShape(ch.n, D), tensor.WithBacking(x[ch.lo*D:(ch.lo+ch.n)*D]))
		if gr.errs[k] = G.Let(ch.xNode, xs); gr.errs[k] != nil {
			return
		}
		yd := ch.y.Float64s()
		for i := range yd {
			yd[i] = float64(y[ch.lo+i])
		}
		ch.vm.Reset()
		gr.errs[k] = ch.vm.RunAll()
	}
	K := len(gr.chunks)
	if w := min(gr.workers, K); w <= 1 {
		for k := 0; k < K; k++ {
			run(k)
		}
	} else {
		var wg sync.WaitGroup
		for k := 1; k < K; k++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				run(k)
			}()
		}
		run(0)
		wg.Wait()
	}
	var loss float64
	for k, ch := range gr.chunks {
		if err := gr.errs[k]; err != nil {
			return 0, fmt.Errorf("gorgonia: %w", err)
		}
		l, err := scalarOf(ch.loss.Value())
		if err != nil {
			return 0, fmt.Errorf("gorgonia: %w", err)
		}
		if k == 0 {
			loss = l
			copy(grad, ch.grad)
			continue
		}
		loss += l
		for i, v := range ch.grad {
			grad[i] += v
		}
	}
	return loss, nil
}

// transposeBlocked stores in dst (cols×rows) the transpose of src
// (rows×cols), both row-major, in cache-sized blocks.
func transposeBlocked(dst, src []float64, rows, cols int) {
	const bs = 32
	for i0 := 0; i0 < rows; i0 += bs {
		i1 := min(i0+bs, rows)
		for j0 := 0; j0 < cols; j0 += bs {
			j1 := min(j0+bs, cols)
			for i := i0; i < i1; i++ {
				row := src[i*cols : (i+1)*cols]
				for j := j0; j < j1; j++ {
					dst[j*rows+i] = row[j]
				}
			}
		}
	}
}
