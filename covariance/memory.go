package covariance

import (
	"errors"
	"fmt"

	"github.com/sgn-project/sgn/hessian"
	"github.com/sgn-project/sgn/internal/memlimit"
	"github.com/sgn-project/sgn/model"
)

// MemoryNeed bounds the bytes AnalyzePair holds at its peak for two models
// (the pretrained one and the random one, analysed concurrently in ModeFull,
// one after the other in ModeMatFree) of widths
// layers and activation act on n samples of layers[0] features, with these
// options (defaults filled in as Analyze fills them). Per model: the
// per-sample gradients (the N×P matrix G when it fits
// Options.MemoryBudget, else a chunk of its rows), the Hessian operator
// with its cached passes and in ModeFull its block products (model.HessianBytes,
// model.HessianBlockBytes, for the assembly), and in ModeFull three dense
// P×P matrices at a time (H, the eigenvectors, and the eigensolver's
// reduction or Σ), in ModeMatFree the Lanczos
// basis of the top-k pairs (hessian.LanczosBytes, its default MaxBasis), the
// k eigenvectors and their copy, and their projection. The samples are counted once, and so is the random
// model's θ. It is computed in float64, so absurd sizes give a huge number,
// not an overflow.
func (o Options) MemoryNeed(layers []int, act model.Activation, n int) (float64, error) {
	if n < 1 {
		return 0, errors.New("no samples")
	}
	P, err := model.ParamCount(layers)
	if err != nil {
		return 0, err
	}
	if err := o.validate(n); err != nil {
		return 0, err
	}
	mode, err := o.resolveMode(P)
	if err != nil {
		return 0, err
	}
	h, err := model.HessianBytes(layers, act, n, o.Workers)
	if err != nil {
		return 0, err
	}
	blk, err := model.HessianBlockBytes(layers, n, o.Workers)
	if err != nil {
		return 0, err
	}
	p := float64(P)
	budget := o.MemoryBudget
	if budget <= 0 {
		budget = DefaultMemoryBudget
	}
	rows := gradientRows(n, P, budget)
	per := 8*rows*p + h
	switch mode {
	case ModeFull:
		per += 3*8*p*p + blk
	case ModeMatFree:
		k := min(o.TopK, P)
		lz, err := hessian.LanczosBytes(P, k, 0, hessian.LanczosOptions{})
		if err != nil {
			return 0, err
		}
		// The Ritz vectors, their copy for the projection, a chunk of
		// (G − 1ḡᵀ)U and UᵀΣU.
		per += lz + 8*(2*p*float64(k)+rows*float64(k)+2*float64(k*k))
	default:
		return 0, fmt.Errorf("mode %q: expected %s or %s", mode, ModeFull, ModeMatFree)
	}
	models := 2.0
	if mode == ModeMatFree {
		models = 1
	}
	return models*per + 8*float64(n)*float64(layers[0]+1) + 8*p, nil
}

// gradientRows is the number of rows of G that Gradients holds: all n when
// they fit the budget, else a chunk of the rows that fit a quarter of it (at
// least one). A streamed pass allocates its chunk afresh, possibly while the
// memory of an earlier stage (the Lanczos basis) is freed but not yet
// collected, so the chunk is kept well below the budget.
func gradientRows(n, p int, budget int64) float64 {
	rowBytes := int64(8 * p)
	if int64(n)*rowBytes <= budget {
		return float64(n)
	}
	return float64(max(1, min(int64(n), budget/4/rowBytes)))
}

// CheckMemory returns a *memlimit.Error when the options need more than
// MaxMemory bytes (MemoryNeed) for two models of widths layers and
// activation act on n samples, naming what to lower (first and top_k in
// ModeMatFree, else first, or mode matfree); nil when they fit or MaxMemory
// is 0. Errors of the options themselves are MemoryNeed's.
func (o Options) CheckMemory(layers []int, act model.Activation, n int) error {
	if o.MaxMemory <= 0 {
		return nil
	}
	need, err := o.MemoryNeed(layers, act, n)
	if err != nil || need <= float64(o.MaxMemory) {
		return err
	}
	P, err := model.ParamCount(layers)
	if err != nil {
		return err
	}
	levers := []memlimit.Lever{memlimit.Lower("first"), memlimit.Use("mode", string(ModeMatFree))}
	if o.ResolveMode(P) == ModeMatFree {
		levers = []memlimit.Lever{memlimit.Lower("top_k"), memlimit.Lower("first")}
	}
	mode := o.Mode
	if mode == "" {
		mode = ModeAuto
	}
	return memlimit.Check(need, o.MaxMemory, fmt.Sprintf("the analysis of two models of P = %d parameters (mode %s) on %d samples", P, mode, n), nil, levers...)
}
