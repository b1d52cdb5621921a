package analysis

import (
	"errors"
	"math"
	"testing"
)

// TestValidate: the defaults of sgn hessian pass, and each bad value is an
// *OptionError naming its option.
func TestValidate(t *testing.T) {
	ok := Options{TopK: 20, Tol: 1e-6, TraceTol: 1e-2, TraceMax: 1000, SLQRuns: 5, SLQSteps: 100, Workers: 1}
	if err := ok.Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	for _, c := range []struct {
		field string
		edit  func(o *Options)
	}{
		{"top_k", func(o *Options) { o.TopK = -1 }},
		{"bottom_k", func(o *Options) { o.BottomK = -1 }},
		{"max_iterations", func(o *Options) { o.MaxIter = -1 }},
		{"tol", func(o *Options) { o.Tol = 0 }},
		{"tol", func(o *Options) { o.Tol = math.Inf(1) }},
		{"trace_tol", func(o *Options) { o.TraceTol = math.NaN() }},
		{"trace_max", func(o *Options) { o.TraceMax = 1 }},
		{"slq_runs", func(o *Options) { o.SLQRuns = 0 }},
		{"slq_steps", func(o *Options) { o.SLQSteps = 0 }},
		{"sigma", func(o *Options) { o.Sigma = -1 }},
		{"layer", func(o *Options) { o.Layer = -2 }},
		{"workers", func(o *Options) { o.Workers = 0 }},
	} {
		o := ok
		c.edit(&o)
		var oe *OptionError
		if err := o.Validate(); !errors.As(err, &oe) || oe.Field != c.field {
			t.Errorf("%+v: %v; want an OptionError of %s", o, err, c.field)
		} else if f, d := oe.Option(); f != c.field || err.Error() != f+" "+d {
			t.Errorf("%+v: Option() = %q, %q for %q", o, f, d, err)
		}
	}
	for _, c := range []struct {
		edit func(o *Options)
		want string
	}{
		{func(o *Options) { o.SaveMatrix = true }, "save_matrix needs full (it writes the assembled matrix)"},
		{func(o *Options) { o.TopK, o.Trace, o.SaveVectors = 0, true, true }, "save_vectors needs top_k or bottom_k (it writes the Lanczos eigenvectors)"},
		{func(o *Options) { o.TopK = 0 }, "nothing to compute: give top_k, bottom_k, trace, density or full"},
	} {
		o := ok
		c.edit(&o)
		var ne *NeedError
		if err := o.Validate(); !errors.As(err, &ne) || err.Error() != c.want {
			t.Errorf("%+v: %v; want a NeedError %q", o, err, c.want)
		}
	}
	for _, edit := range []func(o *Options){
		func(o *Options) { o.SaveMatrix, o.Full = true, true },
		func(o *Options) { o.TopK, o.BottomK, o.SaveVectors = 0, 3, true },
		func(o *Options) { o.TopK, o.Density = 0, true },
	} {
		o := ok
		edit(&o)
		if err := o.Validate(); err != nil {
			t.Errorf("%+v: %v; want none", o, err)
		}
	}
}
