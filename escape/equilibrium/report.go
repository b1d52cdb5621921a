package equilibrium

import (
	"fmt"
	"math"
	"strconv"

	"github.com/sgn-project/sgn/internal/report"
	"github.com/sgn-project/sgn/internal/stats"
)

// Direction is one eigendirection uᵢ of H(θ₀) with the measured and
// predicted variances of uᵢᵀθ under SGD and SGLD.
type Direction struct {
	// Index is the rank of λᵢ among the P eigenvalues, 1 the largest.
	Index int `json:"index"`
	// Kind is "top" (one of the top-k) or "bulk" (the seeded sample).
	Kind   string  `json:"kind"`
	Lambda float64 `json:"lambda"`
	// C is cᵢ = uᵢᵀCuᵢ, C = Σ/B.
	C float64 `json:"c"`
	// RelaxationSteps is 1/(ηλᵢ) (null for λᵢ ≤ 0).
	RelaxationSteps Number `json:"relaxation_steps"`
	// Equilibrated: λᵢ > 0, ηλᵢ < 2 and the burn-in and sampled steps span
	// enough relaxation times (Settings).
	Equilibrated bool `json:"equilibrated"`

	VarSGD           float64   `json:"var_sgd"`
	VarSGDCI95       [2]Number `json:"var_sgd_ci95"`
	PredSGDMeasuredC Number    `json:"pred_sgd_measured_c"`
	PredSGDHOverB    Number    `json:"pred_sgd_h_over_b"`
	VarSGLD          float64   `json:"var_sgld"`
	VarSGLDCI95      [2]Number `json:"var_sgld_ci95"`
	PredSGLD         Number    `json:"pred_sgld"`

	// MeanSGD and MeanSGLD are the means of uᵢᵀ(θ − θ₀) over the samples;
	// DriftSGD and DriftSGLD the mean of the second half of the samples
	// minus that of the first half.
	MeanSGD   float64 `json:"mean_sgd"`
	DriftSGD  float64 `json:"drift_sgd"`
	MeanSGLD  float64 `json:"mean_sgld"`
	DriftSGLD float64 `json:"drift_sgld"`
	// GradProj is uᵢᵀ∇L(θ₀); PredMean = −GradProj/λᵢ is the offset of the
	// linearised dynamics' stationary mean from θ₀ (0 for center gd).
	GradProj float64 `json:"grad_proj"`
	PredMean Number  `json:"pred_mean"`

	// The quasi-static predictions: LambdaSGD and CSGD are λᵢ(t) =
	// uᵢᵀH(θ_t)uᵢ and cᵢ(t) = uᵢᵀC(θ_t)uᵢ averaged over the snapshots of
	// the SGD chain; PredSGDQuasiStatic is η·cᵢ(t)/(λᵢ(t)(2 − ηλᵢ(t)))
	// averaged over them (the stationary variance of the linearised
	// dynamics with the local noise and curvature), PredSGLDQuasiStatic
	// 2D/(λᵢ(t)(2 − ηλᵢ(t))) averaged over the SGLD chain's snapshots
	// (null when some λᵢ(t) leaves (0, 2/η)).
	LambdaSGD           float64 `json:"lambda_sgd_chain"`
	CSGD                float64 `json:"c_sgd_chain"`
	PredSGDQuasiStatic  Number  `json:"pred_sgd_quasi_static"`
	PredSGLDQuasiStatic Number  `json:"pred_sgld_quasi_static"`
	// VarSGDDetrended and VarSGLDDetrended are the variances of uᵢᵀθ with
	// the least-squares line in time removed (the slow drift of the valley
	// floor), with their 95% batch-means intervals.
	VarSGDDetrended      float64   `json:"var_sgd_detrended"`
	VarSGDDetrendedCI95  [2]Number `json:"var_sgd_detrended_ci95"`
	VarSGLDDetrended     float64   `json:"var_sgld_detrended"`
	VarSGLDDetrendedCI95 [2]Number `json:"var_sgld_detrended_ci95"`
}

