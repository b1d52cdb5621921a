package train

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sgn-project/sgn/data"
	"github.com/sgn-project/sgn/model"
)

func load(t *testing.T, split string, first int) *data.Set {
	t.Helper()
	s, err := data.Load(data.Options{Split: split, Pool: 4, First: first})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func smallRun(t *testing.T, dir string, s Settings, resume bool) (*model.MLP, *Summary, error) {
	return smallRunAct(t, dir, s, resume, model.Tanh)
}

func smallRunAct(t *testing.T, dir string, s Settings, resume bool, act model.Activation) (*model.MLP, *Summary, error) {
	t.Helper()
	tr, te := load(t, "train", 2000), load(t, "test", 1000)
	m, err := model.New(model.Config{Layers: []int{49, 16, 10}, Activation: act, Seed: 4})
	if err != nil {
		t.Fatal(err)
	}
	sum, err := Run(m, tr, te, Options{Settings: s, OutDir: dir, Resume: resume, Workers: 2, Version: "test"})
	return m, sum, err
}

func settings(epochs int) Settings {
	return Settings{LR: 0.3, BatchSize: 32, Epochs: epochs, Seed: 9, Engine: EngineGorgonia, Pool: 4, TrainFirst: 2000, TestFirst: 1000}
}

// Training a small network on real MNIST reaches a stated accuracy: a
// 49-16-10 tanh network on the first 2,000 training images, 20 epochs of SGD
// (η 0.3, B 32), classifies the first 1,000 test images with ≥ 82% accuracy
// (it measures 84.0%; after 1 epoch it is below 70%).
func TestTrainingReachesAccuracy(t *testing.T) {
	_, sum, err := smallRun(t, t.TempDir(), settings(20), false)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("test accuracy %.4f, train accuracy %.4f, loss %.4f", sum.Final.TestAccuracy, sum.Final.TrainAccuracy, sum.Final.TrainLoss)
	if sum.Final.TestAccuracy < 0.82 {
		t.Errorf("test accuracy %.4f < 0.82", sum.Final.TestAccuracy)
	}
	if sum.Steps != 20*(2000/32) {
		t.Errorf("steps %d, want %d", sum.Steps, 20*(2000/32))
	}
}

// Same seed, bit-identical checkpoint; and a run resumed from its epoch-1
// checkpoint ends with the same θ as an uninterrupted 3-epoch run, with and
// without momentum.
func TestDeterminismAndResume(t *testing.T) {
	for _, mom := range []float64{0, 0.9} {
		s := settings(3)
		s.Momentum = mom
		a, b, c := t.TempDir(), t.TempDir(), t.TempDir()
		if _, _, err := smallRun(t, a, s, false); err != nil {
			t.Fatal(err)
		}
		if _, _, err := smallRun(t, b, s, false); err != nil {
			t.Fatal(err)
		}
		fa, _ := os.ReadFile(filepath.Join(a, CheckpointFile))
		fb, _ := os.ReadFile(filepath.Join(b, CheckpointFile))
		if len(fa) == 0 || !bytes.Equal(fa, fb) {
			t.Errorf("momentum %v: two runs with the same seed wrote different checkpoints", mom)
		}
		s1 := s
		s1.Epochs = 1
		if _, _, err := smallRun(t, c, s1, false); err != nil {
			t.Fatal(err)
		}
		if _, _, err := smallRun(t, c, s, true); err != nil {
			t.Fatal(err)
		}
		fc, _ := os.ReadFile(filepath.Join(c, CheckpointFile))
		ma, _, _ := model.LoadCheckpoint(filepath.Join(a, CheckpointFile))
		mc, _, _ := model.LoadCheckpoint(filepath.Join(c, CheckpointFile))
		for i := range ma.Theta {
			if ma.Theta[i] != mc.Theta[i] {
				t.Fatalf("momentum %v: resumed θ[%d] = %v, uninterrupted %v", mom, i, mc.Theta[i], ma.Theta[i])
			}
		}
		if len(fc) == 0 {
			t.Fatal("no checkpoint after resume")
		}
		logb, _ := os.ReadFile(filepath.Join(c, LogFile))
		if n := bytes.Count(logb, []byte("\n")); n != 3 {
			t.Errorf("resumed log has %d lines, want 3 (one per epoch)", n)
		}
		// resume with changed settings is refused
		s2 := s
		s2.LR = 0.2
		if _, _, err := smallRun(t, c, s2, true); err == nil {
			t.Error("resume with another learning rate was accepted")
		}
	}
}

// A run killed between its last checkpoint and summary.json is completed by
// resuming it: the summary is written from the last log line, nothing is
// trained again; with the summary present, resuming has nothing to do.
func TestResumeWritesAMissingSummary(t *testing.T) {
	s, dir := settings(1), t.TempDir()
	_, want, err := smallRun(t, dir, s, false)
	if err != nil {
		t.Fatal(err)
	}
	ck, _ := os.ReadFile(filepath.Join(dir, CheckpointFile))
	if err := os.Remove(filepath.Join(dir, SummaryFile)); err != nil {
		t.Fatal(err)
	}
	_, got, err := smallRun(t, dir, s, true)
	if err != nil {
		t.Fatalf("resume of a run without summary.json: %v", err)
	}
	if got.Steps != want.Steps || got.Final.Step != want.Final.Step || got.Final.TestLoss != want.Final.TestLoss {
		t.Errorf("summary after resume %+v, want %+v", got.Final, want.Final)
	}
	if _, err := os.Stat(filepath.Join(dir, SummaryFile)); err != nil {
		t.Error("no summary.json after resume")
	}
	if ck2, _ := os.ReadFile(filepath.Join(dir, CheckpointFile)); !bytes.Equal(ck, ck2) {
		t.Error("resume of a finished run changed the checkpoint")
	}
	if _, _, err := smallRun(t, dir, s, true); !errors.Is(err, ErrFinished) {
		t.Errorf("second resume: %v, want ErrFinished", err)
	}
}

// The Gorgonia graph and the gonum engine follow the same trajectory.
func TestEnginesAgree(t *testing.T) {
	s := settings(1)
	m1, _, err := smallRun(t, t.TempDir(), s, false)
	if err != nil {
		t.Fatal(err)
	}
	s.Engine = EngineGonum
	m2, _, err := smallRun(t, t.TempDir(), s, false)
	if err != nil {
		t.Fatal(err)
	}
	var worst float64
	for i := range m1.Theta {
		worst = max(worst, math.Abs(m1.Theta[i]-m2.Theta[i]))
	}
	if worst > 1e-10 {
		t.Errorf("after one epoch the engines differ by %.3g > 1e-10", worst)
	}
}

// A diverging run stops with ErrDiverged, and the last good checkpoint stays.
func TestDivergence(t *testing.T) {
	dir := t.TempDir()
	s := settings(1)
	if _, _, err := smallRun(t, dir, s, false); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(filepath.Join(dir, CheckpointFile))
	s.Epochs = 3
	s.LR = 1e200
	// a fresh relu run with a huge rate in another folder: the activations
	// overflow, the loss becomes NaN; it writes no checkpoint
	other := t.TempDir()
	_, _, err := smallRunAct(t, other, s, false, model.ReLU)
	if !errors.Is(err, ErrDiverged) {
		t.Fatalf("η = 1e200: error %v, want ErrDiverged", err)
	}
	if _, e := os.Stat(filepath.Join(other, CheckpointFile)); e == nil {
		t.Error("a diverged run left a checkpoint")
	}
	// the same in a folder with a good checkpoint: it stays, and the error says so
	_, _, err = smallRunAct(t, dir, s, false, model.ReLU)
	if !errors.Is(err, ErrDiverged) || !strings.Contains(err.Error(), "kept") {
		t.Fatalf("error %v, want ErrDiverged saying the checkpoint is kept", err)
	}
	after, _ := os.ReadFile(filepath.Join(dir, CheckpointFile))
	if !bytes.Equal(before, after) {
		t.Error("the earlier checkpoint changed")
	}
	entries, _ := os.ReadDir(other)
	for _, e := range entries {
		if e.Name() != LogFile {
			t.Errorf("a diverged run left %s", e.Name())
		}
	}
}

func TestBadSettings(t *testing.T) {
	bad := []Settings{
		{LR: -0.1, BatchSize: 32, Epochs: 1, Engine: EngineGorgonia},
		{LR: 0.1, BatchSize: 0, Epochs: 1, Engine: EngineGorgonia},
		{LR: 0.1, BatchSize: 32, Epochs: 0, Engine: EngineGorgonia},
		{LR: 0.1, BatchSize: 32, Epochs: 1, Engine: "torch"},
		{LR: 0.1, BatchSize: 32, Epochs: 1, Engine: EngineGorgonia, Momentum: 1},
	}
	for _, s := range bad {
		if err := s.Validate(); err == nil {
			t.Errorf("settings %+v accepted", s)
		}
	}
	s := settings(1)
	s.BatchSize = 5000
	if _, _, err := smallRun(t, t.TempDir(), s, false); err == nil {
		t.Error("batch size larger than the data was accepted")
	}
}

// TestParseEngine: the engine names parse, others are refused with the
// value and the choices.
func TestParseEngine(t *testing.T) {
	if e, err := ParseEngine("gonum"); err != nil || e != EngineGonum {
		t.Errorf("ParseEngine(gonum) = %q, %v", e, err)
	}
	if _, err := ParseEngine("torch"); err == nil || err.Error() != `engine "torch": expected gorgonia or gonum` {
		t.Errorf("ParseEngine(torch): %v", err)
	}
}

// TestTypedErrors: validation names the field in a *SettingError, and a
// divergence is both ErrDiverged and model.ErrNonFinite.
func TestTypedErrors(t *testing.T) {
	err := Settings{LR: 0.1, BatchSize: 32, Epochs: 1, Engine: EngineGonum, WeightDecay: -1}.Validate()
	var se *SettingError
	if !errors.As(err, &se) || se.Field != "weight_decay" || err.Error() != "weight decay -1: must not be negative" {
		t.Errorf("weight decay −1: %v (%#v)", err, se)
	} else if f, d := se.Option(); f != "weight_decay" || d != "-1: must not be negative" {
		t.Errorf("Option() = %q, %q", f, d)
	}
	wrapped := fmt.Errorf("%w at step 3", ErrDiverged)
	if !errors.Is(wrapped, ErrDiverged) || !errors.Is(wrapped, model.ErrNonFinite) {
		t.Errorf("%v: errors.Is ErrDiverged %v, model.ErrNonFinite %v", wrapped, errors.Is(wrapped, ErrDiverged), errors.Is(wrapped, model.ErrNonFinite))
	}
}

// TestWithLength: epochs given alone replace the length (the steps
// dropped), steps given bound it; Validate then names the field of a
// negative count and of a run of no length.
func TestWithLength(t *testing.T) {
	base := Settings{LR: 0.1, BatchSize: 32, Epochs: 5, Steps: 100, Engine: EngineGonum}
	n := func(v int) *int { return &v }
	for _, c := range []struct {
		epochs, steps *int
		e, st         int
		field         string
	}{
		{nil, nil, 5, 100, ""},
		{n(7), nil, 7, 0, ""},
		{nil, n(30), 5, 30, ""},
		{n(2), n(9), 2, 9, ""},
		{n(-1), nil, -1, 0, "epochs"},
		{nil, n(-3), 5, -3, "steps"},
		{n(0), nil, 0, 0, "length"},
	} {
		s := base.WithLength(c.epochs, c.steps)
		if s.Epochs != c.e || s.Steps != c.st {
			t.Errorf("%v %v: epochs %d steps %d, want %d %d", c.epochs, c.steps, s.Epochs, s.Steps, c.e, c.st)
		}
		var se *SettingError
		var le *LengthError
		err := s.Validate()
		switch {
		case c.field == "" && err != nil, c.field == "length" && !errors.As(err, &le),
			c.field != "" && c.field != "length" && (!errors.As(err, &se) || se.Field != c.field):
			t.Errorf("epochs %d steps %d: %v; want an error of %q", s.Epochs, s.Steps, err, c.field)
		}
	}
	err := (Settings{LR: 0.1, BatchSize: 32, Engine: EngineGonum}).Validate()
	var le *LengthError
	if !errors.As(err, &le) || err.Error() != "epochs 0 and steps 0: one must be positive" ||
		le.Text(func(s string) string { return "--" + s }) != "--epochs 0 and --steps 0: one must be positive" {
		t.Errorf("no length: %v", err)
	}
}

// sgdStep is PyTorch's SGD: g ← g + λθ, v ← μv + g (v = g when μ = 0),
// θ ← θ − ηv; checked on values worked out by hand, plain and with weight
// decay and momentum.
func TestSGDStep(t *testing.T) {
	theta, grad := []float64{1, 2}, []float64{0.5, -1}
	sgdStep(theta, grad, nil, Settings{LR: 0.25}, 0, len(grad))
	if theta[0] != 0.875 || theta[1] != 2.25 {
		t.Errorf("plain SGD: θ = %v, want [0.875 2.25]", theta)
	}
	theta, v := []float64{1, 2}, []float64{1, -2}
	sgdStep(theta, grad, v, Settings{LR: 0.25, WeightDecay: 0.5, Momentum: 0.5}, 0, len(grad))
	// g = [1, 0], v = [0.5+1, −1+0] = [1.5, −1], θ = [1−0.375, 2+0.25]
	if v[0] != 1.5 || v[1] != -1 || theta[0] != 0.625 || theta[1] != 2.25 {
		t.Errorf("SGD with decay and momentum: θ = %v, v = %v, want [0.625 2.25], [1.5 -1]", theta, v)
	}
}

// TestSummaryText: the summary of a run names the network, its final
// losses (or that it has no test set) and the files beside its checkpoint.
func TestSummaryText(t *testing.T) {
	s := &Summary{Model: model.Config{Layers: []int{49, 8, 10}, Activation: model.Tanh}, NumParams: 490, Steps: 20,
		Final: LogLine{Epoch: 2, TrainLoss: 0.5, TrainAccuracy: 0.75, TestLoss: 0.625, TestAccuracy: 0.5}, Checkpoint: filepath.Join("out", "run", CheckpointFile)}
	var w strings.Builder
	if err := s.WriteText(&w); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"trained [49 8 10] tanh, P = 490, 20 steps (2 epochs)", "test loss 0.6250, accuracy 50.00%",
		filepath.Join("out", "run", LogFile), filepath.Join("out", "run", SummaryFile)} {
		if !strings.Contains(w.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, w.String())
		}
	}
	// A run whose losses grew huge (a step size far too large) prints them
	// with an exponent, not in hundreds of digits.
	s.Final.TrainLoss, s.Final.TestLoss = 2.169320793520749e300, 12345.678
	w.Reset()
	s.WriteText(&w)
	if !strings.Contains(w.String(), "train loss 2.169e+300, accuracy 75.00%; test loss 1.235e+04,") {
		t.Errorf("huge losses:\n%s", w.String())
	}
	s.Final.NoTest = true
	w.Reset()
	s.WriteText(&w)
	if !strings.Contains(w.String(), "no test set") || strings.Contains(w.String(), "test loss") {
		t.Errorf("a run without a test set:\n%s", w.String())
	}
}

