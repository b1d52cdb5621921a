package sharpness

import (
	"errors"
	"fmt"
	"math"
	"os"

	"github.com/sgn-project/sgn/data"
	"github.com/sgn-project/sgn/hessian"
	"github.com/sgn-project/sgn/internal/cputime"
	"github.com/sgn-project/sgn/internal/sweep"
	"github.com/sgn-project/sgn/model"
	"github.com/sgn-project/sgn/train"
)

// Config is a sweep of training runs over BatchSizes × Etas, Runs runs per
// point. Every run starts from the same θ₀ (Model, with its seed) on the
// same data; run r of point p orders its minibatches with the seed the
// sweep derives for it, so runs of one point differ only in that order.
type Config struct {
	// Seed is the sweep seed (minibatch orders of the runs).
	Seed uint64 `json:"seed"`
	// Model is the architecture and the initialisation shared by all runs.
	Model model.Config `json:"model"`
	// Pool, TrainFirst and TestFirst select the data: the first TrainFirst
	// training images and the first TestFirst test images (0: all), pooled.
	Pool       int `json:"pool"`
	TrainFirst int `json:"train_first"`
	TestFirst  int `json:"test_first"`
	// Data, if not empty, is a data file (the arrays x and y in
	// safetensors or .npz, data.Options.File) trained on in place of
	// MNIST's train split, and Test the data file of the held-out rows
	// (required with Data: every run reports its test accuracy). Pool is
	// then unused (0); TrainFirst and TestFirst select their rows.
	Data string `json:"data,omitempty"`
	Test string `json:"test,omitempty"`
	// BatchSizes and Etas span the grid: point p is BatchSizes[p / len(Etas)]
	// with Etas[p mod len(Etas)].
	BatchSizes []int     `json:"batch_sizes"`
	Etas       []float64 `json:"etas"`
	// Epochs is every run's budget (the last partial batch of an epoch is
	// dropped, as in sgn train); with TargetTrainLoss it is the cap.
	Epochs int `json:"epochs"`
	// TargetTrainLoss > 0 makes the budget "until the mean training loss,
	// evaluated at the end of each epoch, is at most TargetTrainLoss", so
	// that every run is compared at the same loss; a run that has not
	// reached it after Epochs epochs is recorded as not reached and left out
	// of the fits.
	TargetTrainLoss float64 `json:"target_train_loss"`
	// Runs is the number of runs per point.
	Runs int `json:"runs"`
	// Engine computes the training gradients (train.EngineGorgonia by
	// default).
	Engine train.Engine `json:"engine"`
	// ExactTraceMaxParams: tr H is exact (the full Hessian) when P is at most
	// this, Hutchinson's estimate otherwise. 0 means 3000.
	ExactTraceMaxParams int `json:"exact_trace_max_params"`
	// MNIST is the identity of the MNIST files the runs train on: the hex
	// SHA-256 digest of data.Set.Digest. A config file may leave it out;
	// the sweep then records the digest of the files it loads in its
	// folder's config.json, so that a resume or a merge on other files is
	// refused (ErrOtherMNIST) instead of mixing runs on different data.
	MNIST string `json:"mnist_sha256,omitempty"`
	// DataSHA256 and TestSHA256 are, likewise, the hex SHA-256 of the data
	// files Data and Test (with data files in place of MNIST).
	DataSHA256 string `json:"data_sha256,omitempty"`
	TestSHA256 string `json:"test_sha256,omitempty"`
}

// ErrOtherMNIST is wrapped by the errors of Sweep and Experiment.Merge that
// refuse runs on MNIST files (or data files) other than those the sweep
// recorded.
var ErrOtherMNIST = errors.New("the sweep was run on other data")

// identity is what a sweep records of its data: the MNIST digest, or the
// digests of its two data files.
type identity struct{ mnist, data, test string }

// identity returns what c records of its data.
func (c Config) identity() identity { return identity{c.MNIST, c.DataSHA256, c.TestSHA256} }

// String describes the identity for an error message.
func (id identity) String() string {
	switch {
	case id.mnist != "":
		return "MNIST files with SHA-256 " + id.mnist
	case id.data != "" || id.test != "":
		return fmt.Sprintf("data files with SHA-256 %s (train) and %s (test)", id.data, id.test)
	}
	return "data not recorded (a folder of an older version)"
}

