package graph

import (
	"fmt"
	"hash"
	"hash/fnv"
	"io"
	"math"

	"github.com/chewxy/hm"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/sgn-project/sgn/model"
)

// The Gorgonia graph is built from a few custom operations, each a whole
// layer's worth of arithmetic: a linear layer z = a Wᵀ + b whose forward and
// backward passes are single GEMMs, the activation, and a fused softmax
// cross-entropy. Gorgonia builds the graph from them and differentiates it
// through their SymDiff methods; each operation writes its value into a
// buffer it owns, so a training step allocates no tensors.
//
// With samples as rows (PyTorch's layout, W_l out×in):
//
//	z = a Wᵀ + b,  ∂L/∂a = (∂L/∂z) W,  ∂L/∂W = (∂L/∂z)ᵀ a,  ∂L/∂b = Σ_i (∂L/∂z)_i
//	L = s Σ_i [log Σ_k exp z_ik − z_{i,y_i}],  ∂L/∂z = s (softmax(z) − Y)
//
// where s is 1/B for the mean over a minibatch of B samples.

// general is the row-major rows×cols matrix over data for gonum's BLAS.
func general(rows, cols int, data []float64) blas64.General {
	return blas64.General{Rows: rows, Cols: cols, Stride: cols, Data: data[:rows*cols]}
}

var (
	matType = G.TensorType{Dims: 2, Of: G.Float64}
	vecType = G.TensorType{Dims: 1, Of: G.Float64}
)

// opBase is what the graph's operations share: a name unique within the
// graph (Gorgonia merges operations with equal hashes), the output's shape
// and type, and the buffer the output is written to (nil for the scalar
// loss).
type opBase struct {
	name  string
	shape tensor.Shape
	types []hm.Type // argument types, then the result's
	out   *tensor.Dense
}

func newOpBase(name string, types []hm.Type, backing []float64, shape ...int) opBase {
	o := opBase{name: name, types: types, shape: tensor.Shape(shape)}
	if len(shape) > 0 {
		n := tensor.Shape(shape).TotalSize()
		if backing == nil {
			backing = make([]float64, n)
		}
		o.out = tensor.New(tensor.WithShape(shape...), tensor.WithBacking(backing[:n]))
	}
	return o
}

// The methods below, with each operation's Arity and Do, implement
// gorgonia.Op; the forward operations also implement gorgonia.SDOp
// (DiffWRT, SymDiff).

// ReturnsPtr reports false: no operation returns one of its inputs.
func (o *opBase) ReturnsPtr() bool      { return false }
func (o *opBase) CallsExtern() bool     { return false }
func (o *opBase) OverwritesInput() int  { return -1 }
func (o *opBase) WriteHash(h hash.Hash) { _, _ = io.WriteString(h, o.name) }
func (o *opBase) Hashcode() uint32 {
	h := fnv.New32a()
	o.WriteHash(h)
	return h.Sum32()
}
func (o *opBase) String() string { return o.name }

// Type returns a new function type each time: Gorgonia recycles it.
func (o *opBase) Type() hm.Type                                  { return hm.NewFnType(o.types...) }
func (o *opBase) InferShape(...G.DimSizer) (tensor.Shape, error) { return o.shape.Clone(), nil }

// values returns the float64 data of Gorgonia values (dense tensors).
func values(vs []G.Value, want int) ([][]float64, error) {
	if len(vs) != want {
		return nil, fmt.Errorf("%d inputs, want %d", len(vs), want)
	}
	out := make([][]float64, want)
	for i, v := range vs {
		d, ok := v.(*tensor.Dense)
		if !ok {
			return nil, fmt.Errorf("input %d is a %T, want a dense tensor", i, v)
		}
		out[i] = d.Float64s()
	}
	return out, nil
}

// scalarOf returns the value of a scalar Gorgonia value.
func scalarOf(v G.Value) (float64, error) {
	switch s := v.(type) {
	case *G.F64:
		return float64(*s), nil
	case tensor.Tensor:
		if f, ok := s.Data().(float64); ok {
			return f, nil
		}
	}
	return 0, fmt.Errorf("gradient seed is a %T, want a float64 scalar", v)
}