// Ratio is a median over directions of measured/predicted variance, with
// the distribution-free 95% interval of the median (order statistics) and
// the quartiles of the ratios.
type Ratio struct {
	Median Number    `json:"median"`
	CI95   [2]Number `json:"ci95"`
	IQR    [2]Number `json:"iqr"`
	N      int       `json:"n"`
}

func ratioOf(x []float64) Ratio {
	nan := Number(math.NaN())
	r := Ratio{Median: nan, CI95: [2]Number{nan, nan}, IQR: [2]Number{nan, nan}, N: len(x)}
	if len(x) == 0 {
		return r
	}
	m, lo, hi := stats.MedianCI(x, 0.95)
	r.Median, r.CI95 = Number(m), [2]Number{Number(lo), Number(hi)}
	if q, err := stats.QuartilesOf(x); err == nil && q != nil {
		r.IQR = [2]Number{Number(q.Q1), Number(q.Q3)}
	}
	return r
}

// Summary condenses the equilibrated directions.
type Summary struct {
	// Medians over the equilibrated directions of measured/predicted vᵢ.
	MedianRatioSGDMeasuredC Number `json:"median_ratio_sgd_measured_c"`
	MedianRatioSGDHOverB    Number `json:"median_ratio_sgd_h_over_b"`
	MedianRatioSGLD         Number `json:"median_ratio_sgld"`
	// Least-squares slopes of log vᵢ against log λᵢ (C = H/B predicts 0 for
	// SGD, SGLD predicts −1); LogLogSlopePredSGDMeasuredC is the slope of
	// the measured-cᵢ prediction over the same directions.
	LogLogSlopeSGD              Number `json:"loglog_slope_sgd"`
	LogLogSlopeSGLD             Number `json:"loglog_slope_sgld"`
	LogLogSlopePredSGDMeasuredC Number `json:"loglog_slope_pred_sgd_measured_c"`
	// DirectionsUsed is the number of equilibrated directions.
	DirectionsUsed int `json:"directions_used"`
	// Drifting counts equilibrated directions whose drift exceeds half
	// their spread √vᵢ, per dynamics.
	DriftingSGD  int `json:"drifting_sgd"`
	DriftingSGLD int `json:"drifting_sgld"`

	// RatioSGDQuasiStatic is measured (detrended) vᵢ over the quasi-static
	// prediction, SGD; RatioSGDLyapunov over the discrete Lyapunov
	// variance at θ₀ with the cᵢ and λᵢ of θ₀; RatioSGLDQuasiStatic
	// SGLD's detrended vᵢ over its quasi-static prediction. Over the
	// equilibrated directions.
	RatioSGDQuasiStatic  Ratio `json:"ratio_sgd_quasi_static"`
	RatioSGDLyapunov     Ratio `json:"ratio_sgd_lyapunov"`
	RatioSGLDQuasiStatic Ratio `json:"ratio_sgld_quasi_static"`
	// LossDrift is the stationarity gate of the SGD chain: the change of
	// the least-squares line of its full-batch loss over the sampled
	// steps, in units of the loss's standard deviation about that line;
	// LossDriftSGLD the same for SGLD.
	LossDrift     Number `json:"loss_drift"`
	LossDriftSGLD Number `json:"loss_drift_sgld"`
	// EnergyDriftSGD and EnergyDriftSGLD are the same gate on the
	// quadratic energy ½Σᵢ λᵢ(uᵢᵀδ)² of the equilibrated directions alone
	// (δ the measured displacement): whether the directions judged are
	// stationary when the whole loss is not.
	EnergyDriftSGD  Number `json:"energy_drift_sgd"`
	EnergyDriftSGLD Number `json:"energy_drift_sgld"`
	// MaxRelaxationSteps is the largest 1/(ηλᵢ) of the equilibrated
	// directions, against the Steps sampled.
	MaxRelaxationSteps Number `json:"max_relaxation_steps"`
	// NoiseShareTopK is the share of tr C in the top-k eigenspace of
	// H(θ₀), Σ_{i≤k} cᵢ / tr C, for k = 1, 5, 10, 40 (those ≤ top_k);
	// NoiseShareIsotropic is k/P, the share of isotropic noise (SGLD's,
	// exactly).
	NoiseShareTopK      map[string]float64 `json:"noise_share_top_k"`
	NoiseShareIsotropic map[string]float64 `json:"noise_share_isotropic"`
	// DisplacementShareTopKSGD and …SGLD are the shares of E‖θ − θ_ref‖²
	// in the same eigenspaces, θ_ref the gradient-descent path (center gd,
	// the noise-driven displacement) or θ₀.
	DisplacementShareTopKSGD  map[string]float64 `json:"displacement_share_top_k_sgd"`
	DisplacementShareTopKSGLD map[string]float64 `json:"displacement_share_top_k_sgld"`
}