// Result is the end of one training run.
type Result struct {
	BatchSize int     `json:"batch_size"`
	Eta       float64 `json:"eta"`
	Epochs    int     `json:"epochs"`
	Steps     int     `json:"steps"`
	// ReachedTarget tells whether the run reached the target training loss
	// (always true without a target).
	ReachedTarget bool `json:"reached_target"`
	// Diverged runs (a NaN or infinite loss) have no other numbers.
	Diverged bool `json:"diverged"`
	// LambdaMax is the largest eigenvalue of the Hessian of the mean
	// training loss at the end, by Lanczos; LambdaResidual its ‖Hv − λv‖.
	LambdaMax      float64 `json:"lambda_max"`
	LambdaResidual float64 `json:"lambda_residual"`
	// Trace is tr H, exact ("exact") or Hutchinson's ("hutchinson", with its
	// standard error). For Hutchinson's, TraceConverged says whether its
	// probes reached the relative tolerance TraceTol (standard error ≤
	// TraceTol·|tr H|) or stopped at the cap of TraceSamples probes short of
	// it, and TraceRelStdErr is the relative standard error reached.
	Trace          float64 `json:"trace"`
	TraceStdErr    float64 `json:"trace_stderr"`
	TraceMethod    string  `json:"trace_method"`
	TraceConverged *bool   `json:"trace_converged,omitempty"`
	TraceRelStdErr float64 `json:"trace_rel_stderr,omitempty"`
	TraceTol       float64 `json:"trace_tol,omitempty"`
	TraceSamples   int     `json:"trace_samples,omitempty"`
	// GradNorm is ‖∇L‖ of the mean training loss at the end.
	GradNorm      float64 `json:"grad_norm"`
	TrainLoss     float64 `json:"train_loss"`
	TrainAccuracy float64 `json:"train_accuracy"`
	TestLoss      float64 `json:"test_loss"`
	TestAccuracy  float64 `json:"test_accuracy"`
}

// Kind is the sweep kind of network minima selection.
var Kind = sweep.Kind[Config, Result]{Grid: grid, Check: check}

// withDefaults returns c with its defaults filled in.
func (c Config) withDefaults() Config {
	if c.Engine == "" {
		c.Engine = train.EngineGorgonia
	}
	if c.ExactTraceMaxParams == 0 {
		c.ExactTraceMaxParams = 3000
	}
	if c.Model.Init == "" {
		c.Model.Init = model.InitAuto
	}
	return c
}

// Validate checks c and names the bad setting.
func (c Config) Validate() error {
	c = c.withDefaults()
	if err := c.Model.Validate(); err != nil {
		return fmt.Errorf("model: %w", err)
	}
	switch {
	case len(c.BatchSizes) == 0 || len(c.Etas) == 0:
		return errors.New("batch_sizes and etas: each needs at least one value")
	case c.Epochs <= 0:
		return fmt.Errorf("epochs %d: must be positive", c.Epochs)
	case c.Runs <= 0:
		return fmt.Errorf("runs %d: must be positive", c.Runs)
	case c.TrainFirst < 0 || c.TestFirst < 0:
		return fmt.Errorf("train_first %d, test_first %d: must not be negative", c.TrainFirst, c.TestFirst)
	case c.Test != "" && c.Data == "":
		return fmt.Errorf("test %s: a test file goes with a data file (data) of training rows", c.Test)
	case c.Data != "" && c.Test == "":
		return fmt.Errorf("data %s: give test, the data file of held-out rows (every run reports its test accuracy)", c.Data)
	case c.Data != "" && c.Pool != 0:
		return fmt.Errorf("pool %d: a data file holds its features as they are (want 0 with data)", c.Pool)
	case c.TargetTrainLoss < 0 || math.IsNaN(c.TargetTrainLoss) || math.IsInf(c.TargetTrainLoss, 0):
		return fmt.Errorf("target_train_loss %v: must be 0 (none) or positive", c.TargetTrainLoss)
	case c.Runs > maxRuns/(len(c.BatchSizes)*len(c.Etas)):
		return fmt.Errorf("runs %d: %d points × %d runs is more than %d runs", c.Runs, len(c.BatchSizes)*len(c.Etas), c.Runs, maxRuns)
	case c.ExactTraceMaxParams < 0:
		return fmt.Errorf("exact_trace_max_params %d: must not be negative", c.ExactTraceMaxParams)
	case c.MNIST != "" && !isDigest(c.MNIST):
		return fmt.Errorf("mnist_sha256 %q: want the 64 hex digits of a SHA-256 digest (or leave it out)", cut(c.MNIST))
	case c.DataSHA256 != "" && !isDigest(c.DataSHA256):
		return fmt.Errorf("data_sha256 %q: want the 64 hex digits of a SHA-256 digest (or leave it out)", cut(c.DataSHA256))
	case c.TestSHA256 != "" && !isDigest(c.TestSHA256):
		return fmt.Errorf("test_sha256 %q: want the 64 hex digits of a SHA-256 digest (or leave it out)", cut(c.TestSHA256))
	case c.Data != "" && c.MNIST != "":
		return errors.New("mnist_sha256 is the digest of MNIST files, and the config names data files (data, test): leave it out")
	case c.Data == "" && (c.DataSHA256 != "" || c.TestSHA256 != ""):
		return errors.New("data_sha256 and test_sha256 are the digests of data files, and the config names none (data, test): leave them out")
	}
	for _, b := range c.BatchSizes {
		if b <= 0 {
			return fmt.Errorf("batch size %d: must be positive", b)
		}
		if c.TrainFirst > 0 && b > c.TrainFirst {
			return fmt.Errorf("batch size %d is larger than the %d training images", b, c.TrainFirst)
		}
	}
	for _, e := range c.Etas {
		if !(e > 0) || math.IsInf(e, 0) {
			return fmt.Errorf("eta %v: must be positive and finite", e)
		}
	}
	return c.Engine.Validate()
}

