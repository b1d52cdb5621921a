package main

import (
	"crypto/sha256"
	"encoding/hex"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sgn-project/sgn/data"
	"github.com/sgn-project/sgn/model"
	"github.com/sgn-project/sgn/train"
)

// TestDataFileEndToEnd: an MNIST selection exported by sgn data export
// and read back through --data trains to the same bits as --mnist --first
// N (train and test), and gives the same Hessian; the checkpoint and
// summary record the files and their SHA-256; a run without --test says
// there is none; resume checks the files.
func TestDataFileEndToEnd(t *testing.T) {
	mnist := mnistOrSkip(t)
	tmp := t.TempDir()
	tr, te := filepath.Join(tmp, "train.safetensors"), filepath.Join(tmp, "test.safetensors")
	for _, c := range [][]string{
		{"data", "export", "--mnist", mnist, "--pool", "4", "--first", "400", "--out", tr, "--quiet"},
		{"data", "export", "--mnist", mnist, "--pool", "4", "--split", "test", "--first", "100", "--out", te, "--quiet"},
	} {
		if code, _, errs := run(c...); code != 0 {
			t.Fatalf("%v: exit %d: %s", c, code, errs)
		}
	}
	common := []string{"train", "--layers", "49,8,10", "--epochs", "2", "--batch-size", "32", "--quiet"}
	a, b := filepath.Join(tmp, "a"), filepath.Join(tmp, "b")
	if code, _, errs := run(append(common, "--mnist", mnist, "--first", "400", "--test-first", "100", "--out", a)...); code != 0 {
		t.Fatalf("train on MNIST: exit %d: %s", code, errs)
	}
	code, out, errs := run(append(common, "--data", tr, "--test", te, "--out", b)...)
	if code != 0 {
		t.Fatalf("train on --data: exit %d: %s", code, errs)
	}
	if !strings.Contains(out, "test loss") {
		t.Errorf("summary: %q", out)
	}
	ma, _, err := model.LoadCheckpoint(filepath.Join(a, train.CheckpointFile))
	if err != nil {
		t.Fatal(err)
	}
	mb, metaB, err := model.LoadCheckpoint(filepath.Join(b, train.CheckpointFile))
	if err != nil {
		t.Fatal(err)
	}
	for i := range ma.Theta {
		if math.Float64bits(ma.Theta[i]) != math.Float64bits(mb.Theta[i]) {
			t.Fatalf("θ[%d]: %v on MNIST, %v on the exported files", i, ma.Theta[i], mb.Theta[i])
		}
	}
	if metaB.Pool != 0 {
		t.Errorf("checkpoint of a --data run has pool %d, want 0", metaB.Pool)
	}
	var sa, sb train.Summary
	readJSON(t, filepath.Join(a, train.SummaryFile), &sa)
	readJSON(t, filepath.Join(b, train.SummaryFile), &sb)
	if sa.Final.TrainLoss != sb.Final.TrainLoss || sa.Final.TestLoss != sb.Final.TestLoss || sa.Final.TestAccuracy != sb.Final.TestAccuracy {
		t.Errorf("final %+v on MNIST, %+v on the files", sa.Final, sb.Final)
	}
	trSum, teSum := sha256Hex(t, tr), sha256Hex(t, te)
	if s := sb.Settings; s.Data != tr || s.Test != te || s.DataSHA256 != trSum || s.TestSHA256 != teSum || s.MNIST != "" {
		t.Errorf("settings %+v: want the files and their SHA-256 %s, %s", s, trSum, teSum)
	}
	if sb.TrainSelection.File != tr || sb.TrainSelection.FileSHA256 != trSum || sb.TestSelection.FileSHA256 != teSum {
		t.Errorf("selections %+v, %+v", sb.TrainSelection, sb.TestSelection)
	}

	dataFileSameHessian(t, mnist, tr, trSum, filepath.Join(a, train.CheckpointFile), filepath.Join(b, train.CheckpointFile))

	// No test file: the run says there is none.
	c := filepath.Join(tmp, "c")
	code, out, errs = run(append(common, "--data", tr, "--out", c)...)
	if code != 0 || !strings.Contains(out, "no test set") {
		t.Errorf("without --test: exit %d, %q %s", code, out, errs)
	}
	var sc train.Summary
	readJSON(t, filepath.Join(c, train.SummaryFile), &sc)
	if !sc.Final.NoTest || sc.TestSelection.N != 0 {
		t.Errorf("without --test: final %+v, test selection %+v", sc.Final, sc.TestSelection)
	}

	// Resume reads the same files, or refuses naming the file.
	if code, _, errs := run("train", "--resume", b, "--epochs", "3", "--quiet"); code != 0 {
		t.Fatalf("resume: exit %d: %s", code, errs)
	}
	s, err := data.Load(data.Options{File: tr, Split: "train"})
	if err != nil {
		t.Fatal(err)
	}
	s.X[0] += 1
	if err := data.ExportSet(tr, s, nil); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := run("train", "--resume", b, "--epochs", "4", "--quiet"); code != 1 || !strings.Contains(errs, tr) || !strings.Contains(errs, "SHA-256") {
		t.Errorf("resume on a changed file: exit %d, %q", code, errs)
	}
}