// LowDim is the fraction of E‖θ − θ_ref‖² in the top-k eigenspace of
// H(θ₀), k = 1 … K, θ_ref the gradient-descent path from θ₀ (center gd,
// the noise-driven displacement) or θ₀, and the share of the noise there.
type LowDim struct {
	K            []int     `json:"k"`
	FractionSGD  []float64 `json:"fraction_sgd"`
	FractionSGLD []float64 `json:"fraction_sgld"`
	// Isotropic is k/P, the fraction of an isotropic displacement.
	Isotropic []float64 `json:"isotropic"`
	// NoiseShare is the share of tr C in the top-k eigenspace of H(θ₀),
	// Σ_{i≤k} cᵢ / tr C (SGLD's isotropic noise: k/P).
	NoiseShare []float64 `json:"noise_share"`
	// MeanSqSGD and MeanSqSGLD are E‖θ − θ₀‖² over the samples.
	MeanSqSGD  float64 `json:"mean_sq_sgd"`
	MeanSqSGLD float64 `json:"mean_sq_sgld"`
}

// Minimum describes θ₀ and the noise there.
type Minimum struct {
	NumParams  int     `json:"num_params"`
	NumSamples int     `json:"num_samples"`
	Loss       *Number `json:"loss,omitempty"`
	// GradNorm is ‖∇L(θ₀)‖: θ₀ is rarely an exact minimum.
	GradNorm float64 `json:"grad_norm"`
	// LossStart and GradNormStart are the loss and ‖∇L‖ at the given θ
	// before the descent (Settings.Descend > 0); θ₀ is where it ended.
	LossStart     float64 `json:"loss_start,omitempty"`
	GradNormStart float64 `json:"grad_norm_start,omitempty"`
	// LambdaMaxStart is λmax of H at the given θ before the descent (by
	// Lanczos): the descent's steps of η are refused when η·λmax there is
	// at least StableBound.
	LambdaMaxStart Number `json:"lambda_max_start,omitempty"`
	// TraceC is tr C, C = Σ/B.
	TraceC float64 `json:"trace_c"`
	// EigenMethod is "full" (dense decomposition) or "lanczos" (top-k).
	EigenMethod string `json:"eigen_method"`
	LambdaMax   Number `json:"lambda_max"`
	// LambdaMin is the smallest eigenvalue (full method only).
	LambdaMin Number `json:"lambda_min"`
	// WeightDecay is the λ of the loss CE + (λ/2)‖θ‖² (set by the caller:
	// H then includes λI, C does not change).
	WeightDecay float64 `json:"weight_decay"`
	// SGLDD is the diffusion D of SGLD; SGLDDDefault reports D = η·tr C/(2P).
	SGLDD        float64 `json:"sgld_d"`
	SGLDDDefault bool    `json:"sgld_d_default"`
}

