package train

import (
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sgn-project/sgn/data"
	"github.com/sgn-project/sgn/model"
)

// Issue cases 2 and 9: a checkpoint of a momentum run whose momentum buffer
// is too short, of dtype I64 or missing, or whose weights hold a NaN, is
// refused on resume with an error naming the file (the intact file resumes).
func TestResumeRefusesABadOptimizerState(t *testing.T) {
	s := settings(1)
	s.Momentum = 0.9
	s.TrainFirst = 2000
	dir := t.TempDir()
	if _, _, err := smallRun(t, dir, s, false); err != nil {
		t.Fatal(err)
	}
	ckpt := filepath.Join(dir, CheckpointFile)
	ts, md, err := data.ReadSafetensors(ckpt)
	if err != nil {
		t.Fatal(err)
	}
	P := len(ts[momentumBuffer].F64)
	s.Epochs = 2
	for _, c := range []struct {
		name string
		edit func(ts map[string]data.Tensor)
		want string
	}{
		{"short", func(ts map[string]data.Tensor) {
			v := ts[momentumBuffer]
			v.F64, v.Shape = v.F64[:P-3], []int{P - 3}
			ts[momentumBuffer] = v
		}, "entries"},
		{"I64", func(ts map[string]data.Tensor) {
			ts[momentumBuffer] = data.Tensor{Name: momentumBuffer, DType: "I64", Shape: []int{P}, I64: make([]int64, P)}
		}, "dtype I64"},
		{"missing", func(ts map[string]data.Tensor) { delete(ts, momentumBuffer) }, "no momentum buffer"},
		{"unknown", func(ts map[string]data.Tensor) {
			ts["optimizer.exp_avg"] = data.Tensor{Name: "optimizer.exp_avg", DType: "F64", Shape: []int{P}, F64: make([]float64, P)}
		}, "optimizer.exp_avg"},
		{"NaN weight", func(ts map[string]data.Tensor) { ts["fc1.weight"].F64[7] = math.NaN() }, "fc1.weight holds NaN"},
	} {
		bad := filepath.Join(t.TempDir(), CheckpointFile)
		edited := map[string]data.Tensor{}
		for k, v := range ts {
			v.F64 = append([]float64(nil), v.F64...)
			edited[k] = v
		}
		c.edit(edited)
		var list []data.Tensor
		for _, v := range edited {
			list = append(list, v)
		}
		if err := data.WriteSafetensors(bad, list, md); err != nil {
			t.Fatal(err)
		}
		_, _, err := smallRun(t, filepath.Dir(bad), s, true)
		if err == nil || !strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: resume error %v, want one naming %s and %q", c.name, err, bad, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "learning rate") {
			t.Errorf("%s: %v blames the learning rate for a bad file", c.name, err)
		}
	}
	if _, _, err := smallRun(t, dir, s, true); err != nil {
		t.Errorf("the intact checkpoint does not resume: %v", err)
	}
}

// Issue case 7: a run resumed on other MNIST files (another digest) is
// refused, naming the checkpoint and both digests.
func TestResumeRefusesOtherData(t *testing.T) {
	dir := t.TempDir()
	s := settings(1)
	if _, _, err := smallRun(t, dir, s, false); err != nil {
		t.Fatal(err)
	}
	tr, te := load(t, "train", 2000), load(t, "test", 1000)
	if tr.Digest == "" {
		t.Fatal("no digest on the loaded set")
	}
	orig := tr.Digest
	tr.Digest, te.Digest = "0123", "0123"
	m, err := model.New(model.Config{Layers: []int{49, 16, 10}, Activation: model.Tanh, Seed: 4})
	if err != nil {
		t.Fatal(err)
	}
	s.Epochs = 2
	_, err = Run(m, tr, te, Options{Settings: s, OutDir: dir, Resume: true, Workers: 1, Version: "test"})
	if err == nil || !strings.Contains(err.Error(), orig) || !strings.Contains(err.Error(), "0123") || !strings.Contains(err.Error(), CheckpointFile) {
		t.Errorf("resume on other data: %v", err)
	}
	tr.Digest = orig
	if _, err := Run(m, tr, te, Options{Settings: s, OutDir: dir, Resume: true, Workers: 1, Version: "test"}); err == nil || !strings.Contains(err.Error(), "different MNIST files") {
		t.Errorf("training and test sets from different files: %v", err)
	}
}
