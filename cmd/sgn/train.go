package main

import (
	"errors"
	"flag"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/sgn-project/sgn/data"
	"github.com/sgn-project/sgn/internal/cli"
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
	maxParams                                                        *int
	lr, momentum, wd                                                 *float64
	seed, dataSeed                                                   *uint64
	quiet                                                            *bool
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
	var lim limits
	lim.paramsFlag(fs)
	f.maxParams = lim.maxParams
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
	s := j.Settings
	end := a.watchTraining(&j, "train", *f.quiet, func(m *model.MLP, trainSet, testSet *data.Set) string {
		return fmt.Sprintf("training %v %s (P = %d) on %s, test on %s, η %g, B %d, engine %s",
			m.Layers, m.Activation, m.NumParams(), trainSet.Selection, testSet.Selection, s.LR, s.BatchSize, s.Engine)
	})
	sum, err := train.Train(j)
	end()
	if err != nil {
		return trainError(err, trainFlagNames)
	}
	return sum.WriteText(a.stdout)
}

// watchTraining sets the callbacks by which j reports on stderr, unless
// quiet: the earlier run's files removed from j.OutDir (train.Train
// removes them from a fresh run's folder only once every input is read and
// checked; cmd names the command), the line say returns once the data are
// loaded, the steps with the loss. Call end when j is done.
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

// trainError names the flags (renamed, else trainFlagNames) in train's
// typed errors.
func trainError(err error, renamed map[string]string) error {
	if se := (*train.SettingError)(nil); errors.As(err, &se) {
		return optionUsage(se.Field, se.Detail, renamed)
	}
	if errors.Is(err, train.ErrFinished) {
		return fmt.Errorf("%w (raise --epochs or --steps)", err)
	}
	return err
}

// trainResumeFlags may not be given with --resume: the checkpoint fixes them.
var trainResumeFlags = []string{"preset", "layers", "activation", "init", "pool", "eta", "batch-size", "momentum", "weight-decay", "seed", "data-seed", "first", "random", "test-first", "engine", "data", "test"}

// trainJob builds the job from the flags: the checkpoint's settings for
// --resume, otherwise the preset overridden by the flags given; then it
// checks them.
func trainJob(f *trainFlags, set map[string]bool) (train.Job, error) {
	j := train.Job{MNIST: *f.mnist, OutDir: *f.out, Resume: *f.resume != "", Workers: *f.workers, Version: version}
	var err error
	if j.Resume {
		if *f.out != "" && filepath.Clean(*f.out) != filepath.Clean(*f.resume) {
			return j, cli.Usagef("--out %s and --resume %s: a resumed run writes into the folder it resumes", *f.out, *f.resume)
		}
		for _, n := range trainResumeFlags {
			if set[n] {
				return j, cli.Usagef("--%s cannot change on --resume: the settings come from the checkpoint (only --epochs and --steps may)", n)
			}
		}
		j.OutDir = *f.resume
		if *f.maxParams < 1 {
			return j, cli.Usagef("--max-params %d: want a positive number of parameters", *f.maxParams)
		}
		if j.Model, j.Settings, err = train.ResumeConfigMax(*f.resume, *f.maxParams); err != nil {
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
	s := &j.Settings
	if set["epochs"] {
		s.Epochs = *f.epochs
		if !set["steps"] {
			s.Steps = 0
		}
	}
	if set["steps"] {
		s.Steps = *f.steps
	}
	// The rule of two flags, said in their names (train.Settings.Validate
	// says it in the settings' names).
	switch {
	case set["epochs"] && s.Epochs < 0:
		return j, cli.Usagef("--epochs %d: must not be negative", s.Epochs)
	case set["steps"] && s.Steps < 0:
		return j, cli.Usagef("--steps %d: must not be negative", s.Steps)
	case (set["epochs"] || set["steps"]) && s.Epochs <= 0 && s.Steps <= 0:
		return j, cli.Usagef("--epochs %d and --steps %d: one must be positive", s.Epochs, s.Steps)
	}
	j.MaxParams = *f.maxParams
	if err := trainCheck(j.Model, *s, *f.workers, *f.maxParams); err != nil {
		return j, err
	}
	if !j.Resume {
		return j, trainCheckRows(*s)
	}
	return j, nil
}

// trainCheckRows checks --first, --random and --test-first against the
// rows the data files hold (data.CheckRows, their headers only). A resumed
// run's selection is the checkpoint's, not a flag's, and is left to the run.
func trainCheckRows(s train.Settings) error {
	if s.Data == "" {
		return nil
	}
	if err := rowsUsage(data.CheckRows(s.Data, s.TrainFirst, s.TrainRandom), "", "--data"); err != nil || s.Test == "" {
		return err
	}
	return rowsUsage(data.CheckRows(s.Test, s.TestFirst, 0), "test-", "--test")
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

// trainCheck checks the architecture (model.Config.Validate, within
// --max-params) and the settings against it and MNIST or the data file
// (train.Settings.Check), before anything is loaded; errors are usage
// errors naming the flags.
func trainCheck(mc model.Config, s train.Settings, workers, maxParams int) error {
	if err := mc.Validate(); err != nil {
		return cli.Usagef("%v", err)
	}
	if err := mc.CheckSize(maxParams); err != nil {
		return cli.Usagef("--layers: %v (raise --max-params to allow it)", err)
	}
	if err := s.Check(mc); err != nil {
		return trainError(err, trainFlagNames)
	}
	return cli.CheckWorkers(workers)
}
