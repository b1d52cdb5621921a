package paper

import (
	"fmt"
	"math"
	"time"

	"github.com/sgn-project/sgn/escape/equilibrium"
	"github.com/sgn-project/sgn/train/minimum"
)

// Shape is what the sizing rules read of the network and the data: the
// data's rows N, features D and classes, and the network's parameter count
// P.
type Shape struct {
	N       int `json:"n"`
	D       int `json:"d"`
	Classes int `json:"classes"`
	P       int `json:"params"`
}

// Sizes are the settings of every experiment, derived from a Shape and the
// time allowed by Size.
type Sizes struct {
	// First is the number of rows analysed (the data's first rows): the
	// loss, H and C of Xie et al. (2021, eq. 2 and Fig. 2) are means over
	// them.
	First int `json:"first"`
	// CovBatch is the B of C = Σ/B compared with H/B.
	CovBatch int `json:"cov_batch"`
	// NoiseBatches are the minibatch sizes of the noise shape and
	// Minibatches the minibatches drawn per size.
	NoiseBatches []int `json:"noise_batches"`
	Minibatches  int   `json:"minibatches"`
	// HessianTopK is the number of top Hessian eigenvalues by Lanczos;
	// Trace asks for Hutchinson's trace, Density for the SLQ density, Full
	// for the dense decomposition.
	HessianTopK int  `json:"hessian_top_k"`
	Trace       bool `json:"trace"`
	Density     bool `json:"density"`
	Full        bool `json:"full"`
	// MinimumIterations caps the L-BFGS iterations of the minimum.
	MinimumIterations int `json:"minimum_iterations"`
	// The chains of the quasi-equilibrium measurement: batch size, sampled
	// steps, sampling period, top and bulk eigendirections, batch means.
	EqBatch    int `json:"eq_batch"`
	EqSteps    int `json:"eq_steps"`
	EqEvery    int `json:"eq_every"`
	EqTopK     int `json:"eq_top_k"`
	EqBulk     int `json:"eq_bulk"`
	EqBatches  int `json:"eq_batches"`
	EqSnapshot int `json:"eq_snapshots"`
	// The network escape sweeps (Theorem 2 of Xie et al.): runs per point,
	// the step limit of a run and the batch sizes of the B sweep.
	EscapeRuns     int       `json:"escape_runs"`
	EscapeMaxSteps int64     `json:"escape_max_steps"`
	EscapeBatches  []float64 `json:"escape_batches"`
	// Minima selection on networks: training runs from scratch on the
	// first SelFirst rows over SelBatches × SelEtas, SelRuns per point, at
	// most SelEpochs epochs each.
	SelFirst   int       `json:"sel_first"`
	SelBatches []int     `json:"sel_batches"`
	SelEtas    []float64 `json:"sel_etas"`
	SelRuns    int       `json:"sel_runs"`
	SelEpochs  int       `json:"sel_epochs"`
}

// The full sizes (no --quick, no budget) and the quick ones. The full
// sizes are those of the paper's own figure model (make paper); the quick
// ones are a trial that finishes in seconds on a small network.
const (
	fullFirst, quickFirst             = 2000, 300
	fullMinibatches, quickMinibatches = 1000, 100
	fullTopK, quickTopK               = 20, 5
	fullEqSteps, quickEqSteps         = 20000, 2000
	fullEscapeRuns, quickEscapeRuns   = 100, 8
	fullEscapeSteps, quickEscapeSteps = 25000, 500
	fullSelFirst, quickSelFirst       = 10000, 1000
	fullSelEpochs, quickSelEpochs     = 400, 20
	// denseMaxParams bounds P for the dense Hessian of the hessian
	// experiment (P Hessian-vector products over the rows analysed).
	denseMaxParams = 500
	// minRows is the fewest rows any experiment runs on: the noise shape
	// needs B ≥ 1 with at least four distinct minibatches of it.
	minRows = 8
)

// costRate is the work the budget is converted with: parameter × sample
// gradient passes per second per worker, a conservative figure for sgn's
// gonum passes on one core (measured on MLPs of 10³–10⁵ parameters).
const costRate = 2e8

