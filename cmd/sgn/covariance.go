package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sgn-project/sgn/covariance"
	"github.com/sgn-project/sgn/data"
	"github.com/sgn-project/sgn/internal/atomicfile"
	"github.com/sgn-project/sgn/model"
	"github.com/sgn-project/sgn/train"
)

const covarianceExample = `sgn covariance --checkpoint out/figure-model/model.safetensors --first 2000 --batch-size 64 --out out/cvh
sgn covariance --out out/cvh                      # trains the figure preset on the spot into out/cvh/pretrained/
sgn covariance --checkpoint out/figure-model/model.safetensors --batch-size 16,64,256 --out out/cvh-b
sgn covariance --checkpoint out/mnist-model/model.safetensors --mode matfree --top-k 100 --out out/cvh-mnist`

// Names of the output files of 'sgn covariance' inside --out.
const (
	covJSONFile       = "covariance.json"
	covPointsFile     = "points.csv"
	covFigureBase     = "cvh"
	covPretrainedFile = "pretrained.safetensors"
	covRandomFile     = "random.safetensors"
	covTrainDir       = "pretrained"
)

// covModelReport is one model's entry in covariance.json: the headline
// numbers at the first batch size, flat, then the full analysis.
type covModelReport struct {
	// Checkpoint is the file in --out holding the model's parameters;
	// Source says where they come from.
	Checkpoint string       `json:"checkpoint"`
	Source     string       `json:"source"`
	Config     model.Config `json:"config"`
	Pool       int          `json:"pool"`

	NumParams       int       `json:"num_params"`
	NumSamples      int       `json:"num_samples"`
	BatchSize       int       `json:"batch_size"`
	Selected        int       `json:"selected"`
	LogLogSlope     *float64  `json:"loglog_slope"`
	LogLogIntercept *float64  `json:"loglog_intercept"`
	PearsonR        *float64  `json:"pearson_r"`
	MedianRatio     float64   `json:"median_ratio"`
	RelFrobenius    *float64  `json:"rel_frobenius"`
	TopRatios       []float64 `json:"top_ratios"`
	OffdiagRatio    float64   `json:"offdiag_ratio"`
	TraceSigma      float64   `json:"trace_sigma"`
	BSimple         *float64  `json:"b_simple"`
	Loss            float64   `json:"loss"`
	Accuracy        float64   `json:"accuracy"`
	Agrees          bool      `json:"agrees"`
	Verdict         string    `json:"verdict"`
	Warnings        []string  `json:"warnings,omitempty"`

	Analysis *covariance.Analysis `json:"analysis"`
}

// covReport is covariance.json.
type covReport struct {
	Version string `json:"version"`
	// Command is the command line that produced the file.
	Command    []string          `json:"command"`
	Data       data.Selection    `json:"data"`
	BatchSizes []int             `json:"batch_sizes"`
	Window     covariance.Window `json:"window"`
	Mode       string            `json:"mode"`
	TopK       int               `json:"top_k"`
	HeatmapK   int               `json:"heatmap_k"`
	Seeds      struct {
		RandomModel uint64 `json:"random_model"`
		Lanczos     uint64 `json:"lanczos"`
	} `json:"seeds"`
	Workers int `json:"workers"`
	// Training records the on-the-spot training (no --checkpoint).
	Training *train.Summary `json:"training,omitempty"`
	Models   struct {
		Pretrained *covModelReport `json:"pretrained"`
		Random     *covModelReport `json:"random"`
	} `json:"models"`
	// Thresholds of the per-model verdicts.
	Thresholds struct {
		SlopeTolerance float64 `json:"slope_tolerance"`
		MinPearsonR    float64 `json:"min_pearson_r"`
		RatioFactor    float64 `json:"ratio_factor"`
	} `json:"thresholds"`
	Verdict string             `json:"verdict"`
	Seconds map[string]float64 `json:"seconds"`
	Files   map[string]string  `json:"files"`
}