// dataFileSameHessian checks that the Hessian of the same network (ckA
// trained on MNIST, ckB on the exported file tr of SHA-256 trSum) on the
// same 400 rows is the same either way.
func dataFileSameHessian(t *testing.T, mnist, tr, trSum, ckA, ckB string) {
	t.Helper()
	ha, hb := filepath.Join(t.TempDir(), "ha"), filepath.Join(t.TempDir(), "hb")
	hess := []string{"hessian", "--top-k", "3", "--full", "--quiet"}
	if code, _, errs := run(append(hess, "--checkpoint", ckA, "--mnist", mnist, "--first", "400", "--out", ha)...); code != 0 {
		t.Fatalf("hessian on MNIST: exit %d: %s", code, errs)
	}
	if code, _, errs := run(append(hess, "--checkpoint", ckB, "--data", tr, "--out", hb)...); code != 0 {
		t.Fatalf("hessian on --data: exit %d: %s", code, errs)
	}
	ra, rb := hessReadReport(t, ha), hessReadReport(t, hb)
	if ra.NumSamples != 400 || rb.NumSamples != 400 || rb.Data.FileSHA256 != trSum {
		t.Errorf("samples %d and %d, data %+v", ra.NumSamples, rb.NumSamples, rb.Data)
	}
	ea, eb := ra.Full.EigenvaluesAscending, rb.Full.EigenvaluesAscending
	if len(ea) != 490 || len(eb) != 490 {
		t.Fatalf("%d and %d eigenvalues", len(ea), len(eb))
	}
	for i := range ea {
		if ea[i] != eb[i] {
			t.Fatalf("eigenvalue %d: %v on MNIST, %v on the file", i, ea[i], eb[i])
		}
	}
	if len(ra.Eigenvalues) != 3 || ra.Loss != rb.Loss || ra.GradNorm != rb.GradNorm {
		t.Errorf("top eigenvalues %v; loss %v and %v, ‖∇L‖ %v and %v", ra.Eigenvalues, ra.Loss, rb.Loss, ra.GradNorm, rb.GradNorm)
	}
	for i, v := range ra.Eigenvalues {
		if rb.Eigenvalues[i] != v {
			t.Errorf("Lanczos eigenvalue %d: %v on MNIST, %v on the file", i, v, rb.Eigenvalues[i])
		}
	}
}

