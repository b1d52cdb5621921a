package equilibrium

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"

	"github.com/sgn-project/sgn/internal/report"
)

// Thresholds of the regime checks and of the verdicts.
const (
	// MinimumGradTol is the largest ‖∇L(θ₀)‖ of "a minimum".
	MinimumGradTol = 1e-6
	// MaxLossDrift is the largest |drift| (in the series' own standard
	// deviations, see lossDrift) of a stationary run: the gate is applied
	// to the energy ½Σλᵢ(uᵢᵀδ)² of the directions judged.
	MaxLossDrift = 1.0
	// MinJudged is the least number of equilibrated directions a median
	// ratio is judged over.
	MinJudged = 10
	// RatioBand is the factor by which a median measured/predicted
	// variance may differ from 1: the prediction is [1/RatioBand,
	// RatioBand].
	RatioBand = 1.25
	// TopShareK and TopShareMin: the low-dimensional claim asks for at
	// least TopShareMin of tr C in the top TopShareK eigendirections, and
	// at least EnrichMin times the isotropic share k/P in the top
	// EnrichK.
	TopShareK   = 40
	TopShareMin = 0.5
	EnrichK     = 10
	EnrichMin   = 10.0
)

// regimeChecks returns the measured regime of the report: at a minimum
// (‖∇L(θ₀)‖, λmin), stationary where it is judged (the drift of the energy
// ½Σλᵢ(uᵢᵀδ)² of the equilibrated directions, per chain) and relaxed (the
// equilibrated directions). The whole loss is not gated: directions flatter
// than 50/(ηT) relax (SGD) or diffuse (SGLD) through any run, and the
// claims say nothing about them; its drift is a detail of each claim.
func (r *Report) regimeChecks() []report.RegimeCheck {
	m, sm, s := r.Minimum, r.Summary, r.Settings
	lmin, lmax := float64(m.LambdaMin), float64(m.LambdaMax)
	floor := -1e-6 * math.Abs(lmax)
	reachMin := "start from a true minimum: sgn minimum --checkpoint … --out DIR, then --checkpoint DIR/minimum.safetensors with --descend 0"
	reach := fmt.Sprintf("a --burn-in of a few relaxation times 1/(ηλ) of the directions judged (the largest is %.4g steps; burn-in now %d) and more --steps than %d, from a minimum of the same loss (sgn minimum)",
		float64(sm.MaxRelaxationSteps), s.BurnIn, s.Steps)
	drift := func(name string, v Number) report.RegimeCheck {
		return report.RegimeCheck{Name: name, Measured: float64(v), Required: fmt.Sprintf("|·| ≤ %g", MaxLossDrift),
			OK: math.Abs(float64(v)) <= MaxLossDrift, Reach: reach}
	}
	return []report.RegimeCheck{
		{Name: checkGrad, Measured: m.GradNorm, Required: fmt.Sprintf("≤ %g", MinimumGradTol), OK: m.GradNorm <= MinimumGradTol, Reach: reachMin},
		{Name: checkLambdaMin, Measured: lmin, Required: fmt.Sprintf("≥ −1e-6·λmax = %.3g", floor), OK: lmin >= floor, Reach: reachMin},
		drift(checkEnergySGD, sm.EnergyDriftSGD),
		drift(checkEnergySGLD, sm.EnergyDriftSGLD),
		{Name: checkEquilibrated, Measured: float64(sm.DirectionsUsed), Required: fmt.Sprintf("≥ %d", MinJudged),
			OK: sm.DirectionsUsed >= MinJudged, Reach: fmt.Sprintf("more --steps than %d or a larger --eta than %g", s.Steps, s.Eta)},
	}
}

