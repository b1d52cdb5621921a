package figure

import (
	"math"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
)

// Ticks is a linear tick marker with about N labelled ticks at multiples of
// 1, 2 or 5 × 10^k inside the axis range (at least two), and unlabelled
// minor ticks between them. gonum/plot's DefaultTicks aims at three labels,
// which leaves two on many axes.
type Ticks struct {
	N int // labelled ticks wanted; 0 means 6
}

// Ticks returns the ticks of the range [min, max].
func (t Ticks) Ticks(min, max float64) []plot.Tick {
	n := t.N
	if n <= 0 {
		n = 6
	}
	if !(max > min) || math.IsInf(max-min, 0) {
		return []plot.Tick{{Value: min, Label: formatTick(min, 0)}}
	}
	step := niceStep((max - min) / float64(n))
	// Fewer than half the labels wanted (at least two) inside the range:
	// a smaller step.
	for math.Floor(max/step)-math.Ceil(min/step)+1 < float64(n/2+1) {
		step = niceStep(step / 2.5)
	}
	minor := step / 5
	if m := step / math.Pow10(int(math.Floor(math.Log10(step)))); math.Abs(m-2) < 1e-9 {
		minor = step / 4
	}
	var ticks []plot.Tick
	for k := math.Ceil(min / minor); k*minor <= max+minor*1e-9; k++ {
		v := k * minor
		if math.Abs(v) < minor*1e-9 {
			v = 0
		}
		ticks = append(ticks, plot.Tick{Value: v})
	}
	for k := math.Ceil(min / step); k*step <= max+step*1e-9; k++ {
		v := k * step
		if math.Abs(v) < step*1e-9 {
			v = 0
		}
		ticks = append(ticks, plot.Tick{Value: v, Label: formatTick(v, step)})
	}
	return ticks
}

// niceStep returns the smallest of 1, 2 or 5 × 10^k not below x > 0.
func niceStep(x float64) float64 {
	mag := math.Pow10(int(math.Floor(math.Log10(x))))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*mag >= x*(1-1e-12) {
			return m * mag
		}
	}
	return 10 * mag
}

// formatTick formats v with as many decimals as the step needs, in
// exponent form for very large or small magnitudes.
func formatTick(v, step float64) string {
	if v == 0 {
		return "0"
	}
	a := math.Max(math.Abs(v), step)
	if a >= 1e5 || a < 1e-3 {
		return compactExp(strconv.FormatFloat(v, 'e', 3, 64))
	}
	dec := 0
	if step > 0 && step < 1 {
		dec = int(math.Ceil(-math.Log10(step) - 1e-9))
	}
	return trimZeros(strconv.FormatFloat(v, 'f', dec, 64))
}

// trimZeros removes the trailing zeros of a decimal fraction ("0.50" →
// "0.5", "1.0" → "1").
func trimZeros(s string) string {
	if !strings.Contains(s, ".") {
		return s
	}
	return strings.TrimSuffix(strings.TrimRight(s, "0"), ".")
}

// compactExp rewrites 1e-05 as 1e-5 and 2e+06 as 2e6.
func compactExp(s string) string {
	i := strings.IndexByte(s, 'e')
	if i < 0 {
		return s
	}
	mant, exp := trimZeros(s[:i]), s[i+1:]
	sign := ""
	if exp[0] == '-' {
		sign = "-"
	}
	if exp[0] == '-' || exp[0] == '+' {
		exp = exp[1:]
	}
	exp = strings.TrimLeft(exp, "0")
	if exp == "" {
		exp = "0"
	}
	return mant + "e" + sign + exp
}

// LogTicks is a tick marker for a log axis: a labelled tick at every power
// of ten when the range spans at most MaxLabels decades (else at every
// second, third, … power, so that the labels never crowd), unlabelled
// minor ticks at 2…9 × 10^k when it spans at most 4 decades. Labels read
// 0.01, 0.1, 1, 10, 100 within 1e-3…1e4 and 1e-5, 1e6 outside.
type LogTicks struct {
	MaxLabels int // 0 means 8
}

