package main

import (
	"errors"
	"flag"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/sgn-project/sgn/data"
	"github.com/sgn-project/sgn/internal/cli"
	"github.com/sgn-project/sgn/internal/domain"
	"github.com/sgn-project/sgn/model"
	"github.com/sgn-project/sgn/train"
)

const trainExample = `sgn train --preset figure --out out/figure-model
sgn train --preset mnist --out out/mnist-model
sgn train --layers 49,32,10 --activation relu --pool 4 --eta 0.05 --batch-size 32 --epochs 5 --out out/small
sgn train --resume out/figure-model --epochs 30`

// trainFlags are the flags of 'sgn train'.
type trainFlags struct {
	preset, layers, activation, initName, engine, mnist, out, resume *string
	dataFile, testFile                                               *string
	pool, batch, epochs, steps, first, random, testFirst, workers    *int
	lr, momentum, wd                                                 *float64
	seed, dataSeed                                                   *uint64
	quiet                                                            *bool
	lim                                                              *limits
}

// trainFlagSet registers the flags of 'sgn train' into f.
func (a *app) trainFlagSet(f *trainFlags) *flag.FlagSet {
	fs := a.newFlagSet("train", "train [--preset NAME] [flags] --out DIR", trainExample)
	f.preset = fs.String("preset", "figure", "preset: "+strings.Join(train.PresetNames(), " or ")+"; every value can be overridden by a flag")
	f.layers = fs.String("layers", "", "widths, input first, e.g. 49,16,16,10 (input must be (28/pool)²)")
	f.activation = fs.String("activation", "", "hidden activation: "+strings.Join(model.ActivationNames(), ", ")+" (leaky_relu:S and elu:A set the slope and α)")
	f.initName = fs.String("init", "", "initialisation: auto (glorot for tanh, he for relu), glorot, he or torch")
	f.pool = fs.Int("pool", 0, "average pooling of the 28×28 images: 1, 2 or 4")
	f.lr = fs.Float64("eta", 0, "learning rate (step size) η")
	cli.Deprecate(fs, a.stderr, "train", "lr", "eta")
	f.batch = fs.Int("batch-size", 0, "minibatch size B")
	f.epochs = fs.Int("epochs", 0, "number of epochs")
	f.steps = fs.Int("steps", 0, "stop after this many SGD steps instead of epochs")
	f.momentum = fs.Float64("momentum", 0, "momentum μ (0: plain SGD, the paper's optimizer)")
	f.wd = fs.Float64("weight-decay", 0, "weight decay λ")
	f.seed = fs.Uint64("seed", 1, "seed of the initialisation")
	f.dataSeed = fs.Uint64("data-seed", 1, "seed of the minibatch order")
	f.first = fs.Int("first", 0, "train on the first N training images (0: all 60,000)")
	f.random = fs.Int("random", 0, "train on N training images drawn at random (seeded by --data-seed) instead of --first")
	f.testFirst = fs.Int("test-first", 0, "evaluate on the first N test images (0: all 10,000)")
	f.engine = fs.String("engine", string(train.EngineGorgonia), "gradient engine: gorgonia (the Gorgonia graph) or gonum (hand-written passes, same mathematics)")
	f.mnist = fs.String("mnist", "", "folder with the MNIST idx .gz files (default: $SGN_MNIST, then the copy in the binary (make build), then the GoMNIST module)")
	f.dataFile = fs.String("data", "", "train on the arrays x (N×d features) and y (N labels) of this safetensors or .npz `file` instead of MNIST (--first/--random select its rows)")
	f.testFile = fs.String("test", "", "with --data: evaluate on the rows of this safetensors or .npz `file` (--test-first selects them; none: no test metrics)")
	f.workers = cli.WorkersFlag(fs, "evaluation")
	f.out = fs.String("out", "", "output folder (model.safetensors, log.jsonl, summary.json)")
	f.resume = fs.String("resume", "", "continue the run in this folder from its last checkpoint (settings come from the checkpoint; --epochs/--steps may be raised)")
	f.quiet = fs.Bool("quiet", false, "no progress on stderr")
	f.lim = &limits{}
	f.lim.paramsFlag(fs)
	return fs
}

// runTrain implements 'sgn train': flags, train.Train, the summary.
func runTrain(a *app, args []string) error {
	var f trainFlags
	fs := a.trainFlagSet(&f)
	if err := cli.Parse(fs, args, false); err != nil {
		return err
	}
	j, err := trainJob(&f, cli.Given(fs))
	if err != nil {
		return err
	}
	release, err := claimOut(j.OutDir)
	if err != nil {
		return err
	}
	defer release()
	end := a.watchTraining(&j, "train", *f.quiet, func(m *model.MLP, trainSet, testSet *data.Set) string {
		return fmt.Sprintf("training %v %s (P = %d) on %s, test on %s, η %g, B %d, engine %s",
			m.Layers, m.Activation, m.NumParams(), trainSet.Selection, testSet.Selection, j.Settings.LR, j.Settings.BatchSize, j.Settings.Engine)
	})
	sum, err := train.Train(j)
	return summarise(a, end, sum, trainError(err, trainFlagNames))
}

// watchTraining reports j on stderr unless quiet: the earlier run's files
// it removes (cmd names the command), the line say returns once the data
// are loaded, the steps with the loss. Call end when j is done.
func (a *app) watchTraining(j *train.Job, cmd string, quiet bool, say func(m *model.MLP, trainSet, testSet *data.Set) string) (end func()) {
	j.Cleaned = a.removed(cmd, j.OutDir, quiet)
	j.Started = func(m *model.MLP, trainSet, testSet *data.Set) {
		if !quiet {
			fmt.Fprintln(a.stderr, say(m, trainSet, testSet))
		}
	}
	prog, end := cli.Steps(a.stderr, a.isTerminal, "train", quiet)
	j.Progress = func(step, total int, loss float64) { prog(step, total, fmt.Sprintf("loss %.4f", loss)) }
	return end
}

