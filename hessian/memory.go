package hessian

// The memory of the Krylov methods, for callers that refuse options whose
// buffers would not fit before running them. Each bound counts the float64
// buffers the method holds at its peak for an operator of dimension n (the
// operator's own memory is the caller's) and is computed in float64, so
// absurd options give a huge number, not an overflow.

// fixedBytes covers the allocations that do not grow with n (generators,
// slice headers, small work arrays).
const fixedBytes = 256 << 10

// dimOnly is an operator of dimension n that is never applied: it lets the
// bounds reuse the methods' own checks of their options.
type dimOnly int

func (d dimOnly) Dim() int                { return int(d) }
func (d dimOnly) MulVec(dst, v []float64) { panic("hessian: dimOnly is not applied") }

// LanczosBytes bounds the bytes Lanczos allocates for kTop and kBottom
// eigenpairs of an operator of dimension n with options o (MaxIter's
// default applied as Lanczos applies it): the Krylov basis, up to MaxBasis+1
// vectors of length n (MaxBasis's default applied), the work and start vectors, the Ritz vectors and
// their products (2·(kTop+kBottom) vectors of length n and three more for
// forming each of the two sets), the eigenvectors
// of the tridiagonal matrix (MaxIter² values) and O(MaxIter) scalars. Bad
// options are the error Lanczos would return.
func LanczosBytes(n, kTop, kBottom int, o LanczosOptions) (float64, error) {
	_, _, maxIter, _, err := lanczosLimits(dimOnly(n), kTop, kBottom, o)
	if err != nil {
		return 0, err
	}
	basis := lanczosBasis(n, kTop, kBottom, o)
	m := float64(basis)
	vectors := m + 3 + 2*float64(kTop+kBottom)
	for _, k := range []int{kTop, kBottom} {
		if k > 0 {
			vectors += 3
		}
	}
	restart := 0.0
	if basis < maxIter { // the basis may be restarted
		// dsyev's work on T after a restart, the restart's block of rows.
		restart = m*m + 256*m
	}
	return 8*(float64(n)*vectors+m*m+16*m+restart) + fixedBytes, nil
}

// SLQBytes bounds the bytes SLQ allocates on an operator of dimension n
// with options o (defaults applied as SLQ applies them): one run's Krylov
// basis of Steps+1 vectors of length n (runs are sequential), its work and
// start vectors, the tridiagonal eigenvectors (Steps² values) and the nodes
// and weights of every run (2·NumRuns·Steps values, with their growth).
func SLQBytes(n int, o SLQOptions) float64 {
	runs, steps := max(o.NumRuns, 1), o.Steps
	if steps <= 0 {
		steps = 100
	}
	s := float64(min(steps, max(n, 1)))
	return 8*(float64(n)*(s+3)+s*s+16*s+4*float64(runs)*s) + fixedBytes
}

// HutchinsonBytes bounds the bytes Hutchinson allocates on an operator of
// dimension n: a block of probes and their products when the operator is a
// BlockOperator (block true), two vectors of length n otherwise.
func HutchinsonBytes(n int, o HutchinsonOptions, block bool) float64 {
	kb := 1
	if block {
		_, _, maxS, _, err := hutchinsonLimits(dimOnly(max(n, 1)), o)
		if err == nil {
			kb = min(hutchinsonBlock, maxS)
		} else {
			kb = hutchinsonBlock
		}
	}
	return 8*float64(n)*float64(2*kb+2) + fixedBytes
}

// FullAssemblyBytes is what Full allocates for an operator of dimension n
// assembled blockSize columns at a time (< 1: 64): the n×n matrix and the
// unit vectors and their products, two n×blockSize blocks.
func FullAssemblyBytes(n, blockSize int) float64 {
	if blockSize < 1 {
		blockSize = 64
	}
	N := float64(n)
	return 8 * (N*N + 2*N*float64(min(blockSize, n)))
}
