package normal

import (
	"math"
	"math/rand/v2"
)

// Ziggurat draws standard normal variates by the ziggurat method of
// Marsaglia & Tsang, "The ziggurat method for generating random variables",
// J. Stat. Softw. 5(8), 2000, in the 256-layer, one-word form of Doornik,
// "An improved ziggurat method to generate normal random samples" (2005),
// as used by Rust's rand_distr: one 64-bit output of a PCG generator gives
// the layer (its low 8 bits) and a signed uniform (its high 52 bits); about
// 99% of the draws are accepted on that single word. The tail beyond
// R = 3.6541528853610088 is sampled exactly by Marsaglia's exponential
// method.
//
// The source is a *rand.PCG (math/rand/v2) called directly, not through the
// rand.Source interface, so that its Uint64 inlines into the sampling loop.
//
// A Ziggurat holds only its tables; it is read-only after NewZiggurat and
// safe for concurrent use by goroutines that each own their PCG.
type Ziggurat struct {
	x [zigLayers + 1]float64 // x[i]: right edge of layer i; x[0] is the base strip's width, x[256] = 0
	f [zigLayers + 1]float64 // f[i] = exp(−x[i]²/2)
}

const (
	zigLayers = 256
	// zigR is the start of the tail, x[1].
	zigR = 3.6541528853610088
	// zigV is the area of every layer (unnormalised density exp(−x²/2)).
	zigV = 0.00492867323399
)

// NewZiggurat computes the ziggurat tables from the layer recursion
// x[i+1] = f⁻¹(v/x[i] + f(x[i])) with f(x) = exp(−x²/2).
func NewZiggurat() *Ziggurat {
	z := &Ziggurat{}
	f := func(x float64) float64 { return math.Exp(-x * x / 2) }
	z.x[0] = zigV / f(zigR)
	z.x[1] = zigR
	for i := 2; i < zigLayers; i++ {
		z.x[i] = math.Sqrt(-2 * math.Log(zigV/z.x[i-1]+f(z.x[i-1])))
	}
	z.x[zigLayers] = 0
	for i := range z.x {
		z.f[i] = f(z.x[i])
	}
	return z
}

// Norm returns one standard normal variate drawn with src. Its fast path
// is small enough for the compiler to inline it into a caller's loop.
func (z *Ziggurat) Norm(src *rand.PCG) float64 {
	u := src.Uint64()
	i := u & (zigLayers - 1)
	v := 2*math.Float64frombits(u>>12|0x3ff0000000000000) - 3 // uniform in [−1, 1)
	x := v * z.x[i]
	if math.Abs(x) < z.x[i+1] {
		return x
	}
	return z.slow(src, i, v, x)
}

// Try is the fast path of Norm on one 64-bit word u of the generator,
// small enough to inline into a sampling loop in any package: it returns
// the candidate and whether it is accepted. When it is not, Finish(src, u)
// completes the draw, so that
//
//	u := src.Uint64(); x, ok := z.Try(u); if !ok { x = z.Finish(src, u) }
//
// draws the same normal, from the same generator outputs, as z.Norm(src).
func (z *Ziggurat) Try(u uint64) (x float64, ok bool) {
	i := u & (zigLayers - 1)
	x = (2*math.Float64frombits(u>>12|0x3ff0000000000000) - 3) * z.x[i]
	return x, math.Abs(x) < z.x[i+1]
}

// Finish completes a draw whose first word u Try did not accept (see Try).
func (z *Ziggurat) Finish(src *rand.PCG, u uint64) float64 {
	i := u & (zigLayers - 1)
	v := 2*math.Float64frombits(u>>12|0x3ff0000000000000) - 3
	return z.slow(src, i, v, v*z.x[i])
}

// Fill stores len(dst) independent standard normal variates drawn with src
// in dst: the same sequence as len(dst) calls of Norm.
func (z *Ziggurat) Fill(src *rand.PCG, dst []float64) {
	for j := range dst {
		dst[j] = z.Norm(src)
	}
}

// slow finishes a draw whose first candidate fell outside the rectangle
// core of its layer: a wedge test for layers 1..255, the exact tail for the
// base layer, and fresh candidates until one is accepted.
func (z *Ziggurat) slow(src *rand.PCG, i uint64, v, x float64) float64 {
	for {
		if i == 0 {
			// Tail |x| > R (Marsaglia 1964): a = −ln(U1)/R, b = −ln(U2),
			// accept when 2b ≥ a².
			for {
				a := -math.Log(1-uniform53(src)) / zigR
				b := -math.Log(1 - uniform53(src))
				if 2*b >= a*a {
					if v < 0 {
						return -zigR - a
					}
					return zigR + a
				}
			}
		}
		if z.f[i+1]+(z.f[i]-z.f[i+1])*uniform53(src) < math.Exp(-x*x/2) {
			return x
		}
		u := src.Uint64()
		i = u & (zigLayers - 1)
		v = 2*math.Float64frombits(u>>12|0x3ff0000000000000) - 3
		x = v * z.x[i]
		if math.Abs(x) < z.x[i+1] {
			return x
		}
	}
}

// uniform53 returns a uniform variate in [0, 1) with 53 random bits.
func uniform53(src *rand.PCG) float64 {
	return float64(src.Uint64()>>11) * 0x1p-53
}
