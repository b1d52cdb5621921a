package hessian

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
)

// hutchinsonBlock is the number of probes multiplied at once by a
// BlockOperator.
const hutchinsonBlock = 32

// HutchinsonOptions configures Hutchinson. The zero value gives the defaults.
type HutchinsonOptions struct {
	// Seed seeds the probes: probe i draws from PCG(Seed, i).
	Seed uint64
	// MinSamples is the number of probes taken before the stopping test;
	// 0 means 10. At least 2 (a standard error needs two samples).
	MinSamples int
	// MaxSamples caps the number of probes; 0 means 1000.
	MaxSamples int
	// Tol is the relative standard error at which sampling stops:
	// StdErr ≤ Tol·|Estimate|. 0 means 1e-3.
	Tol float64
	// Progress, if not nil, is called after each probe.
	Progress func(done, maxSamples int)
}

// TraceEstimate is a Monte Carlo estimate of a trace.
type TraceEstimate struct {
	Estimate float64 // mean of the samples zᵀAz
	StdErr   float64 // standard error of the mean, s/√Samples
	Samples  int     // number of probes used
	// Converged is whether sampling stopped at the tolerance (StdErr ≤
	// Tol·|Estimate| after MinSamples probes); false when it stopped at
	// MaxSamples short of it, and StdErr is then what was reached.
	Converged bool
	// Tol is the relative standard error asked for (HutchinsonOptions.Tol,
	// its default applied).
	Tol float64
}

// RelStdErr is the relative standard error reached, StdErr/|Estimate|
// (+Inf for a zero estimate with a nonzero standard error, 0 when both
// are zero).
func (t TraceEstimate) RelStdErr() float64 {
	if t.StdErr == 0 {
		return 0
	}
	return t.StdErr / math.Abs(t.Estimate)
}

// Hutchinson estimates tr(A) by Hutchinson's estimator (Hutchinson 1990;
// Avron & Toledo 2011), as PyHessian's trace (Yao et al. 2020): the mean of
// zᵀAz over Rademacher probes z (entries ±1 with probability ½), whose
// expectation is tr(A) and variance 2Σ_{i≠j}A_ij² — zero for a diagonal A.
// It keeps a running mean and variance (Welford 1962) and stops when
// StdErr ≤ Tol·|Estimate| after MinSamples probes (Converged), or at
// MaxSamples short of it (Converged false, StdErr the error reached).
//
// When op is a BlockOperator the probes are multiplied hutchinsonBlock at a
// time with MulMat (one block of matrix products instead of many vector
// products); the samples are still taken, and the stopping test applied, one
// probe at a time in the same order, so only the products past the stopping
// point are wasted.
func Hutchinson(op Operator, o HutchinsonOptions) (TraceEstimate, error) {
	n, minS, maxS, tol, err := hutchinsonLimits(op, o)
	if err != nil {
		return TraceEstimate{}, err
	}
	bop, block := op.(BlockOperator)
	kb := 1
	if block {
		kb = min(hutchinsonBlock, maxS)
	}
	zs := make([]float64, n*kb) // probe j of the block in column j
	azs := make([]float64, n*kb)
	z := make([]float64, n)
	az := make([]float64, n)
	probe := func(s int, dst []float64) {
		rng := rand.New(rand.NewPCG(o.Seed, uint64(s-1)))
		for i := range dst {
			dst[i] = float64(2*int(rng.Uint64()&1) - 1)
		}
	}
	var mean, m2, stderr float64
	var est TraceEstimate
	for s := 1; s <= maxS; s++ {
		x := 0.0
		if block {
			j := (s - 1) % kb
			if j == 0 { // the next block of probes
				k := min(kb, maxS-s+1)
				for c := 0; c < k; c++ {
					probe(s+c, z)
					for i, v := range z {
						zs[i*k+c] = v
					}
				}
				bop.MulMat(mat.NewDense(n, k, azs[:n*k]), mat.NewDense(n, k, zs[:n*k]))
			}
			k := min(kb, maxS-(s-1-j))
			for i := 0; i < n; i++ {
				x += zs[i*k+j] * azs[i*k+j]
			}
		} else {
			probe(s, z)
			op.MulVec(az, z)
			for i := range z {
				x += z[i] * az[i]
			}
		}
		d := x - mean
		mean += d / float64(s)
		m2 += d * (x - mean)
		if s > 1 {
			stderr = math.Sqrt(m2 / float64(s-1) / float64(s))
		}
		if o.Progress != nil {
			o.Progress(s, maxS)
		}
		est = TraceEstimate{Estimate: mean, StdErr: stderr, Samples: s, Tol: tol}
		if s >= minS && stderr <= tol*math.Abs(mean) {
			est.Converged = true
			break
		}
	}
	return est, nil
}

// hutchinsonLimits checks Hutchinson's arguments and returns the dimension
// and MinSamples, MaxSamples and Tol with their defaults applied.
func hutchinsonLimits(op Operator, o HutchinsonOptions) (n, minS, maxS int, tol float64, err error) {
	if op == nil {
		return 0, 0, 0, 0, errors.New("hessian.Hutchinson: nil operator")
	}
	n = op.Dim()
	minS, maxS, tol = o.MinSamples, o.MaxSamples, o.Tol
	if minS == 0 {
		minS = 10
	}
	if maxS == 0 {
		maxS = max(1000, minS)
	}
	if tol == 0 {
		tol = 1e-3
	}
	switch {
	case n < 1:
		err = fmt.Errorf("hessian.Hutchinson: operator dimension %d, want at least 1", n)
	case minS < 2:
		err = fmt.Errorf("hessian.Hutchinson: MinSamples = %d, want ≥ 2", minS)
	case maxS < minS:
		err = fmt.Errorf("hessian.Hutchinson: MaxSamples = %d is smaller than MinSamples = %d", maxS, minS)
	case tol < 0 || math.IsNaN(tol):
		err = fmt.Errorf("hessian.Hutchinson: Tol = %v, want ≥ 0 (0 for the default)", tol)
	}
	return n, minS, maxS, tol, err
}