// TestDataFileErrors: a data file that does not fit the model, flags that
// do not go with --data, and a file too large for --max-memory get one-line
// errors naming both sides.
func TestDataFileErrors(t *testing.T) {
	tmp := t.TempDir()
	npz, err := filepath.Abs(filepath.Join("..", "..", "data", "testdata", "datafile", "savez.npz"))
	if err != nil {
		t.Fatal(err)
	}
	// savez.npz: 5 rows of 3 features, labels 0..3 (4 classes).
	ok := writeCheckpoint(t, tmp, "ok.safetensors", []int{3, 4, 4}, 1, 0)
	wide := writeCheckpoint(t, tmp, "wide.safetensors", []int{5, 4, 4}, 1, 0)
	few := writeCheckpoint(t, tmp, "few.safetensors", []int{3, 4, 3}, 1, 0)
	if code, out, errs := run("hessian", "--checkpoint", ok, "--data", npz, "--top-k", "2", "--full", "--out", filepath.Join(tmp, "h"), "--quiet"); code != 0 || !strings.Contains(out, "N = 5") {
		t.Fatalf("hessian on an .npz: exit %d, %q, %s", code, out, errs)
	}
	// The equilibrium's defaults are sized to the 5 rows and P = 36.
	if code, out, errs := run("equilibrium", "--checkpoint", ok, "--data", npz, "--steps", "400", "--descend", "0", "--out", filepath.Join(tmp, "eq"), "--quiet"); code != 0 {
		t.Fatalf("equilibrium on an .npz of 5 rows: exit %d, %q, %s", code, out, errs)
	}
	cases := []struct {
		args []string
		code int
		want []string
	}{
		{[]string{"hessian", "--checkpoint", wide, "--data", npz, "--top-k", "2"}, 1, []string{wide, npz, "3 features", "5 inputs"}},
		{[]string{"hessian", "--checkpoint", few, "--data", npz, "--top-k", "2"}, 1, []string{few, npz, "4 classes", "3 outputs"}},
		{[]string{"hessian", "--checkpoint", ok, "--top-k", "2"}, 2, []string{"--data FILE is required"}},
		{[]string{"hessian", "--checkpoint", ok, "--data", npz, "--first", "9", "--top-k", "2"}, 2, []string{"--first 9", npz, "5 rows"}},
		{[]string{"hessian", "--checkpoint", ok, "--data", filepath.Join(tmp, "none.npz"), "--top-k", "2"}, 1, []string{"none.npz not found"}},
		{[]string{"hessian", "--checkpoint", ok, "--data", npz, "--top-k", "2", "--max-memory", "1KiB"}, 2, []string{"--data " + npz, "--max-memory"}},
		{[]string{"train", "--data", npz, "--layers", "3,4,3"}, 1, []string{npz, "4 classes", "3 outputs"}},
		{[]string{"train", "--data", npz, "--layers", "4,4,4"}, 1, []string{npz, "3 features", "4 inputs"}},
		{[]string{"train", "--data", npz, "--pool", "4"}, 2, []string{"--pool and --data"}},
		{[]string{"train", "--data", npz, "--layers", "3,4,4", "--first", "9"}, 2, []string{"--first 9", npz, "5 rows"}},
		{[]string{"train", "--data", npz, "--layers", "3,4,4", "--random", "9"}, 2, []string{"--random 9", npz, "5 rows"}},
		{[]string{"train", "--data", npz, "--test", npz, "--layers", "3,4,4", "--test-first", "9"}, 2, []string{"--test-first 9", npz, "5 rows"}},
		{[]string{"train", "--test", npz}, 2, []string{"--test", "needs --data"}},
		{[]string{"covariance", "--data", npz}, 2, []string{"--data " + npz, "needs --checkpoint", "sgn train --data"}},
	}
	for _, c := range cases {
		args := append(c.args, "--out", filepath.Join(tmp, "o"), "--quiet")
		if c.args[0] == "train" {
			args = append(args, "--epochs", "1", "--batch-size", "2")
		}
		code, _, errs := run(args...)
		if code != c.code || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
			t.Errorf("%v: exit %d, %q: want exit %d and one line", c.args, code, errs, c.code)
		}
		for _, w := range c.want {
			if !strings.Contains(errs, w) {
				t.Errorf("%v: %q lacks %q", c.args, errs, w)
			}
		}
	}
}

