package replica

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestVectorKernelsAreScalar: expSlice and tanhSlice (the vector kernels
// where the processor has them) give fastExp's and tanhScalar's bits for
// every element, on slices of every length up to 13, in place and not,
// over the kernels' range and beyond it: values past fastExp's fast range
// (−708, 709), beyond tanh's ±20 clamp, ±Inf and NaN, placed anywhere.
func TestVectorKernelsAreScalar(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	special := []float64{-800, -708.5, 709.5, 800, -25, 25, 20, -20, 708.9, -707.9, math.Inf(1), math.Inf(-1), math.NaN(), 0, math.Copysign(0, -1)}
	same := func(a, b float64) bool {
		return math.Float64bits(a) == math.Float64bits(b) || (math.IsNaN(a) && math.IsNaN(b))
	}
	for trial := 0; trial < 3000; trial++ {
		n := trial % 14
		x := make([]float64, n)
		for i := range x {
			switch rng.IntN(4) {
			case 0:
				x[i] = special[rng.IntN(len(special))]
			case 1:
				x[i] = (2*rng.Float64() - 1) * 720
			default:
				x[i] = (2*rng.Float64() - 1) * 22
			}
		}
		e, th := make([]float64, n), make([]float64, n)
		expSlice(e, x)
		tanhSlice(th, x)
		want := make([]float64, n)
		tanhScalar(want, x)
		for i, v := range x {
			if !same(e[i], fastExp(v)) {
				t.Fatalf("expSlice of %v (element %d of %d) = %v, fastExp %v", v, i, n, e[i], fastExp(v))
			}
			if !same(th[i], want[i]) {
				t.Fatalf("tanhSlice of %v (element %d of %d) = %v, tanhScalar %v", v, i, n, th[i], want[i])
			}
		}
		in := append([]float64(nil), x...)
		expSlice(in, in)
		in2 := append([]float64(nil), x...)
		tanhSlice(in2, in2)
		for i := range x {
			if !same(in[i], e[i]) || !same(in2[i], th[i]) {
				t.Fatalf("in place, element %d of %d (%v): exp %v, tanh %v; into another slice %v, %v", i, n, x[i], in[i], in2[i], e[i], th[i])
			}
		}
	}
}

// TestAxpyIsScalar: axpy gives the scalar loop's bits (each product
// rounded, then added) on every length up to 13, with values of every
// sign and magnitude, and leaves dst beyond len(src) alone.
func TestAxpyIsScalar(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	for trial := 0; trial < 2000; trial++ {
		n := trial % 14
		src, dst := make([]float64, n), make([]float64, n+3)
		for i := range src {
			src[i] = rng.NormFloat64() * math.Pow(10, float64(rng.IntN(9)-4))
		}
		for i := range dst {
			dst[i] = rng.NormFloat64()
		}
		a := rng.NormFloat64() * 1e-2
		want := append([]float64(nil), dst...)
		for j, v := range src {
			want[j] = want[j] + float64(a*v)
		}
		axpy(dst, src, a)
		for j := range dst {
			if math.Float64bits(dst[j]) != math.Float64bits(want[j]) {
				t.Fatalf("axpy, length %d, element %d: %v, the scalar loop %v", n, j, dst[j], want[j])
			}
		}
	}
}

// TestLogSliceIsMathLog: logSlice gives math.Log's bits for positive
// normal numbers over the whole exponent range, values at and around √2/2
// times a power of two (where the algorithm halves its mantissa), powers
// of two, 1 and its neighbours, the largest and smallest normal numbers,
// and lanes of four that mix them with zero, negatives, subnormals,
// infinities and NaN (math.Log's special cases).
func TestLogSliceIsMathLog(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	var x []float64
	for range 4000 {
		x = append(x, math.Ldexp(0.5+0.5*rng.Float64(), rng.IntN(2040)-1020))
	}
	h := 7.07106781186547524401e-01
	for _, e := range []int{-1000, -3, 0, 1, 7, 1000} {
		for _, v := range []float64{h, math.Nextafter(h, 0), math.Nextafter(h, 1), 0.5, 1, math.Nextafter(1, 0), math.Nextafter(1, 2)} {
			x = append(x, math.Ldexp(v, e))
		}
	}
	x = append(x, math.MaxFloat64, 0x1p-1022, 1, 2, 10, 1e-300, 1e300)
	special := []float64{0, math.Copysign(0, -1), -1, 5e-324, 1e-310, math.Inf(1), math.Inf(-1), math.NaN()}
	for k, v := range special {
		x = append(x, 1.5, 2.5, v, float64(k+3)) // a lane of four holding one
	}
	got := make([]float64, len(x))
	for _, off := range []int{0, 1, 2, 3} {
		logSlice(got[off:], x[off:])
		for i := off; i < len(x); i++ {
			want := math.Log(x[i])
			if math.Float64bits(got[i]) != math.Float64bits(want) && !(math.IsNaN(want) && math.IsNaN(got[i])) {
				t.Fatalf("offset %d: log(%v) = %v, math.Log %v", off, x[i], got[i], want)
			}
		}
	}
}
