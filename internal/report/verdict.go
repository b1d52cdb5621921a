package report

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Verdict is the outcome of testing one claim of Xie, Sato & Sugiyama
// (ICLR 2021) against a measurement.
type Verdict string

// The four verdicts. A claim is judged only inside the regime its theory
// assumes (at a minimum, in quasi-equilibrium, in Kramers' regime of
// exponential escapes, with a converged step): outside it the claim is
// NotTestable, never Disagrees. Inside it the measured effect sizes are
// compared with the prediction by their intervals: Agrees when every
// measured interval lies inside the prediction's, Disagrees when one lies
// wholly outside it, Inconclusive when an interval straddles an end of the
// prediction (or when a measurement is missing). A point prediction (a
// value, not a band) agrees when the measured interval contains it.
const (
	Agrees       Verdict = "agrees"
	Disagrees    Verdict = "disagrees"
	Inconclusive Verdict = "inconclusive"
	NotTestable  Verdict = "not-testable"
)

// Verdicts lists the four verdicts in the order the page shows them.
func Verdicts() []Verdict { return []Verdict{Agrees, Disagrees, Inconclusive, NotTestable} }

// Interval is the closed interval [Lo, Hi]; Lo = Hi is a point and an
// infinite end an unbounded side (a prediction "slope > 0" is [0, +Inf]).
// In JSON it is [lo, hi] with null for an infinite end.
type Interval struct{ Lo, Hi float64 }

// Point returns the interval [v, v] of a measurement without an interval.
func Point(v float64) Interval { return Interval{v, v} }

// IntervalOf returns the interval ci recorded with a measurement v, or
// Point(v) when none was recorded (a file written without intervals): the
// confidence interval an Effect is judged by (Xie, Sato & Sugiyama, ICLR
// 2021, judged by the rule of Judge).
func IntervalOf(v float64, ci *[2]float64) Interval {
	if ci == nil {
		return Point(v)
	}
	return Interval{Lo: ci[0], Hi: ci[1]}
}

// Above returns [lo, +Inf]: a prediction that a quantity is at least lo.
func Above(lo float64) Interval { return Interval{lo, math.Inf(1)} }

// Below returns [-Inf, hi]: a prediction that a quantity is at most hi.
func Below(hi float64) Interval { return Interval{math.Inf(-1), hi} }

// valid reports whether the interval has no NaN end and Lo ≤ Hi.
func (iv Interval) valid() bool {
	return !math.IsNaN(iv.Lo) && !math.IsNaN(iv.Hi) && iv.Lo <= iv.Hi
}

// String writes the interval as "[lo, hi]", with −∞/+∞ for open ends.
func (iv Interval) String() string {
	return "[" + formatEnd(iv.Lo) + ", " + formatEnd(iv.Hi) + "]"
}

func formatEnd(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+∞"
	case math.IsInf(v, -1):
		return "−∞"
	}
	return format(v)
}

// MarshalJSON writes [lo, hi], null for an infinite or NaN end.
func (iv Interval) MarshalJSON() ([]byte, error) {
	return []byte("[" + jsonFloat(iv.Lo) + "," + jsonFloat(iv.Hi) + "]"), nil
}

// UnmarshalJSON reads [lo, hi]; a null end is unbounded on its side.
func (iv *Interval) UnmarshalJSON(b []byte) error {
	var a [2]*float64
	if err := json.Unmarshal(b, &a); err != nil {
		return err
	}
	iv.Lo, iv.Hi = math.Inf(-1), math.Inf(1)
	if a[0] != nil {
		iv.Lo = *a[0]
	}
	if a[1] != nil {
		iv.Hi = *a[1]
	}
	return nil
}

