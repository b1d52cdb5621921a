package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sgn-project/sgn/covariance"
	"github.com/sgn-project/sgn/data"
	"github.com/sgn-project/sgn/model"
)

// covTinyCheckpoint writes a small pool-4 model (P = 370) as a checkpoint.
func covTinyCheckpoint(t *testing.T, dir string, pool int) string {
	return writeCheckpoint(t, dir, "tiny.safetensors", []int{49, 6, 10}, 9, pool)
}

func TestCovarianceCheckpoint(t *testing.T) {
	dir := mnistOrSkip(t)
	tmp := t.TempDir()
	ck := covTinyCheckpoint(t, tmp, 4)
	out := filepath.Join(tmp, "cvh")
	code, stdout, stderr := run("covariance", "--mnist", dir, "--checkpoint", ck, "--first", "300", "--batch-size", "16,64",
		"--init-seed", "5", "--mode", "full", "--heatmap-k", "8", "--workers", "2", "--out", out, "--quiet")
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	for _, want := range []string{"pretrained P = 370", "random     P = 370", "verdict: ", filepath.Join(out, "cvh.png")} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	var rep covariance.Report
	js := readJSON(t, filepath.Join(out, covariance.FileName), &rep)
	p := rep.Models.Pretrained
	if p == nil || rep.Models.Random == nil {
		t.Fatalf("covariance.json lacks a model: %s", js)
	}
	if p.NumParams != 370 || p.NumSamples != 300 || p.BatchSize != 16 || rep.Data.First != 300 || rep.Data.Pool != 4 ||
		rep.Seeds.RandomModel != 5 || rep.Version != version || p.RelFrobenius == nil || p.LogLogSlope == nil || len(p.TopRatios) != 10 {
		t.Errorf("covariance.json headline: %+v, data %+v, seeds %+v", p, rep.Data, rep.Seeds)
	}
	// The JSON has the keys users rely on (README, "File formats").
	var raw map[string]any
	json.Unmarshal(js, &raw)
	pm := raw["models"].(map[string]any)["pretrained"].(map[string]any)
	for _, k := range []string{"num_params", "num_samples", "batch_size", "selected", "loglog_slope", "loglog_intercept", "pearson_r",
		"median_ratio", "rel_frobenius", "top_ratios", "offdiag_ratio", "trace_sigma", "b_simple", "verdict"} {
		if _, ok := pm[k]; !ok {
			t.Errorf("covariance.json models.pretrained lacks %q", k)
		}
	}

	// The pretrained checkpoint is copied, the random one is the seeded
	// initialisation.
	a, _ := os.ReadFile(ck)
	b, _ := os.ReadFile(filepath.Join(out, covariance.PretrainedFile))
	if !bytes.Equal(a, b) {
		t.Error("pretrained.safetensors differs from --checkpoint")
	}
	rnd, meta, err := model.LoadCheckpoint(filepath.Join(out, covariance.RandomFile))
	if err != nil {
		t.Fatal(err)
	}
	fresh, _ := model.New(model.Config{Layers: []int{49, 6, 10}, Activation: model.Tanh, Seed: 5})
	for i := range fresh.Theta {
		if rnd.Theta[i] != fresh.Theta[i] {
			t.Fatalf("random.safetensors θ[%d] = %v, want the seed-5 initialisation %v", i, rnd.Theta[i], fresh.Theta[i])
		}
	}
	if meta.Pool != 4 {
		t.Errorf("random.safetensors pool %d", meta.Pool)
	}

	// Anyone can recompute the numbers from the files.
	set, err := data.Load(data.Options{Dir: dir, Split: "train", Pool: 4, First: 300})
	if err != nil {
		t.Fatal(err)
	}
	again, err := covariance.Analyze(rnd, model.Batch{X: set.X, Y: set.Y}, covariance.Options{BatchSizes: []int{16, 64}, Mode: covariance.ModeFull, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	r := rep.Models.Random
	if c := again.Comparisons[0]; c.Selected != r.Selected || (c.Fit != nil) != (r.LogLogSlope != nil) ||
		(c.Fit != nil && math.Abs(c.Fit.Slope-*r.LogLogSlope) > 1e-9) || math.Abs(c.MedianRatio-r.MedianRatio) > 1e-9 {
		t.Errorf("recomputed random model: selected %d, fit %+v, median %v; JSON %d, %v, %v", c.Selected, c.Fit, c.MedianRatio, r.Selected, r.LogLogSlope, r.MedianRatio)
	}

	covCheckPoints(t, out, p.Selected, r.Selected)
}

// covCheckPoints checks points.csv in out, whose plotted points are the
// in-window rows (pre and rnd of them at the first batch size), and the
// figure beside it.
func covCheckPoints(t *testing.T, out string, pre, rnd int) {
	t.Helper()
	f, err := os.Open(filepath.Join(out, covariance.PointsFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(rows[0], ",") != "model,batch_size,rank,lambda,lambda_over_b,c,ratio,in_window,fisher_over_b" {
		t.Errorf("points.csv header %v", rows[0])
	}
	count := map[string]int{}
	for _, row := range rows[1:] {
		if row[7] == "1" {
			count[row[0]+"/"+row[1]]++
		}
	}
	if count["pretrained/16"] != pre || count["pretrained/64"] != pre || count["random/16"] != rnd {
		t.Errorf("in-window rows %v, selected %d and %d", count, pre, rnd)
	}
	for _, name := range []string{"cvh.png", "cvh.svg"} {
		if st, err := os.Stat(filepath.Join(out, name)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// Without --checkpoint the figure preset is trained on the spot (here on a
// small subset for one epoch) into OUT/pretrained/.
func TestCovarianceTrainsOnTheSpot(t *testing.T) {
	dir := mnistOrSkip(t)
	out := filepath.Join(t.TempDir(), "cvh")
	code, stdout, stderr := run("covariance", "--mnist", dir, "--train-first", "512", "--train-epochs", "1", "--first", "300",
		"--batch-size", "32", "--mode", "matfree", "--top-k", "20", "--lambda-max", "50", "--out", out, "--quiet")
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if _, err := os.Stat(filepath.Join(out, covariance.TrainDir, "model.safetensors")); err != nil {
		t.Errorf("no trained checkpoint: %v", err)
	}
	var rep covariance.Report
	js, _ := os.ReadFile(filepath.Join(out, covariance.FileName))
	if err := json.Unmarshal(js, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Training == nil || rep.Training.TrainSelection.First != 512 || rep.Training.Settings.Epochs != 1 || rep.Training.Settings.Preset != "figure" {
		t.Fatalf("training record %+v", rep.Training)
	}
	p := rep.Models.Pretrained
	if p.NumParams != 1242 || p.Analysis.Mode != covariance.ModeMatFree || p.Analysis.Eigen.Computed != 20 || p.RelFrobenius != nil ||
		!strings.Contains(p.Source, "trained on the spot") {
		t.Errorf("pretrained: P %d, mode %s, eigenpairs %d, rel. Frobenius %v, source %q", p.NumParams, p.Analysis.Mode, p.Analysis.Eigen.Computed, p.RelFrobenius, p.Source)
	}
}

func TestCovarianceBadInput(t *testing.T) {
	tmp := t.TempDir()
	out := filepath.Join(tmp, "o")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--batch-size", "0", "--out", out}, "--batch-size"},
		{[]string{"--batch-size", "-4", "--out", out}, "must be positive"},
		{[]string{"--batch-size", "16,x", "--out", out}, "--batch-size"},
		{[]string{"--batch-size", "16,16", "--out", out}, "twice"},
		{[]string{"--first", "10", "--batch-size", "64", "--out", out}, "larger than the 10 samples"},
		{[]string{"--batch-size", "64"}, "--out"},
		{[]string{"--lambda-min", "1", "--lambda-max", "0.5", "--out", out}, "--lambda-min"},
		{[]string{"--mode", "dense", "--out", out}, "--mode"},
		{[]string{"--split", "valid", "--out", out}, "--split"},
		{[]string{"--top-k", "0", "--out", out}, "--top-k"},
		{[]string{"--checkpoint", "x.safetensors", "--train-first", "100", "--out", out}, "--train-first"},
	} {
		code, _, stderr := run(append([]string{"covariance"}, tc.args...)...)
		if code != 2 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tc.args, code, stderr, tc.want)
		}
	}
	code, _, stderr := run("covariance", "--checkpoint", filepath.Join(tmp, "missing.safetensors"), "--out", out)
	if code != 1 || !strings.Contains(stderr, "missing.safetensors") {
		t.Errorf("missing checkpoint: exit %d, %q", code, stderr)
	}

	dir := mnistOrSkip(t)
	// A checkpoint whose preprocessing does not match its input layer: a
	// 49-input model that claims pool 2 (196 features).
	bad := covTinyCheckpoint(t, t.TempDir(), 2)
	code, _, stderr = run("covariance", "--mnist", dir, "--checkpoint", bad, "--first", "100", "--out", out)
	if code != 1 || !strings.Contains(stderr, "does not match pool 2") {
		t.Errorf("pool mismatch: exit %d, %q", code, stderr)
	}
	// An empty window names the window and the eigenvalues found.
	ck := covTinyCheckpoint(t, tmp, 4)
	code, _, stderr = run("covariance", "--mnist", dir, "--checkpoint", ck, "--first", "100", "--batch-size", "8",
		"--lambda-min", "100", "--lambda-max", "200", "--out", out, "--quiet")
	if code != 1 || !strings.Contains(stderr, "model: no Hessian eigenvalue in the window (100, 200)") || !strings.Contains(stderr, "lie in [") {
		t.Errorf("empty window: exit %d, %q", code, stderr)
	}
}