// runCovariance implements 'sgn covariance': C(θ) against H(θ)/B for a
// pretrained and a random model, numbers, points and the figure.
func runCovariance(a *app, args []string) error {
	fs := a.newFlagSet("covariance", "covariance [--checkpoint FILE] [--first N] [--batch-size B[,B…]] [flags] --out DIR", covarianceExample)
	ckpt := fs.String("checkpoint", "", "pretrained model `file` (safetensors); without it the figure preset is trained on the spot into OUT/pretrained/")
	sel := addSelectionFlags(fs, 2000, "C and H")
	batches := fs.String("batch-size", "64", "batch size(s) B of C = Σ/B, comma-separated, e.g. 16,64,256")
	randomSeed := fs.Uint64("random-seed", 2, "initialisation seed of the random model (same architecture)")
	mode := fs.String("mode", covariance.ModeAuto, fmt.Sprintf("auto (full when P ≤ %d), full (dense H and Σ, complete eigenbasis) or matfree (top-k Lanczos, G streamed)", covariance.AutoFullMaxParams))
	topK := fs.Int("top-k", covariance.DefaultTopK, "matfree mode: number of Hessian eigenpairs from Lanczos")
	lmin := fs.Float64("lambda-min", covariance.DefaultLambdaMin, "lower end of the eigenvalue window (exclusive)")
	lmax := fs.Float64("lambda-max", covariance.DefaultLambdaMax, "upper end of the eigenvalue window (exclusive)")
	heatK := fs.Int("heatmap-k", covariance.DefaultHeatmapK, "side of the top block of UᵀCU drawn as a heat map")
	seed := fs.Uint64("seed", 1, "seed of the Lanczos start vector (matfree mode)")
	trainFirst := fs.Int("train-first", 0, "without --checkpoint: train on the first `N` training images (0 = all 60,000)")
	trainEpochs := fs.Int("train-epochs", 0, "without --checkpoint: epochs of training (0 = the figure preset's)")
	workers := fs.Int("workers", runtime.NumCPU(), "goroutines for the gradient and Hessian passes (results do not depend on it)")
	out := fs.String("out", "", "output `folder` (covariance.json, points.csv, cvh.png/.svg, pretrained.safetensors, random.safetensors)")
	quiet := fs.Bool("quiet", false, "no progress on stderr")
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	set := flagsSet(fs)

	bs, err := parseBatchSizes(*batches)
	if err != nil {
		return usagef("--batch-size %q: %v", *batches, err)
	}
	w := covariance.Window{Min: *lmin, Max: *lmax}
	if err := w.Validate(); err != nil {
		return usagef("--lambda-min %g --lambda-max %g: %v", *lmin, *lmax, err)
	}
	switch {
	case *out == "":
		return usagef("--out DIR is required (see -h)")
	case *mode != covariance.ModeAuto && *mode != covariance.ModeFull && *mode != covariance.ModeMatFree:
		return usagef("--mode %q: expected auto, full or matfree", *mode)
	case *topK < 1:
		return usagef("--top-k %d: must be at least 1", *topK)
	case *heatK < 1:
		return usagef("--heatmap-k %d: must be at least 1", *heatK)
	case *workers < 1:
		return usagef("--workers %d: must be at least 1", *workers)
	case *trainFirst < 0 || *trainEpochs < 0:
		return usagef("--train-first and --train-epochs must not be negative")
	case *ckpt != "" && (set["train-first"] || set["train-epochs"]):
		return usagef("--train-first and --train-epochs apply only without --checkpoint (training on the spot)")
	}
	// The pool comes from the checkpoint; the figure preset's when training.
	so, err := selectionFor(*sel, set["first"], model.CheckpointMeta{Pool: train.Presets()["figure"].Settings.Pool})
	if err != nil {
		return err
	}
	n := max(so.First, so.Random)
	if n == 0 {
		n = data.TrainSize
		if so.Split == "test" {
			n = data.TestSize
		}
	}
	for _, b := range bs {
		if b > n {
			return usagef("--batch-size %d is larger than the %d samples analysed: C = Σ/B needs B ≤ N", b, n)
		}
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return fmt.Errorf("cannot create --out folder: %w", err)
	}
	if err := checkWritable(*out); err != nil {
		return err
	}
	start := time.Now()
	seconds := map[string]float64{}

	// The pretrained model: from --checkpoint, or trained on the spot.
	var (
		pre     *model.MLP
		meta    model.CheckpointMeta
		source  string
		summary *train.Summary
	)
	if *ckpt != "" {
		pre, meta, err = model.LoadCheckpoint(*ckpt)
		if err != nil {
			return err
		}
		source = *ckpt
	} else {
		pre, meta, summary, err = a.trainFigureModel(so.Dir, filepath.Join(*out, covTrainDir), *trainFirst, *trainEpochs, *workers, *quiet)
		if err != nil {
			return err
		}
		source = fmt.Sprintf("figure preset trained on the spot (%s, %d epochs) into %s", summary.TrainSelection.Description, summary.Final.Epoch, filepath.Join(*out, covTrainDir))
		seconds["train"] = round3(summary.WallSeconds)
	}

	// The samples, preprocessed as the checkpoint says.
	if so, err = selectionFor(so, true, meta); err != nil {
		return err
	}
	set2, err := loadSelection(so, pre, source)
	if err != nil {
		return err
	}
	batch := model.Batch{X: set2.X, Y: set2.Y}

	// The random model: same architecture, fresh seeded initialisation.
	rc := pre.Config
	rc.Seed = *randomSeed
	rnd, err := model.New(rc)
	if err != nil {
		return err
	}

	// Both checkpoints go to --out, so anyone can recompute the numbers.
	preFile, rndFile := filepath.Join(*out, covPretrainedFile), filepath.Join(*out, covRandomFile)
	srcFile := *ckpt
	if srcFile == "" {
		srcFile = filepath.Join(*out, covTrainDir, train.CheckpointFile)
	}
	raw, err := os.ReadFile(srcFile)
	if err != nil {
		return fmt.Errorf("cannot copy the pretrained checkpoint: %w", err)
	}
	if err := atomicfile.WriteBytes(preFile, raw); err != nil {
		return err
	}
	if err := model.SaveCheckpoint(rndFile, rnd, model.CheckpointMeta{Pool: meta.Pool, Version: version}); err != nil {
		return err
	}

	// Both analyses run at once: they are independent, and the dense
	// eigensolver is single-threaded.
	o := covariance.Options{BatchSizes: bs, Window: w, Mode: *mode, TopK: *topK, HeatmapK: *heatK, Seed: *seed, Workers: *workers}
	names := []string{"pretrained", "random"}
	models := []*model.MLP{pre, rnd}
	results := make([]*covariance.Analysis, 2)
	errs := make([]error, 2)
	prog := newCovProgress(a, *quiet, names)
	t0 := time.Now()
	var wg sync.WaitGroup
	for i := range models {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			oi := o
			oi.Progress = func(stage string, done, total int) { prog.update(i, stage, done, total) }
			results[i], errs[i] = covariance.Analyze(models[i], batch, oi)
		}(i)
	}
	wg.Wait()
	prog.done()
	for i, err := range errs {
		if err != nil {
			return fmt.Errorf("%s model: %w", names[i], err)
		}
	}
	seconds["analysis"] = round3(time.Since(t0).Seconds())

	// Files: numbers, points, figure.
	rep := &covReport{Version: version, Command: append([]string{"sgn", "covariance"}, args...), Data: set2.Selected(), BatchSizes: bs, Window: w, Mode: *mode, TopK: *topK, HeatmapK: *heatK, Workers: *workers, Training: summary, Seconds: seconds}
	rep.Seeds.RandomModel, rep.Seeds.Lanczos = *randomSeed, *seed
	rep.Thresholds.SlopeTolerance, rep.Thresholds.MinPearsonR, rep.Thresholds.RatioFactor = covariance.SlopeTolerance, covariance.MinPearsonR, covariance.RatioFactor
	rep.Models.Pretrained = newCovModelReport(results[0], pre, meta.Pool, covPretrainedFile, source)
	rep.Models.Random = newCovModelReport(results[1], rnd, meta.Pool, covRandomFile, fmt.Sprintf("random initialisation (%s, seed %d)", rc.Init, rc.Seed))
	rep.Verdict = covOverallVerdict(rep.Models.Pretrained, rep.Models.Random)
	figBase := filepath.Join(*out, covFigureBase)
	rep.Files = map[string]string{
		"figure_png": figBase + ".png", "figure_svg": figBase + ".svg", "points": filepath.Join(*out, covPointsFile),
		"pretrained": preFile, "random": rndFile,
	}
	t1 := time.Now()
	panels := []covariance.Panel{{Name: names[0], Analysis: results[0]}, {Name: names[1], Analysis: results[1]}}
	if err := covariance.WriteFigure(figBase, panels); err != nil {
		return err
	}
	if err := writeCovPoints(filepath.Join(*out, covPointsFile), names, results); err != nil {
		return err
	}
	seconds["files"] = round3(time.Since(t1).Seconds())
	seconds["total"] = round3(time.Since(start).Seconds())
	js, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.WriteBytes(filepath.Join(*out, covJSONFile), append(js, '\n')); err != nil {
		return err
	}

	// Summary.
	r0 := results[0]
	fmt.Fprintf(a.stdout, "C(θ) vs H(θ)/B on %s (N = %d), B = %s, eigenvalues in (%g, %g), mode %s, %.1f s\n",
		set2.Selection, set2.N, joinInts(bs), w.Min, w.Max, r0.Mode, seconds["total"])
	for i, r := range []*covModelReport{rep.Models.Pretrained, rep.Models.Random} {
		fmt.Fprintf(a.stdout, "%-10s P = %d, loss %.4f: %s\n", names[i], r.NumParams, r.Loss, r.Verdict)
		extra := fmt.Sprintf("           offdiag ratio %.3f, tr Σ %.4g", r.OffdiagRatio, r.TraceSigma)
		if r.RelFrobenius != nil {
			extra += fmt.Sprintf(", ‖C − H/B‖/‖H/B‖ %.3f", *r.RelFrobenius)
		}
		if r.BSimple != nil {
			extra += fmt.Sprintf(", B_simple %.4g", *r.BSimple)
		}
		fmt.Fprintln(a.stdout, extra)
		for _, wn := range r.Warnings {
			fmt.Fprintf(a.stdout, "           warning: %s\n", wn)
		}
	}
	fmt.Fprintf(a.stdout, "verdict: %s\n", rep.Verdict)
	fmt.Fprintf(a.stdout, "figure %s (and .svg)\nnumbers %s, points %s\ncheckpoints %s, %s\n",
		figBase+".png", filepath.Join(*out, covJSONFile), filepath.Join(*out, covPointsFile), preFile, rndFile)
	return nil
}