// jsonFloat writes v as encoding/json does, or null when v is not finite.
func jsonFloat(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "null"
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// Effect is one effect size measured for a claim, with its 95% interval,
// the interval the theory predicts for it and, where one exists, an exact
// or independent reference computed beside it.
type Effect struct {
	// Name says what was measured, e.g. "slope of −log γ against 1/k".
	Name string `json:"name"`
	// Value is the estimate and Interval its 95% interval (Point(Value)
	// when it has none).
	Value    float64  `json:"value"`
	Interval Interval `json:"interval"`
	// Prediction is the set of values the theory allows: a point, a band
	// or a half-line.
	Prediction Interval `json:"prediction"`
	// Reference is an exact or independent computation of the same
	// quantity (a first-passage time by quadrature, a Lyapunov variance),
	// nil when none exists.
	Reference *Quantity `json:"reference,omitempty"`
	// Verdict is this effect's own verdict, set by Judge.
	Verdict Verdict `json:"verdict"`
}

// MarshalJSON writes a non-finite Value as null.
func (e Effect) MarshalJSON() ([]byte, error) {
	type plain Effect
	return json.Marshal(struct {
		plain
		Value *float64 `json:"value"`
	}{plain(e), finite(e.Value)})
}

// compare returns the effect's verdict alone: Disagrees when its interval
// lies wholly outside the prediction, Agrees when wholly inside,
// Inconclusive when it straddles an end of the prediction or is not a
// valid interval. A point prediction (Lo = Hi: a value, not a band with
// thresholds) is met when the measured interval contains it.
func (e Effect) compare() Verdict {
	m, p := e.Interval, e.Prediction
	switch {
	case !m.valid() || !p.valid() || math.IsNaN(e.Value):
		return Inconclusive
	case m.Hi < p.Lo || m.Lo > p.Hi:
		return Disagrees
	case m.Lo >= p.Lo && m.Hi <= p.Hi:
		return Agrees
	case p.Lo == p.Hi:
		return Agrees // m contains the predicted value
	}
	return Inconclusive
}

// Quantity is one number shown beside a claim, with its interval when it
// has one.
type Quantity struct {
	Name     string    `json:"name"`
	Value    float64   `json:"value"`
	Interval *Interval `json:"interval,omitempty"`
}

// QuantityWithin returns the Quantity name = v with the interval iv, or
// with none when iv is nil (a measurement recorded without one).
func QuantityWithin(name string, v float64, iv *[2]float64) Quantity {
	q := Quantity{Name: name, Value: v}
	if iv != nil {
		q.Interval = &Interval{Lo: iv[0], Hi: iv[1]}
	}
	return q
}

// MarshalJSON writes a non-finite Value as null.
func (q Quantity) MarshalJSON() ([]byte, error) {
	type plain Quantity
	return json.Marshal(struct {
		plain
		Value *float64 `json:"value"`
	}{plain(q), finite(q.Value)})
}

// RegimeCheck is one measured condition of the regime a claim's theory
// assumes: at a minimum (‖∇L‖, λmin), in quasi-equilibrium (loss drift,
// relaxation times against the run), in Kramers' regime (coefficient of
// variation of escape times, fraction escaped, barrier over temperature),
// with a converged step. The JSON names name, measured, required and ok
// are fixed.
type RegimeCheck struct {
	Name string `json:"name"`
	// Measured is the measured value (null in JSON when not finite, and
	// then the check fails).
	Measured float64 `json:"measured"`
	// Required states the condition, e.g. "≤ 1e-06".
	Required string `json:"required"`
	OK       bool   `json:"ok"`
	// Reach says which setting would bring the measurement into the
	// regime, shown when the check fails.
	Reach string `json:"reach,omitempty"`
}

// MarshalJSON writes a non-finite Measured as null.
func (c RegimeCheck) MarshalJSON() ([]byte, error) {
	type plain RegimeCheck
	return json.Marshal(struct {
		plain
		Measured *float64 `json:"measured"`
	}{plain(c), finite(c.Measured)})
}

// AtMost is the check measured ≤ bound.
func AtMost(name string, measured, bound float64) RegimeCheck {
	return RegimeCheck{Name: name, Measured: measured, Required: "≤ " + exact(bound), OK: measured <= bound}
}

// AtLeast is the check measured ≥ bound.
func AtLeast(name string, measured, bound float64) RegimeCheck {
	return RegimeCheck{Name: name, Measured: measured, Required: "≥ " + exact(bound), OK: measured >= bound}
}

// Between is the check lo ≤ measured ≤ hi.
func Between(name string, measured, lo, hi float64) RegimeCheck {
	return RegimeCheck{Name: name, Measured: measured, Required: "in [" + exact(lo) + ", " + exact(hi) + "]",
		OK: measured >= lo && measured <= hi}
}

// WithReach returns c with the setting that would reach the regime.
func (c RegimeCheck) WithReach(reach string) RegimeCheck {
	c.Reach = reach
	return c
}

// exact writes v with the fewest digits that read back as v.
func exact(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// Judge decides a claim's verdict from its regime checks and effect sizes,
// and sets each effect's own verdict:
//   - NotTestable when a regime check fails (whatever the effects say);
//   - Disagrees when every check passes and some effect's interval lies
//     wholly outside its prediction;
//   - Agrees when every check passes and every effect's interval lies
//     wholly inside its prediction (contains it, for a point prediction);
//   - Inconclusive otherwise: an interval straddles an end of its
//     prediction, or there is no effect.
//
// The reason is "" unless the verdict is NotTestable, when it names each
// failed check with its numbers and the setting that would reach the regime.
func Judge(regime []RegimeCheck, effects []Effect) (Verdict, string) {
	var agree, disagree int
	for i := range effects {
		v := effects[i].compare()
		effects[i].Verdict = v
		switch v {
		case Agrees:
			agree++
		case Disagrees:
			disagree++
		}
	}
	if reason := failedChecks(regime); reason != "" {
		return NotTestable, reason
	}
	switch {
	case disagree > 0:
		return Disagrees, ""
	case len(effects) > 0 && agree == len(effects):
		return Agrees, ""
	}
	return Inconclusive, ""
}

// failedChecks describes the failed checks ("" when all pass).
func failedChecks(regime []RegimeCheck) string {
	var parts []string
	for _, c := range regime {
		if c.OK {
			continue
		}
		p := fmt.Sprintf("%s is %s, outside the regime (required %s)", c.Name, formatEnd(c.Measured), c.Required)
		if c.Reach != "" {
			p += "; to reach it: " + c.Reach
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, ". ")
}

// finite returns &v, or nil when v is NaN or infinite (JSON null).
func finite(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}
