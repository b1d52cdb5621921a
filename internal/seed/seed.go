package seed

// Golden is SplitMix64's increment, the odd integer nearest 2⁶⁴/φ.
const Golden = 0x9e3779b97f4a7c15

// Mix is SplitMix64's finaliser (its output function, variant 13 of
// Stafford's mixers) applied to z: a bijection of uint64 that scrambles
// every bit into every other.
func Mix(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// SplitMix64 returns the next output of a SplitMix64 generator whose state
// is z: Mix(z + Golden).
func SplitMix64(z uint64) uint64 { return Mix(z + Golden) }

// Derive returns the seed of the work item with the given coordinates
// under seed s: SplitMix64 applied to s, then to the result xor-ed with
// each coordinate in turn. Derive(s, p, r) is the seed of run r of grid
// point p in an escape sweep.
func Derive(s uint64, coords ...uint64) uint64 {
	h := SplitMix64(s)
	for _, c := range coords {
		h = SplitMix64(h ^ c)
	}
	return h
}

// Stream returns the seed of stage k of a computation seeded by s:
// Mix(s + k·Golden), the k-th state of a SplitMix64 generator started at s.
func Stream(s uint64, k uint64) uint64 { return Mix(s + k*Golden) }