// trainFigureModel trains the figure preset into dir (train.Run) and loads
// the checkpoint it wrote.
func (a *app) trainFigureModel(mnist, dir string, first, epochs, workers int, quiet bool) (*model.MLP, model.CheckpointMeta, *train.Summary, error) {
	p := train.Presets()["figure"]
	s := p.Settings
	s.TrainFirst = first
	if epochs > 0 {
		s.Epochs, s.Steps = epochs, 0
	}
	var meta model.CheckpointMeta
	trainSet, err := data.Load(data.Options{Dir: mnist, Split: "train", Pool: s.Pool, First: s.TrainFirst})
	if err != nil {
		return nil, meta, nil, err
	}
	testSet, err := data.Load(data.Options{Dir: mnist, Split: "test", Pool: s.Pool, First: s.TestFirst})
	if err != nil {
		return nil, meta, nil, err
	}
	if s.BatchSize > trainSet.N {
		return nil, meta, nil, usagef("--train-first %d is smaller than the figure preset's batch size %d", first, s.BatchSize)
	}
	m, err := model.New(p.Model)
	if err != nil {
		return nil, meta, nil, err
	}
	if !quiet {
		fmt.Fprintf(a.stderr, "no --checkpoint: training the figure preset %v %s on %s into %s\n", p.Model.Layers, p.Model.Activation, trainSet.Selection, dir)
	}
	var prog *progress
	sum, err := train.Run(m, trainSet, testSet, train.Options{
		Settings: s, OutDir: dir, Workers: workers, Version: version,
		Progress: func(step, total int, loss float64) {
			if prog == nil {
				prog = a.newProgress("train", total, quiet)
			}
			prog.Update(step, fmt.Sprintf("loss %.4f", loss))
		},
	})
	prog.Done()
	if err != nil {
		return nil, meta, nil, err
	}
	m, meta, err = model.LoadCheckpoint(filepath.Join(dir, train.CheckpointFile))
	if err != nil {
		return nil, meta, nil, err
	}
	return m, meta, sum, nil
}

