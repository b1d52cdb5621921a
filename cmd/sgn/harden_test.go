package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sgn-project/sgn/data"
)

// trainSmall trains a small model into a new folder and returns it.
func trainSmall(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "run")
	if code, _, errs := run("train", "--layers", "49,8,10", "--pool", "4", "--first", "300", "--test-first", "100",
		"--epochs", "1", "--batch-size", "30", "--out", dir, "--quiet"); code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	return dir
}

// A fresh train into the folder of a finished run removes nothing when
// MNIST cannot be read (an empty folder, a missing $SGN_MNIST, files that
// are not gzip): the error names the data, the earlier run is intact.
func TestTrainRemovesNothingBeforeTheDataAreRead(t *testing.T) {
	dir := trainSmall(t)
	before := folderSnapshot(dir)
	tmp := t.TempDir()
	empty := filepath.Join(tmp, "empty")
	os.Mkdir(empty, 0o755)
	notGzip := filepath.Join(tmp, "notgzip")
	os.Mkdir(notGzip, 0o755)
	for _, f := range []string{"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"} {
		os.WriteFile(filepath.Join(notGzip, f), []byte("not gzip"), 0o644)
	}
	args := []string{"train", "--layers", "49,8,10", "--pool", "4", "--first", "300", "--test-first", "100", "--epochs", "1", "--out", dir}
	for _, c := range []struct {
		name, mnist, env, want string
	}{
		{"empty folder", empty, "", empty},
		{"not gzip", notGzip, "", notGzip},
		{"missing SGN_MNIST", "", "/nonexistent-sgn-mnist", "/nonexistent-sgn-mnist"},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := args
			if c.mnist != "" {
				a = append(append([]string{}, args...), "--mnist", c.mnist)
			}
			if c.env != "" {
				t.Setenv("SGN_MNIST", c.env)
			}
			code, _, errs := run(a...)
			if code != 1 || !strings.Contains(errs, c.want) || strings.Contains(errs, "removed") {
				t.Errorf("exit %d, stderr %q: want exit 1 naming %s and nothing removed", code, errs, c.want)
			}
			if after := folderSnapshot(dir); after != before {
				t.Errorf("the refused run changed %s", dir)
			}
		})
	}
}

// Settings in a checkpoint that do not fit are the file's fault on
// --resume: exit 1 naming the file and the field, never a flag that was
// not given.
func TestTrainResumeBlamesTheFile(t *testing.T) {
	dir := trainSmall(t)
	ck := filepath.Join(dir, "model.safetensors")
	ts, md, err := data.ReadSafetensors(ck)
	if err != nil {
		t.Fatal(err)
	}
	var list []data.Tensor
	for _, v := range ts {
		list = append(list, v)
	}
	for _, c := range []struct{ field, value string }{
		{"batch_size", "4611686018427387904"},
		{"train_first", "4611686018427387904"},
		{"train_first", "-1"},
		{"epochs", "-3"},
	} {
		var meta map[string]json.RawMessage
		var training map[string]json.RawMessage
		if err := json.Unmarshal([]byte(md["config"]), &meta); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(meta["training"], &training); err != nil {
			t.Fatal(err)
		}
		training[c.field] = json.RawMessage(c.value)
		meta["training"], _ = json.Marshal(training)
		b, _ := json.Marshal(meta)
		edited := map[string]string{}
		for k, v := range md {
			edited[k] = v
		}
		edited["config"] = string(b)
		d := t.TempDir()
		bad := filepath.Join(d, "model.safetensors")
		if err := data.WriteSafetensors(bad, list, edited); err != nil {
			t.Fatal(err)
		}
		code, _, errs := run("train", "--resume", d, "--quiet")
		if code != 1 || !strings.Contains(errs, bad) || !strings.Contains(errs, "training."+c.field) || strings.Contains(errs, "--") {
			t.Errorf("training.%s = %s: exit %d, %q; want exit 1 naming %s and the field, no flag", c.field, c.value, code, errs, bad)
		}
	}
}

