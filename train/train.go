package train

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/sgn-project/sgn/data"
	"github.com/sgn-project/sgn/internal/atomicfile"
	"github.com/sgn-project/sgn/model"
	"github.com/sgn-project/sgn/model/graph"
)

// Engine names what computes the minibatch gradient. Its value is the name
// recorded in checkpoints and summaries.
type Engine string

// Engines that compute the minibatch gradient.
const (
	// EngineGorgonia runs the Gorgonia graph (the default).
	EngineGorgonia Engine = "gorgonia"
	// EngineGonum runs the hand-written gonum forward/backward pass of the
	// model package, the same mathematics checked against Gorgonia.
	EngineGonum Engine = "gonum"
)

// engines lists the engines in the order error messages name them.
var engines = []Engine{EngineGorgonia, EngineGonum}

// EngineNames lists the names of the engines.
func EngineNames() []string {
	names := make([]string, len(engines))
	for i, e := range engines {
		names[i] = string(e)
	}
	return names
}

// ParseEngine returns the engine named s, or an error naming s and the
// engines there are.
func ParseEngine(s string) (Engine, error) {
	e := Engine(s)
	if err := e.Validate(); err != nil {
		return "", err
	}
	return e, nil
}

// Validate returns an error unless e is one of the engines.
func (e Engine) Validate() error {
	if slices.Contains(engines, e) {
		return nil
	}
	return fmt.Errorf("engine %q: expected %s", string(e), strings.Join(EngineNames(), " or "))
}

// Settings are the training hyper-parameters and data selection. They are
// recorded in every checkpoint and summary.
type Settings struct {
	Preset      string  `json:"preset,omitempty"`
	LR          float64 `json:"lr"`
	BatchSize   int     `json:"batch_size"`
	Epochs      int     `json:"epochs"`
	Steps       int     `json:"steps,omitempty"` // > 0: stop after this many steps instead
	Momentum    float64 `json:"momentum"`
	WeightDecay float64 `json:"weight_decay"`
	// Seed drives the minibatch order (the model's initialisation has its own
	// seed in model.Config).
	Seed   uint64 `json:"seed"`
	Engine Engine `json:"engine"`
	// Pool is the image pooling (1, 2 or 4); TrainFirst and TestFirst select
	// the first N images of each split (0 = all).
	Pool       int `json:"pool"`
	TrainFirst int `json:"train_first"`
	// TrainRandom > 0 trains on a random subset of that many training
	// images instead, drawn with Seed (data.Options.Random).
	TrainRandom int `json:"train_random,omitempty"`
	TestFirst   int `json:"test_first"`
	// MNIST is the digest of the MNIST files trained on (data.Set.Digest),
	// set by Run; a resumed run must read the same data.
	MNIST string `json:"mnist_sha256,omitempty"`
	// Data, if not empty, is a data file (data.Options.File) trained on in
	// place of MNIST's train split, and Test the data file of the held-out
	// rows ("" for none: the run then reports no test metrics). Pool is 0
	// with them; TrainFirst, TrainRandom and TestFirst select their rows.
	Data string `json:"data,omitempty"`
	Test string `json:"test,omitempty"`
	// DataSHA256 and TestSHA256 are the SHA-256 of the bytes of Data and
	// Test, set by Run; a resumed run must read the same files.
	DataSHA256 string `json:"data_sha256,omitempty"`
	TestSHA256 string `json:"test_sha256,omitempty"`
}

// Preset is a named architecture with its training settings.
type Preset struct {
	Model    model.Config
	Settings Settings
}

// Presets returns the built-in presets:
//   - figure: 49-16-16-10 tanh, pool 4, η 0.1, B 64, 20 epochs — the small
//     "three-layer" network whose full Hessian is cheap (P = 1,242);
//   - mnist: 784-100-10 relu, pool 1, η 0.1, B 128, 10 epochs (P = 79,510).
func Presets() map[string]Preset {
	return map[string]Preset{
		"figure": {
			Model:    model.Config{Layers: []int{49, 16, 16, 10}, Activation: model.Tanh, Init: model.InitAuto, Seed: 1},
			Settings: Settings{Preset: "figure", LR: 0.1, BatchSize: 64, Epochs: 20, Seed: 1, Engine: EngineGorgonia, Pool: 4},
		},
		"mnist": {
			Model:    model.Config{Layers: []int{784, 100, 10}, Activation: model.ReLU, Init: model.InitAuto, Seed: 1},
			Settings: Settings{Preset: "mnist", LR: 0.1, BatchSize: 128, Epochs: 10, Seed: 1, Engine: EngineGorgonia, Pool: 1},
		},
	}
}

