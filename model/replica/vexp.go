package replica

import "math"

// tableLen is the number of constants of the vector kernels' table.
const tableLen = 20

// vecTable returns the vector kernels' constants (fastExp's, then the
// range [lo, hi] of the inputs they take), each repeated four times, in
// the order of the offsets in vexp_amd64.s.
func vecTable(lo, hi float64) *[tableLen][4]float64 {
	vals := [tableLen]float64{expLog2e, expShift, expLn2Hi, expLn2Lo, 1,
		1.0 / 6, 0.5, 1.0 / 120, 1.0 / 24, 1.0 / 5040, 1.0 / 720, 1.0 / 362880, 1.0 / 40320,
		1.0 / 39916800, 1.0 / 3628800, 1.0 / 6227020800, 1.0 / 479001600,
		// bits(y) − expBias = (n + 1023) for y = n + expShift (n whole, |n| < 2⁵¹)
		math.Float64frombits(math.Float64bits(expShift) - 1023),
		lo, hi}
	var t [tableLen][4]float64
	for i, v := range vals {
		t[i] = [4]float64{v, v, v, v}
	}
	return &t
}

// The tables of expAVX2 (fastExp's range without its special cases) and
// tanhAVX2 (tanhScalar's range without its ±1 clamp). Read-only.
var (
	expTable  = vecTable(-708, 709)
	tanhTable = vecTable(-20, 20)
)

// expSlice stores fastExp(x[i]) in dst[i] (dst may be x): four at a time
// by expAVX2 where the processor has AVX2 and FMA, the same bits, and by
// fastExp for the rest and for any four that hold a value outside its
// fast range.
func expSlice(dst, x []float64) {
	dst = dst[:len(x)]
	i := 0
	for hasVec && len(x)-i >= 4 {
		i += expAVX2(&dst[i], &x[i], (len(x)-i)&^3, expTable)
		if len(x)-i < 4 {
			break
		}
		for j := i; j < i+4; j++ {
			dst[j] = fastExp(x[j])
		}
		i += 4
	}
	for ; i < len(x); i++ {
		dst[i] = fastExp(x[i])
	}
}

// tanhSlice stores tanh z[i] in a[i] (a may be z): tanhScalar's values,
// four at a time by tanhAVX2 where the processor has AVX2 and FMA (the
// same operations in the same order, so the same bits), by tanhScalar
// for the rest and for any four that hold a value beyond ±20 or a NaN.
func tanhSlice(a, z []float64) {
	a = a[:len(z)]
	i := 0
	for hasVec && len(z)-i >= 4 {
		i += tanhAVX2(&a[i], &z[i], (len(z)-i)&^3, tanhTable)
		if len(z)-i < 4 {
			break
		}
		tanhScalar(a[i:i+4], z[i:i+4])
		i += 4
	}
	tanhScalar(a[i:], z[i:])
}

// axpy adds a·src[j] to dst[j] for every j (len(dst) ≥ len(src)), each
// product rounded before its addition: by axpyAVX2 four at a time where
// the processor has AVX2 (each element is independent, so the bits are
// the scalar loop's), the rest by the loop.
func axpy(dst, src []float64, a float64) {
	dst = dst[:len(src)]
	k := 0
	if hasVec && len(src) >= 4 {
		k = len(src) &^ 3
		axpyAVX2(&dst[0], &src[0], k, a)
	}
	for j := k; j < len(src); j++ {
		dst[j] += float64(a * src[j])
	}
}

// logTableLen is the number of constants of logAVX2's table.
const logTableLen = 19

// logTable holds logAVX2's constants, each repeated four times, in the
// order of the offsets in vlog_amd64.s: the mantissa's bits, ½, 2⁵² (as
// bits to OR with the exponent, then as a number), the exponent's bias
// 1022, √2/2, 1, 2, the coefficients L1 … L7 and ln 2 in two parts of the
// math package's amd64 Log (log_amd64.s), and the range it takes (the
// smallest normal and the largest finite number). Read-only.
var logTable = func() *[logTableLen][4]float64 {
	vals := [logTableLen]float64{math.Float64frombits(1<<52 - 1), 0.5, 0x1p52, 0x1p52, 1022,
		7.07106781186547524401e-01, 1, 2,
		6.666666666666735130e-01, 3.999999999940941908e-01, 2.857142874366239149e-01, 2.222219843214978396e-01,
		1.818357216161805012e-01, 1.531383769920937332e-01, 1.479819860511658591e-01,
		6.93147180369123816490e-01, 1.90821492927058770002e-10,
		0x1p-1022, math.MaxFloat64}
	var t [logTableLen][4]float64
	for i, v := range vals {
		t[i] = [4]float64{v, v, v, v}
	}
	return &t
}()

// logSlice stores math.Log(x[i]) in dst[i] (dst may be x): four at a time
// by logAVX2 where the processor has AVX2 (the same bits), by math.Log for
// the rest and for any four that hold a value that is not a positive
// normal number.
func logSlice(dst, x []float64) {
	dst = dst[:len(x)]
	i := 0
	for hasVec && len(x)-i >= 4 {
		i += logAVX2(&dst[i], &x[i], (len(x)-i)&^3, logTable)
		if len(x)-i < 4 {
			break
		}
		for j := i; j < i+4; j++ {
			dst[j] = math.Log(x[j])
		}
		i += 4
	}
	for ; i < len(x); i++ {
		dst[i] = math.Log(x[i])
	}
}
