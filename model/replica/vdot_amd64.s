//go:build amd64

#include "textflag.h"

// func axpyAVX2(dst, src *float64, n int, a float64)
// dst[j] += a·src[j] for j < n (a multiple of 4), the product rounded
// before the addition (the scalar loops' operations).
TEXT ·axpyAVX2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	VBROADCASTSD a+24(FP), Y0
	XORQ AX, AX
loop:
	CMPQ AX, CX
	JGE done
	VMULPD (SI)(AX*8), Y0, Y1
	VADDPD (DI)(AX*8), Y1, Y1
	VMOVUPD Y1, (DI)(AX*8)
	ADDQ $4, AX
	JMP loop
done:
	VZEROUPPER
	RET

// func dot4AVX2(zt, t, w, b *float64, nin, nout int)
// zt[4o+k] = b[o] + Σ_{j<nin} w[o·nin+j]·t[4j+k] for o < nout and the four
// lanes k, each sum in j order, each product rounded before its addition
// (forwardBlock's four chains s_k); four rows o at a time, so that four
// independent chains per lane overlap.
TEXT ·dot4AVX2(SB), NOSPLIT, $0-48
	MOVQ zt+0(FP), DI
	MOVQ t+8(FP), SI
	MOVQ w+16(FP), R8
	MOVQ b+24(FP), R9
	MOVQ nin+32(FP), CX
	XORQ R10, R10
quad:
	LEAQ 4(R10), R13
	CMPQ R13, nout+40(FP)
	JGT single
	VBROADCASTSD 0(R9)(R10*8), Y0
	VBROADCASTSD 8(R9)(R10*8), Y1
	VBROADCASTSD 16(R9)(R10*8), Y2
	VBROADCASTSD 24(R9)(R10*8), Y3
	MOVQ R8, AX
	LEAQ (AX)(CX*8), BX
	LEAQ (BX)(CX*8), R11
	LEAQ (R11)(CX*8), R12
	MOVQ SI, DX
	XORQ R13, R13
quadj:
	CMPQ R13, CX
	JGE quadstore
	VMOVUPD (DX), Y8
	VBROADCASTSD (AX)(R13*8), Y4
	VBROADCASTSD (BX)(R13*8), Y5
	VBROADCASTSD (R11)(R13*8), Y6
	VBROADCASTSD (R12)(R13*8), Y7
	VMULPD Y8, Y4, Y4
	VMULPD Y8, Y5, Y5
	VMULPD Y8, Y6, Y6
	VMULPD Y8, Y7, Y7
	VADDPD Y4, Y0, Y0
	VADDPD Y5, Y1, Y1
	VADDPD Y6, Y2, Y2
	VADDPD Y7, Y3, Y3
	ADDQ $32, DX
	INCQ R13
	JMP quadj
quadstore:
	MOVQ R10, R13
	SHLQ $5, R13
	VMOVUPD Y0, 0(DI)(R13*1)
	VMOVUPD Y1, 32(DI)(R13*1)
	VMOVUPD Y2, 64(DI)(R13*1)
	VMOVUPD Y3, 96(DI)(R13*1)
	LEAQ (R12)(CX*8), R8
	ADDQ $4, R10
	JMP quad
single:
	CMPQ R10, nout+40(FP)
	JGE end
	VBROADCASTSD (R9)(R10*8), Y0
	MOVQ SI, DX
	XORQ R13, R13
singlej:
	CMPQ R13, CX
	JGE singlestore
	VBROADCASTSD (R8)(R13*8), Y4
	VMULPD (DX), Y4, Y4
	VADDPD Y4, Y0, Y0
	ADDQ $32, DX
	INCQ R13
	JMP singlej
singlestore:
	MOVQ R10, R13
	SHLQ $5, R13
	VMOVUPD Y0, (DI)(R13*1)
	LEAQ (R8)(CX*8), R8
	INCQ R10
	JMP single
end:
	VZEROUPPER
	RET

// func gerRowAVX2(dst, in, d *float64, n, ldin, ns, ldd int)
// dst[j] += d[s·ldd]·in[s·ldin + j] for j < n (a multiple of 4) and s < ns
// in s order, skipping the s whose d[s·ldd] is zero, each product rounded
// before its addition (backward's axpy of each sample, in sample order):
// sixteen j at a time in four independent accumulators, then four.
TEXT ·gerRowAVX2(SB), NOSPLIT, $0-56
	MOVQ dst+0(FP), DI
	MOVQ in+8(FP), SI
	MOVQ d+16(FP), R8
	MOVQ n+24(FP), CX
	MOVQ ldin+32(FP), R9
	SHLQ $3, R9
	MOVQ ns+40(FP), R10
	MOVQ ldd+48(FP), R11
	SHLQ $3, R11
	VXORPD X15, X15, X15
	XORQ AX, AX
wide:
	LEAQ 16(AX), BX
	CMPQ BX, CX
	JGT narrow
	VMOVUPD 0(DI)(AX*8), Y0
	VMOVUPD 32(DI)(AX*8), Y1
	VMOVUPD 64(DI)(AX*8), Y2
	VMOVUPD 96(DI)(AX*8), Y3
	LEAQ (SI)(AX*8), DX
	MOVQ R8, R12
	XORQ R13, R13
wides:
	CMPQ R13, R10
	JGE widestore
	VMOVSD (R12), X4
	VUCOMISD X15, X4
	JNE widego
	JPS widego
	JMP widenext
widego:
	VBROADCASTSD X4, Y4
	VMULPD 0(DX), Y4, Y5
	VMULPD 32(DX), Y4, Y6
	VMULPD 64(DX), Y4, Y7
	VMULPD 96(DX), Y4, Y8
	VADDPD Y5, Y0, Y0
	VADDPD Y6, Y1, Y1
	VADDPD Y7, Y2, Y2
	VADDPD Y8, Y3, Y3
widenext:
	ADDQ R9, DX
	ADDQ R11, R12
	INCQ R13
	JMP wides
widestore:
	VMOVUPD Y0, 0(DI)(AX*8)
	VMOVUPD Y1, 32(DI)(AX*8)
	VMOVUPD Y2, 64(DI)(AX*8)
	VMOVUPD Y3, 96(DI)(AX*8)
	ADDQ $16, AX
	JMP wide
narrow:
	CMPQ AX, CX
	JGE end
	VMOVUPD (DI)(AX*8), Y0
	LEAQ (SI)(AX*8), DX
	MOVQ R8, R12
	XORQ R13, R13
narrows:
	CMPQ R13, R10
	JGE narrowstore
	VMOVSD (R12), X4
	VUCOMISD X15, X4
	JNE narrowgo
	JPS narrowgo
	JMP narrownext
narrowgo:
	VBROADCASTSD X4, Y4
	VMULPD (DX), Y4, Y5
	VADDPD Y5, Y0, Y0
narrownext:
	ADDQ R9, DX
	ADDQ R11, R12
	INCQ R13
	JMP narrows
narrowstore:
	VMOVUPD Y0, (DI)(AX*8)
	ADDQ $4, AX
	JMP narrow
end:
	VZEROUPPER
	RET
