package gemm

// Tile returns mr and nr, the rows and columns of C that Dgemm's
// micro-kernel computes together on this processor; ok is false where
// Dgemm is gonum's. C cut into blocks at multiples of them (rows at
// multiples of mr, columns at multiples of nr), each block computed by a
// Dgemm call of its own on the matching rows of op(A) or columns of op(B),
// is the same bits as one call: the blocks hold the same mr×nr tiles, and
// every element of a tile is accumulated by the same kernel over the same
// k-blocks (their size depends on k alone) in the same order. This is what
// lets a caller share one product between goroutines without its result
// depending on how many there are.
func Tile() (mr, nr int, ok bool) {
	if best == nil {
		return 0, 0, false
	}
	return best.mr, best.nr, true
}
