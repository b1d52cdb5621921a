package graph

import (
	"fmt"
	"sync"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/sgn-project/sgn/internal/workgroup"
	"github.com/sgn-project/sgn/model"
)

// Graph is the model.MLP as Gorgonia expression graphs for a fixed batch size:
// the forward pass, the mean softmax cross-entropy and its gradient by
// Gorgonia's reverse-mode differentiation (first order only: Gorgonia's
// second derivatives are wrong, so it never differentiates twice). The
// operations are whole layers (ops.go) calling the installed BLAS;
// a graphProgram runs them in Gorgonia's topological order.
//
// A minibatch is split into a fixed number of chunks that depends only on
// the problem (graphChunks), each with its own subgraph; their gradients
// are added in chunk order. With one worker all chunks share one graph and
// one program; with more, each chunk has its own graph and program and they
// run in parallel. Workers beyond one per chunk share a chunk's large GEMMs,
// cut into blocks of whole micro-kernel tiles (team), and the element-wise
// work between them: the bias and the activation with the forward GEMM's
// blocks, the softmax cross-entropy and its gradient (one pass) by rows,
// the activation's derivative by values, the bias gradient with ∂L/∂W's
// blocks (by columns, each summed over the rows in order). A minibatch of
// one chunk, as B = 128 on 784-100-10, runs on every worker this way. The
// arithmetic is the same either way, so the result is bit-for-bit the same
// whatever the number of workers (SetWorkers).
type Graph struct {
	m       *model.MLP
	batch   int
	chunks  []*graphChunk
	shards  []*graphShard
	workers int
	errs    []error
	// buildErr is an error rebuilding the graphs for a new number of
	// workers; Run returns it.
	buildErr error
}

// graphShard is one Gorgonia graph holding some of the chunks, and the
// program that runs it.
type graphShard struct {
	g      *G.ExprGraph
	prog   *graphProgram
	chunks []*graphChunk
	// team cuts the shard's large GEMMs between the workers the shard
	// has to itself.
	team *team
}

// graphChunk is the subgraph of samples [lo, lo+n) of the minibatch.
type graphChunk struct {
	lo, n int
	loss  *G.Node
	// lossValue is loss's value after a run.
	lossValue G.Value
	x         *G.Node       // the chunk's samples (n×D), bound at each run
	y         *tensor.Dense // its labels (n)
	// sink receives the chunk's contribution to the gradient (θ layout):
	// the caller's gradient for chunk 0, own buffers for the others.
	sink gradSink
	own  []float64 // the chunk's own buffer (nil for chunk 0)
}

// graphChunks is the number of chunks a minibatch of batch samples is split
// into for a model of P parameters: two when each chunk has at least 80
// samples and about a million multiply-adds per pass, so that two cores can
// share a step; one otherwise. A chunk costs more than its share of the
// arithmetic: each chunk packs every Wᵀ again for its GEMMs and its
// gradient is added to the others', work of the order of P. Measured on
// 784-100-10 with one worker (step CPU time, chunks of 64 and 128 samples):
// 12% and 5% more than one chunk, so B = 128 runs as one chunk and the
// one-worker step costs what the gonum engine's does (more workers share
// its GEMMs instead). What two workers
// give back depends on the machine: at B = 256, 1.4–1.9× one worker on a
// busy 2-vCPU virtual machine, 0.96–1.11× on the same machine idle, where
// starting the second goroutine wakes a halted vCPU. The number depends
// on the problem only, never on the workers.
func graphChunks(batch, P int) int {
	if batch >= 160 && batch*P >= 1<<21 {
		return 2
	}
	return 1
}

// New builds the training graph of m for minibatches of batch samples.
// It runs on one worker until SetWorkers says otherwise.
func New(m *model.MLP, batch int) (*Graph, error) {
	if batch <= 0 {
		return nil, fmt.Errorf("batch size %d: must be positive", batch)
	}
	return newGraph(m, batch, graphChunks(batch, m.Layout.P))
}

// newGraph builds the graph with K chunks.
func newGraph(m *model.MLP, batch, K int) (*Graph, error) {
	gr := &Graph{m: m, batch: batch, workers: 1}
	for c := 0; c < K; c++ {
		lo, hi := c*batch/K, (c+1)*batch/K
		ch := &graphChunk{lo: lo, n: hi - lo, sink: gradSink{layout: m.Layout}}
		if c > 0 {
			ch.own = make([]float64, m.Layout.P)
			ch.sink.buf = ch.own
		}
		gr.chunks = append(gr.chunks, ch)
	}
	gr.errs = make([]error, K)
	if err := gr.build(1); err != nil {
		return nil, err
	}
	return gr, nil
}

