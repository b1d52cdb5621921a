package graph

import (
	"math"
	"runtime"
	"testing"

	G "gorgonia.org/gorgonia"

	"github.com/sgn-project/sgn/internal/gemm"
	"github.com/sgn-project/sgn/internal/synthtest"
	"github.com/sgn-project/sgn/model"
)

// The Gorgonia graph's loss and gradient equal the gonum engine's (and so
// central finite differences, see TestGradientFiniteDifferences), and an
// in-place update of θ is seen by the next run.
func TestGraphMatchesEngine(t *testing.T) {
	for _, c := range testNets() {
		m, _ := model.New(c)
		b := synthetic(16, c.Layers[0], m.NumClasses(), c.Seed+30)
		gr, err := New(m, 16)
		if err != nil {
			t.Fatal(err)
		}
		P := m.NumParams()
		for step := 0; step < 3; step++ {
			gG := make([]float64, P)
			lossG, err := gr.Run(b.X, b.Y, gG)
			if err != nil {
				t.Fatal(err)
			}
			gE := make([]float64, P)
			e, _ := m.Evaluate(m.Theta, b, gE, 1)
			if d := synthtest.RelErr([]float64{lossG}, []float64{e.Loss}); d > 1e-13 {
				t.Errorf("%v %s: Gorgonia loss %v, engine %v", c.Layers, c.Activation, lossG, e.Loss)
			}
			if d := synthtest.RelErr(gG, gE); d > 1e-12 {
				t.Errorf("%v %s step %d: Gorgonia gradient differs from the engine by %.3g", c.Layers, c.Activation, step, d)
			}
			for i := range m.Theta {
				m.Theta[i] -= 0.5 * gG[i]
			}
		}
		gr.Close()
	}
}

// A minibatch split into chunks gives the same loss and gradient, bit for
// bit, whatever the number of workers, and agrees with the engine.
func TestGraphWorkersBitIdentical(t *testing.T) {
	for _, c := range []model.Config{
		{Layers: []int{300, 40, 10}, Activation: model.ReLU, Seed: 7},
		{Layers: []int{300, 40, 10}, Activation: model.Tanh, Seed: 8},
	} {
		m, _ := model.New(c)
		const B = 169 // two chunks of unequal size
		b := synthetic(B, c.Layers[0], m.NumClasses(), c.Seed+31)
		gr, err := New(m, B)
		if err != nil {
			t.Fatal(err)
		}
		if len(gr.chunks) < 2 {
			t.Fatalf("batch %d runs as %d chunk(s), want several", B, len(gr.chunks))
		}
		P := m.NumParams()
		var ref []float64
		var refLoss float64
		// Back to one worker and to two again (the shards' goroutines
		// stopped and started), two steps each (the same goroutines reused).
		for _, w := range []int{1, 2, 3, 2, 2, 1, 2} {
			gr.SetWorkers(w)
			g := make([]float64, P)
			loss, err := gr.Run(b.X, b.Y, g)
			if err != nil {
				t.Fatal(err)
			}
			if ref == nil {
				ref, refLoss = g, loss
				if dg, dl := againstEngine(t, m, b, g, loss); dg > 1e-12 || dl > 1e-13 {
					t.Errorf("%v: chunked graph differs from the engine by %.3g (loss %.3g)", c.Layers, dg, dl)
				}
				continue
			}
			if math.Float64bits(loss) != math.Float64bits(refLoss) {
				t.Errorf("%v: loss with %d workers %v, with 1 %v", c.Layers, w, loss, refLoss)
			}
			for i := range g {
				if math.Float64bits(g[i]) != math.Float64bits(ref[i]) {
					t.Fatalf("%v: gradient[%d] with %d workers %v, with 1 %v", c.Layers, i, w, g[i], ref[i])
				}
			}
		}
		gr.Close()
	}
}