// Workers beyond the work are idle: 100,000 workers on 300 images train
// as one does.
func TestTrainManyWorkers(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "w")
	code, _, errs := run("train", "--layers", "49,8,10", "--pool", "4", "--first", "300", "--test-first", "100",
		"--epochs", "1", "--batch-size", "30", "--workers", "100000", "--out", dir, "--quiet")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
}

// hessian: an explicit 0 where leaving the flag out means the default is a
// usage error, and a count of SLQ runs too large for --max-memory names
// --slq-runs; nothing is written.
func TestHessianSizesAndExplicitZeros(t *testing.T) {
	tmp := t.TempDir()
	ck := writeCheckpoint(t, tmp, "m.safetensors", []int{49, 8, 10}, 1, 4)
	out := filepath.Join(tmp, "out")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--max-iterations", "0"}, "--max-iterations 0"},
		{[]string{"--sigma", "0", "--density"}, "--sigma 0"},
		{[]string{"--slq-runs", "9223372036854775807", "--density"}, "--slq-runs"},
		{[]string{"--slq-runs", "100000000", "--density"}, "--slq-runs"},
	} {
		code, _, errs := run(append([]string{"hessian", "--checkpoint", ck, "--first", "100", "--out", out, "--quiet"}, c.args...)...)
		if code != 2 || !strings.Contains(errs, c.want) || strings.Contains(errs, "--slq-steps") {
			t.Errorf("%v: exit %d, %q; want exit 2 naming %s (and not --slq-steps)", c.args, code, errs, c.want)
		}
		if _, err := os.Stat(filepath.Join(out, "hessian.json")); err == nil {
			t.Fatalf("%v: a refused run wrote hessian.json", c.args)
		}
	}
}

// noise: a count of minibatches beyond what the seed streams index is a
// usage error naming --minibatches, and nothing is written.
func TestNoiseMinibatchesBound(t *testing.T) {
	tmp := t.TempDir()
	ck := writeCheckpoint(t, tmp, "m.safetensors", []int{49, 8, 10}, 1, 4)
	out := filepath.Join(tmp, "out")
	code, _, errs := run("noise", "--checkpoint", ck, "--first", "300", "--batch-size", "4", "--minibatches", "100000000000", "--out", out, "--quiet")
	if code != 2 || !strings.Contains(errs, "--minibatches 100000000000") {
		t.Errorf("exit %d, %q; want exit 2 naming --minibatches", code, errs)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a refused run created its output folder")
	}
}

// equilibrium: counts that overflow (a bulk of 2⁶³−1 directions, a
// burn-in of 2⁶³−1 steps) are usage errors naming the flag, and nothing is
// written.
func TestEquilibriumSizeBounds(t *testing.T) {
	tmp := t.TempDir()
	ck := writeCheckpoint(t, tmp, "m.safetensors", []int{49, 8, 10}, 1, 4)
	out := filepath.Join(tmp, "out")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--bulk", "9223372036854775807"}, "--bulk 9223372036854775807"},
		{[]string{"--bulk", "1000"}, "--bulk 1000"},
		{[]string{"--burn-in", "9223372036854775807", "--steps", "200"}, "--burn-in 9223372036854775807"},
		{[]string{"--steps", "9223372036854775807"}, "--steps 9223372036854775807"},
		{[]string{"--descend", "9223372036854775807"}, "--descend 9223372036854775807"},
	} {
		code, _, errs := run(append([]string{"equilibrium", "--checkpoint", ck, "--first", "200", "--out", out, "--quiet"}, c.args...)...)
		if code != 2 || !strings.Contains(errs, c.want) || strings.Contains(errs, "panic") {
			t.Errorf("%v: exit %d, %q; want exit 2 naming %s", c.args, code, errs, c.want)
		}
		if _, err := os.Stat(out); err == nil {
			t.Fatalf("%v: a refused run created %s", c.args, out)
		}
	}
}