// gradSink is where a chunk's gradient goes, in θ's layout: a buffer the
// graph can point elsewhere between runs (at the caller's gradient for the
// first chunk, so that it need not be copied there).
type gradSink struct {
	buf    []float64
	layout model.Layout
}

// view returns the tensor over part of the sink (W or B of layer l), kept
// in *t and made anew only when the sink has moved.
func (s *gradSink) view(t **tensor.Dense, part func(model.Layout, []float64, int) []float64, l int, shape ...int) *tensor.Dense {
	d := part(s.layout, s.buf, l)
	if *t == nil || &(*t).Float64s()[0] != &d[0] {
		*t = tensor.New(tensor.WithShape(shape...), tensor.WithBacking(d))
	}
	return *t
}

// linearOp: (a n×in, W out×in, b out) → z = a Wᵀ + b, n×out.
type linearOp struct {
	opBase
	n, in, outDim int
	needDx        bool // whether ∂L/∂a is wanted (not for the input layer)
	layer         int
	sink          *gradSink // where ∂L/∂W and ∂L/∂b are written
	team          *team     // runs the layer's GEMMs
	// act, when not nil, is the activation applied to this layer's
	// output: each block of the forward GEMM applies it to its own values
	// (act.Do then has nothing left to do).
	act *actOp
	// bias is b during Do; fillBias and applyAct are the forward GEMM's
	// block functions, made once.
	bias               []float64
	fillBias, applyAct blockFn
}

func (op *linearOp) Arity() int { return 3 }

func (op *linearOp) Do(vs ...G.Value) (G.Value, error) {
	in, err := values(vs, 3)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op.name, err)
	}
	z := op.out.Float64s()
	if op.fillBias == nil {
		op.fillBias = func(r0, r1, c0, c1 int) {
			for i := r0; i < r1; i++ {
				copy(z[i*op.outDim+c0:i*op.outDim+c1], op.bias[c0:c1])
			}
		}
		if op.act != nil {
			act, fz := op.act.act, op.act.out.Float64s()
			op.applyAct = func(r0, r1, c0, c1 int) {
				for i := r0; i < r1; i++ {
					act.Apply(fz[i*op.outDim+c0:i*op.outDim+c1], z[i*op.outDim+c0:i*op.outDim+c1])
				}
			}
		}
	}
	op.bias = in[2]
	err = op.team.gemm(blas.NoTrans, blas.Trans, general(op.n, op.in, in[0]), general(op.outDim, op.in, in[1]), 1, general(op.n, op.outDim, z), op.fillBias, op.applyAct)
	op.bias = nil
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op.name, err)
	}
	if op.act != nil {
		op.act.done = true
	}
	return op.out, nil
}

func (op *linearOp) DiffWRT(int) []bool { return []bool{op.needDx, true, true} }

func (op *linearOp) SymDiff(inputs G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	a, w := inputs[0], inputs[1]
	res := make(G.Nodes, 3)
	var err error
	if op.needDx {
		dx := &linearDxOp{opBase: newOpBase(op.name+".da", []hm.Type{matType, matType, matType}, nil, op.n, op.in), lin: op}
		if res[0], err = G.ApplyOp(dx, grad, w); err != nil {
			return nil, err
		}
	}
	dw := &linearDwOp{opBase: opBase{name: op.name + ".dW", types: []hm.Type{matType, matType, matType}, shape: tensor.Shape{op.outDim, op.in}}, lin: op}
	if res[1], err = G.ApplyOp(dw, grad, a); err != nil {
		return nil, err
	}
	db := &linearDbOp{opBase: opBase{name: op.name + ".db", types: []hm.Type{matType, vecType}, shape: tensor.Shape{op.outDim}}, lin: op, dw: dw}
	if res[2], err = G.ApplyOp(db, grad); err != nil {
		return nil, err
	}
	dw.db = db
	return res, nil
}

// linearDxOp: (∂L/∂z n×out, W out×in) → ∂L/∂a = (∂L/∂z) W, n×in.
type linearDxOp struct {
	opBase
	lin *linearOp
}

func (op *linearDxOp) Arity() int { return 2 }