// Training 784-100-10 at B = 128 (one chunk whose GEMMs two and three
// workers share) ends at the same θ, bit for bit, with 1, 2 and 3 workers.
func TestTrainSameBitsAnyWorkers(t *testing.T) {
	tr, err := data.Load(data.Options{Split: "train", Pool: 1, First: 1280})
	if err != nil {
		t.Fatal(err)
	}
	te, err := data.Load(data.Options{Split: "test", Pool: 1, First: 128})
	if err != nil {
		t.Fatal(err)
	}
	s := Settings{LR: 0.05, BatchSize: 128, Epochs: 1, Seed: 3, Engine: EngineGorgonia, Pool: 1, TrainFirst: 1280, TestFirst: 128}
	var ref []float64
	for _, w := range []int{1, 2, 3} {
		m, err := model.New(model.Config{Layers: []int{784, 100, 10}, Activation: model.ReLU, Seed: 2})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Run(m, tr, te, Options{Settings: s, OutDir: t.TempDir(), Workers: w, Version: "test"}); err != nil {
			t.Fatal(err)
		}
		if ref == nil {
			ref = m.Theta
			continue
		}
		for i := range ref {
			if math.Float64bits(m.Theta[i]) != math.Float64bits(ref[i]) {
				t.Fatalf("θ[%d] after an epoch with %d workers %v, with 1 %v", i, w, m.Theta[i], ref[i])
			}
		}
	}
}