// The graph's program gives what Gorgonia's tape machine gives on the same
// graph, bit for bit: the loss of every chunk and the gradient.
func TestGraphProgramMatchesTapeMachine(t *testing.T) {
	cases := []struct {
		c model.Config
		B int
	}{
		{model.Config{Layers: []int{300, 40, 10}, Activation: model.ReLU, Seed: 7}, 169}, // two chunks in one graph
		{model.Config{Layers: []int{12, 7, 5, 3}, Activation: model.Tanh, Seed: 9}, 16},
	}
	for _, tc := range cases {
		m, _ := model.New(tc.c)
		b := synthetic(tc.B, tc.c.Layers[0], m.NumClasses(), tc.c.Seed+32)
		gr, err := New(m, tc.B)
		if err != nil {
			t.Fatal(err)
		}
		g := make([]float64, m.NumParams())
		if _, err := gr.Run(b.X, b.Y, g); err != nil {
			t.Fatal(err)
		}
		// x and y are bound by the run; run each shard's program again
		// and then the tape machine, into the same gradient sinks.
		for _, sh := range gr.shards {
			if err := sh.prog.run(); err != nil {
				t.Fatal(err)
			}
			var want [][]float64
			var wantLoss []float64
			for _, ch := range sh.chunks {
				want = append(want, append([]float64(nil), ch.sink.buf...))
				l, err := scalarOf(sh.prog.value(ch.loss))
				if err != nil {
					t.Fatal(err)
				}
				wantLoss = append(wantLoss, l)
				clear(ch.sink.buf)
			}
			vm := G.NewTapeMachine(sh.g.SubgraphRoots(sh.prog.roots...))
			if err := vm.RunAll(); err != nil {
				t.Fatal(err)
			}
			vm.Close()
			for k, ch := range sh.chunks {
				l, err := scalarOf(ch.loss.Value())
				if err != nil {
					t.Fatal(err)
				}
				if math.Float64bits(l) != math.Float64bits(wantLoss[k]) {
					t.Errorf("%v chunk %d: tape machine loss %v, program %v", tc.c.Layers, k, l, wantLoss[k])
				}
				for i, v := range ch.sink.buf {
					if math.Float64bits(v) != math.Float64bits(want[k][i]) {
						t.Fatalf("%v chunk %d: gradient[%d] tape machine %v, program %v", tc.c.Layers, k, i, v, want[k][i])
					}
				}
			}
		}
	}
}

// One chunk whose large GEMMs are cut between 2, 3 and 4 workers (blocks of
// whole tiles, the forward, ∂L/∂W and ∂L/∂a products) gives the same loss
// and gradient, bit for bit, as one worker.
func TestGraphCutGEMMsBitIdentical(t *testing.T) {
	c := model.Config{Layers: []int{300, 128, 64, 10}, Activation: model.Tanh, Seed: 9}
	m, _ := model.New(c)
	const B = 128 // one chunk; every layer but the last ≥ minCutWork
	b := synthetic(B, c.Layers[0], m.NumClasses(), 41)
	gr, err := New(m, B)
	if err != nil {
		t.Fatal(err)
	}
	if len(gr.chunks) != 1 {
		t.Fatalf("batch %d runs as %d chunks, want one", B, len(gr.chunks))
	}
	P := m.NumParams()
	var ref []float64
	var refLoss float64
	for _, w := range []int{1, 2, 3, 4} {
		gr.SetWorkers(w)
		g := make([]float64, P)
		loss, err := gr.Run(b.X, b.Y, g)
		if err != nil {
			t.Fatal(err)
		}
		tm := gr.shards[0].team
		if w == 1 {
			if tm.cuts != 0 {
				t.Fatalf("one worker cut %d GEMMs", tm.cuts)
			}
			ref, refLoss = g, loss
			continue
		}
		if _, _, ok := gemm.Tile(); ok && runtime.GOMAXPROCS(0) >= 2 && tm.cuts != 5 {
			t.Errorf("%d workers cut %d GEMMs in a step, want 5 (two forward, two ∂L/∂W, one ∂L/∂a)", w, tm.cuts)
		}
		tm.cuts = 0
		if math.Float64bits(loss) != math.Float64bits(refLoss) {
			t.Errorf("loss with %d workers %v, with 1 %v", w, loss, refLoss)
		}
		for i := range g {
			if math.Float64bits(g[i]) != math.Float64bits(ref[i]) {
				t.Fatalf("gradient[%d] with %d workers %v, with 1 %v", i, w, g[i], ref[i])
			}
		}
	}
}