func (op *linearDxOp) Do(vs ...G.Value) (G.Value, error) {
	in, err := values(vs, 2)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op.name, err)
	}
	l := op.lin
	if err := l.team.gemm(blas.NoTrans, blas.NoTrans, general(l.n, l.outDim, in[0]), general(l.outDim, l.in, in[1]), 0, general(l.n, l.in, op.out.Float64s()), nil, nil); err != nil {
		return nil, fmt.Errorf("%s: %w", op.name, err)
	}
	return op.out, nil
}

// linearDwOp: (∂L/∂z n×out, a n×in) → ∂L/∂W = (∂L/∂z)ᵀ a, out×in, written
// into the chunk's gradient sink in θ's layout.
type linearDwOp struct {
	opBase
	lin *linearOp
	// db, when the program runs this operation before db's (fuse), is
	// computed with ∂L/∂W: each block of the GEMM sums the columns of
	// ∂L/∂z of its rows of ∂L/∂W (all of them for the block of column 0).
	db *linearDbOp
}

func (op *linearDwOp) Arity() int { return 2 }

func (op *linearDwOp) Do(vs ...G.Value) (G.Value, error) {
	in, err := values(vs, 2)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op.name, err)
	}
	l := op.lin
	out := l.sink.view(&op.out, model.Layout.W, l.layer, l.outDim, l.in)
	var post blockFn
	if op.db != nil && op.db.fused {
		g := in[0]
		db := op.db.sum()
		post = func(r0, r1, c0, _ int) {
			if c0 == 0 {
				sumColumns(db, g, l.n, l.outDim, r0, r1)
			}
		}
	}
	if err := l.team.gemm(blas.Trans, blas.NoTrans, general(l.n, l.outDim, in[0]), general(l.n, l.in, in[1]), 0, general(l.outDim, l.in, out.Float64s()), nil, post); err != nil {
		return nil, fmt.Errorf("%s: %w", op.name, err)
	}
	if post != nil {
		op.db.done = true
	}
	return out, nil
}

// linearDbOp: ∂L/∂z (n×out) → ∂L/∂b = Σ_i (∂L/∂z)_i, summed in sample order.
type linearDbOp struct {
	opBase
	lin *linearOp
	dw  *linearDwOp
	// fused: ∂L/∂W's operation computes this one's value (compileGraph
	// sets it when that operation runs first); done: it has, this run.
	fused, done bool
}

func (op *linearDbOp) Arity() int { return 1 }

// sum returns where ∂L/∂b goes in the chunk's gradient sink.
func (op *linearDbOp) sum() []float64 {
	l := op.lin
	return l.sink.view(&op.out, model.Layout.B, l.layer, l.outDim).Float64s()
}

func (op *linearDbOp) leader() G.Op    { return op.dw }
func (op *linearDbOp) setFused(f bool) { op.fused, op.done = f, false }

func (op *linearDbOp) Do(vs ...G.Value) (G.Value, error) {
	in, err := values(vs, 1)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op.name, err)
	}
	l := op.lin
	db := op.sum()
	if op.done {
		op.done = false
		return op.out, nil
	}
	// Cut between columns: each sum runs over all rows in order.
	err = l.team.parallel(l.outDim, minColumns(l.n), func(lo, hi int) { sumColumns(db, in[0], l.n, l.outDim, lo, hi) })
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op.name, err)
	}
	return op.out, nil
}

// sumColumns stores in db[k], for k in [lo, hi), the sum of column k of
// the n×cols matrix g, rows in order.
func sumColumns(db, g []float64, n, cols, lo, hi int) {
	d := db[lo:hi]
	clear(d)
	for i := 0; i < n; i++ {
		for k, v := range g[i*cols+lo : i*cols+hi] {
			d[k] += v
		}
	}
}

// The least work the element-wise operations cut between a team's
// goroutines (a hand-off to a spinning helper costs about a microsecond):
// values of an activation or its derivative, rows of the softmax
// cross-entropy (a few exponentials each), and columns of a bias gradient
// (minColumns: enough of them to sum minValues values).
const (
	minValues = 4096
	minRows   = 32
)

