//go:build amd64

package replica

import "golang.org/x/sys/cpu"

// hasVec reports whether expAVX2 and tanhAVX2 run here (AVX2 with FMA).
var hasVec = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// expAVX2 stores fastExp(src[i]) in dst[i] four values at a time, for i <
// n (a multiple of 4), with tab = expTable; it stops before the first four
// that hold a value outside [tab's LO, HI] (or a NaN), which it leaves
// unwritten, and returns how many it wrote.
//
//go:noescape
func expAVX2(dst, src *float64, n int, tab *[tableLen][4]float64) int

// tanhAVX2 is expAVX2 for tanhScalar's formula, with tab = tanhTable.
//
//go:noescape
func tanhAVX2(dst, src *float64, n int, tab *[tableLen][4]float64) int

// axpyAVX2 adds a·src[j] to dst[j] for j < n, a multiple of 4, four at a
// time, each product rounded before its addition (axpy's loop).
//
//go:noescape
func axpyAVX2(dst, src *float64, n int, a float64)

// dot4AVX2 computes forwardBlock's four dot products per row at once:
// zt[4o+k] = b[o] + Σ_{j<nin} w[o·nin+j]·t[4j+k] for o < nout and the
// four samples k, each sum in j order, each product rounded before its
// addition.
//
//go:noescape
func dot4AVX2(zt, t, w, b *float64, nin, nout int)

// gerRowAVX2 adds Σ_{s<ns} d[s·ldd]·in[s·ldin + j] to dst[j] for j < n (a
// multiple of 4), the terms in s order, each product rounded before its
// addition, skipping the s whose d[s·ldd] is zero: backward's axpy of the
// row of W_l for each sample in turn (flush).
//
//go:noescape
func gerRowAVX2(dst, in, d *float64, n, ldin, ns, ldd int)

// logAVX2 stores math.Log(src[i]) in dst[i] four values at a time, for i
// < n (a multiple of 4), with tab = logTable: the operations of the math
// package's amd64 Log lane by lane, so the same bits. It stops before the
// first four that hold a value that is not a positive normal number,
// which it leaves unwritten, and returns how many it wrote.
//
//go:noescape
func logAVX2(dst, src *float64, n int, tab *[logTableLen][4]float64) int