// The element-wise work between the GEMMs (the bias and the activation
// with the forward GEMM's blocks, the softmax cross-entropy's rows, the
// activation's derivative, the bias gradient's columns with ∂L/∂W's
// blocks) shared by 2, 3 and 4 workers gives the same loss and gradient,
// bit for bit, as one worker, at B = 128, 64, 256 (two chunks) and an odd
// B; with several workers on a chunk that work is split.
func TestGraphSplitBitIdentical(t *testing.T) {
	for _, tc := range []struct {
		c model.Config
		B int
	}{
		{model.Config{Layers: []int{300, 100, 10}, Activation: model.ReLU, Seed: 3}, 128},
		{model.Config{Layers: []int{300, 100, 10}, Activation: model.Tanh, Seed: 4}, 64},
		{model.Config{Layers: []int{300, 100, 10}, Activation: model.ReLU, Seed: 5}, 256},
		{model.Config{Layers: []int{300, 72, 40, 10}, Activation: model.GELU, Seed: 6}, 97},
	} {
		m, _ := model.New(tc.c)
		b := synthetic(tc.B, tc.c.Layers[0], m.NumClasses(), tc.c.Seed+50)
		gr, err := New(m, tc.B)
		if err != nil {
			t.Fatal(err)
		}
		P := m.NumParams()
		var ref []float64
		var refLoss float64
		for _, w := range []int{1, 2, 3, 4, 1, 2} {
			gr.SetWorkers(w)
			for _, sh := range gr.shards {
				sh.team.splits = 0
			}
			g := make([]float64, P)
			loss, err := gr.Run(b.X, b.Y, g)
			if err != nil {
				t.Fatal(err)
			}
			if ref == nil {
				ref, refLoss = g, loss
				if dg, dl := againstEngine(t, m, b, g, loss); dg > 1e-12 || dl > 1e-13 {
					t.Fatalf("%v B %d: the graph differs from the engine by %.3g (loss %.3g)", tc.c.Layers, tc.B, dg, dl)
				}
				continue
			}
			if _, _, ok := gemm.Tile(); ok && runtime.GOMAXPROCS(0) >= 2 {
				for _, sh := range gr.shards {
					if sh.team.size >= 2 && sh.team.splits == 0 {
						t.Errorf("%v B %d, %d workers: a chunk on %d goroutines split no element-wise work", tc.c.Layers, tc.B, w, sh.team.size)
					}
				}
			}
			if math.Float64bits(loss) != math.Float64bits(refLoss) {
				t.Errorf("%v B %d: loss with %d workers %v, with 1 %v", tc.c.Layers, tc.B, w, loss, refLoss)
			}
			for i := range g {
				if math.Float64bits(g[i]) != math.Float64bits(ref[i]) {
					t.Fatalf("%v B %d: gradient[%d] with %d workers %v, with 1 %v", tc.c.Layers, tc.B, i, w, g[i], ref[i])
				}
			}
		}
		gr.Close()
	}
}

// The operations whose values others compute along with theirs (the
// activation in the forward GEMM, ∂L/∂z of the loss in the loss, ∂L/∂b in
// ∂L/∂W) give the same bits computed on their own, on one worker and two.
func TestGraphFusedMatchesUnfused(t *testing.T) {
	c := model.Config{Layers: []int{300, 100, 10}, Activation: model.Tanh, Seed: 12}
	m, _ := model.New(c)
	const B = 96
	b := synthetic(B, c.Layers[0], m.NumClasses(), 61)
	for _, w := range []int{1, 2} {
		gr, err := New(m, B)
		if err != nil {
			t.Fatal(err)
		}
		gr.SetWorkers(w)
		P := m.NumParams()
		want := make([]float64, P)
		wantLoss, err := gr.Run(b.X, b.Y, want)
		if err != nil {
			t.Fatal(err)
		}
		fused := 0
		for _, st := range gr.shards[0].prog.steps {
			switch op := st.op.(type) {
			case *sceGradOp:
				if op.fused {
					fused++
				}
				op.setFused(false)
			case *linearDbOp:
				if op.fused {
					fused++
				}
				op.setFused(false)
			case *linearOp:
				if op.act != nil {
					fused++
					op.act, op.fillBias, op.applyAct = nil, nil, nil
				}
			}
		}
		if fused != 4 {
			t.Errorf("%d workers: %d operations computed by others, want 4 (the activation, ∂L/∂z of the loss, both ∂L/∂b)", w, fused)
		}
		g := make([]float64, P)
		loss, err := gr.Run(b.X, b.Y, g)
		if err != nil {
			t.Fatal(err)
		}
		if math.Float64bits(loss) != math.Float64bits(wantLoss) {
			t.Errorf("%d workers: loss unfused %v, fused %v", w, loss, wantLoss)
		}
		for i := range g {
			if math.Float64bits(g[i]) != math.Float64bits(want[i]) {
				t.Fatalf("%d workers: gradient[%d] unfused %v, fused %v", w, i, g[i], want[i])
			}
		}
		gr.Close()
	}
}
