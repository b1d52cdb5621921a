//go:build amd64

#include "textflag.h"

// The constants of logAVX2's table (logTable): 32 bytes each, four copies.
#define MANT 0(CX)
#define LHALF 32(CX)
#define MAGIC 64(CX)
#define TWO52 96(CX)
#define BIAS 128(CX)
#define HSQRT2 160(CX)
#define LONE 192(CX)
#define LTWO 224(CX)
#define L1 256(CX)
#define L2 288(CX)
#define L3 320(CX)
#define L4 352(CX)
#define L5 384(CX)
#define L6 416(CX)
#define L7 448(CX)
#define LN2HI 480(CX)
#define LN2LO 512(CX)
#define LLO 544(CX)
#define LHI 576(CX)

// func logAVX2(dst, src *float64, n int, tab *[logTableLen][4]float64) int
// dst[i] = math.Log(src[i]) four at a time for i < n (a multiple of 4):
// the operations of the math package's amd64 Log (log_amd64.s, FreeBSD's
// algorithm) lane by lane in its order, the same roundings (no fused
// multiply-adds), so the same bits. It stops before the first four that
// hold a value outside the normal positive numbers (zero, a negative, a
// subnormal, an infinity or a NaN: its special cases), which it leaves
// unwritten, and returns how many it wrote.
TEXT ·logAVX2(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), DX
	MOVQ tab+24(FP), CX
	XORQ AX, AX
loop:
	CMPQ AX, DX
	JGE done
	VMOVUPD (SI)(AX*8), Y0
	// every lane in [smallest normal, largest finite]
	VCMPPD $9, LLO, Y0, Y8
	VCMPPD $6, LHI, Y0, Y9
	VORPD Y8, Y9, Y8
	VMOVMSKPD Y8, BX
	TESTQ BX, BX
	JNE done
	// f1 = mantissa of x in [0.5, 1); k = exponent − 1022, exactly
	VANDPD MANT, Y0, Y2
	VORPD LHALF, Y2, Y2
	VPSRLQ $52, Y0, Y1
	VPOR MAGIC, Y1, Y1
	VSUBPD TWO52, Y1, Y1
	VSUBPD BIAS, Y1, Y1
	// if !(√2/2 < f1) { k -= 1; f1 *= 2 }
	VMOVUPD HSQRT2, Y10
	VCMPPD $5, Y2, Y10, Y7
	VANDPD LONE, Y7, Y3
	VSUBPD Y3, Y1, Y1
	VADDPD LONE, Y3, Y3
	VMULPD Y3, Y2, Y2
	// f = f1 − 1; s = f/(2 + f); s2 = s·s; s4 = s2·s2
	VSUBPD LONE, Y2, Y2
	VADDPD LTWO, Y2, Y0
	VDIVPD Y0, Y2, Y3
	VMULPD Y3, Y3, Y4
	VMULPD Y4, Y4, Y5
	// t1 = s2·(L1 + s4·(L3 + s4·(L5 + s4·L7)))
	VMULPD L7, Y5, Y6
	VADDPD L5, Y6, Y6
	VMULPD Y5, Y6, Y6
	VADDPD L3, Y6, Y6
	VMULPD Y5, Y6, Y6
	VADDPD L1, Y6, Y6
	VMULPD Y6, Y4, Y4
	// t2 = s4·(L2 + s4·(L4 + s4·L6))
	VMULPD L6, Y5, Y6
	VADDPD L4, Y6, Y6
	VMULPD Y5, Y6, Y6
	VADDPD L2, Y6, Y6
	VMULPD Y6, Y5, Y5
	// R = t1 + t2; hfsq = 0.5·f·f
	VADDPD Y5, Y4, Y4
	VMULPD LHALF, Y2, Y0
	VMULPD Y2, Y0, Y0
	// k·Ln2Hi − ((hfsq − (s·(hfsq + R) + k·Ln2Lo)) − f)
	VADDPD Y0, Y4, Y4
	VMULPD Y4, Y3, Y3
	VMULPD LN2LO, Y1, Y4
	VADDPD Y4, Y3, Y3
	VSUBPD Y3, Y0, Y0
	VSUBPD Y2, Y0, Y0
	VMULPD LN2HI, Y1, Y1
	VSUBPD Y0, Y1, Y1
	VMOVUPD Y1, (DI)(AX*8)
	ADDQ $4, AX
	JMP loop
done:
	VZEROUPPER
	MOVQ AX, ret+32(FP)
	RET