// Names of the regime checks.
const (
	checkGrad         = "‖∇L(θ₀)‖"
	checkLambdaMin    = "λmin(H(θ₀))"
	checkEnergySGD    = "SGD: drift of the energy ½Σλᵢ(uᵢᵀδ)² of the directions judged over the run (its standard deviations)"
	checkEnergySGLD   = "SGLD: drift of the energy ½Σλᵢ(uᵢᵀδ)² of the directions judged over the run (its standard deviations)"
	checkEquilibrated = "equilibrated directions (T ≥ 50/(ηλ), burn-in ≥ 3/(ηλ))"
)

// pick returns the checks of r.Regime whose names are given.
func pick(all []report.RegimeCheck, names ...string) []report.RegimeCheck {
	var out []report.RegimeCheck
	for _, c := range all {
		for _, n := range names {
			if c.Name == n {
				out = append(out, c)
			}
		}
	}
	return out
}

// Statements of the claims this package judges.
const (
	statementSGD    = "In quasi-equilibrium SGD's variance along each Hessian eigendirection uᵢ is the stationary variance of its linearised dynamics with the local noise, vᵢ = η·cᵢ/(λᵢ(2 − ηλᵢ)), cᵢ = uᵢᵀCuᵢ (Assumption 2; with C = H/B this is η/(2B), a level judged by the C-against-H/B claim at the same θ₀)."
	statementSGLD   = "In quasi-equilibrium SGLD's variance along an eigendirection of eigenvalue λ is 2D/(λ(2 − ηλ)) ≈ D/λ (Assumption 2)."
	statementLowDim = "SGD diffuses in a low-dimensional space: most of its noise, tr C, lies in the few sharpest Hessian eigendirections, where isotropic (SGLD) noise puts only k/P of it."
)

// Claims judges the claims equilibrium-sgd, equilibrium-sgld and
// low-dim-diffusion from dir/equilibrium.json (a report.ClaimsFunc). A
// folder without it gives the claims unmeasured.
func Claims(dir string) ([]report.Claim, error) {
	path := filepath.Join(dir, JSONFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		const produce = "make equilibrium-figure"
		return []report.Claim{
			report.Unmeasured("equilibrium-sgd", report.QuasiEquilibrium, statementSGD, JSONFile, produce),
			report.Unmeasured("equilibrium-sgld", report.QuasiEquilibrium, statementSGLD, JSONFile, produce),
			report.Unmeasured("low-dim-diffusion", report.LowDimDiffusion, statementLowDim, JSONFile, produce),
		}, nil
	}
	if err != nil {
		return nil, err
	}
	var r Report
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return r.Claims(path), nil
}