// sha256Hex returns the hex SHA-256 of the bytes of the file path.
func sha256Hex(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// TestDataFileTorchFixture: the network and the data PyTorch wrote
// (model/testdata/torch: a 6-5-4-3 GELU network, 48 rows of 6 features,
// 3 classes) through --checkpoint and --data give PyTorch's loss, every
// Hessian eigenvalue and tr H to 1e-10.
func TestDataFileTorchFixture(t *testing.T) {
	dir := filepath.Join("..", "..", "model", "testdata", "torch")
	var ref struct {
		Model struct {
			Loss        float64   `json:"loss"`
			Eigenvalues []float64 `json:"eigenvalues"`
			TraceH      float64   `json:"trace_h"`
		} `json:"model_f64"`
	}
	readJSON(t, filepath.Join(dir, "reference.json"), &ref)
	out := filepath.Join(t.TempDir(), "h")
	dataFile := filepath.Join(dir, "data.safetensors")
	code, _, errs := run("hessian", "--checkpoint", filepath.Join(dir, "model_f64.safetensors"), "--data", dataFile,
		"--full", "--top-k", "3", "--out", out, "--quiet")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	r := hessReadReport(t, out)
	if r.NumSamples != 48 || r.Data.File != dataFile || r.Data.FileSHA256 != sha256Hex(t, dataFile) {
		t.Errorf("samples %d, data %+v", r.NumSamples, r.Data)
	}
	if math.Abs(r.Loss-ref.Model.Loss) > 1e-10 {
		t.Errorf("loss %v, PyTorch %v", r.Loss, ref.Model.Loss)
	}
	got := r.Full.EigenvaluesAscending
	want := slices.Clone(ref.Model.Eigenvalues)
	slices.Sort(want)
	if len(got) != len(want) || len(want) != 74 {
		t.Fatalf("%d eigenvalues, PyTorch %d", len(got), len(want))
	}
	trace := 0.0
	for i := range got {
		trace += got[i]
		if math.Abs(got[i]-want[i]) > 1e-10 {
			t.Errorf("eigenvalue %d: %v, PyTorch %v", i, got[i], want[i])
		}
	}
	if math.Abs(trace-ref.Model.TraceH) > 1e-10 {
		t.Errorf("tr H %v, PyTorch %v", trace, ref.Model.TraceH)
	}
	for i, v := range r.Eigenvalues {
		if math.Abs(v-want[len(want)-1-i]) > 1e-10 {
			t.Errorf("Lanczos eigenvalue %d: %v, PyTorch %v", i, v, want[len(want)-1-i])
		}
	}
}

// TestDataFileAnalyses: minimum, noise and covariance run on the PyTorch
// fixture's network and data through --data, and each output records the
// file and its SHA-256.
func TestDataFileAnalyses(t *testing.T) {
	dir := filepath.Join("..", "..", "model", "testdata", "torch")
	ck, dataFile := filepath.Join(dir, "model_f64.safetensors"), filepath.Join(dir, "data.safetensors")
	sum := sha256Hex(t, dataFile)
	tmp := t.TempDir()
	for _, c := range []struct {
		args []string
		json string
	}{
		{[]string{"minimum"}, "minimum.json"},
		{[]string{"noise", "--minibatches", "50", "--batch-size", "4"}, "noise.json"},
		{[]string{"covariance", "--batch-size", "4", "--mode", "full"}, "covariance.json"},
	} {
		out := filepath.Join(tmp, c.args[0])
		args := append(c.args, "--checkpoint", ck, "--data", dataFile, "--out", out, "--quiet")
		if code, _, errs := run(args...); code != 0 {
			t.Errorf("%v: exit %d: %s", c.args, code, errs)
			continue
		}
		b, err := os.ReadFile(filepath.Join(out, c.json))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), `"file_sha256": "`+sum+`"`) {
			t.Errorf("%s does not record the data file's SHA-256 %s", c.json, sum)
		}
	}
}

// TestTrainDataDefaultLayers: sgn train --data without --layers trains the
// preset's hidden layers with the file's features as inputs and one output
// per class.
func TestTrainDataDefaultLayers(t *testing.T) {
	npz := filepath.Join("..", "..", "data", "testdata", "datafile", "compressed.npz")
	out := filepath.Join(t.TempDir(), "m")
	if code, _, errs := run("train", "--data", npz, "--epochs", "1", "--batch-size", "2", "--out", out, "--quiet"); code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	m, _, err := model.LoadCheckpoint(filepath.Join(out, train.CheckpointFile))
	if err != nil {
		t.Fatal(err)
	}
	if want := []int{3, 16, 16, 4}; !slices.Equal(m.Layers, want) {
		t.Errorf("layers %v, want %v (the figure preset's hidden layers on 3 features and 4 classes)", m.Layers, want)
	}
}