func minColumns(rows int) int { return max(2, minValues/max(rows, 1)) }

// valueGranule: the activation's values are cut at multiples of it, so a
// vectorised kernel sees the same runs whatever the cut.
const valueGranule = 8

// actOp: z → f(z) for the hidden layers' activation.
type actOp struct {
	opBase
	act  model.Activation
	team *team
	// done: the linear layer whose output this is computed f(z) with z,
	// this run (it always runs first: f(z) takes z).
	done bool
}

func (op *actOp) Arity() int { return 1 }

func (op *actOp) Do(vs ...G.Value) (G.Value, error) {
	in, err := values(vs, 1)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op.name, err)
	}
	if op.done {
		op.done = false
		return op.out, nil
	}
	fz, z := op.out.Float64s(), in[0]
	if err := op.team.parallelBy(len(z), valueGranule, minValues, func(lo, hi int) { op.act.Apply(fz[lo:hi], z[lo:hi]) }); err != nil {
		return nil, fmt.Errorf("%s: %w", op.name, err)
	}
	return op.out, nil
}

func (op *actOp) DiffWRT(int) []bool { return []bool{true} }

func (op *actOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	d := &actGradOp{opBase: newOpBase(op.name+".dz", []hm.Type{matType, matType, matType, matType}, nil, op.shape...), act: op.act, team: op.team}
	n, err := G.ApplyOp(d, inputs[0], output, grad)
	return G.Nodes{n}, err
}

// actGradOp: (z, f(z), ∂L/∂f) → ∂L/∂z = ∂L/∂f ⊙ f′(z).
type actGradOp struct {
	opBase
	act  model.Activation
	team *team
}

func (op *actGradOp) Arity() int { return 3 }

func (op *actGradOp) Do(vs ...G.Value) (G.Value, error) {
	in, err := values(vs, 3)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op.name, err)
	}
	g := op.out.Float64s()
	z, fz, up := in[0], in[1], in[2]
	if err := op.team.parallelBy(len(g), valueGranule, minValues, func(lo, hi int) {
		copy(g[lo:hi], up[lo:hi])
		op.act.MulDeriv(g[lo:hi], z[lo:hi], fz[lo:hi])
	}); err != nil {
		return nil, fmt.Errorf("%s: %w", op.name, err)
	}
	return op.out, nil
}

// sceOp: (logits n×C, labels n) → s Σ_i [log Σ_k exp z_ik − z_{i,y_i}], the
// softmax cross-entropy in one pass (with the row maximum subtracted before
// the exponential). The rows are cut between the team's goroutines, each
// row's term stored and the terms summed in row order.
type sceOp struct {
	opBase
	n, classes int
	scale      float64
	team       *team
	rows       []float64 // each row's term
	// grad is the operation of ∂L/∂z; when the program runs it after this
	// one (grad.fused), each row's ∂L/∂z for a seed of 1 is stored with its
	// term, from the same exponentials (grad.done).
	grad *sceGradOp
}

func (op *sceOp) Arity() int { return 2 }

// label returns the class of sample i, checked.
func (op *sceOp) label(y []float64, i int) (int, error) {
	c := int(y[i])
	if c < 0 || c >= op.classes || float64(c) != y[i] {
		return 0, fmt.Errorf("label %v of sample %d is outside the model's %d classes", y[i], i, op.classes)
	}
	return c, nil
}

// checkLabels checks every label of y.
func (op *sceOp) checkLabels(y []float64) error {
	for i := 0; i < op.n; i++ {
		if _, err := op.label(y, i); err != nil {
			return err
		}
	}
	return nil
}

func (op *sceOp) Do(vs ...G.Value) (G.Value, error) {
	in, err := values(vs, 2)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op.name, err)
	}
	z, y := in[0], in[1]
	if err := op.checkLabels(y); err != nil {
		return nil, err
	}
	if op.rows == nil {
		op.rows = make([]float64, op.n)
	}
	var d []float64
	fuse := op.grad != nil && op.grad.fused
	if fuse {
		d = op.grad.out.Float64s()
	}
	err = op.team.parallel(op.n, minRows, func(lo, hi int) {
		if fuse {
			softmaxRows(d, op.rows, z, y, op.classes, op.scale, lo, hi)
		} else {
			lossRows(op.rows, z, y, op.classes, lo, hi)
		}
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op.name, err)
	}
	var sum float64
	for _, r := range op.rows {
		sum += r
	}
	if fuse {
		op.grad.done = true
	}
	return G.NewF64(op.scale * sum), nil
}

