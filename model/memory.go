package model

import (
	"fmt"
	"runtime"
)

// HessianBytes bounds the bytes NewHessian allocates for a model of widths
// layers and activation act on n samples, and those of one MulVec with
// workers goroutines on it: the cached forward and backward pass of every
// chunk (pre-activations, activations and δ of each layer: 3·n·Σₗ outₗ
// values), the back-propagated products δW of the hidden layers when f″ ≠ 0
// (n·Σ hidden widths), one gradient of length P per chunk until they are
// summed, θ and the gradient, then MulVec's partial products (one vector of
// length P per chunk of a round) and each worker's R-pass buffers, and per
// worker the pass buffers of NewHessian's chunk pool, and the packing workspaces of the matrix products (see
// gemmWorkspaceWords), each array rounded up to whole pages. It is
// computed in float64, so absurd sizes give a huge number, not an overflow.
func HessianBytes(layers []int, act Activation, n, workers int) (float64, error) {
	P, err := ParamCount(layers)
	if err != nil {
		return 0, err
	}
	if n < 1 {
		return 0, fmt.Errorf("%d samples: want at least 1", n)
	}
	// Workers beyond the chunks of a round hold nothing (chunkWorkers).
	workers = chunkWorkers(workers, (n-1)/chunkRows+1)
	L := len(layers) - 1
	var outs, hidden, wmax float64
	widest := float64(layers[L])
	for l := 0; l < L; l++ {
		widest = max(widest, float64(layers[l]))
		outs += float64(layers[l+1])
		wmax = max(wmax, float64(layers[l]))
		if l > 0 {
			hidden += float64(layers[l])
		}
	}
	nc := float64((n-1)/chunkRows + 1) // n ≥ 1: no overflow
	N := float64(n)
	words := 3*N*outs + 2*float64(P) + nc*float64(P)
	if !act.PiecewiseLinear() {
		words += N * hidden
	}
	// One MulVec: the partial products of a round and the R-passes.
	words += min(float64(roundChunks), nc)*float64(P) + float64(workers)*chunkRows*(3*outs+wmax)
	// Per worker: the chunk pool's passes; the gemm workspaces.
	words += float64(workers)*3*chunkRows*outs + gemmWorkspaces(workers)*gemmWorkspaceWords(widest)
	// Go's allocator hands a large array whole pages (8 KiB): one page more
	// than its words, at most, for each array counted above.
	arrays := nc*float64(3*L+1) + 2 + min(float64(roundChunks), nc) + float64(workers)*float64(6*L+1)
	if !act.PiecewiseLinear() {
		arrays += nc * float64(L-1)
	}
	return 8*words + 8192*arrays + 64<<10, nil
}

// HessianBlockBytes bounds the work space of Hessian.MulMat with workers
// goroutines for a model of widths layers on n samples: each worker holds
// the buffers of a sub-block of up to blockDirs directions, within
// blockWorkBytes, or of a single direction when even one does not fit (its
// R-quantities for a
// chunk, V regrouped twice, the two products R{∇W} and the partial product
// of length P, as blockDirsFor counts them), and f′, f″ and the row sums of
// a chunk.
func HessianBlockBytes(layers []int, n, workers int) (float64, error) {
	P, err := ParamCount(layers)
	if err != nil {
		return 0, err
	}
	widths := 0.0
	for _, w := range layers[1:] {
		widths += float64(w)
	}
	capRows := float64(min(max(n, 1), chunkRows))
	one := 8 * (3*widths*capRows + 5*float64(P))
	block := max(one, min(float64(blockWorkBytes), blockDirs*one))
	return float64(max(workers, 1)) * (block + 8*capRows*(2*widths+blockDirs+1)), nil
}

// gemmWorkspaceWords is the size in float64 of one packing workspace of
// the matrix products (internal/gemm) for matrices whose widest side is
// widest: (144 + min(4096, widest))·256 values at most.
func gemmWorkspaceWords(widest float64) float64 {
	return (144 + min(4096, widest)) * 256
}

// gemmWorkspaces is the number of packing workspaces that may exist while
// workers goroutines multiply matrices: they are pooled per processor
// (sync.Pool), so one per worker and one per processor.
func gemmWorkspaces(workers int) float64 {
	return float64(workers + runtime.GOMAXPROCS(0))
}