// Size returns the settings of every experiment for a network and data of
// shape s: quick for a trial, else the full sizes scaled down (never below
// the quick ones) to fit budget (0: no limit) on workers workers. Every
// size fits the data: batch sizes at most a quarter of the rows analysed,
// eigendirections at most P. It refuses data of fewer than 8 rows.
func Size(s Shape, quick bool, budget time.Duration, workers int) (Sizes, error) {
	if s.N < minRows {
		return Sizes{}, fmt.Errorf("the data have %d rows: the experiments need at least %d", s.N, minRows)
	}
	if s.P < 1 {
		return Sizes{}, fmt.Errorf("the network has %d parameters", s.P)
	}
	// scale in [0, 1]: 1 for the full sizes, 0 for the quick ones.
	scale := 1.0
	if quick {
		scale = 0
	} else if budget > 0 {
		// In steps of 1/20, so that nearby budgets give the same sizes
		// (and a rerun with a slightly other budget reuses the folders).
		scale = math.Floor(20*math.Min(1, budget.Seconds()*costRate*float64(max(1, workers))/fullCost(s))) / 20
	}
	lerp := func(q, f int) int { return q + int(math.Round(scale*float64(f-q))) }
	z := Sizes{First: min(s.N, lerp(quickFirst, fullFirst))}
	quarter := max(1, z.First/4)
	z.CovBatch = min(64, quarter)
	for _, b := range []int{4, 16, 64, 256} {
		if b <= quarter {
			z.NoiseBatches = append(z.NoiseBatches, b)
		}
	}
	if len(z.NoiseBatches) == 0 {
		z.NoiseBatches = []int{quarter}
	}
	z.Minibatches = lerp(quickMinibatches, fullMinibatches)
	z.HessianTopK = min(s.P, lerp(quickTopK, fullTopK))
	z.Trace = scale > 0
	z.Density = scale > 0 && s.P >= 10
	z.Full = s.P <= denseMaxParams
	// The minimum is cheap beside the rest and every experiment at the
	// minimum needs it: never cut short (a small network on a few hundred
	// rows takes thousands of L-BFGS iterations to ‖∇L‖ ≤ 1e-6).
	z.MinimumIterations = minimum.DefaultMaxIterations
	eq := equilibrium.Settings{}.SizedFor(s.P, z.First)
	z.EqBatch = eq.BatchSize
	z.EqSteps = lerp(quickEqSteps, fullEqSteps)
	z.EqEvery = 10
	z.EqBatches = 20
	z.EqSnapshot = 10
	z.EqTopK, z.EqBulk = eq.TopK, eq.Bulk
	z.EscapeRuns = lerp(quickEscapeRuns, fullEscapeRuns)
	z.EscapeMaxSteps = int64(lerp(quickEscapeSteps, fullEscapeSteps))
	b := min(16, quarter)
	for i := 3; i >= 0; i-- {
		if b-i >= 1 {
			z.EscapeBatches = append(z.EscapeBatches, float64(b-i))
		}
	}
	z.SelFirst = min(s.N, lerp(quickSelFirst, fullSelFirst))
	selQuarter := max(1, z.SelFirst/4)
	for _, b := range []int{16, 64, 256} {
		if b <= selQuarter {
			z.SelBatches = append(z.SelBatches, b)
		}
	}
	if len(z.SelBatches) == 0 {
		z.SelBatches = []int{selQuarter}
	}
	z.SelEtas = []float64{0.025, 0.05, 0.1, 0.2}
	z.SelRuns = 2
	if scale == 0 {
		z.SelBatches, z.SelEtas, z.SelRuns = z.SelBatches[:min(2, len(z.SelBatches))], z.SelEtas[:2], 1
	}
	z.SelEpochs = lerp(quickSelEpochs, fullSelEpochs)
	return z, nil
}

// fullCost is the work of the full sizes in parameter × sample passes: the
// covariance and noise experiments (twice: at the checkpoint and at the
// minimum), the Hessian, the equilibrium chains and the escape sweeps.
func fullCost(s Shape) float64 {
	n, p := float64(min(s.N, fullFirst)), float64(s.P)
	cov := 2 * (n*p*40 + 2*n*p*fullTopK*3) // gradients, Lanczos passes; pretrained and random
	noise := 2 * (fullMinibatches * (4 + 16 + 64 + 256) * p)
	hess := n * p * (3*fullTopK + 200)
	// The chains (SGD and SGLD, B = 64) and the noise-free gradient-descent
	// path they are centred on (full batch, steps and burn-in).
	eq := 2*float64(fullEqSteps)*64*p + 1.1*float64(fullEqSteps)*n*p
	esc := 3 * 4 * fullEscapeRuns * float64(fullEscapeSteps) * 16 * p / 4            // escapes stop early: a quarter of the steps on average
	sel := 12 * 2 * fullSelEpochs * 3 * math.Min(float64(s.N), fullSelFirst) * p / 4 // runs stop at the target loss: a quarter of the epochs on average
	return 2*cov + noise + hess + eq + esc + sel
}