// PresetNames returns the names of the presets, sorted.
func PresetNames() []string {
	var n []string
	for k := range Presets() {
		n = append(n, k)
	}
	sort.Strings(n)
	return n
}

// SettingError reports an invalid field of Settings. Field is the field's
// JSON name ("lr", "batch_size", "epochs", "momentum", "weight_decay",
// "engine"), Label how the message names it ("learning rate") and Detail the
// value and what is wrong with it; the message is "<label> <detail>".
type SettingError struct {
	Field, Label, Detail string
}

// Error returns "<label> <detail>", e.g. "learning rate 0: must be positive".
func (e *SettingError) Error() string { return e.Label + " " + e.Detail }

// Option returns the option's name in snake case and what is wrong with
// its value, for a caller that names the option its own way (a command's
// flag).
func (e *SettingError) Option() (field, detail string) { return e.Field, e.Detail }

// settingErr is the *SettingError of field (label in words) with the detail format
// and args.
func settingErr(field, label, format string, args ...any) error {
	return &SettingError{Field: field, Label: label, Detail: fmt.Sprintf(format, args...)}
}

// LengthError reports settings that give a run no length: Epochs and
// Steps both 0 (Validate).
type LengthError struct{}

// Error returns "epochs 0 and steps 0: one must be positive".
func (e *LengthError) Error() string { return e.Text(func(s string) string { return s }) }

// Text is Error with each setting spelled by name (a command's flag).
func (e *LengthError) Text(name func(setting string) string) string {
	return name("epochs") + " 0 and " + name("steps") + " 0: one must be positive"
}

// WithLength returns s with the length of the run given in its place (nil
// keeps s's): epochs given alone make it a run of that many epochs (a step
// count of s is dropped), steps given stop it after that many steps, as
// for a run resumed (ResumeConfig) to go on longer. Validate checks the
// result: neither negative, one of them positive.
func (s Settings) WithLength(epochs, steps *int) Settings {
	if epochs != nil {
		s.Epochs = *epochs
		if steps == nil {
			s.Steps = 0
		}
	}
	if steps != nil {
		s.Steps = *steps
	}
	return s
}

// Validate checks the settings and returns a *SettingError naming the bad
// one, or a *LengthError when neither Epochs nor Steps is positive.
func (s Settings) Validate() error {
	switch {
	case !(s.LR > 0) || math.IsInf(s.LR, 0):
		return settingErr("lr", "learning rate", "%v: must be positive", s.LR)
	case s.BatchSize <= 0:
		return settingErr("batch_size", "batch size", "%d: must be positive", s.BatchSize)
	case s.Epochs < 0:
		return settingErr("epochs", "epochs", "%d: must not be negative", s.Epochs)
	case s.Steps < 0:
		return settingErr("steps", "steps", "%d: must not be negative", s.Steps)
	case s.Epochs == 0 && s.Steps == 0:
		return &LengthError{}
	case s.Momentum < 0 || s.Momentum >= 1:
		return settingErr("momentum", "momentum", "%v: must be in [0, 1)", s.Momentum)
	case s.WeightDecay < 0:
		return settingErr("weight_decay", "weight decay", "%v: must not be negative", s.WeightDecay)
	}
	if err := s.Engine.Validate(); err != nil {
		return settingErr("engine", "engine", "%q: expected %s", string(s.Engine), strings.Join(EngineNames(), " or "))
	}
	return nil
}

