package equilibrium

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/sgn-project/sgn/internal/atomicfile"
)

// Names of the files Write puts in its folder.
const (
	JSONFile   = "equilibrium.json"
	CSVFile    = "directions.csv"
	FigureBase = "equilibrium" // .png and .svg
)

// Write writes equilibrium.json, directions.csv and the figure
// (equilibrium.png, equilibrium.svg) into dir, each file atomically, and
// records their paths in r.Files.
func (r *Report) Write(dir string) error {
	r.Files = map[string]string{
		"json":   filepath.Join(dir, JSONFile),
		"csv":    filepath.Join(dir, CSVFile),
		"figure": filepath.Join(dir, FigureBase+".png"),
		"svg":    filepath.Join(dir, FigureBase+".svg"),
	}
	if err := r.SaveFigure(filepath.Join(dir, FigureBase)); err != nil {
		return fmt.Errorf("figure: %w", err)
	}
	r.FigureNote = strings.TrimSuffix(strings.TrimPrefix(r.leftOutNote(), "("), ")")
	if err := atomicfile.Write(r.Files["csv"], r.WriteCSV); err != nil {
		return err
	}
	js, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteBytes(r.Files["json"], append(js, '\n'))
}

// csvHeader is the header of directions.csv: the JSON names of Direction.
var csvHeader = []string{"index", "kind", "lambda", "c", "relaxation_steps", "equilibrated",
	"var_sgd", "var_sgd_lo", "var_sgd_hi", "pred_sgd_measured_c", "pred_sgd_h_over_b",
	"var_sgld", "var_sgld_lo", "var_sgld_hi", "pred_sgld",
	"mean_sgd", "drift_sgd", "mean_sgld", "drift_sgld", "grad_proj", "pred_mean"}