// Report is the content of equilibrium.json. Measure fills the
// measurement; the caller fills the provenance (Version, Command, Source,
// Model, Data).
type Report struct {
	Version string   `json:"version"`
	Command []string `json:"command,omitempty"`
	// Source names where θ₀ comes from (a checkpoint file).
	Source string `json:"source,omitempty"`
	// Model and Data describe the network and the sample selection.
	Model any `json:"model,omitempty"`
	Data  any `json:"data,omitempty"`

	Settings Settings `json:"settings"`
	Seeds    struct {
		SGD     uint64 `json:"sgd"`
		SGLD    uint64 `json:"sgld"`
		Bulk    uint64 `json:"bulk"`
		Lanczos uint64 `json:"lanczos"`
	} `json:"seeds"`
	Minimum Minimum `json:"minimum"`
	// Regime holds the measured checks of the regime the claims assume.
	Regime     []report.RegimeCheck `json:"regime"`
	Directions []Direction          `json:"directions"`
	Summary    Summary              `json:"summary"`
	LowDim     LowDim               `json:"low_dim"`
	// GDPathEnd is ‖θ_GD − θ₀‖ at the end of the gradient-descent path
	// (center gd): how far the noise-free dynamics moves from θ₀.
	GDPathEnd float64 `json:"gd_path_end_distance,omitempty"`
	// LossSeries is the full-batch loss along each chain ("sgd", "sgld"),
	// every LossEvery samples: the series of the stationarity gate.
	LossSeries map[string][]float64 `json:"loss_series"`
	// LossEnd is the full-batch loss at the last step of each chain ("sgd",
	// "sgld"; "gd" for the reference path of center gd), to compare with
	// minimum.loss at θ₀.
	LossEnd map[string]float64 `json:"loss_end"`
	// Samples is the number of samples of θ per dynamics.
	Samples  int      `json:"samples"`
	Warnings []string `json:"warnings"`
	// FigureNote says which directions the figure's log axes leave out
	// (λᵢ < 0, and |λᵢ| ≤ P·ε·λmax: numerically zero, degenerate), as the
	// figure's title does; empty when it draws them all.
	FigureNote string             `json:"figure_note,omitempty"`
	Seconds    map[string]float64 `json:"seconds"`
	// CPUSeconds is the process CPU time (user + system, all threads) of
	// the measurement, beside its wall time Seconds["total"].
	CPUSeconds float64           `json:"cpu_seconds"`
	Files      map[string]string `json:"files,omitempty"`
}