// Check is Validate and the settings against the model mc and MNIST: the
// pooling is 1, 2 or 4 and gives mc's input width (28/pool)², mc has the 10
// MNIST classes as outputs, the selections are within their splits
// (data.TrainSize, data.TestSize; TrainFirst and TrainRandom not both
// given) and the batch is no larger than the training selection. It
// returns a *SettingError naming the bad field; every bound is checked
// without arithmetic that could overflow, before anything is loaded.
func (s Settings) Check(mc model.Config) error {
	if err := s.Validate(); err != nil {
		return err
	}
	if s.Data != "" {
		// The input width and the classes come from the file: Run checks
		// them against the model once the file is read.
		switch {
		case s.Pool != 0:
			return settingErr("pool", "pool", "%d: a data file holds its features as they are (want 0)", s.Pool)
		case s.Test == "" && s.TestFirst != 0:
			return settingErr("test_first", "test images", "%d: there is no test file", s.TestFirst)
		case s.TrainFirst < 0 || s.TrainRandom < 0 || s.TestFirst < 0:
			return settingErr("train_first", "training rows", "first %d, random %d, test first %d: must not be negative", s.TrainFirst, s.TrainRandom, s.TestFirst)
		case s.TrainFirst > 0 && s.TrainRandom > 0:
			return settingErr("train_random", "random training images", "%d and the first %d: give one of them", s.TrainRandom, s.TrainFirst)
		case len(mc.Layers) < 2:
			return settingErr("layers", "layers", "%v: the model has no layers", mc.Layers)
		}
		if n := max(s.TrainFirst, s.TrainRandom); n > 0 && s.BatchSize > n {
			return settingErr("batch_size", "batch size", "%d is larger than the %d training images", s.BatchSize, n)
		}
		return nil
	}
	if s.Test != "" {
		return settingErr("test", "test file", "%s: a test file needs a data file of training rows", s.Test)
	}
	switch {
	case s.Pool != 1 && s.Pool != 2 && s.Pool != 4:
		return settingErr("pool", "pool", "%d: expected 1, 2 or 4", s.Pool)
	case len(mc.Layers) < 2:
		return settingErr("pool", "pool", "%d: the model has no layers", s.Pool)
	case mc.Layers[0] != (28/s.Pool)*(28/s.Pool):
		return settingErr("pool", "pool", "%d gives %d inputs, but the input width of the model %v is %d", s.Pool, (28/s.Pool)*(28/s.Pool), mc.Layers, mc.Layers[0])
	case mc.Layers[len(mc.Layers)-1] != 10:
		return settingErr("layers", "layers", "%v: the output width must be 10 (MNIST classes)", mc.Layers)
	case s.TrainFirst < 0 || s.TrainFirst > data.TrainSize:
		return settingErr("train_first", "training images", "%d: want 0..%d (0 = all)", s.TrainFirst, data.TrainSize)
	case s.TrainRandom < 0 || s.TrainRandom > data.TrainSize:
		return settingErr("train_random", "random training images", "%d: want 0..%d (0 = none)", s.TrainRandom, data.TrainSize)
	case s.TestFirst < 0 || s.TestFirst > data.TestSize:
		return settingErr("test_first", "test images", "%d: want 0..%d (0 = all)", s.TestFirst, data.TestSize)
	case s.TrainFirst > 0 && s.TrainRandom > 0:
		return settingErr("train_random", "random training images", "%d and the first %d: give one of them", s.TrainRandom, s.TrainFirst)
	}
	n := data.TrainSize
	if s.TrainFirst > 0 || s.TrainRandom > 0 {
		n = max(s.TrainFirst, s.TrainRandom)
	}
	if s.BatchSize > n {
		return settingErr("batch_size", "batch size", "%d is larger than the %d training images", s.BatchSize, n)
	}
	return nil
}

// State is where a run stands; it is stored in each checkpoint so that a
// resumed run continues exactly.
type State struct {
	Step    int                `json:"step"`
	Epoch   int                `json:"epoch"`
	Sampler data.SamplerState  `json:"sampler"`
	Metrics map[string]float64 `json:"metrics,omitempty"`
}

// LogLine is one line of log.jsonl, written at the end of every epoch.
type LogLine struct {
	Step          int     `json:"step"`
	Epoch         int     `json:"epoch"`
	Loss          float64 `json:"loss"` // mean minibatch loss over the epoch
	TrainLoss     float64 `json:"train_loss"`
	TrainAccuracy float64 `json:"train_accuracy"`
	TestLoss      float64 `json:"test_loss"`
	TestAccuracy  float64 `json:"test_accuracy"`
	// NoTest is true when the run has no test set (a data file without a
	// test file): TestLoss and TestAccuracy are then 0 and mean nothing.
	NoTest        bool    `json:"no_test,omitempty"`
	SamplesPerSec float64 `json:"samples_per_sec"`
	// Elapsed is the wall time of this invocation (a resumed run restarts it).
	Elapsed float64 `json:"elapsed_seconds"`
}

