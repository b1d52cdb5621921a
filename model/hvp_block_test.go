package model

import (
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/sgn-project/sgn/internal/synthtest"
	"gonum.org/v1/gonum/mat"
)

// blockDirections returns a P×k matrix of test directions: dense Gaussian
// columns, unit vectors (as hessian.Full sends), columns zero outside one
// layer, and the zero vector.
func blockDirections(lo Layout, seed uint64) *mat.Dense {
	P, L := lo.P, lo.NumLayers()
	rng := rand.New(rand.NewPCG(seed, 3))
	var cols [][]float64
	for range 3 {
		c := make([]float64, P)
		for i := range c {
			c[i] = rng.NormFloat64()
		}
		cols = append(cols, c)
	}
	for _, i := range []int{0, P / 3, P - 1, lo.BOff[0], lo.WOff[L-1]} {
		c := make([]float64, P)
		c[i] = 1
		cols = append(cols, c)
	}
	for l := 0; l < L; l++ {
		c := make([]float64, P)
		b, e := lo.LayerRange(l)
		for i := b; i < e; i++ {
			c[i] = rng.NormFloat64()
		}
		cols = append(cols, c)
	}
	cols = append(cols, make([]float64, P))
	v := mat.NewDense(P, len(cols), nil)
	for j, c := range cols {
		v.SetCol(j, c)
	}
	return v
}

// MulMat equals one MulVec per column, for dense, unit, one-layer and zero
// directions, also when dst and V are views with a stride.
func TestHessianMulMatEqualsMulVec(t *testing.T) {
	for _, c := range testNets {
		m, _ := New(c)
		b := synthetic(300, c.Layers[0], m.NumClasses(), c.Seed+20)
		h, err := m.NewHessian(m.Theta, b, 2)
		if err != nil {
			t.Fatal(err)
		}
		P := m.NumParams()
		v := blockDirections(m.Layout, c.Seed)
		_, k := v.Dims()
		// views into wider matrices, so that Stride ≠ k
		vw := mat.NewDense(P, k+3, nil)
		vv := vw.Slice(0, P, 2, 2+k).(*mat.Dense)
		vv.Copy(v)
		dw := mat.NewDense(P, k+5, nil)
		dv := dw.Slice(0, P, 1, 1+k).(*mat.Dense)
		h.MulMat(dv, vv)
		x := make([]float64, P)
		want := make([]float64, P)
		got := make([]float64, P)
		for j := 0; j < k; j++ {
			mat.Col(x, j, v)
			h.MulVec(want, x)
			mat.Col(got, j, dv)
			if e := synthtest.RelErr(got, want); e > 1e-12 {
				t.Errorf("%v %s: column %d: MulMat vs MulVec relative error %.3g > 1e-12", c.Layers, c.Activation, j, e)
			}
		}
		// the columns of the wide matrix outside the view are untouched
		for i := 0; i < P; i++ {
			if dw.At(i, 0) != 0 || dw.At(i, k+1) != 0 {
				t.Fatalf("%v: MulMat wrote outside the destination view", c.Layers)
			}
		}
	}
}

// More directions than one sub-block (blockDirs) and a sub-block size that
// does not divide k.
func TestHessianMulMatManyDirections(t *testing.T) {
	c := Config{Layers: []int{6, 9, 4}, Activation: Tanh, Seed: 11}
	m, _ := New(c)
	b := synthetic(600, 6, 4, 5)
	h, _ := m.NewHessian(m.Theta, b, 3)
	P := m.NumParams()
	k := blockDirs + 7
	rng := rand.New(rand.NewPCG(4, 4))
	v := mat.NewDense(P, k, nil)
	for i := 0; i < P; i++ {
		for j := 0; j < k; j++ {
			v.Set(i, j, rng.NormFloat64())
		}
	}
	dst := mat.NewDense(P, k, nil)
	h.MulMat(dst, v)
	x, want, got := make([]float64, P), make([]float64, P), make([]float64, P)
	for j := 0; j < k; j++ {
		mat.Col(x, j, v)
		h.MulVec(want, x)
		mat.Col(got, j, dst)
		if e := synthtest.RelErr(got, want); e > 1e-12 {
			t.Errorf("column %d: relative error %.3g > 1e-12", j, e)
		}
	}
}

// MulMat gives the same bits with 1 and 3 workers.
func TestHessianMulMatWorkersBitIdentical(t *testing.T) {
	for _, c := range []Config{
		{Layers: []int{20, 16, 10}, Activation: Tanh, Seed: 7},
		{Layers: []int{20, 12, 8, 10}, Activation: ReLU, Seed: 8},
	} {
		m, _ := New(c)
		b := synthetic(1100, 20, 10, 3)
		h1, _ := m.NewHessian(m.Theta, b, 1)
		h3, _ := m.NewHessian(m.Theta, b, 3)
		v := blockDirections(m.Layout, 9)
		P, k := v.Dims()
		o1 := mat.NewDense(P, k, nil)
		o3 := mat.NewDense(P, k, nil)
		h1.MulMat(o1, v)
		h3.MulMat(o3, v)
		for i := 0; i < P; i++ {
			for j := 0; j < k; j++ {
				if o1.At(i, j) != o3.At(i, j) {
					t.Fatalf("%v: entry (%d,%d) differs with 1 and 3 workers: %v vs %v", c.Layers, i, j, o1.At(i, j), o3.At(i, j))
				}
			}
		}
	}
}

