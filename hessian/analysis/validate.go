package analysis

import (
	"fmt"
	"math"
	"strings"
)

// Validate checks the options that need no model: counts not negative,
// tolerances positive and finite, Hutchinson's TraceMax at least 2 (a
// standard error needs two probes), SLQ's runs and steps at least 1, Sigma
// not negative (0: hessian.DefaultSigma), Layer not negative, Workers at
// least 1: the values a user gives (sgn hessian). It returns an
// *OptionError naming the option. Then the options given together: a
// *NeedError when SaveMatrix comes without Full (it writes the assembled
// matrix), SaveVectors without TopK or BottomK (it writes the Lanczos
// eigenvectors), or no stage is asked for. Run checks the options against
// the model (Lanczos' k against P, Layer against the layers).
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
	case o.SaveMatrix && !o.Full:
		return &NeedError{Field: "save_matrix", Needs: []string{"full"}, Why: "it writes the assembled matrix"}
	case o.SaveVectors && o.TopK+o.BottomK == 0:
		return &NeedError{Field: "save_vectors", Needs: []string{"top_k", "bottom_k"}, Why: "it writes the Lanczos eigenvectors"}
	case o.TopK+o.BottomK == 0 && !o.Trace && !o.Density && !o.Full:
		return &NeedError{Needs: []string{"top_k", "bottom_k", "trace", "density", "full"}, Why: "nothing to compute"}
	}
	return nil
}

// NeedError reports options given without one of the options they need:
// Field (in snake case, as OptionError.Field; empty for the options as a
// whole) needs one of Needs, for the reason Why.
type NeedError struct {
	Field string
	Needs []string
	Why   string
}

// Error returns "<field> needs <a> or <b> (<why>)", or "<why>: give <a>,
// <b> or <c>" for the options as a whole.
func (e *NeedError) Error() string { return e.Text(func(o string) string { return o }) }

// Text is Error with each option spelled by name (a command's flag).
func (e *NeedError) Text(name func(option string) string) string {
	names := make([]string, len(e.Needs))
	for i, o := range e.Needs {
		names[i] = name(o)
	}
	list := strings.Join(names, " or ")
	if n := len(names); n > 2 {
		list = strings.Join(names[:n-1], ", ") + " or " + names[n-1]
	}
	if e.Field == "" {
		return e.Why + ": give " + list
	}
	return fmt.Sprintf("%s needs %s (%s)", name(e.Field), list, e.Why)
}