// Summary is written to summary.json at the end of a run.
type Summary struct {
	Model          model.Config   `json:"model"`
	NumParams      int            `json:"num_params"`
	Settings       Settings       `json:"settings"`
	TrainSelection data.Selection `json:"train_selection"`
	TestSelection  data.Selection `json:"test_selection"`
	Final          LogLine        `json:"final"`
	Steps          int            `json:"steps"`
	WallSeconds    float64        `json:"wall_seconds"`
	SamplesPerSec  float64        `json:"samples_per_sec"`
	Checkpoint     string         `json:"checkpoint"`
	Resumed        bool           `json:"resumed"`
	Version        string         `json:"version"`
}

// Options configure Run.
type Options struct {
	Settings Settings
	// OutDir receives model.safetensors, log.jsonl and summary.json.
	OutDir string
	// Resume continues from OutDir/model.safetensors (its θ, step and
	// sampler state) instead of starting afresh.
	Resume bool
	// Workers used by the evaluation passes and by the Gorgonia engine's
	// minibatch chunks (the trajectory does not depend on it).
	Workers int
	// Version is recorded in the outputs.
	Version string
	// Progress, if not nil, is called after every step with the steps done,
	// the total, and the running mean loss of the epoch.
	Progress func(step, total int, loss float64)
}

// Checkpoint names inside the output folder.
const (
	CheckpointFile = "model.safetensors"
	LogFile        = "log.jsonl"
	SummaryFile    = "summary.json"
)

// ErrDiverged reports a run that diverged: a minibatch loss that became
// NaN or infinite, or finite but above DivergenceFactor times its
// reference (divergenceBound), or parameters that are no longer finite
// (their loss at the next step, or at the evaluation ending the epoch, is
// not). Errors that carry it also match model.ErrNonFinite under
// errors.Is.
var ErrDiverged error = diverged{}

// DivergenceFactor bounds the minibatch cross-entropy of a run that has not
// diverged: at most DivergenceFactor times max(L₁, log K), L₁ the first
// minibatch loss of the run (of this call of Run, after a resume) and
// log K the loss of the uniform prediction over the K classes. A
// cross-entropy a thousand times chance means logits thousands apart: the
// steps overshoot (η too large for the curvature, λmax·η ≫ 2) and the
// loss grows without returning, finite only because the softmax saturates.
const DivergenceFactor = 1e3

// divergenceBound is DivergenceFactor·max(first, log K).
func divergenceBound(first float64, classes int) float64 {
	return DivergenceFactor * math.Max(first, math.Log(float64(classes)))
}

// diverged is ErrDiverged: "training diverged", a kind of
// model.ErrNonFinite.
type diverged struct{}

func (diverged) Error() string        { return "training diverged" }
func (diverged) Is(target error) bool { return target == model.ErrNonFinite }

// ErrFinished reports a resumed run that has already done the epochs or
// steps asked for.
var ErrFinished = errors.New("nothing to do")

