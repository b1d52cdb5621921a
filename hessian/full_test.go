package hessian

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"
)

func TestFullReturnsMatrix(t *testing.T) {
	const n = 37
	a := randSym(n, 1)
	for _, c := range []struct {
		name  string
		op    Operator
		block int
	}{{"block", NewDense(a), 8}, {"block-default", NewDense(a), 0}, {"vec", vecOnly{NewDense(a)}, 5}} {
		var last [2]int
		got, asym, err := Full(c.op, c.block, func(done, total int) { last = [2]int{done, total} })
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		// Products with unit vectors are exact: A_ij·1 plus zeros.
		if asym != 0 {
			t.Errorf("%s: asymmetry %g, want 0", c.name, asym)
		}
		for i := range n {
			for j := range n {
				if got.At(i, j) != a.At(i, j) {
					t.Fatalf("%s: A[%d,%d] = %v, want %v", c.name, i, j, got.At(i, j), a.At(i, j))
				}
			}
		}
		if last != [2]int{n, n} {
			t.Errorf("%s: last progress %v, want [%d %d]", c.name, last, n, n)
		}
	}
}

// general is a non-symmetric matrix posing as an Operator.
type general struct{ b *mat.Dense }

func (g general) Dim() int { r, _ := g.b.Dims(); return r }
func (g general) MulVec(dst, v []float64) {
	mat.NewVecDense(len(dst), dst).MulVec(g.b, mat.NewVecDense(len(v), v))
}

func TestFullAsymmetry(t *testing.T) {
	const n = 12
	s := randSym(n, 2)
	b := mat.NewDense(n, n, nil)
	b.Copy(s)
	// Perturb (2,7)/(7,2) antisymmetrically by ±0.25 and (0,11) by +0.125:
	// the largest |B_ij − B_ji| is 0.5 and (B + Bᵀ)/2 differs from S only at
	// (0,11), by 0.0625.
	b.Set(2, 7, b.At(2, 7)+0.25)
	b.Set(7, 2, b.At(7, 2)-0.25)
	b.Set(0, 11, b.At(0, 11)+0.125)
	got, asym, err := Full(general{b}, 4, nil)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(asym-0.5) > 1e-15 {
		t.Errorf("asymmetry %v, want 0.5", asym)
	}
	for i := range n {
		for j := range n {
			want := s.At(i, j)
			if i+j == 11 && i*j == 0 {
				want += 0.0625
			}
			if math.Abs(got.At(i, j)-want) > 1e-15 {
				t.Errorf("symmetrised A[%d,%d] = %v, want %v", i, j, got.At(i, j), want)
			}
		}
	}
}

func TestFullErrors(t *testing.T) {
	if _, _, err := Full(nil, 1, nil); err == nil {
		t.Error("nil operator: no error")
	}
	if _, _, err := Full(general{&mat.Dense{}}, 1, nil); err == nil {
		t.Error("dimension 0: no error")
	}
}

func TestFullBytes(t *testing.T) {
	for _, c := range []struct {
		n    int
		want int64
	}{{0, 0}, {1, 8}, {1000, 8_000_000}, {79510, 8 * 79510 * 79510}, {1 << 40, math.MaxInt64}} {
		if got := FullBytes(c.n); got != c.want {
			t.Errorf("FullBytes(%d) = %d, want %d", c.n, got, c.want)
		}
	}
}

func BenchmarkFullAssembly(b *testing.B) {
	op := NewDense(randSym(1000, 3))
	for b.Loop() {
		if _, _, err := Full(op, 64, nil); err != nil {
			b.Fatal(err)
		}
	}
}