// analyse fills the directions, summary and low-dimensional fractions.
func (r *Report) analyse(b *basis, cs *noise, ch [2]*chain, D float64) error {
	s := r.Settings
	r.Samples = ch[0].n
	r.LossEnd = map[string]float64{SGD: ch[0].lossEnd, SGLD: ch[1].lossEnd}
	if s.Center == CenterGD {
		r.LossEnd["gd"] = ch[0].lossEndGD
	}
	var ratioM, ratioH, ratioL, lx, lyS, lyL, lyP, lyap, qsSGD, qsSGLD []float64
	maxRelax := math.NaN()
	var worst [2]struct {
		idx int
		z   float64
	}
	for i, lam := range b.lambda {
		d, sds, err := r.direction(b, cs, ch, D, i)
		if err != nil {
			return err
		}
		if d.Equilibrated {
			lyap = append(lyap, d.VarSGDDetrended/float64(d.PredSGDMeasuredC))
			if q := float64(d.PredSGDQuasiStatic); q > 0 {
				qsSGD = append(qsSGD, d.VarSGDDetrended/q)
			}
			if q := float64(d.PredSGLDQuasiStatic); q > 0 {
				qsSGLD = append(qsSGLD, d.VarSGLDDetrended/q)
			}
			if rt := float64(d.RelaxationSteps); !(rt <= maxRelax) {
				maxRelax = rt
			}
			ratioM = append(ratioM, d.VarSGD/float64(d.PredSGDMeasuredC))
			ratioH = append(ratioH, d.VarSGD/float64(d.PredSGDHOverB))
			ratioL = append(ratioL, d.VarSGLD/float64(d.PredSGLD))
			if d.VarSGD > 0 && d.VarSGLD > 0 && d.PredSGDMeasuredC > 0 {
				lx = append(lx, math.Log(lam))
				lyS = append(lyS, math.Log(d.VarSGD))
				lyL = append(lyL, math.Log(d.VarSGLD))
				lyP = append(lyP, math.Log(float64(d.PredSGDMeasuredC)))
			}
			for k, dr := range [2]float64{d.DriftSGD, d.DriftSGLD} {
				z := math.Abs(dr) / sds[k]
				if z > 0.5 {
					if k == 0 {
						r.Summary.DriftingSGD++
					} else {
						r.Summary.DriftingSGLD++
					}
					if z > worst[k].z {
						worst[k].idx, worst[k].z = d.Index, z
					}
				}
			}
		}
		r.Directions = append(r.Directions, d)
	}
	sm := &r.Summary
	sm.DirectionsUsed = len(ratioM)
	sm.MedianRatioSGDMeasuredC, sm.MedianRatioSGDHOverB, sm.MedianRatioSGLD = Number(stats.Median(ratioM)), Number(stats.Median(ratioH)), Number(stats.Median(ratioL))
	sm.LogLogSlopeSGD, sm.LogLogSlopeSGLD, sm.LogLogSlopePredSGDMeasuredC = slope(lx, lyS), slope(lx, lyL), slope(lx, lyP)
	sm.RatioSGDQuasiStatic, sm.RatioSGDLyapunov, sm.RatioSGLDQuasiStatic = ratioOf(qsSGD), ratioOf(lyap), ratioOf(qsSGLD)
	sm.MaxRelaxationSteps = Number(maxRelax)
	sm.LossDrift, sm.LossDriftSGLD = Number(lossDrift(ch[0].losses)), Number(lossDrift(ch[1].losses))
	sm.EnergyDriftSGD, sm.EnergyDriftSGLD = Number(lossDrift(energy(ch[0], r.Directions))), Number(lossDrift(energy(ch[1], r.Directions)))
	r.LossSeries = map[string][]float64{SGD: ch[0].losses, SGLD: ch[1].losses}
	sm.NoiseShareTopK, sm.NoiseShareIsotropic = noiseShares(cs.c[:b.topK], cs.traceC, r.Minimum.NumParams)

	notEq := len(r.Directions) - sm.DirectionsUsed
	if notEq > 0 {
		r.Warnings = append(r.Warnings, fmt.Sprintf("%d of %d directions have not equilibrated (λ ≤ 0, or T = %d steps < %g·1/(ηλ), or burn-in %d < %g·1/(ηλ)): reported, kept out of the summary",
			notEq, len(r.Directions), s.Steps, s.MinRelaxations, s.BurnIn, s.BurnRelaxations))
	}
	if sm.DirectionsUsed == 0 {
		r.Warnings = append(r.Warnings, "no direction has equilibrated: run more --steps or use a larger --eta")
	}
	for k, name := range [2]string{"SGD", "SGLD"} {
		cnt := []int{sm.DriftingSGD, sm.DriftingSGLD}[k]
		if cnt > 0 {
			r.Warnings = append(r.Warnings, fmt.Sprintf("%s: %d of %d equilibrated directions drift (second-half minus first-half mean) by more than half their spread √v (largest: direction %d, %.2f·√v): the valley floor moves under them (‖∇L(θ₀)‖ = %.3g; center gd measures about the gradient-descent path)",
				name, cnt, sm.DirectionsUsed, worst[k].idx, worst[k].z, r.Minimum.GradNorm))
		}
	}

	r.lowDimension(b, cs, ch)
	r.Regime = r.regimeChecks()
	return nil
}