// Run trains m on trainSet with minibatch SGD, θ ← θ − η(v), v ← μv + g +
// λθ (PyTorch's SGD with momentum μ and weight decay λ; plain SGD when both
// are 0), drawing minibatches by shuffled epochs (the last partial batch of
// an epoch is dropped). At the end of every epoch it evaluates on the whole
// of trainSet and testSet, appends a line to log.jsonl and writes the
// checkpoint atomically. With o.Resume, m's θ and the run's state come from
// the checkpoint in o.OutDir, whose state is checked against the settings
// (an error names the file and the field).
func Run(m *model.MLP, trainSet, testSet *data.Set, o Options) (*Summary, error) {
	s := o.Settings
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if trainSet.File == "" {
		if testSet == nil || testSet.File != "" || trainSet.Digest != testSet.Digest {
			return nil, fmt.Errorf("the training and test images come from different MNIST files (SHA-256 %s and %s)", trainSet.Digest, digestOf(testSet))
		}
		s.MNIST = trainSet.Digest
	} else {
		s.DataSHA256 = trainSet.Digest
		if testSet != nil {
			s.TestSHA256 = testSet.Digest
		}
	}
	for _, set := range []*data.Set{trainSet, testSet} {
		if err := data.CheckFits(set, m.Layers); err != nil {
			return nil, err
		}
	}
	if s.BatchSize > trainSet.N {
		return nil, fmt.Errorf("batch size %d is larger than the %d training samples", s.BatchSize, trainSet.N)
	}
	if err := os.MkdirAll(o.OutDir, 0o755); err != nil {
		return nil, fmt.Errorf("cannot create output folder: %w", err)
	}
	sampler, err := data.NewEpochSampler(trainSet.N, s.BatchSize, s.Seed, true)
	if err != nil {
		return nil, err
	}
	r := &runner{m: m, o: o, s: s, ckpt: filepath.Join(o.OutDir, CheckpointFile), velocity: make([]float64, m.NumParams()),
		trainB: model.Batch{X: trainSet.X, Y: trainSet.Y}}
	if testSet != nil {
		r.testB = model.Batch{X: testSet.X, Y: testSet.Y}
	} else {
		r.noTest = true
	}
	total := s.Steps
	if total == 0 {
		total = s.Epochs * (trainSet.N / s.BatchSize) // the last partial batch is dropped
	}
	if o.Resume {
		if r.st, err = resume(r.ckpt, m, r.velocity, s); err != nil {
			return nil, err
		}
		if err := checkState(r.st, sampler.BatchesPerEpoch(), s.BatchSize); err != nil {
			return nil, fmt.Errorf("cannot resume: %s: %w", r.ckpt, err)
		}
		if err := sampler.Restore(r.st.Sampler); err != nil {
			return nil, fmt.Errorf("cannot resume: %s: state.sampler: %w", r.ckpt, err)
		}
		if err := truncateLog(filepath.Join(o.OutDir, LogFile), r.st.Step); err != nil {
			return nil, err
		}
	}
	grad := make([]float64, m.NumParams())
	eng, err := gradient(m, s, o.Workers, grad)
	if err != nil {
		return nil, err
	}
	defer eng.release()
	start := time.Now()
	last, err := r.loop(sampler, eng, grad, total, start)
	if err != nil {
		return nil, err
	}
	if last.Step == 0 {
		// A run killed after its last checkpoint but before summary.json
		// is finished but for the summary: write it from the log line of
		// that checkpoint (record appends the line before the checkpoint).
		l, ok := logLineAt(filepath.Join(o.OutDir, LogFile), r.st.Step)
		if _, err := os.Stat(filepath.Join(o.OutDir, SummaryFile)); !o.Resume || err == nil || !ok {
			return nil, fmt.Errorf("%s is already at step %d of %d: %w", r.ckpt, r.st.Step, total, ErrFinished)
		}
		last = l
	}
	sum := &Summary{
		Model: m.Config, NumParams: m.NumParams(), Settings: s,
		TrainSelection: trainSet.Selected(), TestSelection: selectedOf(testSet),
		Final: last, Steps: r.st.Step, WallSeconds: time.Since(start).Seconds(), SamplesPerSec: last.SamplesPerSec,
		Checkpoint: r.ckpt, Resumed: o.Resume, Version: o.Version,
	}
	js, _ := json.MarshalIndent(sum, "", "  ")
	if err := atomicfile.WriteBytes(filepath.Join(o.OutDir, SummaryFile), append(js, '\n')); err != nil {
		return nil, err
	}
	return sum, nil
}

// digestOf returns the digest of s, "none" for no set.
func digestOf(s *data.Set) string {
	if s == nil {
		return "none"
	}
	return s.Digest
}

// selectedOf returns the selection of s, the zero Selection for no set.
func selectedOf(s *data.Set) data.Selection {
	if s == nil {
		return data.Selection{}
	}
	return s.Selected()
}

// stepper is a training engine: run computes the minibatch loss and
// stores its gradient in the engine's buffer; split calls fn on [0, n) cut
// between the engine's workers (graph.Graph.Parallel), or whole; release
// frees the engine.
type stepper struct {
	run     func(model.Batch) (float64, error)
	split   func(n int, fn func(lo, hi int)) error
	release func()
}

// whole calls fn on all of [0, n).
func whole(n int, fn func(lo, hi int)) error { fn(0, n); return nil }