// Claims judges the report's three claims; path is where it was read
// from.
func (r *Report) Claims(path string) []report.Claim {
	src := report.Source{Path: path, Version: r.Version, Command: r.Command,
		Seeds:       map[string]uint64{"sgd": r.Seeds.SGD, "sgld": r.Seeds.SGLD, "bulk": r.Seeds.Bulk, "lanczos": r.Seeds.Lanczos},
		WallSeconds: r.Seconds["total"], CPUSeconds: r.CPUSeconds}
	if d, ok := r.Data.(map[string]any); ok {
		if v, ok := d["mnist_sha256"].(string); ok {
			src.DataDigest = v
		}
	}
	at := "θ₀ = " + r.Source
	fig := ""
	if r.Files != nil {
		fig = r.Files["svg"]
	}
	// The regime is judged afresh from the typed measurements, so that a
	// file written under an earlier rule is judged by this one.
	regime := r.regimeChecks()
	grad, lmin, eq := checkGrad, checkLambdaMin, checkEquilibrated
	sm := r.Summary
	band := report.Interval{Lo: 1 / RatioBand, Hi: RatioBand}
	ratioEffect := func(name string, x Ratio, ref *report.Quantity) report.Effect {
		return report.Effect{Name: name, Value: float64(x.Median), Interval: report.Interval{Lo: float64(x.CI95[0]), Hi: float64(x.CI95[1])},
			Prediction: band, Reference: ref}
	}
	iqr := func(name string, x Ratio) report.Quantity {
		return report.Quantity{Name: name, Value: float64(x.Median), Interval: &report.Interval{Lo: float64(x.IQR[0]), Hi: float64(x.IQR[1])}}
	}
	rule := fmt.Sprintf("not-testable unless θ₀ is a minimum (‖∇L‖ ≤ %g, λmin ≥ −1e-6·λmax), at least %d directions equilibrated (T ≥ 50/(ηλ), burn-in ≥ 3/(ηλ)) and the energy ½Σλᵢ(uᵢᵀδ)² of those directions stationary (|drift| ≤ %g of its standard deviations: last quarter of the run against the first); the whole loss, which also holds the flat directions the claim does not judge, is not gated. Then the median over the equilibrated directions of measured (detrended) vᵢ over the quasi-static prediction, with its 95%% order-statistic interval, against [%.2f, %.2f]: agrees inside, disagrees outside, inconclusive when it straddles an end",
		MinimumGradTol, MinJudged, MaxLossDrift, 1/RatioBand, RatioBand)
	lossDetail := func(name string, v Number) report.Quantity {
		return report.Quantity{Name: name + " drift of the whole loss over the run (its standard deviations; not gated: it holds the flat directions too)", Value: float64(v)}
	}

	sgd := report.Claim{ID: "equilibrium-sgd", Conclusion: report.QuasiEquilibrium, Statement: statementSGD, At: at, Figure: fig, Sources: []report.Source{src},
		Regime: pick(regime, grad, lmin, checkEnergySGD, eq),
		Effects: []report.Effect{ratioEffect("median measured / quasi-static vᵢ, SGD", sm.RatioSGDQuasiStatic,
			&report.Quantity{Name: "median measured / discrete Lyapunov vᵢ at θ₀ (cᵢ, λᵢ of θ₀)", Value: float64(sm.RatioSGDLyapunov.Median),
				Interval: &report.Interval{Lo: float64(sm.RatioSGDLyapunov.CI95[0]), Hi: float64(sm.RatioSGDLyapunov.CI95[1])}})},
		Details: []report.Quantity{iqr("ratio quartiles (median, [Q1, Q3])", sm.RatioSGDQuasiStatic),
			{Name: "directions judged", Value: float64(sm.DirectionsUsed)},
			lossDetail("SGD:", sm.LossDrift),
			{Name: "largest relaxation time 1/(ηλ) judged, steps", Value: float64(sm.MaxRelaxationSteps)},
			{Name: "steps sampled", Value: float64(r.Settings.Steps)}},
		Rule: rule}
	sgd.Judge()
	sgd.Finding = fmt.Sprintf("Median measured/quasi-static %.3g [95%% %.3g–%.3g; IQR %.3g–%.3g] over %d directions; against the Lyapunov variance with θ₀'s cᵢ, λᵢ %.3g.",
		float64(sm.RatioSGDQuasiStatic.Median), float64(sm.RatioSGDQuasiStatic.CI95[0]), float64(sm.RatioSGDQuasiStatic.CI95[1]),
		float64(sm.RatioSGDQuasiStatic.IQR[0]), float64(sm.RatioSGDQuasiStatic.IQR[1]), sm.DirectionsUsed, float64(sm.RatioSGDLyapunov.Median))

	sgld := report.Claim{ID: "equilibrium-sgld", Conclusion: report.QuasiEquilibrium, Statement: statementSGLD, At: at, Figure: fig, Sources: []report.Source{src},
		Regime:  pick(regime, grad, lmin, checkEnergySGLD, eq),
		Effects: []report.Effect{ratioEffect("median measured / quasi-static vᵢ, SGLD (1/λᵢ(t) averaged, drift removed)", sm.RatioSGLDQuasiStatic, nil)},
		Details: []report.Quantity{iqr("ratio quartiles (median, [Q1, Q3])", sm.RatioSGLDQuasiStatic),
			{Name: "directions judged", Value: float64(sm.DirectionsUsed)},
			lossDetail("SGLD:", sm.LossDriftSGLD),
			{Name: "log-log slope of vᵢ against λᵢ (prediction −1)", Value: float64(sm.LogLogSlopeSGLD)}},
		Rule: rule}
	sgld.Judge()
	sgld.Finding = fmt.Sprintf("Median measured/quasi-static %.3g [95%% %.3g–%.3g; IQR %.3g–%.3g] over %d directions.",
		float64(sm.RatioSGLDQuasiStatic.Median), float64(sm.RatioSGLDQuasiStatic.CI95[0]), float64(sm.RatioSGLDQuasiStatic.CI95[1]),
		float64(sm.RatioSGLDQuasiStatic.IQR[0]), float64(sm.RatioSGLDQuasiStatic.IQR[1]), sm.DirectionsUsed)

	low := report.Claim{ID: "low-dim-diffusion", Conclusion: report.LowDimDiffusion, Statement: statementLowDim, At: at, Figure: fig, Sources: []report.Source{src},
		Regime: pick(regime, grad, lmin),
		Rule: fmt.Sprintf("the share of tr C in the top-%d eigenspace of H(θ₀) at least %g, and in the top-%d at least %g times the isotropic k/P (exact over the images: no sampling)",
			TopShareK, TopShareMin, EnrichK, EnrichMin)}
	key := func(k int) string { return fmt.Sprint(k) }
	if v, ok := sm.NoiseShareTopK[key(TopShareK)]; ok {
		low.Effects = append(low.Effects, report.Effect{Name: fmt.Sprintf("share of tr C in the top %d eigendirections", TopShareK), Value: v, Interval: report.Point(v),
			Prediction: report.Interval{Lo: TopShareMin, Hi: 1}, Reference: &report.Quantity{Name: "isotropic noise (SGLD), k/P", Value: sm.NoiseShareIsotropic[key(TopShareK)]}})
	}
	if v, ok := sm.NoiseShareTopK[key(EnrichK)]; ok {
		iso := sm.NoiseShareIsotropic[key(EnrichK)]
		low.Effects = append(low.Effects, report.Effect{Name: fmt.Sprintf("share of tr C in the top %d over k/P", EnrichK), Value: v / iso, Interval: report.Point(v / iso),
			Prediction: report.Above(EnrichMin), Reference: &report.Quantity{Name: "isotropic noise (SGLD)", Value: 1}})
	}
	for _, k := range ShareK {
		if v, ok := sm.NoiseShareTopK[key(k)]; ok {
			low.Details = append(low.Details, report.Quantity{Name: fmt.Sprintf("noise share, top %d (k/P %.3g)", k, sm.NoiseShareIsotropic[key(k)]), Value: v})
		}
	}
	for _, k := range ShareK {
		if v, ok := sm.DisplacementShareTopKSGD[key(k)]; ok {
			low.Details = append(low.Details, report.Quantity{Name: fmt.Sprintf("share of SGD's displacement about the %s in the top %d (SGLD %.3g)", centerName(r.Settings.Center), k, sm.DisplacementShareTopKSGLD[key(k)]), Value: v})
		}
	}
	low.Judge()
	low.Finding = fmt.Sprintf("tr C in the top 1/5/10/40 eigendirections: %s, against k/P %s.", shares(sm.NoiseShareTopK), shares(sm.NoiseShareIsotropic))
	return []report.Claim{sgd, sgld, low}
}

func centerName(c string) string {
	if c == CenterGD {
		return "gradient-descent path"
	}
	return "θ₀"
}

// shares writes the values of m for ShareK as "a / b / c / d".
func shares(m map[string]float64) string {
	out := ""
	for _, k := range ShareK {
		if v, ok := m[fmt.Sprint(k)]; ok {
			if out != "" {
				out += " / "
			}
			out += fmt.Sprintf("%.3g", v)
		}
	}
	return out
}