// newCovModelReport flattens the headline numbers of the first batch size.
func newCovModelReport(r *covariance.Analysis, m *model.MLP, pool int, file, source string) *covModelReport {
	c := r.Comparisons[0]
	rep := &covModelReport{
		Checkpoint: file, Source: source, Config: m.Config, Pool: pool,
		NumParams: r.NumParams, NumSamples: r.NumSamples, BatchSize: c.BatchSize, Selected: c.Selected,
		MedianRatio: c.MedianRatio, RelFrobenius: r.RelFrobenius, TopRatios: c.TopRatios, OffdiagRatio: c.OffdiagRatio,
		TraceSigma: r.TraceSigma, BSimple: r.BSimple, Loss: r.Loss, Accuracy: r.Accuracy,
		Agrees: c.Agrees(), Verdict: r.Verdict(), Warnings: c.Warnings, Analysis: r,
	}
	if c.Fit != nil {
		s, i, pr := c.Fit.Slope, c.Fit.Intercept, c.Fit.R
		rep.LogLogSlope, rep.LogLogIntercept, rep.PearsonR = &s, &i, &pr
	}
	return rep
}

// covOverallVerdict compares what was measured with what the theory
// expects: agreement at the minimum, much weaker agreement at random.
func covOverallVerdict(pre, rnd *covModelReport) string {
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

// writeCovPoints writes points.csv: every analysed eigenpair of every model
// at every batch size; the plotted points have in_window = 1 and c > 0.
func writeCovPoints(path string, names []string, results []*covariance.Analysis) error {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write([]string{"model", "batch_size", "rank", "lambda", "lambda_over_b", "c", "ratio", "in_window"})
	f := func(x float64) string { return strconv.FormatFloat(x, 'g', 17, 64) }
	for i, r := range results {
		for _, c := range r.Comparisons {
			B := float64(c.BatchSize)
			for k, l := range r.Lambda {
				s := r.Sigma.At(k, k)
				ratio := ""
				if l != 0 {
					ratio = f(s / l)
				}
				in := "0"
				if c.Window.Contains(l) {
					in = "1"
				}
				w.Write([]string{names[i], strconv.Itoa(c.BatchSize), strconv.Itoa(k + 1), f(l), f(l / B), f(s / B), ratio, in})
			}
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	return atomicfile.WriteBytes(path, b.Bytes())
}

// parseBatchSizes parses "64" or "16,64,256" into distinct positive sizes.
func parseBatchSizes(s string) ([]int, error) {
	var out []int
	seen := map[int]bool{}
	for _, p := range strings.Split(s, ",") {
		b, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil {
			return nil, fmt.Errorf("expected comma-separated positive integers, e.g. 16,64,256")
		}
		if b <= 0 {
			return nil, fmt.Errorf("batch size %d must be positive", b)
		}
		if seen[b] {
			return nil, fmt.Errorf("batch size %d is listed twice", b)
		}
		seen[b] = true
		out = append(out, b)
	}
	return out, nil
}

func joinInts(x []int) string {
	s := make([]string, len(x))
	for i, v := range x {
		s[i] = strconv.Itoa(v)
	}
	return strings.Join(s, ",")
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

// covProgress reports the two concurrent analyses as one progress line:
// each model's share is the fraction of its stages done.
type covProgress struct {
	mu    sync.Mutex
	p     *progress
	names []string
	frac  []float64
	stage []string
}

// covStage returns the share [from, to) of a model's work that a stage of
// covariance.Analyze takes, roughly as long as they last in full mode.
func covStage(stage string) [2]float64 {
	switch stage {
	case "per-sample gradients":
		return [2]float64{0, 0.05}
	case "Hessian":
		return [2]float64{0.05, 0.35}
	case "Lanczos":
		return [2]float64{0.05, 0.85}
	case "eigendecomposition":
		return [2]float64{0.35, 0.85}
	case "projection of Σ":
		return [2]float64{0.85, 0.95}
	}
	return [2]float64{0.95, 1}
}

func newCovProgress(a *app, quiet bool, names []string) *covProgress {
	return &covProgress{p: a.newProgress("analysis", 1000, quiet), names: names, frac: make([]float64, len(names)), stage: make([]string, len(names))}
}

func (c *covProgress) update(i int, stage string, done, total int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := covStage(stage)
	f := r[0]
	if total > 0 {
		f += (r[1] - r[0]) * float64(done) / float64(total)
	}
	c.frac[i], c.stage[i] = max(c.frac[i], f), stage
	var sum float64
	var parts []string
	for k := range c.frac {
		sum += c.frac[k]
		parts = append(parts, c.names[k]+": "+c.stage[k])
	}
	c.p.Update(int(1000*sum/float64(len(c.frac))), strings.Join(parts, ", "))
}

func (c *covProgress) done() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.p.Done()
}
