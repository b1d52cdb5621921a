package report

import (
	"encoding/csv"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// claimDef is one claim of the paper and how to judge it from the inputs.
type claimDef struct {
	id, statement string
	eval          func(in *inputs) oldClaim
}

// claimTable lists the claims in the order of the paper.
var claimTable = []claimDef{
	{"sgld-theorem1", "SGLD escapes a minimum at Kramers' rate (Theorem 1): −log γ = ΔL/D − log(√(H_a|H_b|)/2π), linear in 1/D with slope ΔL.", sgldTheorem1},
	{"sgd-theorem2-network", "SGD escapes minima with −log γ linear in 1/k (sharpness), in B and in 1/η (Theorem 2), on a network.", sgdNetwork},
	{"sgd-theorem2-doublewell", "Under the SGD diffusion (noise covariance ηH/B) the slopes of −log γ lie in Theorem 2's range, for a path factor s ∈ (0, 1).", sgdDoubleWell},
	{"selection-two-valley", "SGD prefers the flat of two valleys exponentially in B/η; SGLD prefers it only polynomially (through √det H).", selectionTwoValley},
	{"selection-networks", "On networks, SGD with a smaller η/B finds sharper minima.", selectionNetworks},
}

// missing is the claim of a file that is not there.
func missing(what, produce string) oldClaim {
	return oldClaim{Verdict: Inconclusive, Rule: "needs " + what, Produce: produce,
		Finding: "Not measured: no " + what + " among the folders given. `" + produce + "` writes it."}
}

// figureBeside returns the first SVG named by one of stems beside the file
// of d that exists, or "".
func figureBeside(d *doc, stems ...string) string {
	for _, stem := range stems {
		p := filepath.Join(filepath.Dir(d.path), stem+".svg")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

func q(name string, v float64) oldQuantity { return oldQuantity{Name: name, Value: v} }

func qci(name string, v float64, ci *[2]float64) oldQuantity {
	return oldQuantity{Name: name, Value: v, CI95: ci}
}

// readRates reads rates.csv beside an escape fit.json: one map per row.
func readRates(d *doc) ([]map[string]string, string) {
	p := filepath.Join(filepath.Dir(d.path), "rates.csv")
	f, err := os.Open(p)
	if err != nil {
		return nil, ""
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil || len(rows) < 2 {
		return nil, ""
	}
	var out []map[string]string
	for _, r := range rows[1:] {
		m := map[string]string{}
		for i, h := range rows[0] {
			if i < len(r) {
				m[h] = r[i]
			}
		}
		out = append(out, m)
	}
	return out, p
}

func sgldTheorem1(in *inputs) oldClaim {
	if in.sgld == nil {
		return missing("fit.json of an SGLD escape sweep", "bin/sgn escape sweep --config escape/kramers/testdata/sweep.json --out out/sgld && bin/sgn escape fit out/sgld")
	}
	d := in.sgld
	c := oldClaim{Sources: []string{d.path}, Figure: figureBeside(d, "fit-sgld-vs-inv-temperature")}
	c.Rule = "agrees when every fitted slope of −log γ against 1/D has a 95% interval containing Theorem 1's slope ΔL and every measured rate is within a factor 1.25 of Kramers' rate; disagrees when a slope interval excludes ΔL"
	verdict := Agrees
	for _, r := range list(d.v, "relations") {
		if str(r, "dynamics") != "sgld" || str(r, "variable") != "inv-temperature" {
			continue
		}
		for _, s := range list(r, "series") {
			slope, ok := num(s, "line.slope")
			ci, ok2 := interval(s, "line.slope_ci95")
			pred, ok3 := num(s, "predicted_slope")
			if !ok || !ok2 || !ok3 {
				continue
			}
			c.Measured = append(c.Measured, qci("slope of −log γ against 1/D"+fixedLabel(s), slope, ci))
			c.Predicted = append(c.Predicted, q("Theorem 1 slope ΔL"+fixedLabel(s), pred))
			if pred < ci[0] || pred > ci[1] {
				verdict = Disagrees
			}
		}
	}
	rows, p := readRates(d)
	if p != "" {
		c.Sources = append(c.Sources, p)
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, r := range rows {
			if r["dynamics"] != "sgld" {
				continue
			}
			x, err := strconv.ParseFloat(r["measured_over_predicted"], 64)
			if err != nil {
				continue
			}
			lo, hi = math.Min(lo, x), math.Max(hi, x)
		}
		if lo <= hi {
			c.Measured = append(c.Measured, q("smallest measured/Kramers rate", lo), q("largest measured/Kramers rate", hi))
			c.Predicted = append(c.Predicted, q("measured/Kramers rate", 1))
			if (lo < 0.8 || hi > 1.25) && verdict == Agrees {
				verdict = Inconclusive
			}
		}
	}
	if len(c.Measured) == 0 {
		c.Verdict, c.Finding = Inconclusive, "The fit has no SGLD line against 1/D."
		return c
	}
	c.Verdict = verdict
	c.Finding = "SGLD on the double well: " + summarise(c.Measured) + "."
	return c
}

// fixedLabel describes the fixed settings of a fitted series.
func fixedLabel(s any) string {
	m, ok := at(s, "fixed").(map[string]any)
	if !ok || len(m) == 0 {
		return ""
	}
	var parts []string
	for _, k := range []string{"sharpness", "batch_size", "eta", "temperature"} {
		if v, ok := m[k].(float64); ok {
			parts = append(parts, fmt.Sprintf("%s %g", map[string]string{"sharpness": "k", "batch_size": "B", "eta": "η", "temperature": "D"}[k], v))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

// panels returns the escape figure's panels whose builtin name has prefix.
func panels(d *doc, prefix string) []any {
	var out []any
	for _, p := range list(d.v, "panels") {
		if strings.HasPrefix(str(p, "builtin"), prefix) {
			out = append(out, p)
		}
	}
	return out
}

var variableLabel = map[string]string{"inv-sharpness": "1/k", "batch-size": "B", "inv-eta": "1/η"}

func sgdNetwork(in *inputs) oldClaim {
	if in.escapeFigure == nil {
		return missing("figure.json of the escape figure", "make escape-figure")
	}
	d := in.escapeFigure
	c := oldClaim{Sources: []string{d.path}, Figure: figureBeside(d, "escape-figure")}
	c.Rule = "agrees when each of the three slopes has a 95% interval above 0 and R² ≥ 0.95; disagrees when a slope interval reaches 0 or below; inconclusive when a fit is poor (R² < 0.95)"
	verdict, n := Agrees, 0
	for _, p := range panels(d, "mlp-") {
		slope, ok := num(p, "relation.series.0.line.slope")
		ci, ok2 := interval(p, "relation.series.0.line.slope_ci95")
		r2, _ := num(p, "relation.series.0.line.r2")
		if !ok || !ok2 {
			continue
		}
		n++
		v := variableLabel[str(p, "variable")]
		c.Measured = append(c.Measured, qci("slope of −log γ against "+v, slope, ci), q("R² against "+v, r2))
		if ci[0] <= 0 {
			verdict = Disagrees
		} else if r2 < 0.95 && verdict == Agrees {
			verdict = Inconclusive
		}
	}
	c.Predicted = []oldQuantity{q("sign of each slope (Theorem 2: positive)", 1)}
	if n < 3 {
		c.Verdict, c.Finding = Inconclusive, fmt.Sprintf("Only %d of the three network panels are in figure.json.", n)
		return c
	}
	c.Verdict = verdict
	c.Finding = "Minibatch SGD on the MLP: " + summarise(c.Measured) + "."
	if g, ok := num(d.v, "panels.0.minimum.grad_norm"); ok {
		c.Finding += fmt.Sprintf(" The runs start at θ₀ with ‖∇L‖ = %.2g.", g)
	}
	return c
}

func sgdDoubleWell(in *inputs) oldClaim {
	if in.escapeFigure == nil {
		return missing("figure.json of the escape figure", "make escape-figure")
	}
	d := in.escapeFigure
	c := oldClaim{Sources: []string{d.path}, Figure: figureBeside(d, "escape-figure")}
	c.Rule = "agrees when each slope's 95% interval overlaps Theorem 2's range [slope at s = 1, slope at s = 0]; disagrees when an interval misses it"
	verdict, n := Agrees, 0
	for _, p := range panels(d, "doublewell-") {
		s := at(p, "relation.series.0")
		slope, ok := num(s, "line.slope")
		ci, ok2 := interval(s, "line.slope_ci95")
		s0, ok3 := num(s, "predicted_slope_s0")
		s1, ok4 := num(s, "predicted_slope_s1")
		if !ok || !ok2 || !ok3 || !ok4 {
			continue
		}
		n++
		v := variableLabel[str(p, "variable")]
		c.Measured = append(c.Measured, qci("slope of −log γ against "+v, slope, ci))
		if sf, ok := num(s, "s_from_slope"); ok {
			c.Measured = append(c.Measured, q("implied s against "+v, sf))
		}
		lo, hi := math.Min(s0, s1), math.Max(s0, s1)
		c.Predicted = append(c.Predicted, qci("Theorem 2 slope against "+v+" (s = 1 … s = 0)", (lo+hi)/2, &[2]float64{lo, hi}))
		if ci[1] < lo || ci[0] > hi {
			verdict = Disagrees
		}
	}
	if n == 0 {
		c.Verdict, c.Finding = Inconclusive, "figure.json has no double-well panel with Theorem 2's range."
		return c
	}
	c.Verdict = verdict
	if verdict == Disagrees {
		c.Finding = "On the double well some measured slopes leave Theorem 2's range (" + summarise(c.Measured) + "): the s they imply is outside (0, 1), so the finite step, not quasi-equilibrium alone, shapes the escape."
	} else {
		c.Finding = "On the double well the measured slopes lie within Theorem 2's range: " + summarise(c.Measured) + "."
	}
	return c
}

func selectionTwoValley(in *inputs) oldClaim {
	if in.selection == nil {
		return missing("selection.json", "make selection-figure")
	}
	d := in.selection
	c := oldClaim{Sources: []string{d.path}, Figure: figureBeside(d, "selection-figure", "selection")}
	c.Rule = "agrees when every SGD kind's fit of log P(flat)/P(sharp) against B/η has a 95% slope interval above 0 and SGLD's fit against 1/D has an interval containing its predicted slope ΔL₁ − ΔL₂ (so no exponential preference at equal barriers); disagrees when an SGD slope interval reaches 0 or SGLD's misses its prediction"
	verdict, n := Agrees, 0
	for _, f := range list(d.v, "fits") {
		dyn := str(f, "dynamics")
		slope, ok := num(f, "slope")
		ci, ok2 := interval(f, "slope_ci95")
		if !ok || !ok2 {
			continue
		}
		n++
		c.Measured = append(c.Measured, qci(dyn+": slope of log P(flat)/P(sharp) against "+str(f, "against"), slope, ci))
		if s, ok := num(f, "implied_s"); ok {
			c.Measured = append(c.Measured, q(dyn+": implied s", s))
		}
		if dyn == "sgld" {
			pred, ok := num(f, "predicted_slope")
			if !ok {
				pred = 0
			}
			c.Predicted = append(c.Predicted, q("sgld: slope against 1/D (ΔL₁ − ΔL₂)", pred))
			if pred < ci[0] || pred > ci[1] {
				verdict = Disagrees
			}
			continue
		}
		c.Predicted = append(c.Predicted, q(dyn+": sign of the slope against B/η (Theorem 2: positive)", 1))
		if ci[0] <= 0 {
			verdict = Disagrees
		}
	}
	if n == 0 {
		c.Verdict, c.Finding = Inconclusive, "selection.json has no fits."
		return c
	}
	c.Verdict = verdict
	c.Finding = "Occupancy of the flat valley against the sharp one: " + summarise(c.Measured) + "."
	return c
}

func selectionNetworks(in *inputs) oldClaim {
	if in.selectionNetworks == nil {
		return missing("selection-networks.json", "make selection-figure")
	}
	d := in.selectionNetworks
	c := oldClaim{Sources: []string{d.path}, Figure: figureBeside(d, "sharpness-vs-ratio")}
	c.Rule = "agrees when the slope of log λmax against log(η/B) has a 95% interval below 0; disagrees when it is above 0; inconclusive when it contains 0"
	verdict := Inconclusive
	found := false
	for _, f := range list(d.v, "fits") {
		slope, ok := num(f, "slope")
		ci, ok2 := interval(f, "slope_ci95")
		if !ok || !ok2 {
			continue
		}
		of := str(f, "of")
		c.Measured = append(c.Measured, qci("slope of "+of+" against "+str(f, "against"), slope, ci))
		if rho, ok := num(f, "spearman"); ok {
			c.Measured = append(c.Measured, q("Spearman ρ of "+of, rho))
		}
		if of == "log lambda_max" {
			found = true
			switch {
			case ci[1] < 0:
				verdict = Agrees
			case ci[0] > 0:
				verdict = Disagrees
			}
		}
	}
	c.Predicted = []oldQuantity{q("sign of the slope of log λmax against log(η/B)", -1)}
	if !found {
		c.Verdict, c.Finding = Inconclusive, "selection-networks.json has no fit of log λmax."
		return c
	}
	c.Verdict = verdict
	c.Finding = "Training runs over (B, η) from one initialisation: " + summarise(c.Measured) + "."
	return c
}

// summarise writes quantities as "name value [lo, hi]", joined by "; ".
func summarise(qs []oldQuantity) string {
	var parts []string
	for _, x := range qs {
		p := x.Name + " " + format(x.Value)
		if x.CI95 != nil {
			p += " [" + format(x.CI95[0]) + ", " + format(x.CI95[1]) + "]"
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, "; ")
}

// inputs are the result files found in the folders given.
type inputs struct {
	sgld, escapeFigure, selection, selectionNetworks, equilibrium *doc
	all                                                           []*doc
}

// kinds maps a file name to the input it can be.
var kinds = []string{"fit.json", "figure.json", "selection.json",
	"selection-networks.json", "equilibrium.json"}

// find walks each folder (three levels deep at most) for the result files
// the claims read. The first file of each kind in the order of dirs wins.
func find(dirs []string) (*inputs, error) {
	in := &inputs{}
	for _, dir := range dirs {
		st, err := os.Stat(dir)
		if err != nil {
			return nil, fmt.Errorf("report input %s: %w", dir, err)
		}
		if !st.IsDir() {
			return nil, fmt.Errorf("report input %s: not a folder", dir)
		}
		var paths []string
		base := strings.Count(filepath.Clean(dir), string(filepath.Separator))
		err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if strings.Count(filepath.Clean(p), string(filepath.Separator))-base >= 3 {
					return fs.SkipDir
				}
				return nil
			}
			for _, k := range kinds {
				if d.Name() == k {
					paths = append(paths, p)
				}
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("report input %s: %w", dir, err)
		}
		sort.Strings(paths)
		for _, p := range paths {
			d, err := readDoc(p)
			if err != nil {
				return nil, err
			}
			in.add(d)
		}
	}
	return in, nil
}

// add files d under the input it is, judged by its name and content.
func (in *inputs) add(d *doc) {
	set := func(slot **doc) {
		if *slot == nil {
			*slot = d
			in.all = append(in.all, d)
		}
	}
	switch filepath.Base(d.path) {
	case "fit.json":
		if hasSGLD(d.v) {
			set(&in.sgld)
		}
	case "figure.json":
		if list(d.v, "panels") != nil {
			set(&in.escapeFigure)
		}
	case "selection.json":
		set(&in.selection)
	case "selection-networks.json":
		set(&in.selectionNetworks)
	case "equilibrium.json":
		set(&in.equilibrium)
	}
}

// hasSGLD reports whether an escape fit.json has an SGLD relation against
// 1/D with Theorem 1's predicted slope.
func hasSGLD(v any) bool {
	for _, r := range list(v, "relations") {
		if str(r, "dynamics") == "sgld" && str(r, "variable") == "inv-temperature" {
			return true
		}
	}
	return false
}

// oldQuantity is a number of a claim not yet moved to its package.
type oldQuantity struct {
	Name  string
	Value float64
	CI95  *[2]float64
}

// oldClaim is a claim not yet moved to the package that owns its output.
type oldClaim struct {
	ID, Statement       string
	Measured, Predicted []oldQuantity
	Verdict             Verdict
	Rule, Finding       string
	Figure              string
	Sources             []string
	Produce             string
}

// legacyRows places the claims not yet moved on the page's rows.
var legacyRows = map[string]Conclusion{
	"sgld-theorem1": SharpnessEscape, "sgd-theorem2-network": SharpnessEscape, "sgd-theorem2-doublewell": SharpnessEscape,
	"selection-two-valley": FlatMinima, "selection-networks": FlatMinima,
}

// legacyClaims evaluates the claims not yet moved to their packages.
func legacyClaims(dirs []string) ([]Claim, error) {
	in, err := find(dirs)
	if err != nil {
		return nil, err
	}
	var out []Claim
	for _, c := range claimTable {
		o := c.eval(in)
		cl := Claim{ID: c.id, Conclusion: legacyRows[c.id], Statement: c.statement, Verdict: o.Verdict,
			Rule: o.Rule, Finding: o.Finding, Figure: o.Figure, Produce: o.Produce}
		for _, q := range o.Measured {
			cl.Details = append(cl.Details, legacyQuantity("measured: ", q))
		}
		for _, q := range o.Predicted {
			cl.Details = append(cl.Details, legacyQuantity("predicted: ", q))
		}
		for _, s := range o.Sources {
			cl.Sources = append(cl.Sources, Source{Path: s})
		}
		out = append(out, cl)
	}
	return out, nil
}

func legacyQuantity(prefix string, q oldQuantity) Quantity {
	out := Quantity{Name: prefix + q.Name, Value: q.Value}
	if q.CI95 != nil {
		out.Interval = &Interval{q.CI95[0], q.CI95[1]}
	}
	return out
}
