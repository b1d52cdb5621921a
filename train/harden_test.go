package train

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sgn-project/sgn/data"
)

// editCheckpoint rewrites the JSON object under key ("training" or
// "state") of the checkpoint's metadata with edit.
func editCheckpoint(t *testing.T, path, key string, edit func(map[string]any)) {
	t.Helper()
	ts, md, err := data.ReadSafetensors(path)
	if err != nil {
		t.Fatal(err)
	}
	var meta map[string]json.RawMessage
	if err := json.Unmarshal([]byte(md["config"]), &meta); err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(strings.NewReader(string(meta[key])))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil {
		t.Fatal(err)
	}
	edit(obj)
	if meta[key], err = json.Marshal(obj); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(meta)
	md["config"] = string(b)
	var list []data.Tensor
	for _, v := range ts {
		list = append(list, v)
	}
	if err := data.WriteSafetensors(path, list, md); err != nil {
		t.Fatal(err)
	}
}

// copyRun copies the files of the finished run in src into a new folder.
func copyRun(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	for _, n := range []string{CheckpointFile, LogFile, SummaryFile} {
		b, err := os.ReadFile(filepath.Join(src, n))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, n), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// A checkpoint whose state no run can have written (a negative step, an
// epoch that is not the step's, a sampler elsewhere) is refused on resume
// with an error naming the file and the field, and the log is untouched.
func TestResumeRefusesABadState(t *testing.T) {
	s := settings(2)
	s.Steps = 90 // mid-epoch: 62 steps per epoch, so epoch 1, position 28·32
	dir := t.TempDir()
	if _, _, err := smallRun(t, dir, s, false); err != nil {
		t.Fatal(err)
	}
	s.Steps = 150
	for _, c := range []struct {
		name  string
		edit  func(map[string]any)
		field string
	}{
		{"negative step", func(st map[string]any) { st["step"] = -5 }, "state.step -5"},
		{"huge epoch", func(st map[string]any) { st["epoch"] = int64(1) << 62 }, "state.epoch 4611686018427387904"},
		{"epoch of another step", func(st map[string]any) { st["epoch"] = 0 }, "state.epoch 0"},
		{"step of another epoch", func(st map[string]any) { st["step"] = 200 }, "state.epoch 1"},
		{"sampler elsewhere", func(st map[string]any) {
			st["sampler"] = map[string]any{"epoch": 1, "pos": 0}
		}, "state.sampler"},
		{"huge sampler epoch", func(st map[string]any) {
			st["sampler"] = map[string]any{"epoch": int64(1) << 62, "pos": 28 * 32}
		}, "state.sampler"},
	} {
		d := copyRun(t, dir)
		ck := filepath.Join(d, CheckpointFile)
		editCheckpoint(t, ck, "state", c.edit)
		before, _ := os.ReadFile(filepath.Join(d, LogFile))
		_, _, err := smallRun(t, d, s, true)
		if err == nil || !strings.Contains(err.Error(), ck) || !strings.Contains(err.Error(), c.field) {
			t.Errorf("%s: resume error %v, want one naming %s and %q", c.name, err, ck, c.field)
		}
		if after, _ := os.ReadFile(filepath.Join(d, LogFile)); string(after) != string(before) {
			t.Errorf("%s: the refused resume changed the log", c.name)
		}
	}
	if _, _, err := smallRun(t, copyRun(t, dir), s, true); err != nil {
		t.Errorf("the intact checkpoint does not resume: %v", err)
	}
}

// Settings recorded in a checkpoint that do not fit the model or MNIST are
// the file's fault: ResumeConfig names the file and the field, and returns
// no *SettingError (which a command would blame on its flags).
func TestResumeConfigRefusesBadSettings(t *testing.T) {
	dir := t.TempDir()
	if _, _, err := smallRun(t, dir, settings(1), false); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		field string
		value any
	}{
		{"batch_size", int64(1) << 62},
		{"batch_size", 0},
		{"train_first", int64(1) << 62},
		{"train_first", -1},
		{"train_random", -1},
		{"test_first", 10001},
		{"pool", 3},
		{"pool", 2}, // the model's 49 inputs are pool 4's
		{"lr", -1},
	} {
		d := copyRun(t, dir)
		ck := filepath.Join(d, CheckpointFile)
		editCheckpoint(t, ck, "training", func(tr map[string]any) { tr[c.field] = c.value })
		_, _, err := ResumeConfig(d)
		want := "training." + c.field
		if err == nil || !strings.Contains(err.Error(), ck) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s = %v: %v, want an error naming %s and %s", c.field, c.value, err, ck, want)
		}
		if se := (*SettingError)(nil); err != nil && errorsAs(err, &se) {
			t.Errorf("%s = %v: a *SettingError (%v) would be blamed on a flag", c.field, c.value, err)
		}
	}
	if _, _, err := ResumeConfig(dir); err != nil {
		t.Errorf("the intact checkpoint: %v", err)
	}
}

// A fresh run removes nothing of an earlier run in its folder when an
// input is bad: here the MNIST folder is empty.
func TestTrainRemovesNothingOnBadData(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{CheckpointFile, LogFile, SummaryFile} {
		os.WriteFile(filepath.Join(dir, n), []byte("earlier "+n), 0o644)
	}
	p := Presets()["figure"]
	s := p.Settings
	s.TrainFirst, s.TestFirst, s.Epochs = 200, 100, 1
	var cleaned []string
	_, err := Train(Job{Model: p.Model, Settings: s, MNIST: t.TempDir(), OutDir: dir, Workers: 1,
		Cleaned: func(gone []string) { cleaned = gone }})
	if err == nil {
		t.Fatal("training on an empty MNIST folder succeeded")
	}
	for _, n := range []string{CheckpointFile, LogFile, SummaryFile} {
		if b, _ := os.ReadFile(filepath.Join(dir, n)); string(b) != "earlier "+n {
			t.Errorf("%s was changed or removed by a refused run (%q)", n, b)
		}
	}
	if cleaned != nil {
		t.Errorf("Cleaned called with %v", cleaned)
	}
	// With the data there, the earlier files are removed and reported.
	if _, err := Train(Job{Model: p.Model, Settings: s, OutDir: dir, Workers: 1,
		Cleaned: func(gone []string) { cleaned = gone }}); err != nil {
		t.Fatal(err)
	}
	if strings.Join(cleaned, ",") != CheckpointFile+","+LogFile+","+SummaryFile {
		t.Errorf("Cleaned reported %v", cleaned)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, LogFile)); strings.Contains(string(b), "earlier") {
		t.Error("the earlier log survived a fresh run")
	}
}

func errorsAs(err error, target any) bool { return errors.As(err, target) }
