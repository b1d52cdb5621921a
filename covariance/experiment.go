package covariance

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/sgn-project/sgn/internal/atomicfile"
	"github.com/sgn-project/sgn/internal/workgroup"
	"github.com/sgn-project/sgn/model"
)

// Names of the two models of a Pair, as they appear in the figure, in
// points.csv and in progress reports.
const (
	PretrainedName = "pretrained"
	RandomName     = "random"
)

// Pair is the experiment of Xie et al. (2021, Fig. 2): the same comparison
// of C with H/B at a trained model, where the theory expects C ≈ H/B, and at
// a random initialisation of the same architecture, where it expects a much
// weaker agreement.
type Pair struct {
	// Pretrained and Random are the analyses of both models.
	Pretrained *Analysis
	Random     *Analysis
	// RandomModel is the random model: the pretrained model's configuration
	// initialised with the seed given to AnalyzePair.
	RandomModel *model.MLP
}

// AnalyzePair builds the random model (pre's configuration, initialised with
// randomSeed) and analyses both models on the samples b with the options o,
// each with o.Workers goroutines: in ModeFull concurrently (the analyses are
// independent and the dense eigensolver is single-threaded), in ModeMatFree
// one after the other (their passes use every worker; memory is one
// model's); results do not depend on the scheduling. progress, if not nil, is called from the analyses'
// goroutines, one call at a time, with the fraction of the whole work done
// (each model's share by Stage.Share) and the stage of each model,
// e.g. "pretrained: Hessian, random: eigendecomposition". o.Progress is
// ignored. Options that need more than o.MaxMemory (CheckMemory) are refused
// with a *memlimit.Error before anything is allocated.
func AnalyzePair(pre *model.MLP, b model.Batch, randomSeed uint64, o Options, progress func(fraction float64, status string)) (*Pair, error) {
	return analyzePair(pre, b, randomSeed, o, progress, nil)
}

// analyzePair is AnalyzePair calling pretrainedDone, if not nil, with the
// pretrained model's analysis as soon as it is finished (before the random
// model's in ModeMatFree); an error of pretrainedDone is the pair's.
func analyzePair(pre *model.MLP, b model.Batch, randomSeed uint64, o Options, progress func(fraction float64, status string), pretrainedDone func(*Analysis) error) (*Pair, error) {
	if pre == nil {
		return nil, errors.New("nil pretrained model")
	}
	if err := o.CheckMemory(pre.Layers, pre.Activation, b.N()); err != nil {
		return nil, err
	}
	rc := pre.Config
	rc.Seed = randomSeed
	rnd, err := model.NewMax(rc, pre.NumParams()) // the same size as pre, which exists
	if err != nil {
		return nil, fmt.Errorf("random model: %w", err)
	}
	names := []string{PretrainedName, RandomName}
	models := []*model.MLP{pre, rnd}
	results := make([]*Analysis, 2)
	errs := make([]error, 2)
	prog := newPairProgress(names, progress)
	mode := o.ResolveMode(pre.NumParams())
	run := func(i int) {
		oi := o
		oi.Progress = func(stage Stage, done, total int) { prog.update(i, stage, done, total) }
		errs[i] = workgroup.Call("analysis", func() (err error) {
			if results[i], err = Analyze(models[i], b, oi); err != nil {
				return err
			}
			if i == 0 && pretrainedDone != nil {
				if err := pretrainedDone(results[i]); err != nil {
					return fmt.Errorf("saving its analysis: %w", err)
				}
			}
			return nil
		})
	}
	if mode == ModeMatFree {
		for i := range models {
			if run(i); errs[i] != nil {
				break
			}
		}
	} else {
		var wg sync.WaitGroup
		for i := range models {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				run(i)
			}(i)
		}
		wg.Wait()
	}
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("%s model: %w", names[i], err)
		}
	}
	return &Pair{Pretrained: results[0], Random: results[1], RandomModel: rnd}, nil
}

// pairProgress merges the progress of the two concurrent analyses into one
// fraction and one status line.
type pairProgress struct {
	mu    sync.Mutex
	names []string
	frac  []float64
	stage []Stage
	fn    func(float64, string)
}

func newPairProgress(names []string, fn func(float64, string)) *pairProgress {
	return &pairProgress{names: names, frac: make([]float64, len(names)), stage: make([]Stage, len(names)), fn: fn}
}

func (c *pairProgress) update(i int, stage Stage, done, total int) {
	if c.fn == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	from, to := stage.Share()
	f := from
	if total > 0 {
		f += (to - from) * float64(done) / float64(total)
	}
	c.frac[i], c.stage[i] = max(c.frac[i], f), stage
	var sum float64
	parts := make([]string, len(c.frac))
	for k := range c.frac {
		sum += c.frac[k]
		parts[k] = c.names[k] + ": " + string(c.stage[k])
	}
	c.fn(sum/float64(len(c.frac)), strings.Join(parts, ", "))
}