// gradient returns s's engine, which stores the gradient in grad.
func gradient(m *model.MLP, s Settings, workers int, grad []float64) (stepper, error) {
	switch s.Engine {
	case EngineGorgonia:
		gr, err := graph.New(m, s.BatchSize)
		if err != nil {
			return stepper{}, err
		}
		gr.SetWorkers(workers)
		return stepper{run: func(b model.Batch) (float64, error) { return gr.Run(b.X, b.Y, grad) },
			split: gr.Parallel, release: func() { gr.Close() }}, nil
	case EngineGonum:
		ws := m.NewWorkspace(s.BatchSize)
		return stepper{run: func(b model.Batch) (float64, error) { return m.LossGrad(ws, m.Theta, b, grad) },
			split: whole, release: func() {}}, nil
	default:
		return stepper{}, fmt.Errorf("engine %q: train.Run has no gradient for it", string(s.Engine))
	}
}

// runner is the state of a Run between steps.
type runner struct {
	m             *model.MLP
	o             Options
	s             Settings
	ckpt          string
	trainB, testB model.Batch
	noTest        bool // no test set: the log lines say so
	velocity      []float64
	st            State
}

// loop takes SGD steps until total, ending every epoch (and the run) with
// an evaluation, a log line and a checkpoint; it returns the last log line.
func (r *runner) loop(sampler *data.EpochSampler, eng stepper, grad []float64, total int, start time.Time) (LogLine, error) {
	m, s, st := r.m, r.s, &r.st
	var trainTime time.Duration
	var buf model.Batch
	var epochLoss float64
	var epochSteps int
	var last LogLine
	bound := math.NaN() // divergenceBound, from the first step's loss
	for st.Step < total {
		idx, epochEnd := sampler.Next()
		t0 := time.Now()
		var err error
		if buf, err = gather(m, r.trainB, idx, buf, eng.split); err != nil {
			return last, err
		}
		loss, err := eng.run(buf)
		if err == nil && (math.IsNaN(loss) || math.IsInf(loss, 0)) {
			err = fmt.Errorf("%w at step %d (epoch %d): minibatch loss is %v; lower the learning rate (now %v)", ErrDiverged, st.Step+1, st.Epoch+1, loss, s.LR)
		}
		if err == nil && math.IsNaN(bound) {
			bound = divergenceBound(loss, m.Layers[len(m.Layers)-1])
		}
		if err == nil && loss > bound {
			err = fmt.Errorf("%w at step %d (epoch %d): minibatch loss %.4g is above %g times max(the run's first minibatch loss, log K) = %.4g; lower the learning rate (now %v)",
				ErrDiverged, st.Step+1, st.Epoch+1, loss, DivergenceFactor, bound, s.LR)
		}
		if err != nil {
			if _, e := os.Stat(r.ckpt); e == nil {
				err = fmt.Errorf("%w; the last good checkpoint %s is kept", err, r.ckpt)
			}
			return last, err
		}
		if err := eng.split(len(grad), func(lo, hi int) { sgdStep(m.Theta, grad, r.velocity, s, lo, hi) }); err != nil {
			return last, err
		}
		trainTime += time.Since(t0)
		st.Step++
		epochLoss += loss
		epochSteps++
		if r.o.Progress != nil {
			r.o.Progress(st.Step, total, epochLoss/float64(epochSteps))
		}
		if !epochEnd && st.Step < total {
			continue
		}
		if epochEnd {
			st.Epoch++
		}
		st.Sampler = sampler.State()
		if last, err = r.record(epochLoss/float64(epochSteps), float64(epochSteps*s.BatchSize)/trainTime.Seconds(), start); err != nil {
			return last, err
		}
		epochLoss, epochSteps, trainTime = 0, 0, 0
	}
	return last, nil
}

// record evaluates θ on both sets, appends the log line and writes the
// checkpoint at the end of an epoch.
func (r *runner) record(loss, samplesPerSec float64, start time.Time) (LogLine, error) {
	m, st := r.m, &r.st
	trE, err := m.Evaluate(m.Theta, r.trainB, nil, r.o.Workers)
	if err != nil {
		return LogLine{}, fmt.Errorf("%w at step %d: %w", ErrDiverged, st.Step, err)
	}
	var teE model.Eval
	if !r.noTest {
		if teE, err = m.Evaluate(m.Theta, r.testB, nil, r.o.Workers); err != nil {
			return LogLine{}, fmt.Errorf("%w at step %d: %w", ErrDiverged, st.Step, err)
		}
	}
	line := LogLine{
		Step: st.Step, Epoch: st.Epoch, Loss: loss,
		TrainLoss: trE.Loss, TrainAccuracy: trE.Accuracy, TestLoss: teE.Loss, TestAccuracy: teE.Accuracy, NoTest: r.noTest,
		SamplesPerSec: samplesPerSec, Elapsed: time.Since(start).Seconds(),
	}
	st.Metrics = map[string]float64{"train_loss": trE.Loss, "train_accuracy": trE.Accuracy}
	if !r.noTest {
		st.Metrics["test_loss"], st.Metrics["test_accuracy"] = teE.Loss, teE.Accuracy
	}
	if err := appendLog(filepath.Join(r.o.OutDir, LogFile), line); err != nil {
		return line, err
	}
	return line, save(r.ckpt, m, r.velocity, r.s, *st, r.o.Version)
}

