package model

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
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
	// Sigmoid is the logistic f(z) = σ(z) = 1/(1 + e^(−z)), f′ = f(1 − f),
	// f″ = f(1 − f)(1 − 2f).
	Sigmoid Activation = "sigmoid"
	// Softplus is f(z) = log(1 + e^z), f′ = σ(z), f″ = σ(z)(1 − σ(z))
	// (Dugas et al. 2001; PyTorch's nn.Softplus with β = 1, computed
	// without its linear cut-off above z = 20).
	Softplus Activation = "softplus"
	// GELU is f(z) = z·Φ(z), Φ the standard normal distribution function
	// (Hendrycks & Gimpel 2016, the exact erf form, PyTorch's default),
	// f′ = Φ(z) + zϕ(z), f″ = ϕ(z)(2 − z²).
	GELU Activation = "gelu"
	// LeakyReLU is f(z) = z for z > 0 and s·z otherwise, f′ = 1 or s,
	// f″ = 0 (Maas et al. 2013). The slope s is 0.01 (PyTorch's default);
	// "leaky_relu:S" names the slope S.
	LeakyReLU Activation = "leaky_relu"
	// ELU is f(z) = z for z > 0 and α(e^z − 1) otherwise, f′ = 1 or
	// α·e^z = f + α, f″ = 0 or f + α (Clevert et al. 2016). α is 1
	// (PyTorch's default); "elu:A" names α.
	ELU Activation = "elu"
	// Identity is f(z) = z: a deep linear network.
	Identity Activation = "identity"
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
	// param, when not nil, builds the row for a parameter p given as
	// "name:p" (the default when the name has none): the leaky slope,
	// ELU's α. paramDefault is the default and paramOK checks a value.
	param        func(p float64) activationDef
	paramDefault float64
	paramOK      func(p float64) bool
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
	scalarRow(Sigmoid, sigmoid,
		func(_, a float64) float64 { return a * (1 - a) },
		func(_, a float64) float64 { return a * (1 - a) * (1 - 2*a) }, false, InitGlorot),
	scalarRow(Softplus, softplus,
		func(z, _ float64) float64 { return sigmoid(z) },
		func(z, _ float64) float64 { s := sigmoid(z); return s * (1 - s) }, false, InitHe),
	scalarRow(GELU, func(z float64) float64 { return z * normalCDF(z) },
		func(z, _ float64) float64 { return normalCDF(z) + z*normalPDF(z) },
		func(z, _ float64) float64 { return normalPDF(z) * (2 - z*z) }, false, InitHe),
	{
		name:         LeakyReLU,
		paramDefault: 0.01,
		paramOK:      func(p float64) bool { return p >= 0 && p < 1 },
		param: func(s float64) activationDef {
			return scalarRow(LeakyReLU, func(z float64) float64 {
				if z > 0 {
					return z
				}
				return s * z
			}, func(z, _ float64) float64 {
				if z > 0 {
					return 1
				}
				return s
			}, func(_, _ float64) float64 { return 0 }, true, InitHe)
		},
	},
	{
		name:         ELU,
		paramDefault: 1,
		paramOK:      func(p float64) bool { return p > 0 && p <= 100 },
		param: func(alpha float64) activationDef {
			return scalarRow(ELU, func(z float64) float64 {
				if z > 0 {
					return z
				}
				return alpha * math.Expm1(z)
			}, func(z, a float64) float64 {
				if z > 0 {
					return 1
				}
				return a + alpha
			}, func(z, a float64) float64 {
				if z > 0 {
					return 0
				}
				return a + alpha
			}, false, InitHe)
		},
	},
	scalarRow(Identity, func(z float64) float64 { return z },
		func(_, _ float64) float64 { return 1 },
		func(_, _ float64) float64 { return 0 }, true, InitGlorot),
}

// scalarRow builds a table row whose slice kernels are loops over its
// scalar functions f, f′ and f″.
func scalarRow(name Activation, f func(z float64) float64, fprime, fsecond func(z, a float64) float64, piecewiseLinear bool, init Init) activationDef {
	return activationDef{
		name: name, f: f, fprime: fprime, fsecond: fsecond,
		apply: func(a, z []float64) {
			for i, v := range z {
				a[i] = f(v)
			}
		},
		mulDeriv: func(g, z, a []float64) {
			for i := range g {
				g[i] *= fprime(z[i], a[i])
			}
		},
		deriv: func(d, z, a []float64) {
			for i := range d {
				d[i] = fprime(z[i], a[i])
			}
		},
		deriv2: func(d, z, a []float64) {
			for i := range d {
				d[i] = fsecond(z[i], a[i])
			}
		},
		piecewiseLinear: piecewiseLinear,
		init:            init,
	}
}

// sigmoid is 1/(1 + e^(−z)), computed without overflow for either sign.
func sigmoid(z float64) float64 {
	if z >= 0 {
		return 1 / (1 + math.Exp(-z))
	}
	e := math.Exp(z)
	return e / (1 + e)
}

// softplus is log(1 + e^z) = max(z, 0) + log1p(e^(−|z|)), without overflow.
func softplus(z float64) float64 { return max(z, 0) + math.Log1p(math.Exp(-math.Abs(z))) }

// normalCDF is Φ(z) = erfc(−z/√2)/2; normalPDF is ϕ(z) = e^(−z²/2)/√(2π).
func normalCDF(z float64) float64 { return 0.5 * math.Erfc(-z/math.Sqrt2) }

func normalPDF(z float64) float64 { return math.Exp(-z*z/2) / math.Sqrt(2*math.Pi) }

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
		return fmt.Errorf("activation %q: expected %s (leaky_relu:S with a slope 0 ≤ S < 1, elu:A with 0 < A ≤ 100)", cut(string(a), 40), orList(ActivationNames()))
	}
	return nil
}

// lookup returns a's row of the table, or nil. A parameterised row ("elu",
// "leaky_relu:0.2") is built for its parameter.
func (a Activation) lookup() *activationDef {
	name, arg, hasArg := strings.Cut(string(a), ":")
	for i := range activationTable {
		r := &activationTable[i]
		if string(r.name) != name {
			continue
		}
		if r.param == nil {
			if hasArg {
				return nil
			}
			return r
		}
		p := r.paramDefault
		if hasArg {
			v, err := strconv.ParseFloat(arg, 64)
			if err != nil || !r.paramOK(v) {
				return nil
			}
			p = v
		}
		d := r.param(p)
		return &d
	}
	return nil
}

// Base returns the activation's name without its parameter ("elu" for
// "elu:0.5").
func (a Activation) Base() Activation {
	name, _, _ := strings.Cut(string(a), ":")
	return Activation(name)
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

// cut shortens s to at most n bytes (on a rune boundary), marking a cut
// with "…", so that an error never echoes a huge value.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// orList joins names as "a, b or c".
func orList(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}