// lossRows stores in rows[i], for the rows i in [lo, hi) of the logits z
// (C classes), the term log Σ_k exp z_ik − z_{i,y_i} (labels checked).
func lossRows(rows, z, y []float64, C, lo, hi int) {
	for i := lo; i < hi; i++ {
		zi := z[i*C : (i+1)*C]
		mx := zi[0]
		for _, v := range zi {
			mx = max(mx, v)
		}
		var s float64
		for _, v := range zi {
			s += math.Exp(v - mx)
		}
		rows[i] = mx + math.Log(s) - zi[int(y[i])]
	}
}

// softmaxRows does what lossRows does and stores s (softmax(z_i) − e_{y_i})
// in row i of d, from the same exponentials.
func softmaxRows(d, rows, z, y []float64, C int, s float64, lo, hi int) {
	for i := lo; i < hi; i++ {
		zi, di := z[i*C:(i+1)*C], d[i*C:(i+1)*C]
		c := int(y[i])
		mx := zi[0]
		for _, v := range zi {
			mx = max(mx, v)
		}
		var sum float64
		for k, v := range zi {
			e := math.Exp(v - mx)
			di[k] = e
			sum += e
		}
		rows[i] = mx + math.Log(sum) - zi[c]
		for k := range di {
			di[k] /= sum
		}
		di[c] -= 1
		for k := range di {
			di[k] *= s
		}
	}
}

func (op *sceOp) DiffWRT(int) []bool { return []bool{true, false} }

func (op *sceOp) SymDiff(inputs G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	d := &sceGradOp{opBase: newOpBase(op.name+".dz", []hm.Type{matType, vecType, G.Float64, matType}, nil, op.n, op.classes), sce: op}
	op.grad = d
	n, err := G.ApplyOp(d, inputs[0], inputs[1], grad)
	return G.Nodes{n, nil}, err
}

// sceGradOp: (logits, labels, ∂/∂L) → ∂L/∂z = s (softmax(z) − Y) ∂/∂L.
type sceGradOp struct {
	opBase
	sce *sceOp
	// fused: the loss's operation runs first in the program and stores
	// ∂L/∂z for a seed of 1; done: it has, this run.
	fused, done bool
}

func (op *sceGradOp) Arity() int      { return 3 }
func (op *sceGradOp) leader() G.Op    { return op.sce }
func (op *sceGradOp) setFused(f bool) { op.fused, op.done = f, false }

func (op *sceGradOp) Do(vs ...G.Value) (G.Value, error) {
	if len(vs) != 3 {
		return nil, fmt.Errorf("%s: %d inputs, want 3", op.name, len(vs))
	}
	done := op.done
	op.done = false
	seed, err := scalarOf(vs[2])
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op.name, err)
	}
	if done && seed == 1 {
		return op.out, nil // s·1 is s: the loss's operation stored these bits
	}
	in, err := values(vs[:2], 2)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op.name, err)
	}
	z, y := in[0], in[1]
	if err := op.sce.checkLabels(y); err != nil {
		return nil, err
	}
	if len(op.sce.rows) != op.sce.n {
		op.sce.rows = make([]float64, op.sce.n)
	}
	C, s := op.sce.classes, op.sce.scale*seed
	d := op.out.Float64s()
	// The loss's rows are computed again into its buffer, which its
	// operation has read.
	err = op.sce.team.parallel(op.sce.n, minRows, func(lo, hi int) { softmaxRows(d, op.sce.rows, z, y, C, s, lo, hi) })
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op.name, err)
	}
	return op.out, nil
}

// The types of the graph's forward operations.
var (
	hmLinear = []hm.Type{matType, matType, vecType, matType}
	hmUnary  = []hm.Type{matType, matType}
	hmLoss   = []hm.Type{matType, vecType, G.Float64}
)
