package model

import (
	"fmt"
	"math"
	"strings"
)

// Activation is the nonlinearity f of the hidden layers. Its value is the
// name recorded in checkpoints and configuration files ("relu", "tanh").
//
// Every engine of the model package (the Gorgonia graph, the gonum passes
// and the R-operator) takes f, f′ and f″ from one table, activationTable;
// adding an activation is adding one row to it. The slice methods (Apply,
// MulDeriv, Deriv, SecondDeriv) loop over whole slices so that a caller
// pays one table lookup per slice, not a call per element.
type Activation string

// Activations the hidden layers may use.
const (
	// ReLU is f(z) = max(z, 0), f′ = 1 for z > 0 and 0 otherwise, f″ = 0
	// (Nair & Hinton 2010).
	ReLU Activation = "relu"
	// Tanh is f(z) = tanh z, f′ = 1 − f², f″ = −2f(1 − f²).
	Tanh Activation = "tanh"
)

// activationDef is one row of the activation table. The scalar functions
// define the activation; the slice kernels are the same formulas written as
// loops (checked against the scalar ones in the tests). f′ and f″ take both
// z and a = f(z), so that each activation uses whichever is cheaper.
type activationDef struct {
	name Activation
	// f returns f(z); fprime returns f′(z) and fsecond f″(z), given z and
	// a = f(z).
	f       func(z float64) float64
	fprime  func(z, a float64) float64
	fsecond func(z, a float64) float64
	// apply stores f(z[i]) in a[i].
	apply func(a, z []float64)
	// mulDeriv stores g[i]·f′(z[i]) in g[i], given z and a = f(z).
	mulDeriv func(g, z, a []float64)
	// deriv stores f′(z[i]) in d[i]; deriv2 stores f″(z[i]) in d[i].
	deriv, deriv2 func(d, z, a []float64)
	// piecewiseLinear says f″ = 0 wherever it is defined (the R-operator
	// then skips the f″ term).
	piecewiseLinear bool
	// init is the initialisation InitAuto picks for this activation.
	init Init
}

// activationTable is the single table of activations, in the order the
// error messages list them.
var activationTable = []activationDef{
	{
		name:    ReLU,
		f:       func(z float64) float64 { return max(z, 0) },
		fprime:  func(z, _ float64) float64 { return reluPrime(z) },
		fsecond: func(_, _ float64) float64 { return 0 },
		apply: func(a, z []float64) {
			for i, v := range z {
				a[i] = max(v, 0)
			}
		},
		mulDeriv: func(g, z, _ []float64) {
			for i := range g {
				if z[i] <= 0 {
					g[i] = 0
				}
			}
		},
		deriv: func(d, z, _ []float64) {
			for i := range d {
				d[i] = reluPrime(z[i])
			}
		},
		deriv2:          func(d, _, _ []float64) { clear(d) },
		piecewiseLinear: true,
		init:            InitHe,
	},
	{
		name:    Tanh,
		f:       math.Tanh,
		fprime:  func(_, a float64) float64 { return 1 - a*a },
		fsecond: func(_, a float64) float64 { return -2 * a * (1 - a*a) },
		apply: func(a, z []float64) {
			for i, v := range z {
				a[i] = math.Tanh(v)
			}
		},
		mulDeriv: func(g, _, a []float64) {
			for i := range g {
				g[i] *= 1 - a[i]*a[i]
			}
		},
		deriv: func(d, _, a []float64) {
			for i := range d {
				d[i] = 1 - a[i]*a[i]
			}
		},
		deriv2: func(d, _, a []float64) {
			for i := range d {
				x := a[i]
				d[i] = -2 * x * (1 - x*x)
			}
		},
		init: InitGlorot,
	},
}

// reluPrime is the derivative of max(z, 0), taken as 0 at z = 0 (as
// PyTorch does).
func reluPrime(z float64) float64 {
	if z > 0 {
		return 1
	}
	return 0
}

// ActivationNames lists the names of the activations, in table order.
func ActivationNames() []string {
	names := make([]string, len(activationTable))
	for i, d := range activationTable {
		names[i] = string(d.name)
	}
	return names
}

// ParseActivation returns the activation named s, or an error naming s and
// the activations there are.
func ParseActivation(s string) (Activation, error) {
	a := Activation(s)
	if err := a.Validate(); err != nil {
		return "", err
	}
	return a, nil
}

// Validate returns an error unless a is an activation of the table.
func (a Activation) Validate() error {
	if a.lookup() == nil {
		return fmt.Errorf("activation %q: expected %s", string(a), orList(ActivationNames()))
	}
	return nil
}

// lookup returns a's row of the table, or nil.
func (a Activation) lookup() *activationDef {
	for i := range activationTable {
		if activationTable[i].name == a {
			return &activationTable[i]
		}
	}
	return nil
}

// def returns a's row of the table. An unknown activation is a programming
// error (configurations are validated when a model is made or loaded).
func (a Activation) def() *activationDef {
	d := a.lookup()
	if d == nil {
		panic(fmt.Sprintf("model: unknown activation %q", string(a)))
	}
	return d
}

// String returns the name of the activation.
func (a Activation) String() string { return string(a) }

// F returns f(z).
func (a Activation) F(z float64) float64 { return a.def().f(z) }

// FPrime returns f′(z), given z and fz = f(z).
func (a Activation) FPrime(z, fz float64) float64 { return a.def().fprime(z, fz) }

// FSecond returns f″(z), given z and fz = f(z).
func (a Activation) FSecond(z, fz float64) float64 { return a.def().fsecond(z, fz) }

// Apply stores f(z[i]) in dst[i] for every i; dst may be z.
func (a Activation) Apply(dst, z []float64) { a.def().apply(dst[:len(z)], z) }

// MulDeriv multiplies g[i] by f′(z[i]) for every i, given z and fz = f(z)
// (the backward step δ_{l−1} = (δ_l W_l) ⊙ f′(z_{l−1})).
func (a Activation) MulDeriv(g, z, fz []float64) { a.def().mulDeriv(g, z[:len(g)], fz[:len(g)]) }

// Deriv stores f′(z[i]) in dst[i] for every i, given z and fz = f(z).
func (a Activation) Deriv(dst, z, fz []float64) { a.def().deriv(dst, z[:len(dst)], fz[:len(dst)]) }

// SecondDeriv stores f″(z[i]) in dst[i] for every i, given z and fz = f(z).
func (a Activation) SecondDeriv(dst, z, fz []float64) {
	a.def().deriv2(dst, z[:len(dst)], fz[:len(dst)])
}

// PiecewiseLinear reports whether f″ = 0 wherever it is defined, so that
// second-order terms in f″ vanish (relu).
func (a Activation) PiecewiseLinear() bool { return a.def().piecewiseLinear }

// DefaultInit is the initialisation InitAuto picks for a: Glorot & Bengio
// (2010) for tanh, He et al. (2015) for relu.
func (a Activation) DefaultInit() Init { return a.def().init }

// orList joins names as "a, b or c".
func orList(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}
