package report

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

// TestEffectVerdictEdges checks each edge of the interval rule: inside,
// touching an end from inside, straddling an end, touching from outside,
// wholly outside, one-sided predictions, points, and invalid intervals.
func TestEffectVerdictEdges(t *testing.T) {
	inf := math.Inf(1)
	for _, c := range []struct {
		name string
		m, p Interval
		want Verdict
	}{
		{"inside", Interval{0.9, 1.1}, Interval{0.5, 2}, Agrees},
		{"equal to the prediction", Interval{0.5, 2}, Interval{0.5, 2}, Agrees},
		{"touches the lower end from inside", Interval{0.5, 1}, Interval{0.5, 2}, Agrees},
		{"straddles the lower end", Interval{0.4, 1}, Interval{0.5, 2}, Inconclusive},
		{"straddles the upper end", Interval{1.5, 2.1}, Interval{0.5, 2}, Inconclusive},
		{"covers the whole prediction", Interval{0, 3}, Interval{0.5, 2}, Inconclusive},
		{"touches the lower end from outside", Interval{0.1, 0.5}, Interval{0.5, 2}, Inconclusive},
		{"just below", Interval{0.1, math.Nextafter(0.5, 0)}, Interval{0.5, 2}, Disagrees},
		{"just above", Interval{math.Nextafter(2, 3), 3}, Interval{0.5, 2}, Disagrees},
		{"point inside", Point(1), Interval{0.5, 2}, Agrees},
		{"point outside", Point(2.5), Interval{0.5, 2}, Disagrees},
		{"point prediction met exactly", Point(1), Point(1), Agrees},
		{"interval around a point prediction", Interval{0.9, 1.1}, Point(1), Agrees},
		{"interval ending at a point prediction", Interval{0.9, 1}, Point(1), Agrees},
		{"interval just short of a point prediction", Interval{0.9, math.Nextafter(1, 0)}, Point(1), Disagrees},
		{"interval missing a point prediction", Interval{1.05, 1.3}, Point(1), Disagrees},
		{"positive slope", Interval{0.1, 0.3}, Above(0), Agrees},
		{"slope interval reaches 0", Interval{0, 0.3}, Above(0), Agrees},
		{"slope interval straddles 0", Interval{-0.1, 0.3}, Above(0), Inconclusive},
		{"negative slope", Interval{-0.3, -0.1}, Above(0), Disagrees},
		{"below", Interval{-0.3, -0.1}, Below(0), Agrees},
		{"unbounded measurement", Interval{1, inf}, Above(0), Agrees},
		{"NaN end", Interval{math.NaN(), 1}, Interval{0, 2}, Inconclusive},
		{"reversed interval", Interval{2, 1}, Interval{0, 3}, Inconclusive},
		{"reversed prediction", Interval{1, 1}, Interval{3, 0}, Inconclusive},
	} {
		e := Effect{Name: c.name, Value: (c.m.Lo + c.m.Hi) / 2, Interval: c.m, Prediction: c.p}
		if math.IsInf(c.m.Hi, 1) {
			e.Value = c.m.Lo
		}
		if got := e.compare(); got != c.want {
			t.Errorf("%s: measured %v against %v: %s, want %s", c.name, c.m, c.p, got, c.want)
		}
	}
	if got := (Effect{Value: math.NaN(), Interval: Point(1), Prediction: Point(1)}).compare(); got != Inconclusive {
		t.Errorf("a NaN estimate: %s, want inconclusive", got)
	}
}

func TestJudgeRegimeBeforeEffects(t *testing.T) {
	inside := Effect{Name: "in", Value: 1, Interval: Interval{0.9, 1.1}, Prediction: Interval{0.5, 2}}
	outside := Effect{Name: "out", Value: 3, Interval: Interval{2.5, 3.5}, Prediction: Interval{0.5, 2}}
	straddle := Effect{Name: "straddle", Value: 2, Interval: Interval{1.5, 2.5}, Prediction: Interval{0.5, 2}}
	ok := AtMost("‖∇L‖", 1e-7, 1e-6)
	fail := AtMost("‖∇L‖", 0.26, 1e-6).WithReach("start from minimum.safetensors")
	for _, c := range []struct {
		name    string
		regime  []RegimeCheck
		effects []Effect
		want    Verdict
	}{
		{"all inside, regime holds", []RegimeCheck{ok}, []Effect{inside, inside}, Agrees},
		{"no regime checks, inside", nil, []Effect{inside}, Agrees},
		{"one outside", []RegimeCheck{ok}, []Effect{inside, outside}, Disagrees},
		{"outside beats straddling", []RegimeCheck{ok}, []Effect{straddle, outside}, Disagrees},
		{"one straddles", []RegimeCheck{ok}, []Effect{inside, straddle}, Inconclusive},
		{"no effects", []RegimeCheck{ok}, nil, Inconclusive},
		{"outside but regime fails", []RegimeCheck{ok, fail}, []Effect{outside}, NotTestable},
		{"inside but regime fails", []RegimeCheck{fail}, []Effect{inside}, NotTestable},
		{"no effects, regime fails", []RegimeCheck{fail}, nil, NotTestable},
		{"NaN measured fails the check", []RegimeCheck{AtMost("x", math.NaN(), 1)}, []Effect{inside}, NotTestable},
	} {
		effects := append([]Effect(nil), c.effects...)
		v, reason := Judge(c.regime, effects)
		if v != c.want {
			t.Errorf("%s: %s, want %s", c.name, v, c.want)
		}
		if (v == NotTestable) != (reason != "") {
			t.Errorf("%s: reason %q with verdict %s", c.name, reason, v)
		}
		for i, e := range effects {
			if e.Verdict != e.compare() || e.Verdict == "" {
				t.Errorf("%s: effect %d verdict %q not set", c.name, i, e.Verdict)
			}
		}
		cl := Claim{ID: "x", Conclusion: FlatMinima, Statement: "s", Regime: c.regime, Effects: effects}
		cl.Judge()
		if err := cl.check(); err != nil {
			t.Errorf("%s: a judged claim breaks the rules: %v", c.name, err)
		}
	}
	_, reason := Judge([]RegimeCheck{ok, fail}, []Effect{inside})
	for _, s := range []string{"‖∇L‖", "0.26", "≤ 1e-06", "minimum.safetensors"} {
		if !strings.Contains(reason, s) {
			t.Errorf("reason %q lacks %q", reason, s)
		}
	}
}

