package main

import (
	"errors"
	"fmt"
	"github.com/sgn-project/sgn/internal/domain"
	"path/filepath"
	"time"

	"github.com/sgn-project/sgn/covariance"
	"github.com/sgn-project/sgn/data"
	"github.com/sgn-project/sgn/internal/cli"
	"github.com/sgn-project/sgn/internal/cputime"
	"github.com/sgn-project/sgn/model"
	"github.com/sgn-project/sgn/train"
)

const covarianceExample = `sgn covariance --checkpoint out/figure-model/model.safetensors --first 2000 --batch-size 64 --out out/cvh
sgn covariance --out out/cvh                      # trains the figure preset on the spot into out/cvh/pretrained/
sgn covariance --checkpoint out/figure-model/model.safetensors --batch-size 16,64,256 --out out/cvh-b
sgn covariance --checkpoint out/mnist-model/model.safetensors --mode matfree --top-k 100 --out out/cvh-mnist`

// covFlags are the parsed flags of 'sgn covariance'.
type covFlags struct {
	input
	args                    []string
	out                     string
	set                     map[string]bool
	opt                     covariance.Options
	randomSeed              uint64
	trainFirst, trainEpochs int
	quiet                   bool
}

// parseCovarianceFlags parses and checks the flags of 'sgn covariance'.
func parseCovarianceFlags(a *app, args []string) (*covFlags, error) {
	fs := a.newFlagSet("covariance", "covariance [--checkpoint FILE] [--first N] [--batch-size B[,B…]] [flags] --out DIR", covarianceExample)
	in := inputFlags(fs, "pretrained model `file` (safetensors); without it the figure preset is trained on the spot into OUT/pretrained/", 2000, "C and H", "buffers (per-sample gradients, the Hessian's cached passes, dense H and Σ or the Lanczos basis, for both models)")
	batches := fs.String("batch-size", "64", "batch size(s) B of C = Σ/B, comma-separated, e.g. 16,64,256")
	randomSeed := fs.Uint64("init-seed", 2, "initialisation seed of the random model (same architecture)")
	cli.Deprecate(fs, a.stderr, "covariance", "random-seed", "init-seed")
	mode := fs.String("mode", string(covariance.ModeAuto), fmt.Sprintf("auto (full when P ≤ %d), full (dense H and Σ, complete eigenbasis) or matfree (top-k Lanczos, G streamed)", covariance.AutoFullMaxParams))
	topK := fs.Int("top-k", covariance.DefaultTopK, "matfree mode: number of Hessian eigenpairs from Lanczos")
	lmin := fs.Float64("lambda-min", covariance.DefaultLambdaMin, "lower end of the eigenvalue window (exclusive)")
	lmax := fs.Float64("lambda-max", covariance.DefaultLambdaMax, "upper end of the eigenvalue window (exclusive)")
	heatK := fs.Int("heatmap-k", covariance.DefaultHeatmapK, "side of the top block of UᵀCU drawn as a heat map")
	seed := fs.Uint64("seed", 1, "seed of the Lanczos start vector (matfree mode) and of the bootstrap intervals")
	trainFirst := fs.Int("train-first", 0, "without --checkpoint: train on the first `N` training images (0 = all 60,000)")
	trainEpochs := fs.Int("train-epochs", 0, "without --checkpoint: epochs of training (0 = the figure preset's)")
	o := outputFlags(fs, "the gradient and Hessian passes", "output `folder` (covariance.json, points.csv, cvh.png/.svg, pretrained.safetensors, random.safetensors)")
	if err := o.parse(fs, args); err != nil {
		return nil, err
	}
	if err := in.lim.parse(); err != nil {
		return nil, err
	}
	f := &covFlags{input: in, args: args, out: o.out, set: cli.Given(fs), randomSeed: *randomSeed, trainFirst: *trainFirst, trainEpochs: *trainEpochs, quiet: o.quiet}
	bs, err := cli.ParseSizes(*batches)
	if err != nil {
		return nil, cli.Usagef("--batch-size %q: %v", *batches, err)
	}
	md, err := covariance.ParseMode(*mode)
	if err != nil {
		return nil, cli.Usagef("--%v", err)
	}
	w := covariance.Window{Min: *lmin, Max: *lmax}
	if err := w.Validate(); err != nil {
		return nil, cli.Usagef("--lambda-min %g --lambda-max %g: %v", *lmin, *lmax, err)
	}
	if err := domain.First(cli.CheckGiven(fs, f.set, domain.PositiveInt, "top-k", "heatmap-k", "train-epochs"), cli.CheckGiven(fs, f.set, domain.AtLeastZero, "train-first"),
		cli.Only(f.set, *in.ckpt == "", "training on the spot (without --checkpoint)", "train-first", "train-epochs")); err != nil {
		return nil, err
	}
	if !f.set["lambda-min"] && !f.set["lambda-max"] {
		w = covariance.Window{} // the mode's default (covariance.Options.Window)
	}
	f.opt = covariance.Options{BatchSizes: bs, Window: w, Mode: md, TopK: *topK, HeatmapK: *heatK, Seed: *seed, Workers: o.workers, MaxMemory: in.lim.memory}
	return f, nil
}