// Ticks returns the ticks of the range [min, max], 0 < min < max.
func (t LogTicks) Ticks(min, max float64) []plot.Tick {
	if !(min > 0) || !(max > min) {
		return []plot.Tick{{Value: math.Max(min, math.SmallestNonzeroFloat64), Label: ""}}
	}
	maxLabels := t.MaxLabels
	if maxLabels <= 0 {
		maxLabels = 8
	}
	lo, hi := int(math.Floor(math.Log10(min))), int(math.Ceil(math.Log10(max)))
	every := 1
	for (hi-lo)/every+1 > maxLabels {
		every++
	}
	var ticks []plot.Tick
	for e := lo; e <= hi; e++ {
		v := math.Pow10(e)
		if v >= min*(1-1e-12) && v <= max*(1+1e-12) {
			label := ""
			if e%every == 0 {
				label = LogLabel(e)
			}
			ticks = append(ticks, plot.Tick{Value: v, Label: label})
		}
		if hi-lo <= 4 {
			for m := 2; m < 10; m++ {
				if w := float64(m) * v; w >= min && w <= max {
					ticks = append(ticks, plot.Tick{Value: w})
				}
			}
		}
	}
	// A range inside one decade: label its ends.
	labelled := 0
	for _, tk := range ticks {
		if tk.Label != "" {
			labelled++
		}
	}
	if labelled < 2 {
		ticks = append(ticks, plot.Tick{Value: min, Label: compactExp(strconv.FormatFloat(min, 'g', 2, 64))},
			plot.Tick{Value: max, Label: compactExp(strconv.FormatFloat(max, 'g', 2, 64))})
	}
	return ticks
}

// LogLabel is the label of 10^e: 0.001 … 10000 written out, 1e-5 or 1e6
// beyond.
func LogLabel(e int) string {
	if e >= -3 && e <= 4 {
		return strconv.FormatFloat(math.Pow10(e), 'f', max(0, -e), 64)
	}
	return "1e" + strconv.Itoa(e)
}

// IntTicks is a tick marker for an axis of integers (indices, counts):
// labels at integer multiples of 1, 2 or 5 × 10^k, about N of them.
type IntTicks struct {
	N int // labelled ticks wanted; 0 means 6
}

// Ticks returns the ticks of the range [min, max].
func (t IntTicks) Ticks(min, max float64) []plot.Tick {
	n := t.N
	if n <= 0 {
		n = 6
	}
	step := math.Max(1, niceStep(math.Max(max-min, 1)/float64(n)))
	var ticks []plot.Tick
	for k := math.Ceil(min / step); k*step <= max; k++ {
		ticks = append(ticks, plot.Tick{Value: k * step, Label: strconv.FormatFloat(k*step, 'f', 0, 64)})
	}
	if step > 1 && step <= 10 {
		for v := math.Ceil(min); v <= max; v++ {
			if math.Mod(v, step) != 0 {
				ticks = append(ticks, plot.Tick{Value: v})
			}
		}
	}
	return ticks
}

// Pad widens the range [lo, hi] by frac of its width on each side (for a
// log axis, by frac of its width in decades), so that no point sits on the
// axis; a single value gets ±frac of its size (or ±frac when 0).
func Pad(lo, hi, frac float64, log bool) (float64, float64) {
	if log {
		if lo <= 0 || hi <= 0 {
			return lo, hi
		}
		l, h := Pad(math.Log10(lo), math.Log10(hi), frac, false)
		if hi == lo {
			l, h = math.Log10(lo)-0.1, math.Log10(hi)+0.1
		}
		return math.Pow(10, l), math.Pow(10, h)
	}
	w := hi - lo
	if w == 0 {
		w = math.Max(math.Abs(lo), 1)
	}
	return lo - frac*w, hi + frac*w
}

// LogScale is plot.LogScale for an axis with a centred label. gonum/plot
// v0.17 reserves the label's space at the normalised position of the
// arithmetic midpoint (Min + Max)/2 of the axis, which on a log axis lies
// near its end, so a long label squeezes the data; LogScale maps exactly
// that value to 0.5, where the label is drawn, and every other value as
// plot.LogScale does.
type LogScale struct{}

// Normalize returns the position of x in [min, max] on a log scale.
func (LogScale) Normalize(min, max, x float64) float64 {
	if x == 0.5*(min+max) {
		return 0.5
	}
	return plot.LogScale{}.Normalize(min, max, x)
}
