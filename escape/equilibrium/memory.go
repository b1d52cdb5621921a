package equilibrium

import (
	"fmt"

	"github.com/sgn-project/sgn/hessian"
	"github.com/sgn-project/sgn/internal/memlimit"
	"github.com/sgn-project/sgn/model"
)

// MemoryNeed bounds the bytes Measure holds at its peak on the Network of
// an MLP of widths layers and activation act over n samples, with settings
// s (normalized as Measure normalizes them): the samples, then the largest
// of its phases, which run one after the other —
//
//   - the eigenbasis: the Hessian operator with its cached passes
//     (model.HessianBytes) and, when P ≤ FullMaxParams, three dense P×P
//     matrices (H, the eigensolver's copy, the eigenvectors) and the block
//     products (model.HessianBlockBytes), else the Lanczos basis
//     (hessian.LanczosBytes);
//   - the noise along the K directions: a chunk of per-sample gradients
//     (at most 512 of them and 128 MiB);
//   - with Center gd, the gradient-descent path: a full-batch pass and
//     θ_GD at a window of the Steps/Every sample times (at most 256 MiB of
//     them, written over as the chains use them);
//   - the two chains: each keeps Steps/Every projections on the K
//     directions, a block of θ's (at most 64 and 32 MiB), a few vectors of
//     length P, a full-batch
//     pass (the loss series), the snapshots' λᵢ(t) and cᵢ(t) and, while
//     taking one, a Hessian operator (model.HessianBytes) and a chunk of
//     per-sample gradients; their analysis then copies up to eight series
//     of Steps/Every values;
//
// with the P×K directions U held by the last two. Descend's full-batch
// pass comes before them all. With Center gd the gradient-descent path
// runs beside the chains (with one worker, its steps taken between theirs)
// and, with two workers or more, beside the eigenbasis and the noise too:
// its full-batch pass and its window of θ_GD add to each. It is computed in float64, so absurd settings give a huge number,
// not an overflow.
func (s Settings) MemoryNeed(layers []int, act model.Activation, n int) (float64, error) {
	s = s.Normalized()
	P, err := model.ParamCount(layers)
	if err != nil {
		return 0, err
	}
	eig, K, err := eigenBytes(layers, act, n, s.TopK, s.Bulk, s.Workers)
	if err != nil {
		return 0, err
	}
	p, N := float64(P), float64(n)
	var outs float64
	for _, w := range layers[1:] {
		outs += float64(w)
	}
	U := 8 * p * K
	noise := 8 * (float64(segmentRows(gradChunk, P, gradBytes))*(p+K) + 2*p + 2*K)
	samples := float64(s.Steps / s.Every)
	hess, err := model.HessianBytes(layers, act, n, s.Workers)
	if err != nil {
		return 0, err
	}
	block := float64(segmentRows(blockRows, P, blockBytes))
	chain := 8*(samples*(K+2)+block*p+8*p+3*float64(s.BatchSize)*outs+float64(s.BatchSize)+3*N*outs+2*float64(s.Snapshots)*K) + hess + noise
	desc := 8 * (3*N*outs + 4*p)
	var gd float64
	if s.Center == CenterGD {
		gd = 8 * float64(segmentRows(s.Steps/s.Every, P, pathBytes)) * p
	}
	// The analysis of the chains' series copies a few of them at a time.
	most := max(desc, eig, U+noise, U+gd+desc+2*chain+8*8*samples)
	if s.Center == CenterGD && s.Workers >= 2 {
		most = max(desc, gd+desc+eig, gd+desc+U+noise, U+gd+desc+2*chain+8*8*samples)
	}
	return 8*N*float64(layers[0]+1) + most, nil
}

// CheckMemory returns a *memlimit.Error when Measure would hold more than
// limit bytes (MemoryNeed) for these settings on a network of widths
// layers and activation act over n samples; nil when it fits or limit is
// 0. The refusal names first the options that lower the estimate most: the
// chains' Steps/Every samples (lower steps, raise every) when they take at
// least half of it, else the samples N, the Hessian's cached passes and
// the eigenbasis (lower first, top_k, bulk), which dominate at large P.
func (s Settings) CheckMemory(layers []int, act model.Activation, n int, limit int64) error {
	need, err := s.MemoryNeed(layers, act, n)
	if err != nil {
		return err
	}
	one := s.Normalized()
	one.Steps, one.Every, one.BurnIn = 1, 1, 1
	base, err := one.MemoryNeed(layers, act, n)
	if err != nil {
		return err
	}
	chains := []memlimit.Lever{memlimit.Lower("steps"), memlimit.Raise("every")}
	eigen := []memlimit.Lever{memlimit.Lower("first"), memlimit.Lower("top_k"), memlimit.Lower("bulk")}
	levers := append(eigen, chains...)
	if need-base >= need/2 {
		levers = append(chains, eigen...)
	}
	P, err := model.ParamCount(layers)
	if err != nil {
		return err
	}
	s = s.Normalized()
	return memlimit.Check(need, limit, fmt.Sprintf("on P = %d and %d samples", P, n),
		[]memlimit.Setting{{Name: "steps", Value: fmt.Sprint(s.Steps)}, {Name: "every", Value: fmt.Sprint(s.Every)}, {Name: "top_k", Value: fmt.Sprint(s.TopK)}}, levers...)
}

// eigenBytes bounds the bytes of eigenbasis for topK (and bulk) directions
// of the Hessian of a network of widths layers on n samples: the Hessian
// operator with its cached passes and, when P ≤ FullMaxParams, three dense
// P×P matrices and the block products, else the Lanczos basis. It also
// returns K, the number of directions kept.
func eigenBytes(layers []int, act model.Activation, n, topK, bulk, workers int) (float64, float64, error) {
	P, err := model.ParamCount(layers)
	if err != nil {
		return 0, 0, err
	}
	eig, err := model.HessianBytes(layers, act, n, workers)
	if err != nil {
		return 0, 0, err
	}
	p := float64(P)
	if P <= FullMaxParams {
		blk, err := model.HessianBlockBytes(layers, n, workers)
		if err != nil {
			return 0, 0, err
		}
		return eig + 3*8*p*p + blk, float64(min(topK+bulk, P)), nil
	}
	lz, err := hessian.LanczosBytes(P, min(topK, P), 0, hessian.LanczosOptions{})
	if err != nil {
		return 0, 0, err
	}
	return eig + lz, float64(min(topK, P)), nil
}

// EigenMemoryNeed bounds the bytes TopEigenpairs holds for a network of
// the given layers and activation on n samples with workers goroutines:
// the Hessian's cached passes with the dense decomposition or the Lanczos
// basis. K is the number of directions it returns.
func EigenMemoryNeed(layers []int, act model.Activation, n, topK, workers int) (bytes, K float64, err error) {
	return eigenBytes(layers, act, n, topK, 0, workers)
}