// Headline is the headline of one model's analysis: the numbers of the
// first batch size, flat, then the full analysis. It marshals to the
// snake_case keys of covariance.json.
type Headline struct {
	NumParams   int      `json:"num_params"`
	NumSamples  int      `json:"num_samples"`
	BatchSize   int      `json:"batch_size"`
	Selected    int      `json:"selected"`
	LogLogSlope *float64 `json:"loglog_slope"`
	// SlopeCI95 is the slope's 95% interval (LogLogFit.SlopeCI95) and
	// FitDecades the span of λ/B fitted.
	SlopeCI95       *[2]float64 `json:"loglog_slope_ci95"`
	FitDecades      *float64    `json:"fit_decades"`
	LogLogIntercept *float64    `json:"loglog_intercept"`
	PearsonR        *float64    `json:"pearson_r"`
	MedianRatio     float64     `json:"median_ratio"`
	// Fisher is the split of the median ratio into its links through the
	// model Fisher, Intervals the bootstrap intervals (Comparison).
	Fisher       *FisherLinks `json:"fisher,omitempty"`
	Intervals    *Intervals   `json:"intervals,omitempty"`
	RelFrobenius *float64     `json:"rel_frobenius"`
	TopRatios    []float64    `json:"top_ratios"`
	OffdiagRatio float64      `json:"offdiag_ratio"`
	TraceSigma   float64      `json:"trace_sigma"`
	BSimple      *float64     `json:"b_simple"`
	Loss         float64      `json:"loss"`
	Accuracy     float64      `json:"accuracy"`
	Agrees       bool         `json:"agrees"`
	Verdict      string       `json:"verdict"`
	Warnings     []string     `json:"warnings,omitempty"`

	Analysis *Analysis `json:"analysis"`
}

// NewHeadline flattens the numbers of r's first batch size.
func NewHeadline(r *Analysis) Headline {
	c := r.Comparisons[0]
	h := Headline{
		NumParams: r.NumParams, NumSamples: r.NumSamples, BatchSize: c.BatchSize, Selected: c.Selected,
		MedianRatio: c.MedianRatio, Fisher: c.Fisher, Intervals: c.Intervals, RelFrobenius: r.RelFrobenius, TopRatios: c.TopRatios, OffdiagRatio: c.OffdiagRatio,
		TraceSigma: r.TraceSigma, BSimple: r.BSimple, Loss: r.Loss, Accuracy: r.Accuracy,
		Agrees: c.Agrees(), Verdict: r.Verdict(), Warnings: c.Warnings, Analysis: r,
	}
	if c.Fit != nil {
		s, i, pr, ci, dec := c.Fit.Slope, c.Fit.Intercept, c.Fit.R, c.Fit.SlopeCI95, c.Fit.Decades
		h.LogLogSlope, h.LogLogIntercept, h.PearsonR, h.SlopeCI95, h.FitDecades = &s, &i, &pr, &ci, &dec
	}
	return h
}

// Verdict compares what was measured with what the theory expects:
// agreement with C = H/B at the pretrained model (by Comparison.Agrees),
// much weaker agreement at the random one.
func (p *Pair) Verdict() string {
	pre, rnd := NewHeadline(p.Pretrained), NewHeadline(p.Random)
	switch {
	case pre.PearsonR == nil:
		return "undecided: too few eigenvalues of the pretrained model in the window for a fit"
	case !pre.Agrees:
		return "the measurement does NOT support C = H/B at the pretrained model: " + pre.Verdict
	case rnd.PearsonR == nil:
		return "the pretrained model agrees with C = H/B; the random model has too few eigenvalues in the window for a fit"
	case rnd.Agrees:
		return "the pretrained model agrees with C = H/B, but so does the random one, where the theory expects a much weaker agreement away from a minimum"
	}
	return fmt.Sprintf("as the theory expects: C ≈ H/B near the minimum (pretrained: slope %.2f, r %.3f, median ratio %.2f), much weaker at random initialisation (slope %.2f, r %.3f, median ratio %.2f)",
		*pre.LogLogSlope, *pre.PearsonR, pre.MedianRatio, *rnd.LogLogSlope, *rnd.PearsonR, rnd.MedianRatio)
}

// WriteFigure draws both models (WriteFigure) into path+".png" and
// path+".svg".
func (p *Pair) WriteFigure(path string) error {
	return WriteFigure(path, []Panel{{Name: PretrainedName, Analysis: p.Pretrained}, {Name: RandomName, Analysis: p.Random}})
}

// WritePoints writes the CSV file path (atomically): every analysed
// eigenpair of both models at every batch size, with the columns model,
// batch_size, rank, lambda, lambda_over_b, c, ratio (c/(λ/B), empty when
// λ = 0), in_window and fisher_over_b (fᵢ/B = uᵢᵀFuᵢ/B for the model
// Fisher F, empty when unknown); the plotted points have in_window = 1 and
// c > 0.
func (p *Pair) WritePoints(path string) error {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write([]string{"model", "batch_size", "rank", "lambda", "lambda_over_b", "c", "ratio", "in_window", "fisher_over_b"})
	f := func(x float64) string { return strconv.FormatFloat(x, 'g', 17, 64) }
	for _, m := range []struct {
		name string
		r    *Analysis
	}{{PretrainedName, p.Pretrained}, {RandomName, p.Random}} {
		for _, c := range m.r.Comparisons {
			B := float64(c.BatchSize)
			for k, l := range m.r.Lambda {
				s := m.r.Sigma.At(k, k)
				ratio := ""
				if l != 0 {
					ratio = f(s / l)
				}
				in := "0"
				if c.Window.Contains(l) {
					in = "1"
				}
				fb := ""
				if m.r.Fisher != nil {
					fb = f(m.r.Fisher[k] / B)
				}
				w.Write([]string{m.name, strconv.Itoa(c.BatchSize), strconv.Itoa(k + 1), f(l), f(l / B), f(s / B), ratio, in, fb})
			}
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return fmt.Errorf("points %s: %w", path, err)
	}
	return atomicfile.WriteBytes(path, b.Bytes())
}
