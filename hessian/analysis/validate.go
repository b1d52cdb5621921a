package analysis

import (
	"fmt"
	"math"
)

// Validate checks the options that need no model: counts not negative,
// tolerances positive and finite, Hutchinson's TraceMax at least 2 (a
// standard error needs two probes), SLQ's runs and steps at least 1, Sigma
// not negative (0: hessian.DefaultSigma), Layer not negative, Workers at
// least 1: the values a user gives (sgn hessian). It returns an
// *OptionError naming the option. Run checks the options against the model
// (Lanczos' k against P, Layer against the layers).
func (o Options) Validate() error {
	positive := func(v float64) bool { return v > 0 && !math.IsInf(v, 0) }
	bad := func(field, format string, args ...any) error {
		return &OptionError{Field: field, Detail: fmt.Sprintf(format, args...)}
	}
	switch {
	case o.TopK < 0:
		return bad("top_k", "%d: want ≥ 0", o.TopK)
	case o.BottomK < 0:
		return bad("bottom_k", "%d: want ≥ 0", o.BottomK)
	case o.MaxIter < 0:
		return bad("max_iterations", "%d: want ≥ 1 (leave the flag out for the default)", o.MaxIter)
	case !positive(o.Tol):
		return bad("tol", "%v: want a positive number", o.Tol)
	case !positive(o.TraceTol):
		return bad("trace_tol", "%v: want a positive number", o.TraceTol)
	case o.TraceMax < 2:
		return bad("trace_max", "%d: want ≥ 2 (a standard error needs two probes)", o.TraceMax)
	case o.SLQRuns < 1:
		return bad("slq_runs", "%d: want ≥ 1", o.SLQRuns)
	case o.SLQSteps < 1:
		return bad("slq_steps", "%d: want ≥ 1", o.SLQSteps)
	case !(o.Sigma >= 0) || math.IsInf(o.Sigma, 0):
		return bad("sigma", "%v: want a positive width (leave the flag out for the automatic one)", o.Sigma)
	case o.Layer < 0:
		return bad("layer", "%d: layers count from 1 (fc1)", o.Layer)
	case o.Workers < 1:
		return bad("workers", "%d: must be at least 1", o.Workers)
	}
	return nil
}
