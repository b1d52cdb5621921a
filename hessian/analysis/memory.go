package analysis

import (
	"fmt"

	"github.com/sgn-project/sgn/hessian"
	"github.com/sgn-project/sgn/model"
)

// memoryNeed bounds the bytes Run holds at its peak for the model of
// widths layers and activation act on n samples, and names the stage that
// needs the most: the samples (n rows of float64 features and a label),
// the Hessian operator with its cached passes (model.HessianBytes), and the
// largest of the stages asked for, which run one after the other — the
// Lanczos basis (hessian.LanczosBytes), Hutchinson's probes with the block
// products' work space (hessian.HutchinsonBytes, model.HessianBlockBytes),
// SLQ's basis (hessian.SLQBytes), the dense matrices of the full
// decomposition with the block products' work space. field is the option
// that weighs most in that stage's need when it is not the one that sizes
// the stage's basis: "slq_runs" when SLQ's nodes and weights of every run
// outweigh its basis.
func (o Options) memoryNeed(pl plan, layers []int, act model.Activation, n int) (need float64, stage, field string, err error) {
	base, err := model.HessianBytes(layers, act, n, o.Workers)
	if err != nil {
		return 0, "", "", err
	}
	block, err := model.HessianBlockBytes(layers, n, o.Workers)
	if err != nil {
		return 0, "", "", err
	}
	base += 8 * float64(n) * float64(layers[0]+1)
	stage = "the Hessian's cached passes"
	var most float64
	if o.TopK+o.BottomK > 0 {
		b, err := hessian.LanczosBytes(pl.dim, o.TopK, o.BottomK, hessian.LanczosOptions{MaxIter: o.MaxIter, Tol: o.Tol})
		if err != nil {
			return 0, "", "", &OptionError{"max_iterations", fmt.Sprintf("%d: %v", o.MaxIter, err)}
		}
		if b > most {
			most, stage = b, StageLanczos
		}
	}
	if o.Trace {
		if b := hessian.HutchinsonBytes(pl.dim, hessian.HutchinsonOptions{MinSamples: min(10, o.TraceMax), MaxSamples: o.TraceMax, Tol: o.TraceTol}, true) + block; b > most {
			most, stage = b, StageTrace
		}
	}
	if o.Density {
		if b := hessian.SLQBytes(pl.dim, hessian.SLQOptions{NumRuns: o.SLQRuns, Steps: o.SLQSteps}); b > most {
			most, stage = b, StageDensity
			one := hessian.SLQBytes(pl.dim, hessian.SLQOptions{NumRuns: 1, Steps: o.SLQSteps})
			if b-one > one {
				field = "slq_runs"
			}
		}
	}
	if o.Full {
		if b := float64(pl.fullBytes) + block; b > most {
			most, stage = b, StageFull
		}
	}
	if stage != StageDensity {
		field = ""
	}
	return base + most, stage, field, nil
}