// checkCovSelection checks the batch sizes against the samples the flags
// select (and, training on the spot, the memory of the figure preset's
// analysis) and returns the selection with the pool of the checkpoint (the
// figure preset's when training on the spot).
func checkCovSelection(f *covFlags) (data.Options, error) {
	if f.sel.File != "" && *f.ckpt == "" {
		return *f.sel, cli.Usagef("--data %s needs --checkpoint FILE: C against H/B compares a trained network with a random one of its shape, and without --checkpoint the trained one is the figure preset, trained on MNIST (train yours on the file with sgn train --data %s --layers D,…,K, or in PyTorch)", f.sel.File, f.sel.File)
	}
	fig := train.Presets()["figure"]
	so, err := selectionFor(*f.sel, f.set["first"], model.CheckpointMeta{Pool: fig.Settings.Pool, Config: model.Config{Layers: []int{49}}})
	if err != nil {
		return so, err
	}
	if err = f.opt.CheckBatches(so.NominalSize()); err == nil && *f.ckpt == "" {
		// The figure preset is trained first: its analysis must fit.
		err = f.opt.CheckMemory(fig.Model.Layers, fig.Model.Activation, so.NominalSize())
	}
	return so, libraryUsage(err, nil)
}

// loadCovPretrained loads --checkpoint, or trains the figure preset into
// OUT/pretrained.
func (a *app) loadCovPretrained(f *covFlags, mnist string) (*covariance.Pretrained, error) {
	if *f.ckpt == "" {
		return a.trainFigureModel(mnist, filepath.Join(f.out, covariance.TrainDir), f)
	}
	m, meta, err := f.lim.loadCheckpoint(*f.ckpt)
	return &covariance.Pretrained{Model: m, Meta: meta, Checkpoint: *f.ckpt, Source: meta.Source(*f.ckpt)}, err
}

// runCovariance implements 'sgn covariance': C(θ) against H(θ)/B for a
// pretrained and a random model (covariance.AnalyzePair), numbers, points
// and the figure.
func runCovariance(a *app, args []string) error {
	f, err := parseCovarianceFlags(a, args)
	if err != nil {
		return err
	}
	so, err := checkCovSelection(f)
	if err != nil {
		return err
	}
	release, err := claimOut(f.out)
	if err != nil {
		return err
	}
	defer release()
	start, cpu0 := time.Now(), cputime.Process()
	pre, err := a.loadCovPretrained(f, so.Dir)
	if err != nil {
		return err
	}
	if P := pre.Model.NumParams(); f.set["top-k"] && f.opt.TopK > P {
		return cli.Usagef("--top-k %d: the model has only P = %d parameters, so at most %d eigenpairs", f.opt.TopK, P, P)
	}
	if err := libraryUsage(f.opt.CheckMemory(pre.Model.Layers, pre.Model.Activation, so.NominalSize()), nil); err != nil {
		return err
	}
	// The samples, preprocessed as the checkpoint says.
	if so, err = selectionFor(so, true, pre.Meta); err != nil {
		return err
	}
	if err := f.lim.checkData(so); err != nil {
		return err
	}
	set, err := loadSelection(so, pre.Model, pre.Checkpoint)
	if err != nil {
		return err
	}
	prog := cli.NewProgress(a.stderr, a.isTerminal, "analysis", 1000, f.quiet)
	rep, err := covariance.Run(covariance.Job{Pretrained: pre.Model, Meta: pre.Meta, Checkpoint: pre.Checkpoint, Source: pre.Source, Training: pre.Training,
		Data: set, RandomSeed: f.randomSeed, Options: f.opt, OutDir: f.out, Version: version, Command: append([]string{"sgn", "covariance"}, f.args...),
		Start: start, StartCPU: cpu0, Progress: func(frac float64, status string) { prog.Update(int(1000*frac), status) }})
	if errors.Is(err, covariance.ErrEmptyWindow) {
		err = fmt.Errorf("%w (set --lambda-min/--lambda-max)", err)
	}
	return summarise(a, prog.Done, rep, libraryUsage(err, nil))
}

// trainFigureModel trains the figure preset into dir
// (covariance.TrainFigure, with --train-first and --train-epochs).
func (a *app) trainFigureModel(mnist, dir string, f *covFlags) (*covariance.Pretrained, error) {
	j := train.Job{MNIST: mnist, OutDir: dir, Workers: f.opt.Workers, Version: version}
	end := a.watchTraining(&j, "covariance", f.quiet, func(m *model.MLP, trainSet, _ *data.Set) string {
		return fmt.Sprintf("no --checkpoint: training the figure preset %v %s on %s into %s", m.Layers, m.Activation, trainSet.Selection, dir)
	})
	pre, err := covariance.TrainFigure(j, f.trainFirst, f.trainEpochs)
	end()
	if se := (*train.SettingError)(nil); errors.As(err, &se) && se.Field == "batch_size" {
		return nil, cli.Usagef("--train-first %d is smaller than the figure preset's batch size %d", f.trainFirst, train.Presets()["figure"].Settings.BatchSize)
	}
	return pre, trainError(err, map[string]string{"train_first": "train-first", "epochs": "train-epochs"})
}
