package escape

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// TestFiniteSumMean: the per-sample losses and gradients average to the
// landscape exactly, and each sample gradient is the central difference of
// its loss (which checks the closed form of Φ).
func TestFiniteSumMean(t *testing.T) {
	for si, spec := range testSpecs() {
		fs, err := NewFiniteSum(spec)
		if err != nil {
			t.Fatal(err)
		}
		n := fs.Dim()
		g, gi, gp := make([]float64, n), make([]float64, n), make([]float64, n)
		for _, x0 := range []float64{-2.1, -0.7, -0.1, 0.2, 1.1, 3.3} {
			x := make([]float64, n)
			x[0] = x0
			for j := 1; j < n; j++ {
				x[j] = 0.2*float64(j) + 0.1*x0
			}
			mean := 0.0
			for r := range gp {
				gp[r] = 0
			}
			for i := range fs.N() {
				mean += fs.SampleLoss(i, x) / float64(fs.N())
				fs.SampleGrad(gi, i, x)
				for r := range gp {
					gp[r] += gi[r] / float64(fs.N())
				}
				const eps = 1e-5
				for r := range n {
					q := append([]float64(nil), x...)
					q[r] += eps
					lp := fs.SampleLoss(i, q)
					q[r] -= 2 * eps
					lm := fs.SampleLoss(i, q)
					if fd := (lp - lm) / (2 * eps); math.Abs(fd-gi[r]) > 1e-7*math.Max(1, math.Abs(gi[r])) {
						t.Errorf("spec %d sample %d at %v: ∂ℓ/∂θ%d = %.12g, central difference %.12g", si, i, x, r+1, gi[r], fd)
					}
				}
			}
			if l := fs.Loss(x); math.Abs(mean-l) > 1e-12*math.Max(1, math.Abs(l)) {
				t.Errorf("spec %d at %v: mean of ℓᵢ = %.15g, L = %.15g", si, x, mean, l)
			}
			fs.Grad(g, x)
			for r := range g {
				if math.Abs(gp[r]-g[r]) > 1e-12*math.Max(1, math.Abs(g[r])) {
					t.Errorf("spec %d at %v: mean of ∇ℓᵢ[%d] = %.15g, ∇L = %.15g", si, x, r, gp[r], g[r])
				}
			}
		}
	}
}

// TestMinibatchCovarianceExact enumerates every minibatch of B indices drawn
// with replacement and checks that the covariance of the minibatch gradient
// is S(θ)/B exactly, that S = H at both minima, and that near a minimum
// ‖S − H‖ obeys the first-order bound FiniteSum promises, with the stated
// constant (4 − 2|h_b|/hᵢ) attained.
func TestMinibatchCovarianceExact(t *testing.T) {
	for si, spec := range testSpecs() {
		fs, err := NewFiniteSum(spec)
		if err != nil {
			t.Fatal(err)
		}
		n, N := fs.Dim(), fs.N()
		B := 2
		if N <= 4 {
			B = 3
		}
		x := fs.Flat()
		x[0] *= 0.7
		for j := 1; j < n; j++ {
			x[j] = 0.15 * float64(j)
		}
		// Enumerate N^B equally likely ordered batches.
		total := 1
		for range B {
			total *= N
		}
		g := make([]float64, n)
		mean := make([]float64, n)
		second := mat.NewSymDense(n, nil)
		batch := make([]int, B)
		for c := range total {
			r := c
			for b := range batch {
				batch[b] = r % N
				r /= N
			}
			if err := fs.MinibatchGrad(g, batch, x); err != nil {
				t.Fatal(err)
			}
			for i := range n {
				mean[i] += g[i] / float64(total)
				for j := i; j < n; j++ {
					second.SetSym(i, j, second.At(i, j)+g[i]*g[j]/float64(total))
				}
			}
		}
		s := mat.NewSymDense(n, nil)
		fs.NoiseMatrix(s, x)
		for i := range n {
			for j := i; j < n; j++ {
				cov := second.At(i, j) - mean[i]*mean[j]
				if want := s.At(i, j) / float64(B); math.Abs(cov-want) > 1e-11*math.Max(1, math.Abs(want)) {
					t.Errorf("spec %d: minibatch covariance [%d][%d] = %.14g, S/B = %.14g", si, i, j, cov, want)
				}
			}
		}
		// S = H at both minima; the first-order bound near them.
		h := mat.NewSymDense(n, nil)
		sp := fs.Spec()
		for v, a := range [][]float64{fs.Sharp(), fs.Flat()} {
			hi := []float64{sp.Sharpness * sp.HFlat, sp.HFlat}[v]
			fs.NoiseMatrix(s, a)
			fs.Hessian(h, a)
			var d mat.Dense
			d.Sub(s, h)
			if nrm := mat.Norm(&d, 2); nrm > 1e-12*hi {
				t.Errorf("spec %d valley %d: ‖S(a) − H(a)‖ = %g, want 0", si, v, nrm)
			}
			c := 4 - 2*sp.HCol/hi
			for _, rel := range []float64{1e-2, 1e-3} {
				for _, dir := range []float64{-1, 1} {
					y := append([]float64(nil), a...)
					y[0] += dir * rel * math.Abs(a[0])
					for j := 1; j < n; j++ {
						y[j] = 0.3 * rel * math.Abs(a[0])
					}
					fs.NoiseMatrix(s, y)
					fs.Hessian(h, y)
					d.Sub(s, h)
					got := mat.Norm(&d, 2) / (hi * rel)
					if got > c*(1+3*rel) || (rel == 1e-3 && got < c*(1-3*rel)) {
						t.Errorf("spec %d valley %d at relative distance %g: ‖S − H‖/(hᵢ·|δ|/|aᵢ|) = %.6g, promised %.6g", si, v, rel*dir, got, c)
					}
				}
			}
		}
	}
}