// direction measures the direction i of the basis: its predicted
// stationary variances (Lyapunov, quasi-static) and relaxation time, and
// the variances, means and drifts of the two chains along it, with each
// chain's standard deviation √v there.
func (r *Report) direction(b *basis, cs *noise, ch [2]*chain, D float64, i int) (Direction, [2]float64, error) {
	s := r.Settings
	eta, B := s.Eta, float64(s.BatchSize)
	lam := b.lambda[i]
	nan := Number(math.NaN())
	d := Direction{Index: b.rank[i], Kind: b.kind[i], Lambda: lam, C: cs.c[i], GradProj: cs.gproj[i],
		RelaxationSteps: nan, PredSGDMeasuredC: nan, PredSGDHOverB: nan, PredSGLD: nan, PredMean: nan}
	if lam > 0 {
		d.RelaxationSteps = Number(1 / (eta * lam))
		d.PredMean = Number(-cs.gproj[i] / lam)
		if s.Center == CenterGD {
			d.PredMean = 0 // the GD path carries the mean
		}
		if eta*lam < 2 {
			den := lam * (2 - eta*lam)
			d.PredSGDMeasuredC = Number(eta * cs.c[i] / den)
			d.PredSGDHOverB = Number(eta / (B * (2 - eta*lam)))
			d.PredSGLD = Number(2 * D / den)
			tau := 1 / (eta * lam)
			d.Equilibrated = float64(s.Steps) >= s.MinRelaxations*tau && float64(s.BurnIn) >= s.BurnRelaxations*tau
		}
	}
	var sds [2]float64
	for k, c := range ch {
		x := c.col(i)
		v, err := stats.VarianceBatchMeans(x, s.Batches, 0.95)
		if err != nil {
			return d, sds, err
		}
		m, drift := meanDrift(x)
		ci := [2]Number{Number(v.Lo), Number(v.Hi)}
		if k == 0 {
			d.VarSGD, d.VarSGDCI95, d.MeanSGD, d.DriftSGD = v.Value, ci, m, drift
		} else {
			d.VarSGLD, d.VarSGLDCI95, d.MeanSGLD, d.DriftSGLD = v.Value, ci, m, drift
		}
		sds[k] = math.Sqrt(v.Value)
		vd, err := stats.VarianceBatchMeans(stats.Detrend(x), s.Batches, 0.95)
		if err != nil {
			return d, sds, err
		}
		cid := [2]Number{Number(vd.Lo), Number(vd.Hi)}
		if k == 0 {
			d.VarSGDDetrended, d.VarSGDDetrendedCI95 = vd.Value, cid
		} else {
			d.VarSGLDDetrended, d.VarSGLDDetrendedCI95 = vd.Value, cid
		}
	}
	d.LambdaSGD, d.CSGD, d.PredSGDQuasiStatic = quasiStatic(ch[0], i, eta, func(lam, c float64) float64 { return eta * c })
	_, _, d.PredSGLDQuasiStatic = quasiStatic(ch[1], i, eta, func(lam, c float64) float64 { return 2 * D })
	return d, sds, nil
}