// The full Hessian from MulMat on unit vectors is symmetric and its
// diagonal blocks are what HessianBlock multiplies by.
func TestHessianBlock(t *testing.T) {
	for _, c := range testNets {
		m, _ := New(c)
		b := synthetic(300, c.Layers[0], m.NumClasses(), c.Seed+30)
		h, _ := m.NewHessian(m.Theta, b, 2)
		P := m.NumParams()
		id := mat.NewDense(P, P, nil)
		for i := 0; i < P; i++ {
			id.Set(i, i, 1)
		}
		H := mat.NewDense(P, P, nil)
		h.MulMat(H, id)
		var asym, scale float64
		for i := 0; i < P; i++ {
			for j := 0; j < P; j++ {
				asym = max(asym, blockAbs(H.At(i, j)-H.At(j, i)))
				scale = max(scale, blockAbs(H.At(i, j)))
			}
		}
		if asym > 1e-12*scale {
			t.Errorf("%v %s: H from MulMat has asymmetry %.3g (scale %.3g)", c.Layers, c.Activation, asym, scale)
		}
		for l := 0; l < m.Layout.NumLayers(); l++ {
			blk, err := h.LayerBlock(l)
			if err != nil {
				t.Fatal(err)
			}
			lb, le := blk.Range()
			if wb, we := m.Layout.LayerRange(l); lb != wb || le != we {
				t.Fatalf("layer %d: block range [%d,%d), want [%d,%d)", l, lb, le, wb, we)
			}
			n := blk.Dim()
			rng := rand.New(rand.NewPCG(uint64(l), 5))
			u := make([]float64, n)
			for i := range u {
				u[i] = rng.NormFloat64()
			}
			got := make([]float64, n)
			blk.MulVec(got, u)
			want := make([]float64, n)
			for i := 0; i < n; i++ {
				for j := 0; j < n; j++ {
					want[i] += H.At(lb+i, lb+j) * u[j]
				}
			}
			if e := synthtest.RelErr(got, want); e > 1e-12 {
				t.Errorf("%v %s layer %d: block product relative error %.3g > 1e-12", c.Layers, c.Activation, l, e)
			}
		}
	}
	m, _ := New(testNets[1])
	h, _ := m.NewHessian(m.Theta, synthetic(10, 6, 4, 1), 1)
	for _, r := range [][2]int{{-1, 3}, {3, 3}, {0, m.NumParams() + 1}} {
		if _, err := h.Block(r[0], r[1]); err == nil {
			t.Errorf("Block(%d, %d) accepted a bad range", r[0], r[1])
		}
	}
	if _, err := h.LayerBlock(2); err == nil {
		t.Error("LayerBlock(2) accepted a layer outside a 2-layer model")
	}
}

func blockAbs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// The block path (MulMat) against the dense Hessian assembled from
// per-vector products (MulVec on every unit vector): H itself from MulMat on
// the identity, and H·V for random V against the dense product, to 1e-12;
// then the work spaces kept between calls: repeated and interleaved calls
// (MulMat with sub-blocks of other sizes in between) and concurrent MulVec
// calls give the same bits as the first call.
func TestHessianMulMatDenseAndReuse(t *testing.T) {
	for _, c := range testNets {
		m, _ := New(c)
		b := synthetic(300, c.Layers[0], m.NumClasses(), c.Seed+40)
		h, err := m.NewHessian(m.Theta, b, 2)
		if err != nil {
			t.Fatal(err)
		}
		P := m.NumParams()
		dense := mat.NewDense(P, P, nil)
		e, col := make([]float64, P), make([]float64, P)
		for j := 0; j < P; j++ {
			clear(e)
			e[j] = 1
			h.MulVec(col, e)
			dense.SetCol(j, col)
		}
		id := mat.NewDense(P, P, nil)
		for i := 0; i < P; i++ {
			id.Set(i, i, 1)
		}
		got := mat.NewDense(P, P, nil)
		h.MulMat(got, id)
		if e := synthtest.RelErr(got.RawMatrix().Data, dense.RawMatrix().Data); e > 1e-12 {
			t.Errorf("%v %s: H from MulMat vs from MulVec: relative error %.3g > 1e-12", c.Layers, c.Activation, e)
		}
		rng := rand.New(rand.NewPCG(c.Seed, 41))
		const k = 5
		v := mat.NewDense(P, k, nil)
		for i := 0; i < P; i++ {
			for j := 0; j < k; j++ {
				v.Set(i, j, rng.NormFloat64())
			}
		}
		var want mat.Dense
		want.Mul(dense, v)
		first := mat.NewDense(P, k, nil)
		h.MulMat(first, v)
		if e := synthtest.RelErr(first.RawMatrix().Data, want.RawMatrix().Data); e > 1e-12 {
			t.Errorf("%v %s: H·V by MulMat vs dense H times V: relative error %.3g > 1e-12", c.Layers, c.Activation, e)
		}
		again := mat.NewDense(P, k, nil)
		h.MulMat(again, v)
		if !mat.Equal(first, again) {
			t.Errorf("%v %s: a second MulMat call gave other bits", c.Layers, c.Activation)
		}
		hv1 := make([]float64, P)
		x := make([]float64, P)
		mat.Col(x, 0, v)
		h.MulVec(hv1, x)
		var wg sync.WaitGroup
		outs := make([][]float64, 4)
		for g := range outs {
			outs[g] = make([]float64, P)
			wg.Add(1)
			go func(dst []float64) {
				defer wg.Done()
				h.MulVec(dst, x)
			}(outs[g])
		}
		wg.Wait()
		for g, o := range outs {
			if !slices.Equal(o, hv1) {
				t.Errorf("%v %s: concurrent MulVec call %d gave other bits", c.Layers, c.Activation, g)
			}
		}
	}
}
