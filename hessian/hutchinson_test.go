package hessian

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

func TestHutchinsonDiagonalExact(t *testing.T) {
	// For diagonal A, zᵀAz = Σ d_i z_i² = tr(A) for every Rademacher z: the
	// estimate is exact and the variance zero.
	rng := rand.New(rand.NewPCG(1, 1))
	const n = 50
	a := mat.NewSymDense(n, nil)
	tr := 0.0
	for i := range n {
		d := 10 * rng.NormFloat64()
		a.SetSym(i, i, d)
		tr += d
	}
	est, err := Hutchinson(NewDense(a), HutchinsonOptions{Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(est.Estimate-tr) > 1e-12*math.Abs(tr) || est.StdErr != 0 || est.Samples != 10 || !est.Converged || est.RelStdErr() != 0 {
		t.Errorf("got %+v, want estimate %v, stderr 0, 10 samples", est, tr)
	}
}

// hutchinsonVariance returns Var(zᵀAz) = 2Σ_{i≠j} A_ij² for Rademacher z.
func hutchinsonVariance(a *mat.SymDense) float64 {
	n := a.SymmetricDim()
	v := 0.0
	for i := range n {
		for j := range n {
			if i != j {
				v += 2 * a.At(i, j) * a.At(i, j)
			}
		}
	}
	return v
}

func TestHutchinsonRandom(t *testing.T) {
	const n = 40
	a := randSym(n, 6)
	tr := mat.Trace(a)
	sd := math.Sqrt(hutchinsonVariance(a))
	errs := map[int]float64{}
	for _, samples := range []int{100, 1600} {
		est, err := Hutchinson(NewDense(a), HutchinsonOptions{Seed: 8, MaxSamples: samples, Tol: 1e-300})
		if err != nil {
			t.Fatal(err)
		}
		if est.Samples != samples {
			t.Fatalf("%d samples, want %d", est.Samples, samples)
		}
		if d := math.Abs(est.Estimate - tr); d > 3*est.StdErr {
			t.Errorf("%d samples: |%g − %g| = %g > 3·stderr = %g", samples, est.Estimate, tr, d, 3*est.StdErr)
		}
		// The sample standard deviation estimates √Var within a few
		// 1/√(2N) (≈ 7 % at N = 100): allow 30 %.
		if want := sd / math.Sqrt(float64(samples)); math.Abs(est.StdErr/want-1) > 0.3 {
			t.Errorf("%d samples: stderr %g, want ≈ %g", samples, est.StdErr, want)
		}
		errs[samples] = est.StdErr
	}
	// 16 times the samples, a quarter of the standard error.
	if r := errs[100] / errs[1600]; r < 3 || r > 5 {
		t.Errorf("stderr ratio %g for 16× the samples, want ≈ 4", r)
	}
}

func TestHutchinsonStops(t *testing.T) {
	// A = 20·I + noise: the relative error falls below 1 % long before 1000.
	a := randSym(30, 2)
	for i := range 30 {
		a.SetSym(i, i, a.At(i, i)+20)
	}
	var calls int
	est, err := Hutchinson(vecOnly{NewDense(a)}, HutchinsonOptions{Seed: 1, Tol: 0.01, Progress: func(int, int) { calls++ }})
	if err != nil {
		t.Fatal(err)
	}
	if est.Samples >= 1000 || est.Samples < 10 || est.StdErr > 0.01*math.Abs(est.Estimate) || calls != est.Samples {
		t.Errorf("got %+v after %d progress calls", est, calls)
	}
	// Fewer samples than needed: stops at MaxSamples above the tolerance.
	short, err := Hutchinson(NewDense(a), HutchinsonOptions{Seed: 1, Tol: 0.01, MinSamples: 2, MaxSamples: 3})
	if err != nil {
		t.Fatal(err)
	}
	if short.Samples != 3 || short.Converged {
		t.Errorf("MaxSamples 3: %d samples, converged %v: want 3, not converged", short.Samples, short.Converged)
	}
	if !est.Converged || est.Tol != 0.01 {
		t.Errorf("stopped at the tolerance: converged %v, tol %v; want true, 0.01", est.Converged, est.Tol)
	}
}

// TestHutchinsonCapShortOfTolerance: a matrix whose off-diagonal entries
// dwarf its trace (tr A = 1 exactly, Var(zᵀAz) = 2Σ_{i≠j}A_ij² ≈ 10³) cannot
// reach the default relative tolerance 1e-3 within the default cap of 1000
// probes: the estimate says so (Converged false, Samples 1000) and carries
// the standard error reached, ≈ √(Var/1000), and the estimate lies within
// a few of it of the trace.
func TestHutchinsonCapShortOfTolerance(t *testing.T) {
	const n = 20
	a := randSym(n, 4)
	shift := (1 - mat.Trace(a)) / n
	for i := range n {
		a.SetSym(i, i, a.At(i, i)+shift)
	}
	if tr := mat.Trace(a); math.Abs(tr-1) > 1e-12 {
		t.Fatalf("tr A = %v, want 1", tr)
	}
	est, err := Hutchinson(NewDense(a), HutchinsonOptions{Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	if est.Converged || est.Samples != 1000 || est.Tol != 1e-3 {
		t.Fatalf("got %+v: want not converged after the cap of 1000 probes, tol 1e-3", est)
	}
	want := math.Sqrt(hutchinsonVariance(a) / 1000)
	if math.Abs(est.StdErr/want-1) > 0.15 {
		t.Errorf("stderr %g, want ≈ √(Var/1000) = %g", est.StdErr, want)
	}
	if d := math.Abs(est.Estimate - 1); d > 4*est.StdErr {
		t.Errorf("|%g − 1| > 4·stderr = %g", est.Estimate, 4*est.StdErr)
	}
	if r := est.RelStdErr(); r != est.StdErr/math.Abs(est.Estimate) || r <= est.Tol {
		t.Errorf("relative stderr %g, want stderr/|estimate| = %g above the tolerance", r, est.StdErr/math.Abs(est.Estimate))
	}
}

func TestHutchinsonErrors(t *testing.T) {
	op := NewDense(randSym(5, 1))
	for _, o := range []HutchinsonOptions{{MinSamples: 1}, {MinSamples: 20, MaxSamples: 10}, {Tol: -1}, {MinSamples: -3}} {
		if _, err := Hutchinson(op, o); err == nil {
			t.Errorf("%+v: no error", o)
		}
	}
	if _, err := Hutchinson(nil, HutchinsonOptions{}); err == nil {
		t.Error("nil operator: no error")
	}
}

// Probes multiplied in blocks give the samples of probes multiplied one by
// one: the same count, the same estimate and standard error (to rounding).
func TestHutchinsonBlockEqualsVector(t *testing.T) {
	d := NewDense(randSym(40, 3))
	for _, o := range []HutchinsonOptions{
		{Seed: 1, MaxSamples: 50, Tol: 1e-12}, // runs to the cap, 50 = 32 + 18
		{Seed: 2, MinSamples: 5, Tol: 0.2},    // stops inside the first block
		{Seed: 3, MaxSamples: 70, Tol: 0.02},
	} {
		b, err := Hutchinson(d, o)
		if err != nil {
			t.Fatal(err)
		}
		v, err := Hutchinson(vecOnly{d}, o)
		if err != nil {
			t.Fatal(err)
		}
		if b.Samples != v.Samples {
			t.Errorf("%+v: %d samples in blocks, %d one by one", o, b.Samples, v.Samples)
		}
		if math.Abs(b.Estimate-v.Estimate) > 1e-12*math.Abs(v.Estimate) || math.Abs(b.StdErr-v.StdErr) > 1e-10*v.StdErr {
			t.Errorf("%+v: blocks give %v ± %v, one by one %v ± %v", o, b.Estimate, b.StdErr, v.Estimate, v.StdErr)
		}
	}
}