// lowDimension fills LowDim and the displacement shares: the fraction of
// each chain's mean squared displacement in the top-k directions (the
// first topK columns, descending λ) against the noise's share and the
// isotropic k/P.
func (r *Report) lowDimension(b *basis, cs *noise, ch [2]*chain) {
	sm := &r.Summary
	ld := &r.LowDim
	for k, c := range ch {
		var total float64
		for _, q := range c.sq {
			total += q
		}
		total /= float64(c.n)
		frac := make([]float64, b.topK)
		var cum float64
		for i := range b.topK {
			var m2 float64
			for t := 0; t < c.n; t++ {
				v := c.proj[t*c.k+i]
				m2 += v * v
			}
			cum += m2 / float64(c.n)
			frac[i] = cum / total
		}
		if k == 0 {
			ld.FractionSGD, ld.MeanSqSGD = frac, total
		} else {
			ld.FractionSGLD, ld.MeanSqSGLD = frac, total
		}
	}
	var cum float64
	for k := 1; k <= b.topK; k++ {
		ld.K = append(ld.K, k)
		ld.Isotropic = append(ld.Isotropic, float64(k)/float64(r.Minimum.NumParams))
		cum += cs.c[k-1]
		ld.NoiseShare = append(ld.NoiseShare, cum/cs.traceC)
	}
	sm.DisplacementShareTopKSGD, sm.DisplacementShareTopKSGLD = map[string]float64{}, map[string]float64{}
	for _, k := range ShareK {
		if k <= b.topK {
			key := strconv.Itoa(k)
			sm.DisplacementShareTopKSGD[key], sm.DisplacementShareTopKSGLD[key] = ld.FractionSGD[k-1], ld.FractionSGLD[k-1]
		}
	}
}

// energy returns the series ½Σᵢ λᵢ(uᵢᵀδ_t)² over the equilibrated
// directions of c.
func energy(c *chain, dirs []Direction) []float64 {
	e := make([]float64, c.n)
	for i, d := range dirs {
		if !d.Equilibrated {
			continue
		}
		for t := range e {
			v := c.proj[t*c.k+i]
			e[t] += d.Lambda * v * v / 2
		}
	}
	return e
}

// ShareK are the k of the noise and displacement shares in the summary.
var ShareK = []int{1, 5, 10, 40}

// noiseShares returns Σ_{i≤k} cᵢ / tr C (c the noise variances along the
// top eigendirections of H in descending order of λ) and k/P for k in
// ShareK up to len(c).
func noiseShares(c []float64, traceC float64, P int) (share, iso map[string]float64) {
	share, iso = map[string]float64{}, map[string]float64{}
	var cum float64
	for i, v := range c {
		cum += v
		for _, k := range ShareK {
			if k == i+1 {
				share[strconv.Itoa(k)] = cum / traceC
				iso[strconv.Itoa(k)] = float64(k) / float64(P)
			}
		}
	}
	return share, iso
}

// quasiStatic returns λᵢ(t) and cᵢ(t) averaged over the snapshots of
// chain c, and the average of num(λ, c)/(λ(2 − ηλ)) over them (NaN when
// some λᵢ(t) leaves (0, 2/η) or there are no snapshots).
func quasiStatic(c *chain, i int, eta float64, num func(lam, c float64) float64) (lam, cm float64, pred Number) {
	S := len(c.snapLambda) / c.k
	if S == 0 {
		return math.NaN(), math.NaN(), Number(math.NaN())
	}
	var p float64
	for s := range S {
		l, v := c.snapLambda[s*c.k+i], c.snapC[s*c.k+i]
		lam += l / float64(S)
		cm += v / float64(S)
		if !(l > 0 && eta*l < 2) {
			p = math.NaN()
			continue
		}
		p += num(l, v) / (l * (2 - eta*l)) / float64(S)
	}
	return lam, cm, Number(p)
}

// meanDrift returns the mean of x and the mean of its second half minus
// that of its first half.
func meanDrift(x []float64) (mean, drift float64) {
	h := len(x) / 2
	var a, b float64
	for _, v := range x[:h] {
		a += v
	}
	for _, v := range x[h:] {
		b += v
	}
	mean = (a + b) / float64(len(x))
	if h > 0 {
		drift = b/float64(len(x)-h) - a/float64(h)
	}
	return mean, drift
}

// slope returns the least-squares slope of y on x (NaN with fewer than two
// distinct x).
func slope(x, y []float64) Number {
	f, err := stats.FitLine(x, y)
	if err != nil {
		return Number(math.NaN())
	}
	return Number(f.Slope)
}
