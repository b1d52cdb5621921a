package sharpness

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/sgn-project/sgn/data"
	"github.com/sgn-project/sgn/internal/cputime"
	"github.com/sgn-project/sgn/internal/report"
	"github.com/sgn-project/sgn/internal/sweep"
	"github.com/sgn-project/sgn/internal/synthtest"
	"github.com/sgn-project/sgn/model"
)

// Runs whose λmax and tr H are exact powers of η/B give the power as slope,
// with R² = 1 and Spearman ρ = ±1; diverged runs are left out; points that
// share η/B are grouped.
func TestAnalyzeRecoversAKnownPowerLaw(t *testing.T) {
	c := Config{BatchSizes: []int{16, 32, 64, 128}, Etas: []float64{0.05, 0.1}, Runs: 1, Epochs: 1,
		Model: model.Config{Layers: []int{4, 3}, Activation: model.Tanh}}
	d := sweep.Data[Config, Result]{Config: c, Grid: sweep.Grid{Points: 8, Runs: 1}}
	for p := 0; p < 8; p++ {
		b, eta := c.Point(p)
		r := eta / float64(b)
		res := Result{BatchSize: b, Eta: eta, ReachedTarget: true, LambdaMax: 3 * math.Pow(r, -0.5), Trace: 40 * math.Pow(r, -0.25), TestAccuracy: 0.9}
		switch p {
		case 0, 1: // Hutchinson's trace: converged, and stopped at the cap short of it
			res.TraceMethod, res.TraceConverged, res.TraceRelStdErr = "hutchinson", new(p == 0), 0.005+0.05*float64(p)
		case 5:
			res = Result{BatchSize: b, Eta: eta, Diverged: true}
		case 6, 7: // not trained far enough: numbers off the law, left out
			res.ReachedTarget, res.LambdaMax = false, 1e3
		}
		d.Runs = append(d.Runs, sweep.Record[Result]{Task: sweep.Task{Point: p}, Result: res})
	}
	a, err := Analyze(d, "test")
	if err != nil {
		t.Fatal(err)
	}
	if a.Diverged != 1 || a.NotReached != 2 || len(a.Runs) != 8 || a.TraceNotConverged != 1 {
		t.Fatalf("diverged %d, not reached %d of %d runs, trace not converged %d, want 1, 2 of 8, 1", a.Diverged, a.NotReached, len(a.Runs), a.TraceNotConverged)
	}
	var text strings.Builder
	if err := (fitText{a: a, out: "out"}).WriteText(&text); err != nil || !strings.Contains(text.String(), "warning: Hutchinson's trace of 1 runs stopped at its cap of 200 probes") {
		t.Errorf("the fit's summary does not say the trace fell short: %v\n%s", err, text.String())
	}
	for _, f := range a.Fits {
		want := map[string]float64{"log lambda_max": -0.5, "log trace": -0.25}[f.Of]
		if f.N != 5 || math.Abs(f.Slope-want) > 1e-12 || f.R2 == nil || math.Abs(*f.R2-1) > 1e-12 {
			t.Errorf("%s: n %d slope %g r2 %v, want 5, %g, 1", f.Of, f.N, f.Slope, f.R2, want)
		}
		if f.Spearman == nil || *f.Spearman != -1 {
			t.Errorf("%s: Spearman %v, want −1", f.Of, f.Spearman)
		}
	}
	// η/B: 0.05/16 = 0.1/32 and 0.05/32 = 0.1/64 (the last point diverged,
	// so that group has one point and is dropped).
	if len(a.SameRatio) != 1 || a.SameRatio[0].EtaOverB != 0.05/16 || len(a.SameRatio[0].Points) != 2 {
		t.Fatalf("same-ratio groups %+v", a.SameRatio)
	}
	if s := a.SameRatio[0].LambdaMaxSpread; math.Abs(s-1) > 1e-12 {
		t.Fatalf("spread %g of points whose λmax depends on η/B only, want 1", s)
	}
}

