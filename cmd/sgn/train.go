package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/sgn-project/sgn/data"
	"github.com/sgn-project/sgn/model"
	"github.com/sgn-project/sgn/train"
)

const trainExample = `sgn train --preset figure --out out/figure-model
sgn train --preset mnist --out out/mnist-model
sgn train --layers 49,32,10 --activation relu --pool 4 --lr 0.05 --batch-size 32 --epochs 5 --out out/small
sgn train --resume out/figure-model --epochs 30`

// runTrain implements 'sgn train'.
func runTrain(a *app, args []string) error {
	fs := a.newFlagSet("train", "train [--preset NAME] [flags] --out DIR", trainExample)
	preset := fs.String("preset", "figure", "preset: "+strings.Join(train.PresetNames(), " or ")+"; every value can be overridden by a flag")
	layers := fs.String("layers", "", "widths, input first, e.g. 49,16,16,10 (input must be (28/pool)²)")
	activation := fs.String("activation", "", "hidden activation: relu or tanh")
	initName := fs.String("init", "", "initialisation: auto (glorot for tanh, he for relu), glorot, he or torch")
	pool := fs.Int("pool", 0, "average pooling of the 28×28 images: 1, 2 or 4")
	lr := fs.Float64("lr", 0, "learning rate η")
	batch := fs.Int("batch-size", 0, "minibatch size B")
	epochs := fs.Int("epochs", 0, "number of epochs")
	steps := fs.Int("steps", 0, "stop after this many SGD steps instead of epochs")
	momentum := fs.Float64("momentum", 0, "momentum μ (0: plain SGD, the paper's optimizer)")
	wd := fs.Float64("weight-decay", 0, "weight decay λ")
	seed := fs.Uint64("seed", 1, "seed of the initialisation")
	dataSeed := fs.Uint64("data-seed", 1, "seed of the minibatch order")
	first := fs.Int("first", 0, "train on the first N training images (0: all 60,000)")
	random := fs.Int("random", 0, "train on N training images drawn at random (seeded by --data-seed) instead of --first")
	testFirst := fs.Int("test-first", 0, "evaluate on the first N test images (0: all 10,000)")
	engine := fs.String("engine", string(train.EngineGorgonia), "gradient engine: gorgonia (the Gorgonia graph) or gonum (hand-written passes, same mathematics)")
	mnist := fs.String("mnist", "", "folder with the MNIST idx .gz files (default: $SGN_MNIST, then the copy in the binary (make build), then the GoMNIST module)")
	workers := workersFlag(fs, "evaluation")
	out := fs.String("out", "", "output folder (model.safetensors, log.jsonl, summary.json)")
	resume := fs.String("resume", "", "continue the run in this folder from its last checkpoint (settings come from the checkpoint; --epochs/--steps may be raised)")
	quiet := fs.Bool("quiet", false, "no progress on stderr")
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	set := flagsSet(fs)

	var mc model.Config
	var s train.Settings
	if *resume != "" {
		if *out != "" && filepath.Clean(*out) != filepath.Clean(*resume) {
			return usagef("--out %s and --resume %s: a resumed run writes into the folder it resumes", *out, *resume)
		}
		for _, n := range []string{"preset", "layers", "activation", "init", "pool", "lr", "batch-size", "momentum", "weight-decay", "seed", "data-seed", "first", "random", "test-first", "engine"} {
			if set[n] {
				return usagef("--%s cannot change on --resume: the settings come from the checkpoint (only --epochs and --steps may)", n)
			}
		}
		*out = *resume
		ck := filepath.Join(*resume, train.CheckpointFile)
		m, meta, err := model.LoadCheckpoint(ck)
		if err != nil {
			return fmt.Errorf("cannot resume: %w", err)
		}
		if len(meta.Training) == 0 || json.Unmarshal(meta.Training, &s) != nil {
			return fmt.Errorf("cannot resume: %s has no training settings", ck)
		}
		mc = m.Config
	} else {
		p, ok := train.Presets()[*preset]
		if !ok {
			return usagef("--preset %q: expected %s", *preset, strings.Join(train.PresetNames(), " or "))
		}
		mc, s = p.Model, p.Settings
		if set["layers"] {
			l, err := model.ParseLayers(*layers)
			if err != nil {
				return usagef("--layers: %v", err)
			}
			mc.Layers = l
			s.Preset = ""
		}
		if set["activation"] {
			mc.Activation = model.Activation(*activation)
		}
		if set["init"] {
			mc.Init = model.Init(*initName)
		}
		mc.Seed = *seed
		if set["pool"] {
			s.Pool = *pool
		}
		if set["lr"] {
			s.LR = *lr
		}
		if set["batch-size"] {
			s.BatchSize = *batch
		}
		if set["momentum"] {
			s.Momentum = *momentum
		}
		if set["weight-decay"] {
			s.WeightDecay = *wd
		}
		s.Seed = *dataSeed
		s.TrainFirst, s.TrainRandom, s.TestFirst = *first, *random, *testFirst
		s.Engine = train.Engine(*engine)
		if *out == "" {
			return usagef("--out is required (the folder for model.safetensors, log.jsonl and summary.json)")
		}
		if set["pool"] && !set["layers"] && s.Pool != 0 && s.Pool <= 28 {
			mc.Layers[0] = (28 / s.Pool) * (28 / s.Pool)
		}
	}
	if set["epochs"] {
		s.Epochs = *epochs
		if !set["steps"] {
			s.Steps = 0
		}
	}
	if set["steps"] {
		s.Steps = *steps
	}
	if s.Pool != 1 && s.Pool != 2 && s.Pool != 4 {
		return usagef("--pool %d: expected 1, 2 or 4", s.Pool)
	}
	if err := mc.Validate(); err != nil {
		return usagef("%v", err)
	}
	if want := (28 / s.Pool) * (28 / s.Pool); mc.Layers[0] != want {
		return usagef("--layers %v: the input width must be %d for --pool %d", mc.Layers, want, s.Pool)
	}
	if mc.Layers[len(mc.Layers)-1] != 10 {
		return usagef("--layers %v: the output width must be 10 (MNIST classes)", mc.Layers)
	}
	if err := s.Validate(); err != nil {
		var se *train.SettingError
		if errors.As(err, &se) {
			return usagef("--%s %s", strings.ReplaceAll(se.Field, "_", "-"), se.Detail)
		}
		return usagef("%v", err)
	}
	if err := checkWorkers(*workers); err != nil {
		return err
	}
	if s.TrainFirst < 0 || s.TestFirst < 0 || s.TrainRandom < 0 {
		return usagef("--first, --random and --test-first must not be negative")
	}
	if s.TrainFirst > 0 && s.TrainRandom > 0 {
		return usagef("--first %d and --random %d: give one of them", s.TrainFirst, s.TrainRandom)
	}

	trainSet, err := data.Load(data.Options{Dir: *mnist, Split: "train", Pool: s.Pool, First: s.TrainFirst, Random: s.TrainRandom, Seed: s.Seed})
	if err != nil {
		return err
	}
	testSet, err := data.Load(data.Options{Dir: *mnist, Split: "test", Pool: s.Pool, First: s.TestFirst})
	if err != nil {
		return err
	}
	if s.BatchSize > trainSet.N {
		return usagef("--batch-size %d is larger than the %d training images", s.BatchSize, trainSet.N)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return fmt.Errorf("cannot create --out folder: %w", err)
	}
	if err := checkWritable(*out); err != nil {
		return err
	}
	m, err := model.New(mc)
	if err != nil {
		return usagef("%v", err)
	}
	if *resume == "" {
		if _, err := os.Stat(filepath.Join(*out, train.CheckpointFile)); err == nil {
			fmt.Fprintf(a.stderr, "sgn train: %s already holds a checkpoint; it is replaced at the end of the first epoch (use --resume %s to continue it)\n", *out, *out)
		}
		os.Remove(filepath.Join(*out, train.LogFile))
	}
	if !*quiet {
		fmt.Fprintf(a.stderr, "training %v %s (P = %d) on %s, test on %s, η %g, B %d, engine %s\n",
			mc.Layers, mc.Activation, m.NumParams(), trainSet.Selection, testSet.Selection, s.LR, s.BatchSize, s.Engine)
	}
	var prog *progress
	sum, err := train.Run(m, trainSet, testSet, train.Options{
		Settings: s, OutDir: *out, Resume: *resume != "", Workers: *workers, Version: version,
		Progress: func(step, total int, loss float64) {
			if prog == nil {
				prog = a.newProgress("train", total, *quiet)
			}
			prog.Update(step, fmt.Sprintf("loss %.4f", loss))
		},
	})
	prog.Done()
	if errors.Is(err, train.ErrFinished) {
		return fmt.Errorf("%w (raise --epochs or --steps)", err)
	}
	if err != nil {
		return err
	}
	f := sum.Final
	fmt.Fprintf(a.stdout, "trained %v %s, P = %d, %d steps (%d epochs) in %.1f s, %.0f samples/s\n",
		mc.Layers, mc.Activation, sum.NumParams, sum.Steps, f.Epoch, sum.WallSeconds, sum.SamplesPerSec)
	fmt.Fprintf(a.stdout, "train loss %.4f, accuracy %.2f%%; test loss %.4f, accuracy %.2f%%\n",
		f.TrainLoss, 100*f.TrainAccuracy, f.TestLoss, 100*f.TestAccuracy)
	fmt.Fprintf(a.stdout, "checkpoint %s\nlog %s, summary %s\n", sum.Checkpoint,
		filepath.Join(*out, train.LogFile), filepath.Join(*out, train.SummaryFile))
	return nil
}

// checkWritable makes sure files can be created in dir before any long work.
func checkWritable(dir string) error {
	f, err := os.CreateTemp(dir, ".sgn-write-test-*")
	if err != nil {
		return fmt.Errorf("output folder %s is not writable: %w", dir, errors.Unwrap(err))
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}
