package model

import (
	"errors"
	"math"
	"strings"
	"testing"
)

// TestActivationTable: every row's f′ and f″ equal central differences of
// its f and f′, and its slice kernels equal its scalar functions exactly.
func TestActivationTable(t *testing.T) {
	zs := []float64{-2.3, -0.7, -0.01, 0.02, 0.4, 1.9}
	const h = 1e-5
	for _, name := range append(ActivationNames(), "leaky_relu:0.2", "elu:0.5") {
		a, err := ParseActivation(name)
		if err != nil {
			t.Fatal(err)
		}
		fz := make([]float64, len(zs))
		a.Apply(fz, zs)
		d1, d2 := make([]float64, len(zs)), make([]float64, len(zs))
		a.Deriv(d1, zs, fz)
		a.SecondDeriv(d2, zs, fz)
		g := []float64{1.5, -2, 3, 0.25, -1, 2}
		a.MulDeriv(g, zs, fz)
		for i, z := range zs {
			if fz[i] != a.F(z) || d1[i] != a.FPrime(z, fz[i]) || d2[i] != a.FSecond(z, fz[i]) {
				t.Errorf("%s at %v: slice kernels %v %v %v, scalar %v %v %v", a, z, fz[i], d1[i], d2[i], a.F(z), a.FPrime(z, fz[i]), a.FSecond(z, fz[i]))
			}
			if want := []float64{1.5, -2, 3, 0.25, -1, 2}[i] * d1[i]; g[i] != want {
				t.Errorf("%s at %v: MulDeriv %v, want %v", a, z, g[i], want)
			}
			fd1 := (a.F(z+h) - a.F(z-h)) / (2 * h)
			if math.Abs(fd1-d1[i]) > 1e-8 {
				t.Errorf("%s: f′(%v) = %v, central difference %v", a, z, d1[i], fd1)
			}
			fp := func(x float64) float64 { return a.FPrime(x, a.F(x)) }
			fd2 := (fp(z+h) - fp(z-h)) / (2 * h)
			if math.Abs(fd2-d2[i]) > 1e-7 {
				t.Errorf("%s: f″(%v) = %v, central difference %v", a, z, d2[i], fd2)
			}
			if a.PiecewiseLinear() && d2[i] != 0 {
				t.Errorf("%s is piecewise linear but f″(%v) = %v", a, z, d2[i])
			}
		}
	}
}

// TestParseNames: the parsers accept the table's names and reject others
// with a message naming the value and the choices.
func TestParseNames(t *testing.T) {
	if a, err := ParseActivation("tanh"); err != nil || a != Tanh {
		t.Errorf("ParseActivation(tanh) = %q, %v", a, err)
	}
	want := `activation "swish": expected relu, tanh, sigmoid, softplus, gelu, leaky_relu, elu or identity (leaky_relu:S with a slope 0 ≤ S < 1, elu:A with 0 < A ≤ 100)`
	if _, err := ParseActivation("swish"); err == nil || err.Error() != want {
		t.Errorf("ParseActivation(swish): %v", err)
	}
	for _, bad := range []string{"leaky_relu:1", "leaky_relu:-0.1", "leaky_relu:x", "elu:0", "tanh:2", "elu:NaN", "relu:"} {
		if _, err := ParseActivation(bad); err == nil {
			t.Errorf("ParseActivation(%s): no error", bad)
		}
	}
	if a, err := ParseActivation("leaky_relu:0.2"); err != nil || a.F(-1) != -0.2 || a.Base() != LeakyReLU {
		t.Errorf("leaky_relu:0.2: f(−1) = %v, %v", a.F(-1), err)
	}
	if LeakyReLU.F(-1) != -0.01 || ELU.F(-1) != math.Expm1(-1) {
		t.Errorf("default parameters: leaky f(−1) = %v, elu f(−1) = %v", LeakyReLU.F(-1), ELU.F(-1))
	}
	if _, err := ParseActivation(strings.Repeat("x", 1<<20)); err == nil || len(err.Error()) > 300 {
		t.Errorf("a 1 MB activation name: error of %d bytes, want one short line", len(err.Error()))
	}
	if i, err := ParseInit("he"); err != nil || i != InitHe {
		t.Errorf("ParseInit(he) = %q, %v", i, err)
	}
	if _, err := ParseInit("xavier"); err == nil || err.Error() != `init "xavier": expected glorot, he, torch or auto` {
		t.Errorf("ParseInit(xavier): %v", err)
	}
	// Exact values of the new rows at known points.
	for _, c := range []struct {
		a           Activation
		z, f, d, d2 float64
	}{
		{Sigmoid, 0, 0.5, 0.25, 0},
		{Softplus, 0, math.Ln2, 0.5, 0.25},
		{GELU, 0, 0, 0.5, 2 / math.Sqrt(2*math.Pi)},
		{GELU, 1, 0.8413447460685429, 0.8413447460685429 + 0.24197072451914337, 0.24197072451914337},
		{ELU, -1, math.Expm1(-1), math.Exp(-1), math.Exp(-1)},
		{Identity, 3, 3, 1, 0},
	} {
		f := c.a.F(c.z)
		if math.Abs(f-c.f) > 1e-15 || math.Abs(c.a.FPrime(c.z, f)-c.d) > 1e-15 || math.Abs(c.a.FSecond(c.z, f)-c.d2) > 1e-15 {
			t.Errorf("%s at %v: %v %v %v, want %v %v %v", c.a, c.z, f, c.a.FPrime(c.z, f), c.a.FSecond(c.z, f), c.f, c.d, c.d2)
		}
	}
	if Tanh.DefaultInit() != InitGlorot || ReLU.DefaultInit() != InitHe {
		t.Errorf("default inits: tanh %s, relu %s", Tanh.DefaultInit(), ReLU.DefaultInit())
	}
}

// TestErrNonFinite: a diverged loss is reported with an error that
// errors.Is recognises and that says what happened.
func TestErrNonFinite(t *testing.T) {
	m, err := New(Config{Layers: []int{3, 4, 2}, Activation: Tanh, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	m.Theta[len(m.Theta)-1] = math.NaN()
	b := Batch{X: []float64{1, 2, 3, -1, 0, 1}, Y: []int{0, 1}}
	_, err = m.Loss(m.Theta, b, 1)
	if !errors.Is(err, ErrNonFinite) || !strings.HasPrefix(err.Error(), "loss is ") {
		t.Errorf("Loss with a NaN bias: %v, want an ErrNonFinite", err)
	}
	_, err = m.NewHessian(m.Theta, b, 1)
	if !errors.Is(err, ErrNonFinite) {
		t.Errorf("NewHessian with a NaN bias: %v, want an ErrNonFinite", err)
	}
}