// The sharpness measurement against the dense Hessian of a small network:
// λmax is the largest eigenvalue and the exact trace the sum of the diagonal.
func TestMeasureAgainstDenseHessian(t *testing.T) {
	m, err := model.New(model.Config{Layers: []int{5, 4, 3}, Activation: model.Tanh, Init: model.InitAuto, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	m.Initialize(3)
	n := 40
	set := syntheticSet(n, 5, 3)
	var res Result
	c := Config{}.withDefaults()
	if err := measure(m, set, c, 7, &res); err != nil {
		t.Fatal(err)
	}
	h, err := m.NewHessian(m.Theta, model.Batch{X: set.X, Y: set.Y}, 1)
	if err != nil {
		t.Fatal(err)
	}
	P := h.Dim()
	cols := mat.NewDense(P, P, nil)
	col, e := make([]float64, P), make([]float64, P)
	for j := 0; j < P; j++ {
		e[j] = 1
		h.MulVec(col, e)
		e[j] = 0
		cols.SetCol(j, col)
	}
	dense := synthtest.Symmetrize(cols)
	vals, ok := synthtest.Eigenvalues(dense)
	if !ok {
		t.Fatal("eigendecomposition failed")
	}
	var tr float64
	for i := 0; i < P; i++ {
		tr += dense.At(i, i)
	}
	if got, want := res.LambdaMax, vals[len(vals)-1]; math.Abs(got-want) > 1e-8*math.Abs(want) {
		t.Errorf("λmax %.15g, dense %.15g", got, want)
	}
	if res.TraceMethod != "exact" || math.Abs(res.Trace-tr) > 1e-10*math.Abs(tr) {
		t.Errorf("trace %.15g (%s), dense %.15g", res.Trace, res.TraceMethod, tr)
	}
	var g float64
	for _, v := range h.Gradient() {
		g += v * v
	}
	if math.Abs(res.GradNorm-math.Sqrt(g)) > 1e-15 {
		t.Errorf("gradient norm %g, want %g", res.GradNorm, math.Sqrt(g))
	}
	// Hutchinson beyond the exact limit: within 4 standard errors.
	c.ExactTraceMaxParams = 1
	var est Result
	if err := measure(m, set, c, 7, &est); err != nil {
		t.Fatal(err)
	}
	if est.TraceMethod != "hutchinson" || math.Abs(est.Trace-tr) > 4*est.TraceStdErr+1e-12 {
		t.Errorf("Hutchinson %g ± %g against exact %g", est.Trace, est.TraceStdErr, tr)
	}
	// It records whether its probes reached the tolerance: converged with
	// a relative standard error at most 1e-2, or the cap of 200 probes
	// reached short of it; either way the standard error it reached.
	if est.TraceConverged == nil || est.TraceTol != traceTol || est.TraceSamples < 1 || est.TraceSamples > traceMaxSamples ||
		math.Abs(est.TraceRelStdErr-est.TraceStdErr/math.Abs(est.Trace)) > 1e-15 ||
		*est.TraceConverged != (est.TraceRelStdErr <= traceTol) || (!*est.TraceConverged && est.TraceSamples != traceMaxSamples) {
		t.Errorf("Hutchinson's record: converged %v, rel. stderr %g (tol %g) after %d probes", est.TraceConverged, est.TraceRelStdErr, est.TraceTol, est.TraceSamples)
	}
	t.Logf("Hutchinson: converged %v, rel. stderr %.3g after %d probes", *est.TraceConverged, est.TraceRelStdErr, est.TraceSamples)
	if res.TraceConverged != nil || res.TraceSamples != 0 {
		t.Errorf("the exact trace records a convergence: %+v", res)
	}
}

// A short sweep on real MNIST: the same runs.jsonl with 1 and 2 workers and
// from two shards merged; the fit writes every file.
func TestSweepOnMNISTShardsAndWorkers(t *testing.T) {
	if testing.Short() {
		t.Skip("trains networks on MNIST")
	}
	c := Config{Seed: 5, Model: model.Config{Layers: []int{49, 6, 10}, Activation: model.Tanh, Init: model.InitAuto, Seed: 2},
		Pool: 4, TrainFirst: 300, TestFirst: 200, BatchSizes: []int{10, 30}, Etas: []float64{0.05, 0.15}, Epochs: 2, Runs: 1}
	start := cputime.Start()
	d, err := LoadData(c, "")
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	run := func(name string, workers int, shard sweep.Shard) string {
		dir := filepath.Join(root, name)
		if _, err := Sweep(dir, c, d, sweep.Options{Workers: workers, Shard: shard, Version: "test"}, "test"); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	one := run("one", 1, sweep.Shard{})
	two := run("two", 2, sweep.Shard{})
	s0 := run("s0", 2, sweep.Shard{Index: 0, Count: 2})
	s1 := run("s1", 1, sweep.Shard{Index: 1, Count: 2})
	merged := filepath.Join(root, "merged")
	if _, err := Kind.Merge(merged, []string{s0, s1}, sweep.MergeOptions{Version: "test"}); err != nil {
		t.Fatal(err)
	}
	want, _ := os.ReadFile(filepath.Join(one, sweep.RunsFile))
	for _, dir := range []string{two, merged} {
		got, _ := os.ReadFile(filepath.Join(dir, sweep.RunsFile))
		if !bytes.Equal(got, want) {
			t.Fatalf("%s/runs.jsonl differs from the 1-worker sweep", dir)
		}
	}
	out := filepath.Join(root, "fit")
	a, err := Fit(merged, out, "test", start)
	if err != nil {
		t.Fatal(err)
	}
	if a.RunsFound != 4 || len(a.Fits) != 2 {
		t.Fatalf("analysis: %d runs, %d fits", a.RunsFound, len(a.Fits))
	}
	for _, r := range a.Runs {
		if r.Diverged || !r.ReachedTarget || !(r.LambdaMax > 0) || r.TraceMethod != "exact" || r.Steps != 2*(300/r.BatchSize) {
			t.Errorf("run %+v", r)
		}
	}
	for _, f := range []string{ResultFile, CSVFile, SharpnessFigure + ".png", SharpnessFigure + ".svg", AccuracyFigure + ".png"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
	// The claim is judged from this real analysis, by the report's rules.
	cs, err := Claims(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 1 || cs[0].ID != ClaimNetworks || cs[0].Figure == "" || cs[0].Sources[0].Seeds["seed"] != 5 {
		t.Fatalf("claims %+v", cs)
	}
	// selection-networks.json records what the whole test cost since start
	// (four sweeps of training runs: some CPU time), and the claim carries it.
	if src := cs[0].Sources[0]; src.WallSeconds != a.WallSeconds || src.CPUSeconds != a.CPUSeconds || !(a.WallSeconds > 0) || !(a.CPUSeconds > 0) {
		t.Errorf("source cost %v s wall, %v s CPU; analysis %v, %v", src.WallSeconds, src.CPUSeconds, a.WallSeconds, a.CPUSeconds)
	}
	if len(a.Fits) > 0 && a.Fits[0].SlopeCI != nil && len(cs[0].Effects) != 1 {
		t.Errorf("effects %+v from fits %+v", cs[0].Effects, a.Fits)
	}
	if _, err := report.Build([]string{out}, "v", []report.ClaimsFunc{Claims}); err != nil {
		t.Fatal(err)
	}
	for _, body := range []string{`null`, `[]`, `{"fits": 3}`, `{}`} {
		dir := t.TempDir()
		p := filepath.Join(dir, ResultFile)
		os.WriteFile(p, []byte(body), 0o644)
		if _, err := Claims(dir); err == nil || !strings.Contains(err.Error(), p) {
			t.Errorf("%s %s: error %v does not name the file", ResultFile, body, err)
		}
	}
}

// syntheticSet returns n seeded random samples of d features in k classes.
func syntheticSet(n, d, k int) *data.Set {
	rng := rand.New(rand.NewPCG(1, 2))
	s := &data.Set{N: n, D: d}
	s.X, s.Y = synthtest.Samples(rng, n, d, k, synthtest.Normal)
	return s
}

// With a target training loss the run trains epoch by epoch, each epoch a
// resumed continuation: stopping at epoch k gives, bit for bit, the run of k
// epochs without a target.
func TestTargetLossBudgetIsAnUninterruptedRun(t *testing.T) {
	if testing.Short() {
		t.Skip("trains networks on MNIST")
	}
	c := Config{Seed: 5, Model: model.Config{Layers: []int{49, 6, 10}, Activation: model.Tanh, Init: model.InitAuto, Seed: 2},
		Pool: 4, TrainFirst: 300, TestFirst: 100, BatchSizes: []int{30}, Etas: []float64{0.1}, Epochs: 2, Runs: 1}
	d, err := LoadData(c, "")
	if err != nil {
		t.Fatal(err)
	}
	task := sweep.Grid{Points: 1, Runs: 1, Seed: c.Seed}.Task(0, 0)
	plain, err := RunOne(c, d, task, t.TempDir(), "test")
	if err != nil {
		t.Fatal(err)
	}
	c.Epochs, c.TargetTrainLoss = 6, plain.TrainLoss
	targeted, err := RunOne(c, d, task, t.TempDir(), "test")
	if err != nil {
		t.Fatal(err)
	}
	if !targeted.ReachedTarget || targeted.Epochs != 2 {
		t.Fatalf("stopped after %d epochs (reached %v), want 2", targeted.Epochs, targeted.ReachedTarget)
	}
	if targeted.TrainLoss != plain.TrainLoss || targeted.LambdaMax != plain.LambdaMax || targeted.Trace != plain.Trace {
		t.Fatalf("epoch-by-epoch run %+v differs from the plain run %+v", targeted, plain)
	}
	c.TargetTrainLoss = 1e-9
	never, err := RunOne(c, d, task, t.TempDir(), "test")
	if err != nil {
		t.Fatal(err)
	}
	if never.ReachedTarget || never.Epochs != 6 {
		t.Fatalf("an unreachable target: reached %v after %d epochs, want false after 6", never.ReachedTarget, never.Epochs)
	}
}

// The sweep records the digest of its MNIST files in config.json; a resume,
// a config or a merge on files of another digest is refused before any run.
func TestSweepRefusesOtherMNIST(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a network on MNIST")
	}
	c := Config{Seed: 5, Model: model.Config{Layers: []int{49, 4, 10}, Activation: model.Tanh, Init: model.InitAuto, Seed: 2},
		Pool: 4, TrainFirst: 100, TestFirst: 50, BatchSizes: []int{50}, Etas: []float64{0.1}, Epochs: 1, Runs: 2}
	d, err := LoadData(c, "")
	if err != nil {
		t.Fatal(err)
	}
	other := &Data{Train: &data.Set{}, Test: &data.Set{}}
	*other.Train, *other.Test = *d.Train, *d.Test
	other.Train.Digest = strings.Repeat("ab", 32)
	other.Test.Digest = other.Train.Digest
	root := t.TempDir()
	dir := filepath.Join(root, "sweep")
	if _, err := Sweep(dir, c, d, sweep.Options{Workers: 1, Version: "test"}, "test"); err != nil {
		t.Fatal(err)
	}
	got, err := Kind.Inspect(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got.Config.MNIST != d.Train.Digest || len(d.Train.Digest) != 64 {
		t.Fatalf("config.json records MNIST %q, the files loaded are %q", got.Config.MNIST, d.Train.Digest)
	}
	before, _ := os.ReadFile(filepath.Join(dir, sweep.RunsFile))
	if _, err := Sweep(dir, c, other, sweep.Options{Workers: 1, Version: "test"}, "test"); !errors.Is(err, ErrOtherMNIST) || !strings.Contains(err.Error(), dir) {
		t.Fatalf("resume on other MNIST files: %v, want ErrOtherMNIST naming %s", err, dir)
	}
	if after, _ := os.ReadFile(filepath.Join(dir, sweep.RunsFile)); !bytes.Equal(after, before) {
		t.Fatal("the refused resume changed runs.jsonl")
	}
	if _, err := Sweep(dir, c, d, sweep.Options{Workers: 1, Version: "test"}, "test"); err != nil {
		t.Fatalf("resume on the same files: %v", err)
	}
	named := c
	named.MNIST = other.Train.Digest
	if _, err := Sweep(filepath.Join(root, "named"), named, d, sweep.Options{Workers: 1, Version: "test"}, "test"); !errors.Is(err, ErrOtherMNIST) {
		t.Fatalf("a config naming other MNIST files: %v, want ErrOtherMNIST", err)
	}
	named.MNIST = "not a digest"
	if err := named.Validate(); err == nil || !strings.Contains(err.Error(), "mnist_sha256") {
		t.Fatalf("a malformed digest: %v, want an error naming mnist_sha256", err)
	}
	s0, s1 := filepath.Join(root, "s0"), filepath.Join(root, "s1")
	if _, err := Sweep(s0, c, d, sweep.Options{Workers: 1, Shard: sweep.Shard{Index: 0, Count: 2}, Version: "test"}, "test"); err != nil {
		t.Fatal(err)
	}
	if _, err := Sweep(s1, c, other, sweep.Options{Workers: 1, Shard: sweep.Shard{Index: 1, Count: 2}, Version: "test"}, "test"); err != nil {
		t.Fatal(err)
	}
	merged := filepath.Join(root, "merged")
	if _, err := (Experiment{}).Merge(merged, []string{s0, s1}, "test"); !errors.Is(err, ErrOtherMNIST) || !strings.Contains(err.Error(), s1) {
		t.Fatalf("merging shards on different MNIST files: %v, want ErrOtherMNIST naming %s", err, s1)
	}
	if _, err := os.Stat(filepath.Join(merged, sweep.ConfigFile)); err == nil {
		t.Fatal("the refused merge wrote config.json")
	}
	if _, err := (Experiment{}).Merge(dir, []string{s1}, "test"); !errors.Is(err, ErrOtherMNIST) {
		t.Fatalf("merging a shard on other files into a sweep folder: %v, want ErrOtherMNIST", err)
	}
}