// WriteCSV writes the directions as a CSV table, one row per direction;
// undefined numbers are empty.
func (r *Report) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return err
	}
	f := func(x float64) string {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return ""
		}
		return strconv.FormatFloat(x, 'g', -1, 64)
	}
	for _, d := range r.Directions {
		row := []string{strconv.Itoa(d.Index), d.Kind, f(d.Lambda), f(d.C), f(float64(d.RelaxationSteps)), strconv.FormatBool(d.Equilibrated),
			f(d.VarSGD), f(float64(d.VarSGDCI95[0])), f(float64(d.VarSGDCI95[1])), f(float64(d.PredSGDMeasuredC)), f(float64(d.PredSGDHOverB)),
			f(d.VarSGLD), f(float64(d.VarSGLDCI95[0])), f(float64(d.VarSGLDCI95[1])), f(float64(d.PredSGLD)),
			f(d.MeanSGD), f(d.DriftSGD), f(d.MeanSGLD), f(d.DriftSGLD), f(d.GradProj), f(float64(d.PredMean))}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// ptrOr returns *x, or NaN for nil.
func ptrOr(x *Number) Number {
	if x == nil {
		return Number(math.NaN())
	}
	return *x
}

// WriteText writes a short human summary of the report.
func (r *Report) WriteText(w io.Writer) error {
	s, m, sm := r.Settings, r.Minimum, r.Summary
	fmt.Fprintf(w, "θ₀: P = %d, N = %d, ‖∇L(θ₀)‖ = %.3g, λmax = %.4g, tr C = %.4g (B = %d), eigenbasis %s\n",
		m.NumParams, m.NumSamples, m.GradNorm, float64(m.LambdaMax), m.TraceC, s.BatchSize, m.EigenMethod)
	if s.Descend > 0 {
		fmt.Fprintf(w, "descent: %d full-batch GD steps from the checkpoint: loss %.5g → %.5g, ‖∇L‖ %.3g → %.3g\n", s.Descend, m.LossStart, float64(ptrOr(m.Loss)), m.GradNormStart, m.GradNorm)
	}
	fmt.Fprintf(w, "dynamics: η = %g, T = %d steps after %d burn-in, every %d; SGLD D = %.4g\n", s.Eta, s.Steps, s.BurnIn, s.Every, m.SGLDD)
	fmt.Fprintf(w, "full-batch loss: θ₀ %.5g, end of SGD %.5g, end of SGLD %.5g", float64(ptrOr(m.Loss)), r.LossEnd[SGD], r.LossEnd[SGLD])
	if l, ok := r.LossEnd["gd"]; ok {
		fmt.Fprintf(w, ", end of GD %.5g (displacements measured from the GD path)", l)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "directions: %d measured, %d equilibrated (summary over these)\n", len(r.Directions), sm.DirectionsUsed)
	fmt.Fprintf(w, "median measured/predicted v: SGD (measured c) %.3f, SGD (c = λ/B) %.3f, SGLD %.3f\n",
		float64(sm.MedianRatioSGDMeasuredC), float64(sm.MedianRatioSGDHOverB), float64(sm.MedianRatioSGLD))
	fmt.Fprintf(w, "log-log slope of v against λ: SGD %.3f (C = H/B: 0; measured c: %.3f), SGLD %.3f (−1)\n",
		float64(sm.LogLogSlopeSGD), float64(sm.LogLogSlopePredSGDMeasuredC), float64(sm.LogLogSlopeSGLD))
	q := func(x Ratio) string {
		return fmt.Sprintf("%.3f [95%% %.3f–%.3f, IQR %.3f–%.3f]", float64(x.Median), float64(x.CI95[0]), float64(x.CI95[1]), float64(x.IQR[0]), float64(x.IQR[1]))
	}
	fmt.Fprintf(w, "median measured (detrended)/quasi-static v: SGD %s, SGLD %s; SGD against the Lyapunov variance at θ₀ %.3f\n",
		q(sm.RatioSGDQuasiStatic), q(sm.RatioSGLDQuasiStatic), float64(sm.RatioSGDLyapunov.Median))
	fmt.Fprintf(w, "loss drift over the run (in its standard deviations): SGD %.3g, SGLD %.3g (energy of the directions judged: %.3g, %.3g); largest relaxation time judged %.4g steps of %d\n",
		float64(sm.LossDrift), float64(sm.LossDriftSGLD), float64(sm.EnergyDriftSGD), float64(sm.EnergyDriftSGLD), float64(sm.MaxRelaxationSteps), s.Steps)
	fmt.Fprintf(w, "share of tr C in the top 1/5/10/40 eigendirections of H(θ₀): %s (k/P %s); of the displacement about the %s: SGD %s, SGLD %s\n",
		shares(sm.NoiseShareTopK), shares(sm.NoiseShareIsotropic), centerName(s.Center), shares(sm.DisplacementShareTopKSGD), shares(sm.DisplacementShareTopKSGLD))
	for _, c := range r.Regime {
		fmt.Fprintf(w, "regime: %s = %.4g (required %s): %v\n", c.Name, c.Measured, c.Required, map[bool]string{true: "ok", false: "FAILED"}[c.OK])
	}
	ld := r.LowDim
	for _, k := range []int{1, 5, 10, len(ld.K)} {
		if k <= len(ld.K) && k > 0 {
			fmt.Fprintf(w, "fraction of E‖θ−θ₀‖² in the top %d: SGD %.3g, SGLD %.3g (isotropic %.3g)\n", k, ld.FractionSGD[k-1], ld.FractionSGLD[k-1], ld.Isotropic[k-1])
		}
		if k == len(ld.K) {
			break
		}
	}
	for _, wn := range r.Warnings {
		fmt.Fprintf(w, "warning: %s\n", wn)
	}
	for _, k := range []string{"json", "csv", "figure", "svg"} {
		if p, ok := r.Files[k]; ok {
			fmt.Fprintf(w, "wrote %s\n", p)
		}
	}
	return nil
}