// sgdStep applies one step of PyTorch's SGD: g ← g + λθ; v ← μv + g (v = g
// when μ = 0); θ ← θ − ηv, on the parameters [lo, hi).
func sgdStep(theta, grad, v []float64, s Settings, lo, hi int) {
	if s.WeightDecay == 0 && s.Momentum == 0 {
		// Plain SGD, the same arithmetic without the per-element tests.
		theta, grad = theta[lo:hi], grad[lo:hi]
		for i, g := range grad {
			theta[i] -= s.LR * g
		}
		return
	}
	for i := lo; i < hi; i++ {
		g := grad[i]
		if s.WeightDecay != 0 {
			g += s.WeightDecay * theta[i]
		}
		if s.Momentum != 0 {
			v[i] = s.Momentum*v[i] + g
			g = v[i]
		}
		theta[i] -= s.LR * g
	}
}

// momentumBuffer is the checkpoint tensor of SGD's velocity, PyTorch's name.
const momentumBuffer = "optimizer.momentum_buffer"

// save writes the checkpoint: θ, the settings, the state and the metrics, and
// the momentum buffer as the extra tensor "optimizer.momentum_buffer" when
// momentum is on.
func save(path string, m *model.MLP, velocity []float64, s Settings, st State, version string) error {
	ts, _ := json.Marshal(s)
	ss, _ := json.Marshal(st)
	meta := model.CheckpointMeta{Pool: s.Pool, Training: ts, State: ss, Metrics: st.Metrics, Version: version}
	if s.Momentum != 0 {
		return model.SaveCheckpointExtra(path, m, meta, map[string][]float64{momentumBuffer: velocity})
	}
	return model.SaveCheckpoint(path, m, meta)
}

// resume loads θ, the velocity and the state from the checkpoint, checking
// that the settings that shape the trajectory are those of the checkpoint.
func resume(path string, m *model.MLP, velocity []float64, s Settings) (State, error) {
	var st State
	// m exists, so a checkpoint of its size is within the run's limit.
	cm, meta, extra, err := model.LoadCheckpointMax(path, max(model.DefaultMaxParams, m.NumParams()))
	if err != nil {
		return st, fmt.Errorf("cannot resume: %w", err)
	}
	if fmt.Sprint(cm.Config) != fmt.Sprint(m.Config) {
		return st, fmt.Errorf("cannot resume: %s holds model %+v, the run asks for %+v", path, cm.Config, m.Config)
	}
	var old Settings
	if err := json.Unmarshal(meta.Training, &old); err != nil || len(meta.State) == 0 {
		return st, fmt.Errorf("cannot resume: %s has no training state", path)
	}
	if old.MNIST != "" && old.MNIST != s.MNIST {
		return st, fmt.Errorf("cannot resume: %s was trained on MNIST files with SHA-256 %s, this run reads files with SHA-256 %s (check --mnist and SGN_MNIST)", path, old.MNIST, s.MNIST)
	}
	for _, f := range []struct{ name, old, now string }{{s.Data, old.DataSHA256, s.DataSHA256}, {s.Test, old.TestSHA256, s.TestSHA256}} {
		if f.old != f.now {
			return st, fmt.Errorf("cannot resume: %s was trained on data file %s with SHA-256 %s, the file now has SHA-256 %s", path, f.name, f.old, f.now)
		}
	}
	old.MNIST = s.MNIST // a checkpoint from before the digest was recorded
	old.Epochs, old.Steps = s.Epochs, s.Steps
	if old != s {
		return st, fmt.Errorf("cannot resume: %s was trained with %+v, the run asks for %+v (only epochs and steps may change)", path, old, s)
	}
	if err := json.Unmarshal(meta.State, &st); err != nil {
		return st, fmt.Errorf("cannot resume: %s: bad state: %w", path, err)
	}
	copy(m.Theta, cm.Theta)
	for name, v := range extra {
		switch {
		case name != momentumBuffer:
			return st, fmt.Errorf("cannot resume: %s holds an unknown optimizer tensor %s", path, name)
		case s.Momentum == 0:
			return st, fmt.Errorf("cannot resume: %s holds a momentum buffer but was trained without momentum", path)
		case len(v) != len(velocity):
			return st, fmt.Errorf("cannot resume: %s: %s has %d entries, the model has %d parameters", path, name, len(v), len(velocity))
		}
		copy(velocity, v)
	}
	if _, ok := extra[momentumBuffer]; !ok && s.Momentum != 0 && st.Step > 0 {
		return st, fmt.Errorf("cannot resume: %s has no momentum buffer", path)
	}
	return st, nil
}

