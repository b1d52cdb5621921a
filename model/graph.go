package model

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Graph is the MLP as a Gorgonia expression graph for a fixed batch size:
// the forward pass, the mean softmax cross-entropy built from elementary ops
// (logits − log Σ exp(logits − max) − max, with the column max for
// stability), and its gradient by Gorgonia's reverse-mode differentiation
// (first order only: Gorgonia's second derivatives are wrong, see DESIGN.md).
//
// The graph works feature-major: the minibatch enters as xᵀ (features ×
// samples) and every layer computes z_lᵀ = W_l a_{l−1}ᵀ + b_l with W_l in
// PyTorch's out×in layout. So the weight and bias tensors are backed by the
// model's θ itself (an update of m.Theta in place is what the next Run sees,
// and no transpose is needed), and the weight gradient ∂L/∂W_l = δ_lᵀ a_{l−1}
// is produced directly in θ's layout by the product whose inner loops are
// the long ones (gonum's kernels are several times slower the other way).
type Graph struct {
	m      *MLP
	batch  int
	g      *G.ExprGraph
	x, y   *G.Node
	params []*G.Node
	loss   *G.Node
	grads  G.Nodes
	vm     G.VM
	xT, yT *tensor.Dense // xᵀ (D×batch) and the one-hot labels (C×batch)
}

// NewGraph builds the training graph of m for minibatches of batch samples.
func (m *MLP) NewGraph(batch int) (*Graph, error) {
	if batch <= 0 {
		return nil, fmt.Errorf("batch size %d: must be positive", batch)
	}
	lo := m.Layout
	L := lo.NumLayers()
	D, C := m.InputDim(), m.NumClasses()
	gr := &Graph{m: m, batch: batch, g: G.NewGraph()}
	gr.xT = tensor.New(tensor.WithShape(D, batch), tensor.Of(tensor.Float64))
	gr.yT = tensor.New(tensor.WithShape(C, batch), tensor.Of(tensor.Float64))
	gr.x = G.NewMatrix(gr.g, G.Float64, G.WithShape(D, batch), G.WithName("xT"), G.WithValue(gr.xT))
	gr.y = G.NewMatrix(gr.g, G.Float64, G.WithShape(C, batch), G.WithName("yT"), G.WithValue(gr.yT))
	a := gr.x
	var err error
	for l := 0; l < L; l++ {
		in, out := lo.Layers[l], lo.Layers[l+1]
		wT := tensor.New(tensor.WithShape(out, in), tensor.WithBacking(lo.W(m.Theta, l)))
		bT := tensor.New(tensor.WithShape(out), tensor.WithBacking(lo.B(m.Theta, l)))
		w := G.NewMatrix(gr.g, G.Float64, G.WithShape(out, in), G.WithName(fmt.Sprintf("fc%d.weight", l+1)), G.WithValue(wT))
		b := G.NewVector(gr.g, G.Float64, G.WithShape(out), G.WithName(fmt.Sprintf("fc%d.bias", l+1)), G.WithValue(bT))
		gr.params = append(gr.params, w, b)
		z, err := G.Mul(w, a)
		if err != nil {
			return nil, err
		}
		if z, err = G.BroadcastAdd(z, b, nil, []byte{1}); err != nil {
			return nil, err
		}
		if l == L-1 {
			a = z
			break
		}
		if a, err = m.Activation.graphOp(z); err != nil {
			return nil, err
		}
	}
	// loss = mean_i [ max_i + log Σ_k exp(z_ki − max_i) − Σ_k Y_ki z_ki ]
	logits := a
	mx, err := G.Max(logits, 0)
	if err != nil {
		return nil, err
	}
	shifted, err := G.BroadcastSub(logits, mx, nil, []byte{0})
	if err != nil {
		return nil, err
	}
	ex, err := G.Exp(shifted)
	if err != nil {
		return nil, err
	}
	se, err := G.Sum(ex, 0)
	if err != nil {
		return nil, err
	}
	lse, err := G.Log(se)
	if err != nil {
		return nil, err
	}
	if lse, err = G.Add(lse, mx); err != nil {
		return nil, err
	}
	picked, err := G.HadamardProd(gr.y, logits)
	if err != nil {
		return nil, err
	}
	pk, err := G.Sum(picked, 0)
	if err != nil {
		return nil, err
	}
	per, err := G.Sub(lse, pk)
	if err != nil {
		return nil, err
	}
	if gr.loss, err = G.Mean(per); err != nil {
		return nil, err
	}
	if gr.grads, err = G.Grad(gr.loss, gr.params...); err != nil {
		return nil, fmt.Errorf("building the gradient graph: %w", err)
	}
	// Compile only what the loss and the parameter gradients need: Gorgonia's
	// symbolic differentiation also builds ∂loss/∂x (a product as large as
	// the first layer's), which training never uses.
	roots := append(G.Nodes{gr.loss}, gr.grads...)
	gr.vm = G.NewTapeMachine(gr.g.SubgraphRoots(roots...))
	return gr, nil
}

// Batch returns the batch size the graph was built for.
func (gr *Graph) Batch() int { return gr.batch }

// Close releases the graph's machine.
func (gr *Graph) Close() error { return gr.vm.Close() }

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
	transposeBlocked(gr.xT.Float64s(), x, gr.batch, D)
	yd := gr.yT.Float64s()
	clear(yd)
	for i, c := range y {
		if c < 0 || c >= C {
			return 0, fmt.Errorf("label %d of sample %d is outside the model's %d classes", c, i, C)
		}
		yd[c*gr.batch+i] = 1
	}
	gr.vm.Reset()
	if err := gr.vm.RunAll(); err != nil {
		return 0, fmt.Errorf("gorgonia: %w", err)
	}
	lo := m.Layout
	for l := 0; l < lo.NumLayers(); l++ {
		copy(lo.W(grad, l), gr.grads[2*l].Value().Data().([]float64))
		copy(lo.B(grad, l), gr.grads[2*l+1].Value().Data().([]float64))
	}
	return gr.loss.Value().Data().(float64), nil
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