// trainFlagNames are the flags of sgn train whose settings' fields are
// spelled otherwise (--eta is the learning rate in every command).
var trainFlagNames = map[string]string{"lr": "eta", "train_first": "first", "train_random": "random"}

// trainError names the flags in train's typed errors (libraryUsage, with
// renamed) and says how to go on from a run that has finished.
func trainError(err error, renamed map[string]string) error {
	if errors.Is(err, train.ErrFinished) {
		return fmt.Errorf("%w (raise --epochs or --steps)", err)
	}
	return libraryUsage(err, renamed)
}

// trainResumeFlags may not be given with --resume: the checkpoint fixes them.
var trainResumeFlags = []string{"preset", "layers", "activation", "init", "pool", "eta", "batch-size", "momentum", "weight-decay", "seed", "data-seed", "first", "random", "test-first", "engine", "data", "test"}

// trainJob builds the job from the flags: the checkpoint's settings for
// --resume, otherwise the preset overridden by the flags given; then it
// checks them.
func trainJob(f *trainFlags, set map[string]bool) (train.Job, error) {
	j := train.Job{MNIST: *f.mnist, OutDir: *f.out, Resume: *f.resume != "", Workers: *f.workers, Version: version}
	err := f.lim.parse()
	if err != nil {
		return j, err
	}
	if j.Resume {
		if *f.out != "" && filepath.Clean(*f.out) != filepath.Clean(*f.resume) {
			return j, cli.Usagef("--out %s and --resume %s: a resumed run writes into the folder it resumes", *f.out, *f.resume)
		}
		if i := slices.IndexFunc(trainResumeFlags, func(n string) bool { return set[n] }); i >= 0 {
			return j, cli.Usagef("--%s cannot change on --resume: the settings come from the checkpoint (only --epochs and --steps may)", trainResumeFlags[i])
		}
		j.OutDir = *f.resume
		if j.Model, j.Settings, err = train.ResumeConfigMax(*f.resume, f.lim.params()); err != nil {
			if se := (*model.SizeError)(nil); errors.As(err, &se) {
				return j, fmt.Errorf("%w (raise --max-params to resume it)", err)
			}
			return j, err
		}
		// train.ResumeConfigMax checked the settings the checkpoint holds:
		// they are the file's fault, not a flag's.
	} else if j.Model, j.Settings, err = trainFromPreset(f, set); err != nil {
		return j, err
	}
	j.Settings = j.Settings.WithLength(ifGiven(set, "epochs", f.epochs), ifGiven(set, "steps", f.steps))
	j.MaxParams = f.lim.params()
	// The architecture and the settings against it, MNIST or the data
	// files, before anything is loaded.
	if err := j.Model.Validate(); err != nil {
		return j, cli.Usagef("%v", err)
	}
	s := j.Settings
	if err := domain.First(f.lim.checkModel(j.Model, "--layers"), trainError(s.Check(j.Model), trainFlagNames), cli.CheckWorkers(*f.workers)); err != nil || j.Resume || s.Data == "" {
		return j, err
	}
	// --first, --random and --test-first against the rows of the data files
	// (their headers only); a resumed run's selection is the checkpoint's.
	err = rowsUsage(data.CheckRows(s.Data, s.TrainFirst, s.TrainRandom), "", "--data")
	if err == nil && s.Test != "" {
		err = rowsUsage(data.CheckRows(s.Test, s.TestFirst, 0), "test-", "--test")
	}
	return j, err
}

// trainFromPreset returns the preset's architecture and settings with the
// flags given on the command line in their place (train.FromPreset).
func trainFromPreset(f *trainFlags, set map[string]bool) (model.Config, train.Settings, error) {
	switch {
	case *f.out == "":
		return model.Config{}, train.Settings{}, cli.Usagef("--out is required (the folder for model.safetensors, log.jsonl and summary.json)")
	case set["test"] && *f.dataFile == "":
		return model.Config{}, train.Settings{}, cli.Usagef("--test %s needs --data: MNIST's test split is its own (select it with --test-first)", *f.testFile)
	case *f.dataFile != "" && set["pool"]:
		return model.Config{}, train.Settings{}, cli.Usagef("--pool and --data: a data file holds its features as they are (leave --pool out)")
	case *f.dataFile != "" && set["mnist"]:
		return model.Config{}, train.Settings{}, cli.Usagef("--mnist and --data: give one source of training data")
	}
	mc, s, err := train.FromPreset(*f.preset, train.Overrides{Layers: ifGiven(set, "layers", f.layers), Activation: ifGiven(set, "activation", f.activation),
		Init: ifGiven(set, "init", f.initName), Seed: f.seed, Pool: ifGiven(set, "pool", f.pool), BatchSize: ifGiven(set, "batch-size", f.batch),
		LR: ifGiven(set, "eta", f.lr), Momentum: ifGiven(set, "momentum", f.momentum), WeightDecay: ifGiven(set, "weight-decay", f.wd),
		DataSeed: f.dataSeed, TrainFirst: f.first, TrainRandom: f.random, TestFirst: f.testFirst, Engine: f.engine, Data: *f.dataFile, Test: *f.testFile})
	return mc, s, trainError(err, trainFlagNames)
}

// ifGiven returns p when the flag name was given on the command line (set),
// else nil: the value that replaces a default only when given.
func ifGiven[T any](set map[string]bool, name string, p *T) *T {
	if set[name] {
		return p
	}
	return nil
}
