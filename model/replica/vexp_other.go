//go:build !amd64

package replica

// hasVec is false: there are no vector kernels on this architecture.
const hasVec = false

func expAVX2(dst, src *float64, n int, tab *[tableLen][4]float64) int    { return 0 }
func logAVX2(dst, src *float64, n int, tab *[logTableLen][4]float64) int { return 0 }
func tanhAVX2(dst, src *float64, n int, tab *[tableLen][4]float64) int   { return 0 }

func axpyAVX2(dst, src *float64, n int, a float64)         {}
func dot4AVX2(zt, t, w, b *float64, nin, nout int)         {}
func gerRowAVX2(dst, in, d *float64, n, ldin, ns, ldd int) {}