// build (re)builds the shards: one for all chunks when shards is 1, one per
// chunk otherwise.
func (gr *Graph) build(shards int) error {
	if err := gr.Close(); err != nil {
		return err
	}
	gr.shards = nil
	K := len(gr.chunks)
	per := K
	if shards > 1 {
		per = 1
	}
	for c0 := 0; c0 < K; c0 += per {
		sh := &graphShard{g: G.NewGraph(), chunks: gr.chunks[c0 : c0+per], team: &team{size: 1}}
		var cost *G.Node
		var losses, params G.Nodes
		for i, ch := range sh.chunks {
			p, err := addChunk(gr.m, sh.g, fmt.Sprintf("c%d.", c0+i), ch, 1/float64(gr.batch), sh.team)
			if err != nil {
				return err
			}
			params = append(params, p...)
			losses = append(losses, ch.loss)
			if cost == nil {
				cost = ch.loss
			} else if cost, err = G.Add(cost, ch.loss); err != nil {
				return fmt.Errorf("building the loss: %w", err)
			}
		}
		// One differentiation of the sum of the shard's chunk losses: each
		// chunk's loss receives the seed 1 exactly, as it would alone.
		grads, err := G.Grad(cost, params...)
		if err != nil {
			return fmt.Errorf("building the gradient graph: %w", err)
		}
		if sh.prog, err = compileGraph(sh.g, append(losses, grads...)); err != nil {
			return err
		}
		gr.shards = append(gr.shards, sh)
	}
	return nil
}

// addChunk adds to g the forward subgraph of chunk ch (names prefixed with
// prefix) with its loss scaled by scale (1/B: the chunk's share of the
// minibatch mean), its GEMMs run by tm, and returns the chunk's parameter
// nodes (backed by θ).
func addChunk(m *model.MLP, g *G.ExprGraph, prefix string, ch *graphChunk, scale float64, tm *team) (G.Nodes, error) {
	lo := m.Layout
	L := lo.NumLayers()
	n, D, C := ch.n, m.InputDim(), m.NumClasses()
	ch.y = tensor.New(tensor.WithShape(n), tensor.Of(tensor.Float64))
	x0 := tensor.New(tensor.WithShape(n, D), tensor.Of(tensor.Float64))
	ch.x = G.NewMatrix(g, G.Float64, G.WithShape(n, D), G.WithName(prefix+"x"), G.WithValue(x0))
	y := G.NewVector(g, G.Float64, G.WithShape(n), G.WithName(prefix+"y"), G.WithValue(ch.y))
	a := ch.x
	var params G.Nodes
	for l := 0; l < L; l++ {
		in, out := lo.Layers[l], lo.Layers[l+1]
		wT := tensor.New(tensor.WithShape(out, in), tensor.WithBacking(lo.W(m.Theta, l)))
		bT := tensor.New(tensor.WithShape(out), tensor.WithBacking(lo.B(m.Theta, l)))
		name := fmt.Sprintf("%sfc%d", prefix, l+1)
		w := G.NewMatrix(g, G.Float64, G.WithShape(out, in), G.WithName(name+".weight"), G.WithValue(wT))
		b := G.NewVector(g, G.Float64, G.WithShape(out), G.WithName(name+".bias"), G.WithValue(bT))
		params = append(params, w, b)
		lin := &linearOp{
			opBase: newOpBase(name, hmLinear, nil, n, out),
			n:      n, in: in, outDim: out,
			needDx: l > 0,
			layer:  l, sink: &ch.sink, team: tm,
		}
		z, err := G.ApplyOp(lin, a, w, b)
		if err != nil {
			return nil, fmt.Errorf("building %s: %w", name, err)
		}
		if l == L-1 {
			a = z
			break
		}
		act := &actOp{opBase: newOpBase(name+"."+m.Activation.String(), hmUnary, nil, n, out), act: m.Activation, team: tm}
		lin.act = act
		if a, err = G.ApplyOp(act, z); err != nil {
			return nil, fmt.Errorf("building %s: %w", act.name, err)
		}
	}
	lossOp := &sceOp{opBase: newOpBase(prefix+"cross-entropy", hmLoss, nil), n: n, classes: C, scale: scale, team: tm}
	var err error
	if ch.loss, err = G.ApplyOp(lossOp, a, y); err != nil {
		return nil, fmt.Errorf("building the loss: %w", err)
	}
	return params, nil
}