func TestRegimeCheckBounds(t *testing.T) {
	for _, c := range []struct {
		ck   RegimeCheck
		want bool
		req  string
	}{
		{AtMost("a", 1, 1), true, "≤ 1"},
		{AtMost("a", math.Nextafter(1, 2), 1), false, "≤ 1"},
		{AtLeast("a", 0.9, 0.9), true, "≥ 0.9"},
		{AtLeast("a", 0.89, 0.9), false, "≥ 0.9"},
		{Between("cv", 0.8, 0.8, 1.25), true, "in [0.8, 1.25]"},
		{Between("cv", 1.26, 0.8, 1.25), false, "in [0.8, 1.25]"},
		{Between("cv", math.NaN(), 0.8, 1.25), false, "in [0.8, 1.25]"},
		{AtLeast("a", math.Inf(1), 0), true, "≥ 0"},
	} {
		if c.ck.OK != c.want || c.ck.Required != c.req {
			t.Errorf("%+v: ok %v required %q, want %v %q", c.ck, c.ck.OK, c.ck.Required, c.want, c.req)
		}
	}
}

// TestClaimCheckRejectsBrokenVerdicts: a package cannot hand Build a
// verdict the rules forbid.
func TestClaimCheckRejectsBrokenVerdicts(t *testing.T) {
	inside := Effect{Value: 1, Interval: Point(1), Prediction: Interval{0, 2}}
	outside := Effect{Value: 3, Interval: Point(3), Prediction: Interval{0, 2}}
	fail := AtMost("‖∇L‖", 0.26, 1e-6)
	for _, c := range []Claim{
		{Verdict: Disagrees, Effects: []Effect{outside}, Regime: []RegimeCheck{fail}},
		{Verdict: Disagrees, Effects: []Effect{inside}},
		{Verdict: Agrees, Effects: []Effect{inside, outside}},
		{Verdict: Agrees},
		{Verdict: Agrees, Effects: []Effect{inside}, Regime: []RegimeCheck{fail}},
		{Verdict: Inconclusive, Regime: []RegimeCheck{fail}},
		{Verdict: NotTestable, Reason: "why"},
		{Verdict: NotTestable, Regime: []RegimeCheck{fail}},
		{Verdict: "maybe"},
	} {
		c.ID, c.Statement, c.Conclusion = "x", "s", FlatMinima
		if err := c.check(); err == nil {
			t.Errorf("%+v passes the rules", c)
		}
	}
	bad := Claim{ID: "x", Statement: "s", Conclusion: "other", Verdict: Inconclusive}
	if err := bad.check(); err == nil {
		t.Error("an unknown row passes")
	}
	if _, err := Build([]string{t.TempDir()}, "v", []ClaimsFunc{func(string) ([]Claim, error) {
		return []Claim{{ID: "x", Statement: "s", Conclusion: FlatMinima, Verdict: Disagrees, Effects: []Effect{outside}, Regime: []RegimeCheck{fail}}}, nil
	}}); err == nil || !strings.Contains(err.Error(), "claim x") {
		t.Errorf("Build accepted a disagreement with a failed regime check: %v", err)
	}
}

func TestJSONOfVerdictTypes(t *testing.T) {
	cl := Claim{ID: "x", Regime: []RegimeCheck{AtMost("‖∇L‖", math.NaN(), 1e-6)},
		Effects: []Effect{{Name: "slope", Value: 0.5, Interval: Interval{0.25, 0.75}, Prediction: Above(0)}}}
	b, err := json.Marshal(cl)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{`"regime":[{"name":"‖∇L‖","required":"≤ 1e-06","ok":false,"measured":null}]`,
		`"interval":[0.25,0.75]`, `"prediction":[0,null]`, `"value":0.5`} {
		if !strings.Contains(string(b), s) {
			t.Errorf("JSON %s lacks %s", b, s)
		}
	}
	var back Claim
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if p := back.Effects[0].Prediction; p.Lo != 0 || !math.IsInf(p.Hi, 1) {
		t.Errorf("prediction read back as %v", p)
	}
}

// TestIntervalOfAndFind: a recorded interval is kept end for end, a missing
// one is the point of the value; Find returns the claim of an id and
// reports an id that is not there.
func TestIntervalOfAndFind(t *testing.T) {
	if got := IntervalOf(1.5, &[2]float64{0.25, 3}); got != (Interval{0.25, 3}) {
		t.Errorf("IntervalOf with [0.25, 3] = %v", got)
	}
	if got := IntervalOf(-2, nil); got != (Interval{-2, -2}) {
		t.Errorf("IntervalOf without an interval = %v, want [-2, -2]", got)
	}
	cs := []Claim{{ID: "a", Statement: "first"}, {ID: "b", Statement: "second"}}
	if c, ok := Find(cs, "b"); !ok || c.Statement != "second" {
		t.Errorf("Find b = %+v, %v", c, ok)
	}
	if c, ok := Find(cs, "c"); ok || c.ID != "" {
		t.Errorf("Find c = %+v, %v; want none", c, ok)
	}
}