// maxRuns bounds the runs of a sweep (points × runs): the sweep machinery
// counts them in an int, and each is a training run.
const maxRuns = 1 << 31

// isDigest reports whether s is 64 lower-case hex digits.
func isDigest(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, r := range s {
		if !('0' <= r && r <= '9' || 'a' <= r && r <= 'f') {
			return false
		}
	}
	return true
}

// cut shortens a value quoted in an error message to 80 bytes.
func cut(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

// Point returns the batch size and learning rate of point p.
func (c Config) Point(p int) (int, float64) {
	return c.BatchSizes[p/len(c.Etas)], c.Etas[p%len(c.Etas)]
}

func grid(c *Config) (sweep.Grid, string, error) {
	*c = c.withDefaults()
	if err := c.Validate(); err != nil {
		return sweep.Grid{}, "", err
	}
	h, err := sweep.ConfigHash(c)
	if err != nil {
		return sweep.Grid{}, "", err
	}
	return sweep.Grid{Points: len(c.BatchSizes) * len(c.Etas), Runs: c.Runs, Seed: c.Seed}, h, nil
}

func check(c *Config, rec sweep.Record[Result]) error {
	b, eta := c.Point(rec.Point)
	if rec.Result.BatchSize != b || rec.Result.Eta != eta {
		return fmt.Errorf("run %d of point %d records B %d, η %g; the point is B %d, η %g",
			rec.Run, rec.Point, rec.Result.BatchSize, rec.Result.Eta, b, eta)
	}
	return nil
}

// Data is the data every run of a sweep uses.
type Data struct {
	Train, Test *data.Set
}

// LoadData loads c's data selection from the MNIST folder dir ("" finds
// it as data.Load does), or from its data files (Data, Test), and checks
// that they fit c's model (data.CheckFits).
func LoadData(c Config, dir string) (*Data, error) {
	c = c.withDefaults()
	tr, err := data.Load(data.Options{Dir: dir, Split: "train", Pool: c.Pool, First: c.TrainFirst, File: c.Data})
	if err != nil {
		return nil, err
	}
	te, err := data.Load(data.Options{Dir: dir, Split: "test", Pool: c.Pool, First: c.TestFirst, File: c.Test})
	if err != nil {
		return nil, err
	}
	for _, s := range []*data.Set{tr, te} {
		if err := data.CheckFits(s, c.Model.Layers); err != nil {
			return nil, fmt.Errorf("model: %w", err)
		}
	}
	return &Data{Train: tr, Test: te}, nil
}

// RunOne trains run t of sweep c on d from θ₀ and measures the minimum it
// reached. scratch is a folder for the run's training files, removed at
// the end. The result depends on c, t.Point and t.Seed only.
func RunOne(c Config, d *Data, t sweep.Task, scratch, version string) (Result, error) {
	c = c.withDefaults()
	b, eta := c.Point(t.Point)
	res := Result{BatchSize: b, Eta: eta, Epochs: c.Epochs}
	m, err := model.New(c.Model)
	if err != nil {
		return res, err
	}
	m.Initialize(c.Model.Seed)
	dir, err := os.MkdirTemp(scratch, fmt.Sprintf(".train-p%d-r%d-*", t.Point, t.Run))
	if err != nil {
		return res, fmt.Errorf("training folder: %w", err)
	}
	defer os.RemoveAll(dir)
	s := train.Settings{LR: eta, BatchSize: b, Epochs: c.Epochs, Seed: t.Seed, Engine: c.Engine, Pool: c.Pool,
		TrainFirst: c.TrainFirst, TestFirst: c.TestFirst, Data: c.Data, Test: c.Test}
	sum, err := trainToBudget(m, d, s, c.TargetTrainLoss, dir, version)
	if errors.Is(err, train.ErrDiverged) || errors.Is(err, model.ErrNonFinite) {
		res.Diverged = true
		return res, nil
	}
	if err != nil {
		return res, err
	}
	res.Epochs, res.Steps = sum.Final.Epoch, sum.Steps
	res.ReachedTarget = c.TargetTrainLoss == 0 || sum.Final.TrainLoss <= c.TargetTrainLoss
	res.TrainLoss, res.TrainAccuracy = sum.Final.TrainLoss, sum.Final.TrainAccuracy
	res.TestLoss, res.TestAccuracy = sum.Final.TestLoss, sum.Final.TestAccuracy
	if err := measure(m, d.Train, c, t.Seed, &res); err != nil {
		return res, err
	}
	return res, nil
}

// trainToBudget trains m with s: for s.Epochs epochs, or, with target > 0,
// epoch by epoch (each a resumed continuation of the last, bit-identical to
// one uninterrupted run) until the training loss at the end of an epoch is
// at most target or s.Epochs epochs are done.
func trainToBudget(m *model.MLP, d *Data, s train.Settings, target float64, dir, version string) (*train.Summary, error) {
	o := train.Options{Settings: s, OutDir: dir, Workers: 1, Version: version}
	if target == 0 {
		return train.Run(m, d.Train, d.Test, o)
	}
	var sum *train.Summary
	for e := 1; e <= s.Epochs; e++ {
		o.Settings.Epochs, o.Resume = e, e > 1
		var err error
		if sum, err = train.Run(m, d.Train, d.Test, o); err != nil {
			return nil, err
		}
		if sum.Final.TrainLoss <= target {
			break
		}
	}
	return sum, nil
}

// traceTol and traceMaxSamples are the relative standard error Hutchinson's
// trace is sampled to and its cap of probes.
const (
	traceTol        = 1e-2
	traceMaxSamples = 200
)

// measure fills the sharpness, trace and gradient norm of the Hessian of
// the mean training loss at m's parameters.
func measure(m *model.MLP, set *data.Set, c Config, seed uint64, res *Result) error {
	h, err := m.NewHessian(m.Theta, model.Batch{X: set.X, Y: set.Y}, 1)
	if err != nil {
		return err
	}
	var g float64
	for _, v := range h.Gradient() {
		g += v * v
	}
	res.GradNorm = math.Sqrt(g)
	sp, err := hessian.Lanczos(h, 1, 0, hessian.LanczosOptions{Seed: seed})
	if err != nil {
		return fmt.Errorf("λmax: %w", err)
	}
	res.LambdaMax = sp.Top[0]
	if len(sp.TopResiduals) > 0 {
		res.LambdaResidual = sp.TopResiduals[0]
	}
	if h.Dim() <= c.ExactTraceMaxParams {
		full, _, err := hessian.Full(h, 0, nil)
		if err != nil {
			return fmt.Errorf("tr H: %w", err)
		}
		for i := 0; i < h.Dim(); i++ {
			res.Trace += full.At(i, i)
		}
		res.TraceMethod = "exact"
		return nil
	}
	est, err := hessian.Hutchinson(h, hessian.HutchinsonOptions{Seed: seed, Tol: traceTol, MaxSamples: traceMaxSamples})
	if err != nil {
		return fmt.Errorf("tr H: %w", err)
	}
	res.Trace, res.TraceStdErr, res.TraceMethod = est.Estimate, est.StdErr, "hutchinson"
	res.TraceConverged, res.TraceRelStdErr, res.TraceTol, res.TraceSamples = &est.Converged, est.RelStdErr(), est.Tol, est.Samples
	return nil
}

// Sweep runs (or resumes) sweep c into folder dir on d. It records the
// digests of d's data in c (checking them against c's, if c names them),
// and refuses a folder whose sweep was run on other data.
func Sweep(dir string, c Config, d *Data, opt sweep.Options, version string) (sweep.Summary, error) {
	if err := recordData(&c, d, dir); err != nil {
		return sweep.Summary{}, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return sweep.Summary{}, fmt.Errorf("sweep folder: %w", err)
	}
	return Kind.Run(dir, c, func(t sweep.Task) (Result, error) {
		return RunOne(c, d, t, dir, version)
	}, opt)
}

// recordData records in c the digests of d's data (the MNIST files, or
// the two data files), after checking them against those c names (if any)
// and against the sweep folder dir holds (if any).
func recordData(c *Config, d *Data, dir string) error {
	var got identity
	if c.Data == "" {
		if d.Test.Digest != d.Train.Digest {
			return fmt.Errorf("%w: the training and test images come from different MNIST files (SHA-256 %s and %s)", ErrOtherMNIST, d.Train.Digest, d.Test.Digest)
		}
		got.mnist = d.Train.Digest
	} else {
		got.data, got.test = d.Train.Digest, d.Test.Digest
	}
	if want := c.identity(); want.mnist != "" && want.mnist != got.mnist ||
		want.data != "" && want.data != got.data || want.test != "" && want.test != got.test {
		return fmt.Errorf("%w: the config names %s; the data loaded are %s", ErrOtherMNIST, want, got)
	}
	c.MNIST, c.DataSHA256, c.TestSHA256 = got.mnist, got.data, got.test
	old, err := Kind.Inspect(dir)
	if errors.Is(err, sweep.ErrNotSweep) {
		return nil // a new folder; Kind.Run refuses one it cannot use
	}
	if err != nil {
		return err
	}
	if old.Config.identity() != got {
		return fmt.Errorf("%w: %s holds runs on %s; the data loaded are %s: give the sweep's own data (--mnist), or another folder",
			ErrOtherMNIST, dir, old.Config.identity(), got)
	}
	return nil
}

// ResultFile is the name of the analysis file Fit writes.
const ResultFile = "selection-networks.json"

// Builtin returns the builtin sweep: the 49-16-16-10 tanh network of the
// `figure` preset (7×7 images) on the first 10,000 training images, from
// one initialisation, over B ∈ {16, 64, 256} × η ∈ {0.025, 0.05, 0.1, 0.2},
// each run trained until its training loss is at most 0.35 (at most 400
// epochs), two runs per point.
func Builtin() Config {
	return Config{
		Seed:            1,
		Model:           model.Config{Layers: []int{49, 16, 16, 10}, Activation: model.Tanh, Init: model.InitAuto, Seed: 1},
		Pool:            4,
		TrainFirst:      10000,
		TestFirst:       10000,
		BatchSizes:      []int{16, 64, 256},
		Etas:            []float64{0.025, 0.05, 0.1, 0.2},
		Epochs:          400,
		TargetTrainLoss: 0.35,
		Runs:            2,
	}.withDefaults()
}

// Fit reads the sweep folder dir, fits it and writes selection-networks.json,
// its CSV and figures into out, the JSON with the wall and CPU seconds of
// the command since start (none for the zero Clock).
func Fit(dir, out, version string, start cputime.Clock) (*Analysis, error) {
	d, err := Kind.Read(dir)
	if err != nil {
		return nil, err
	}
	a, err := Analyze(d, version)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, fmt.Errorf("output folder: %w", err)
	}
	a.WallSeconds, a.CPUSeconds = start.Wall(), start.CPU()
	return a, Write(a, out)
}