// Batch returns the batch size the graph was built for.
func (gr *Graph) Batch() int { return gr.batch }

// SetWorkers sets how many goroutines run a step (at least one): the
// chunks in parallel, and within a chunk its large GEMMs cut into blocks of
// whole tiles between the workers the chunk has to itself (team). The
// results do not depend on it. Changing between one worker and several
// for the chunks rebuilds the graphs (an error doing so is returned by
// Run).
func (gr *Graph) SetWorkers(n int) {
	n = max(n, 1)
	want := min(n, len(gr.chunks))
	gr.workers = n
	if want != len(gr.shards) {
		gr.buildErr = gr.build(want)
	}
	for _, sh := range gr.shards {
		sh.team.setSize(n / len(gr.shards))
	}
}

// Close releases the graph: it ends the goroutines that share its GEMMs
// (SetWorkers), which live from the first step that cuts one until Close.
func (gr *Graph) Close() error {
	for _, sh := range gr.shards {
		sh.team.stop()
	}
	return nil
}

// Run computes the mean loss of the current θ on the minibatch (x: Batch()
// rows, y: Batch() labels) and stores its gradient in grad (length P, θ order;
// the graph writes into grad as it runs, so after an error its contents are
// undefined).
func (gr *Graph) Run(x []float64, y []int, grad []float64) (float64, error) {
	if gr.buildErr != nil {
		return 0, gr.buildErr
	}
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
	// Chunk 0 writes its gradient straight into grad.
	gr.chunks[0].sink.buf = grad
	run := func(s int) {
		sh := gr.shards[s]
		for _, ch := range sh.chunks {
			// The chunk's rows of x are bound as they are, without a copy.
			xs := tensor.New(tensor.WithShape(ch.n, D), tensor.WithBacking(x[ch.lo*D:(ch.lo+ch.n)*D]))
			if gr.errs[s] = G.Let(ch.x, xs); gr.errs[s] != nil {
				return
			}
			yd := ch.y.Float64s()
			for i := range yd {
				yd[i] = float64(y[ch.lo+i])
			}
		}
		if gr.errs[s] = sh.prog.run(); gr.errs[s] != nil {
			return
		}
		for _, ch := range sh.chunks {
			ch.lossValue = sh.prog.value(ch.loss)
		}
	}
	S := len(gr.shards)
	if S == 1 {
		run(0)
	} else {
		var wg sync.WaitGroup
		for s := 1; s < S; s++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := workgroup.Call("gradient shard", func() error { run(s); return nil }); err != nil {
					gr.errs[s] = err
				}
			}()
		}
		run(0)
		wg.Wait()
	}
	for _, err := range gr.errs[:S] {
		if err != nil {
			return 0, fmt.Errorf("gorgonia: %w", err)
		}
	}
	var loss float64
	for k, ch := range gr.chunks {
		l, err := scalarOf(ch.lossValue)
		if err != nil {
			return 0, fmt.Errorf("gorgonia: %w", err)
		}
		if k == 0 {
			loss = l
		} else {
			loss += l
		}
	}
	// grad = Σ_k chunk k's gradient, in chunk order (chunk 0 wrote into it).
	for _, ch := range gr.chunks[1:] {
		for i, v := range ch.own[:len(grad)] {
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

// minSplit is the fewest values Parallel cuts: below it a hand-off costs
// more than the work.
const minSplit = 1 << 14

// Parallel calls fn on [0, n) cut into one range per worker (SetWorkers),
// on the goroutines that share the graph's GEMMs, for the work beside a
// step whose ranges do not depend on each other (gathering a minibatch,
// the SGD update): the result is the same whatever the number of workers.
// With one worker, with chunks run in parallel, or for n below a few
// thousand it calls fn(0, n). A panic of fn is returned as an error.
func (gr *Graph) Parallel(n int, fn func(lo, hi int)) error {
	if len(gr.shards) != 1 {
		fn(0, n)
		return nil
	}
	return gr.shards[0].team.parallel(n, minSplit, fn)
}
