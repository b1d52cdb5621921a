module github.com/sgn-project/sgn/internal/gemm/asm

go 1.26