// covariance: a heat map larger than the model (every eigenvector of H
// computed for it) is a usage error naming --heatmap-k, at once.
func TestCovarianceHeatmapBound(t *testing.T) {
	tmp := t.TempDir()
	ck := writeCheckpoint(t, tmp, "m.safetensors", []int{49, 8, 10}, 1, 4)
	out := filepath.Join(tmp, "out")
	for _, args := range [][]string{
		{"--checkpoint", ck},
		{"--train-first", "200"}, // the figure preset, P = 1242
	} {
		code, _, errs := run(append([]string{"covariance", "--heatmap-k", "99999999", "--first", "300", "--batch-size", "16", "--out", out, "--quiet"}, args...)...)
		if code != 2 || !strings.Contains(errs, "--heatmap-k 99999999") {
			t.Errorf("%v: exit %d, %q; want exit 2 naming --heatmap-k", args, code, errs)
		}
	}
}

// covariance without --checkpoint removes nothing of the model it trained
// before when MNIST cannot be read.
func TestCovarianceTrainRemovesNothingOnBadData(t *testing.T) {
	tmp := t.TempDir()
	out := filepath.Join(tmp, "out")
	pre := filepath.Join(out, "pretrained")
	os.MkdirAll(pre, 0o755)
	for _, n := range []string{"model.safetensors", "log.jsonl", "summary.json"} {
		os.WriteFile(filepath.Join(pre, n), []byte("earlier "+n), 0o644)
	}
	before := folderSnapshot(pre)
	empty := filepath.Join(tmp, "empty")
	os.Mkdir(empty, 0o755)
	code, _, errs := run("covariance", "--mnist", empty, "--train-first", "200", "--first", "300", "--batch-size", "16", "--out", out, "--quiet")
	if code != 1 || !strings.Contains(errs, empty) {
		t.Errorf("exit %d, %q; want exit 1 naming %s", code, errs, empty)
	}
	if after := folderSnapshot(pre); after != before {
		t.Errorf("the refused run changed %s", pre)
	}
}

// escape and selection: a dimension or a network batch beyond what can be
// held is a usage error naming the flag, at once and with no output folder.
func TestEscapeSizeBounds(t *testing.T) {
	tmp := t.TempDir()
	out := filepath.Join(tmp, "out")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"escape", "run", "--dynamics", "sgld", "--temperature", "0.1", "--eta", "0.01", "--dim", "1099511627776"}, "--dim 1099511627776"},
		{[]string{"escape", "run", "--dynamics", "sgld", "--temperature", "0.1", "--eta", "0.01", "--dim", "10000000"}, "--dim 10000000"},
		{[]string{"selection", "twowell", "run", "--dynamics", "sgld", "--dim", "1099511627776"}, "--dim 1099511627776"},
		{[]string{"escape", "run", "--landscape", "mlp", "--dynamics", "sgd", "--eta", "0.1", "--delta", "0.05", "--batch-size", "1e12"}, "--batch-size"},
	} {
		code, _, errs := run(append(c.args, "--out", out, "--quiet")...)
		if code != 2 || !strings.Contains(errs, c.want) {
			t.Errorf("%v: exit %d, %q; want exit 2 naming %s", c.args, code, errs, c.want)
		}
		es, _ := os.ReadDir(out)
		for _, e := range es {
			if e.Name() != ".sgn.lock" { // the output folder's lock
				t.Fatalf("%v: a refused run wrote %s in %s", c.args, e.Name(), out)
			}
		}
	}
}

// selection twowell run refuses a folder where a figure (or a fit) wrote
// its fit of a sweep kept elsewhere: the fit is not overwritten.
func TestTwowellRunRefusesAFigureFolder(t *testing.T) {
	out := filepath.Join(t.TempDir(), "fig")
	os.MkdirAll(filepath.Join(out, "twowell"), 0o755)
	os.WriteFile(filepath.Join(out, "selection.json"), []byte(`{"fit": "35 points"}`), 0o644)
	code, _, errs := run("selection", "twowell", "run", "--dynamics", "sgld", "--replicas", "4", "--steps", "10", "--out", out, "--quiet")
	if code != 1 || !strings.Contains(errs, "selection.json") {
		t.Errorf("exit %d, %q; want exit 1 naming selection.json", code, errs)
	}
	if b, _ := os.ReadFile(filepath.Join(out, "selection.json")); string(b) != `{"fit": "35 points"}` {
		t.Errorf("the refused run changed selection.json: %q", b)
	}
	if _, err := os.Stat(filepath.Join(out, "config.json")); err == nil {
		t.Error("the refused run wrote config.json")
	}
}
