//go:build amd64

#include "textflag.h"

// The constants' offsets in the table (expTable): 32 bytes each, four
// copies of the value.
#define LOG2E 0(CX)
#define SHIFT 32(CX)
#define LN2HI 64(CX)
#define LN2LO 96(CX)
#define ONE 128(CX)
#define C6 160(CX)
#define HALF 192(CX)
#define C120 224(CX)
#define C24 256(CX)
#define C5040 288(CX)
#define C720 320(CX)
#define C362880 352(CX)
#define C40320 384(CX)
#define C39916800 416(CX)
#define C3628800 448(CX)
#define C6227020800 480(CX)
#define C479001600 512(CX)
#define EXPBIAS 544(CX)
#define LO 576(CX)
#define HI 608(CX)

// EXP: Y7 = fastExp(Y0) lane by lane, fastExp's operations in its order
// (the same roundings: separate multiply, add and subtract where it has
// them, fused multiply-adds where it calls math.FMA). Clobbers Y1-Y14.
#define EXP \
	VMULPD LOG2E, Y0, Y1; \
	VADDPD SHIFT, Y1, Y1; \
	VSUBPD SHIFT, Y1, Y2; \
	VMOVAPD Y0, Y3; \
	VFNMADD231PD LN2HI, Y2, Y3; \
	VFNMADD231PD LN2LO, Y2, Y3; \
	VMULPD Y3, Y3, Y4; \
	VMULPD Y4, Y4, Y5; \
	VMULPD Y5, Y5, Y6; \
	VADDPD ONE, Y3, Y7; \
	VMOVUPD HALF, Y8; \
	VFMADD231PD C6, Y3, Y8; \
	VMOVUPD C24, Y9; \
	VFMADD231PD C120, Y3, Y9; \
	VMOVUPD C720, Y10; \
	VFMADD231PD C5040, Y3, Y10; \
	VMOVUPD C40320, Y11; \
	VFMADD231PD C362880, Y3, Y11; \
	VMOVUPD C3628800, Y12; \
	VFMADD231PD C39916800, Y3, Y12; \
	VMOVUPD C479001600, Y13; \
	VFMADD231PD C6227020800, Y3, Y13; \
	VFMADD231PD Y12, Y4, Y11; \
	VFMADD231PD Y13, Y5, Y11; \
	VFMADD231PD Y10, Y4, Y9; \
	VFMADD231PD Y8, Y4, Y7; \
	VFMADD231PD Y9, Y5, Y7; \
	VFMADD231PD Y11, Y6, Y7; \
	VPSUBQ EXPBIAS, Y1, Y14; \
	VPSLLQ $52, Y14, Y14; \
	VMULPD Y14, Y7, Y7

// INRANGE jumps to done unless every lane of Y0 lies in [LO, HI] (a NaN
// does not).
#define INRANGE \
	VCMPPD $9, LO, Y0, Y8; \
	VCMPPD $6, HI, Y0, Y9; \
	VORPD Y8, Y9, Y8; \
	VMOVMSKPD Y8, BX; \
	TESTQ BX, BX; \
	JNE done

// func expAVX2(dst, src *float64, n int, tab *[tableLen][4]float64) int
TEXT ·expAVX2(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), DX
	MOVQ tab+24(FP), CX
	XORQ AX, AX
loop:
	CMPQ AX, DX
	JGE done
	VMOVUPD (SI)(AX*8), Y0
	INRANGE
	EXP
	VMOVUPD Y7, (DI)(AX*8)
	ADDQ $4, AX
	JMP loop
done:
	VZEROUPPER
	MOVQ AX, ret+32(FP)
	RET

// func tanhAVX2(dst, src *float64, n int, tab *[tableLen][4]float64) int
TEXT ·tanhAVX2(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), DX
	MOVQ tab+24(FP), CX
	XORQ AX, AX
loop:
	CMPQ AX, DX
	JGE done
	VMOVUPD (SI)(AX*8), Y0
	INRANGE
	VADDPD Y0, Y0, Y0
	EXP
	VSUBPD ONE, Y7, Y8
	VADDPD ONE, Y7, Y9
	VDIVPD Y9, Y8, Y8
	VMOVUPD Y8, (DI)(AX*8)
	ADDQ $4, AX
	JMP loop
done:
	VZEROUPPER
	MOVQ AX, ret+32(FP)
	RET