// checkState returns an error naming the field of a checkpoint's state
// that no run with spe steps per epoch and batch size batch can have
// written: a negative step, an epoch other than step/spe, a sampler
// position other than the step's. It does no arithmetic that can overflow.
func checkState(st State, spe, batch int) error {
	if st.Step < 0 {
		return fmt.Errorf("state.step %d: must not be negative", st.Step)
	}
	epoch, pos := st.Step/spe, st.Step%spe*batch
	if st.Epoch != epoch {
		return fmt.Errorf("state.epoch %d: step %d at %d steps per epoch is in epoch %d", st.Epoch, st.Step, spe, epoch)
	}
	if st.Sampler.Epoch != epoch || st.Sampler.Pos != pos {
		return fmt.Errorf("state.sampler epoch %d, position %d: step %d is at epoch %d, position %d", st.Sampler.Epoch, st.Sampler.Pos, st.Step, epoch, pos)
	}
	return nil
}

// removeEarlier removes the checkpoint, log and summary of an earlier run
// from dir and returns the names of those that were there.
func removeEarlier(dir string) ([]string, error) {
	return atomicfile.RemoveStale(dir, CheckpointFile, LogFile, SummaryFile)
}

// appendLog appends one JSON line. The line is written with a single write.
func appendLog(path string, l LogLine) error {
	js, _ := json.Marshal(l)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("cannot write the log: %w", err)
	}
	if _, err := f.Write(append(js, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return f.Close()
}

// logLineAt returns the line of the log at path for step, if there is one.
func logLineAt(path string, step int) (LogLine, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return LogLine{}, false
	}
	for _, line := range bytes.Split(b, []byte("\n")) {
		var l LogLine
		if json.Unmarshal(line, &l) == nil && l.Step == step && step > 0 {
			return l, true
		}
	}
	return LogLine{}, false
}

// truncateLog keeps the lines of the log up to step (those a resumed run
// does not redo), rewriting it atomically.
func truncateLog(path string, step int) error {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var keep []byte
	for _, line := range bytes.SplitAfter(b, []byte("\n")) {
		var l LogLine
		if len(line) == 0 || line[len(line)-1] != '\n' || json.Unmarshal(line, &l) != nil || l.Step > step {
			continue
		}
		keep = append(keep, line...)
	}
	return atomicfile.WriteBytes(path, keep)
}

// gather copies the samples idx of b into dst (reusing its buffers), as
// model.MLP.Gather does, the rows cut by split between the engine's
// workers.
func gather(m *model.MLP, b model.Batch, idx []int, dst model.Batch, split func(int, func(lo, hi int)) error) (model.Batch, error) {
	D := m.InputDim()
	n := len(idx)
	if cap(dst.X) < n*D {
		dst.X = make([]float64, n*D)
	}
	if cap(dst.Y) < n {
		dst.Y = make([]int, n)
	}
	dst.X, dst.Y = dst.X[:n*D], dst.Y[:n]
	for k, i := range idx {
		dst.Y[k] = b.Y[i]
	}
	// split counts values: the rows of [lo, hi) values are those it starts.
	err := split(n*D, func(lo, hi int) {
		for k := (lo + D - 1) / D; k*D < hi; k++ {
			copy(dst.X[k*D:(k+1)*D], b.X[idx[k]*D:(idx[k]+1)*D])
		}
	})
	return dst, err
}
