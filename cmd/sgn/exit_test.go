package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/sgn-project/sgn/data"
	"github.com/sgn-project/sgn/internal/sweep"
	"github.com/sgn-project/sgn/train"
)

// The exit-status rule (README, "Errors and exit status"): a file or folder
// named on the command line that is missing, cannot be read or is bad is a
// failure, exit 1, with one line naming it — for every command and every
// flag or argument that names one; only the command line itself (a
// malformed or out-of-range value, a builtin name that does not exist) is a
// usage error, exit 2.
func TestNamedFileErrorsExit1(t *testing.T) {
	base := t.TempDir()
	out := filepath.Join(base, "out")
	write := func(name, content string) string { return writeFile(t, base, name, content) }
	missing := filepath.Join(base, "missing")
	// "Unreadable": a folder where a file is wanted (root reads any file,
	// so a permission bit would not make one unreadable in every test run).
	dirAsFile := filepath.Join(base, "a-folder.json")
	os.MkdirAll(dirAsFile, 0o755)
	badJSON := write("bad.json", `{"seed": 1, "dynamics": `)
	badST := write("bad.safetensors", "not a safetensors file")
	// Folders: a sweep folder whose config.json is a folder or is bad, and
	// an MNIST folder of four files that are not gzip.
	unreadSweep := filepath.Join(base, "unread-sweep")
	os.MkdirAll(filepath.Join(unreadSweep, "config.json"), 0o755)
	badSweep := filepath.Dir(write("bad-sweep/config.json", `{"hash": `))
	notMNIST := write("a-file", "x")

	type cmdline func(path string) []string
	files := map[string]cmdline{
		"escape sweep --config": func(p string) []string {
			return []string{"escape", "sweep", "--config", p, "--out", out, "--quiet"}
		},
		"selection twowell sweep --config": func(p string) []string {
			return []string{"selection", "twowell", "sweep", "--config", p, "--out", out, "--quiet"}
		},
		"selection networks sweep --config": func(p string) []string {
			return []string{"selection", "networks", "sweep", "--config", p, "--out", out, "--quiet"}
		},
		"hessian --checkpoint": func(p string) []string {
			return []string{"hessian", "--checkpoint", p, "--top-k", "2", "--out", out, "--quiet"}
		},
		"noise --checkpoint": func(p string) []string {
			return []string{"noise", "--checkpoint", p, "--out", out, "--quiet"}
		},
		"covariance --checkpoint": func(p string) []string {
			return []string{"covariance", "--checkpoint", p, "--out", out, "--quiet"}
		},
		"equilibrium --checkpoint": func(p string) []string {
			return []string{"equilibrium", "--checkpoint", p, "--out", out, "--quiet"}
		},
	}
	for name, args := range files {
		bad := badJSON
		if strings.Contains(name, "checkpoint") {
			bad = badST
		}
		for _, p := range []string{missing + ".json", dirAsFile, bad} {
			checkExit1(t, name, args(p), p)
		}
	}
	folders := map[string]cmdline{
		"escape fit":               func(p string) []string { return []string{"escape", "fit", p} },
		"escape merge":             func(p string) []string { return []string{"escape", "merge", p, "--out", out} },
		"selection twowell fit":    func(p string) []string { return []string{"selection", "twowell", "fit", p} },
		"selection twowell merge":  func(p string) []string { return []string{"selection", "twowell", "merge", p, "--out", out} },
		"selection networks fit":   func(p string) []string { return []string{"selection", "networks", "fit", p} },
		"selection networks merge": func(p string) []string { return []string{"selection", "networks", "merge", p, "--out", out} },
		"equilibrium escape --sweep": func(p string) []string {
			return []string{"equilibrium", "escape", "--sweep", p, "--out", out, "--quiet"}
		},
	}
	for name, args := range folders {
		for _, p := range []string{missing, unreadSweep, badSweep} {
			checkExit1(t, name, args(p), p)
		}
	}
	checkExit1(t, "report", []string{"report", missing, "--out", out}, missing)
	checkExit1(t, "report", []string{"report", notMNIST, "--out", out}, notMNIST)
}

// TestMNISTAndResumeErrorsExit1: the exit-status rule for --mnist (a
// missing folder, a file, four files that are not gzip) and --resume (a
// missing folder, a checkpoint that is a folder or is bad).
func TestMNISTAndResumeErrorsExit1(t *testing.T) {
	base := t.TempDir()
	out := filepath.Join(base, "out")
	missing := filepath.Join(base, "missing")
	notMNIST := writeFile(t, base, "a-file", "x")
	badMNIST := filepath.Dir(writeFile(t, base, "bad-mnist/train-images-idx3-ubyte.gz", "x"))
	for _, n := range []string{"train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"} {
		writeFile(t, base, "bad-mnist/"+n, "x")
	}
	resumeBad := filepath.Dir(writeFile(t, base, "resume-bad/model.safetensors", "x"))
	resumeUnread := filepath.Join(base, "resume-unread")
	os.MkdirAll(filepath.Join(resumeUnread, "model.safetensors"), 0o755)
	for _, p := range []string{missing, notMNIST, badMNIST} {
		checkExit1(t, "train --mnist", []string{"train", "--mnist", p, "--epochs", "1", "--out", out, "--quiet"}, p)
		checkExit1(t, "data export --mnist", []string{"data", "export", "--mnist", p, "--out", filepath.Join(out, "x.safetensors"), "--quiet"}, p)
		checkExit1(t, "escape run --mnist", []string{"escape", "run", "--landscape", "mlp", "--dynamics", "sgd", "--delta", "0.05", "--mnist", p, "--out", out, "--quiet"}, p)
		checkExit1(t, "escape sweep --mnist", []string{"escape", "sweep", "--config", "builtin:mlp-eta", "--mnist", p, "--out", out, "--quiet"}, p)
		checkExit1(t, "selection networks sweep --mnist", []string{"selection", "networks", "sweep", "--mnist", p, "--out", out, "--quiet"}, p)
	}
	for _, p := range []string{missing, resumeUnread, resumeBad} {
		checkExit1(t, "train --resume", []string{"train", "--resume", p, "--epochs", "2", "--quiet"}, p)
	}
}

// TestCommandLineErrorsExit2: only the command line itself (a builtin that
// does not exist, an out-of-range value) is a usage error, exit 2, even
// beside a bad file.
func TestCommandLineErrorsExit2(t *testing.T) {
	base := t.TempDir()
	out := filepath.Join(base, "out")
	badST := writeFile(t, base, "bad.safetensors", "not a safetensors file")
	for _, args := range [][]string{
		{"escape", "sweep", "--config", "builtin:nope", "--out", out},
		{"selection", "twowell", "sweep", "--config", "builtin:nope", "--out", out},
		{"hessian", "--checkpoint", badST, "--top-k", "-1", "--out", out},
	} {
		if code, _, stderr := run(args...); code != 2 || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q; want a usage error", args, code, stderr)
		}
	}
}

// writeFile writes content into base/name (creating its folder) and
// returns its path.
func writeFile(t *testing.T, base, name, content string) string {
	t.Helper()
	p := filepath.Join(base, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// checkExit1 runs args and checks exit status 1 and one line on stderr
// naming path.
func checkExit1(t *testing.T, name string, args []string, path string) {
	t.Helper()
	code, _, stderr := run(args...)
	if code != 1 || !strings.Contains(stderr, path) || strings.Count(stderr, "\n") != 1 {
		t.Errorf("%s %s: exit %d, stderr %q; want exit 1 and one line naming it", name, path, code, stderr)
	}
}

// TestRefusalPrintsOneLine: a command refused for its MNIST folder prints
// its one line on stderr and nothing else, with progress on (no --quiet):
// no "loading" line before the refusal.
func TestRefusalPrintsOneLine(t *testing.T) {
	base := t.TempDir()
	out := filepath.Join(base, "out")
	ck := writeCheckpoint(t, base, "model.safetensors", []int{49, 4, 10}, 1, 4)
	missing := filepath.Join(base, "missing")
	badMNIST := filepath.Dir(writeFile(t, base, "bad-mnist/train-images-idx3-ubyte.gz", "x"))
	for _, n := range []string{"train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"} {
		writeFile(t, base, "bad-mnist/"+n, "x")
	}
	for _, p := range []string{missing, badMNIST} {
		for _, args := range [][]string{
			{"data", "export", "--out", filepath.Join(out, "x.safetensors")},
			{"train", "--epochs", "1", "--out", out},
			{"hessian", "--checkpoint", ck, "--out", out},
			{"covariance", "--checkpoint", ck, "--out", out},
			{"noise", "--checkpoint", ck, "--out", out},
			{"minimum", "--checkpoint", ck, "--out", out},
			{"equilibrium", "--checkpoint", ck, "--out", out},
		} {
			code, stdout, stderr := run(append(args, "--mnist", p)...)
			if code != 1 || stdout != "" || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, p) {
				t.Errorf("%s --mnist %s: exit %d, stdout %q, stderr %q; want exit 1 and one line naming it", args[0], p, code, stdout, stderr)
			}
		}
	}
}

// editCheckpoint rewrites the checkpoint at path through edit.
func editCheckpoint(t *testing.T, path string, edit func(ts map[string]data.Tensor, md map[string]string)) {
	t.Helper()
	ts, md, err := data.ReadSafetensors(path)
	if err != nil {
		t.Fatal(err)
	}
	edit(ts, md)
	var list []data.Tensor
	for _, v := range ts {
		list = append(list, v)
	}
	if err := data.WriteSafetensors(path, list, md); err != nil {
		t.Fatal(err)
	}
}

// Issue cases 1 and 8: every bad flag value is a usage error (exit 2) naming
// the flag, sizes included.
func TestBadFlagValuesAreUsageErrors(t *testing.T) {
	base := t.TempDir()
	ck := writeCheckpoint(t, base, "m.safetensors", []int{49, 6, 10}, 1, 4)
	out := filepath.Join(base, "out")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"train", "--layers", "49,307445734561825861,10", "--out", out}, "layers"},
		{[]string{"train", "--layers", "49,100000,100000,10", "--out", out}, "--max-params"},
		{[]string{"train", "--layers", "49,16,10", "--max-params", "900", "--out", out}, "--max-params"},
		{[]string{"train", "--first", "60001", "--out", out}, "--first"},
		{[]string{"train", "--test-first", "10001", "--out", out}, "--test-first"},
		{[]string{"escape", "sweep", "--config", "x.json", "--workers", "-3", "--out", out}, "--workers"},
		{[]string{"covariance", "--checkpoint", ck, "--first", "100", "--batch-size", "8", "--mode", "matfree", "--top-k", "5000", "--out", out, "--quiet"}, "--top-k"},
		{[]string{"selection", "twowell", "run", "--dynamics", "sgd", "--workers", "0", "--out", out}, "--workers"},
		{[]string{"selection", "twowell", "sweep", "--config", "builtin:twowell", "--shard", "5/2", "--out", out}, "--shard: invalid shard"},
		{[]string{"train", "--epochs", "0", "--out", out}, "--epochs 0 and --steps 0"},
		{[]string{"train", "--steps", "-3", "--out", out}, "--steps -3: must not be negative"},
		{[]string{"hessian", "--checkpoint", ck, "--top-k", "30", "--max-iterations", "10", "--out", out, "--quiet"}, "--max-iterations 10 is smaller"},
	} {
		code, _, stderr := run(c.args...)
		if code != 2 || !strings.Contains(stderr, c.want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and one line naming %s", c.args, code, stderr, c.want)
		}
	}
}

// Issue cases 8 and 9: a checkpoint whose weights hold a NaN, or whose
// training settings are invalid, is the file's fault: exit 1 naming the file,
// no flag the user never gave, no advice to lower the learning rate.
func TestBadCheckpointIsTheFilesFault(t *testing.T) {
	mnistOrSkip(t)
	base := t.TempDir()
	ck := writeCheckpoint(t, base, "nan.safetensors", []int{49, 6, 10}, 1, 4)
	editCheckpoint(t, ck, func(ts map[string]data.Tensor, _ map[string]string) { ts["fc2.weight"].F64[3] = math.NaN() })
	for _, args := range [][]string{
		{"noise", "--checkpoint", ck, "--first", "100", "--batch-size", "8", "--out", filepath.Join(base, "n"), "--quiet"},
		{"covariance", "--checkpoint", ck, "--first", "100", "--batch-size", "8", "--out", filepath.Join(base, "c"), "--quiet"},
		{"hessian", "--checkpoint", ck, "--first", "100", "--top-k", "2", "--out", filepath.Join(base, "h"), "--quiet"},
	} {
		code, _, stderr := run(args...)
		if code != 1 || !strings.Contains(stderr, ck) || !strings.Contains(stderr, "NaN") {
			t.Errorf("%s on a NaN checkpoint: exit %d, stderr %q", args[0], code, stderr)
		}
	}

	dir := filepath.Join(base, "run")
	if code, _, stderr := run("train", "--layers", "49,6,10", "--first", "200", "--test-first", "100", "--epochs", "1", "--batch-size", "10", "--out", dir, "--quiet"); code != 0 {
		t.Fatal(stderr)
	}
	good, err := os.ReadFile(filepath.Join(dir, train.CheckpointFile))
	if err != nil {
		t.Fatal(err)
	}
	ckpt := filepath.Join(dir, train.CheckpointFile)
	for _, c := range []struct {
		name string
		edit func(ts map[string]data.Tensor, md map[string]string)
	}{
		{"NaN weight", func(ts map[string]data.Tensor, _ map[string]string) { ts["fc1.bias"].F64[0] = math.Inf(1) }},
		{"batch size 0", func(_ map[string]data.Tensor, md map[string]string) {
			var meta map[string]json.RawMessage
			json.Unmarshal([]byte(md["config"]), &meta)
			var s map[string]any
			json.Unmarshal(meta["training"], &s)
			s["batch_size"] = 0
			meta["training"], _ = json.Marshal(s)
			b, _ := json.Marshal(meta)
			md["config"] = string(b)
		}},
	} {
		if err := os.WriteFile(ckpt, good, 0o644); err != nil {
			t.Fatal(err)
		}
		editCheckpoint(t, ckpt, c.edit)
		code, _, stderr := run("train", "--resume", dir, "--epochs", "2", "--quiet")
		if code != 1 || !strings.Contains(stderr, ckpt) || strings.Contains(stderr, "learning rate") || strings.Contains(stderr, "--batch-size") {
			t.Errorf("resume from a checkpoint with %s: exit %d, stderr %q; want exit 1 naming %s", c.name, code, stderr, ckpt)
		}
	}
}

// Issue case 3: sgn noise estimates its buffers and refuses, before
// allocating them, options that need more than --max-memory.
func TestNoiseRefusesOptionsAboveMaxMemory(t *testing.T) {
	mnistOrSkip(t)
	base := t.TempDir()
	ck := writeCheckpoint(t, base, "m.safetensors", []int{49, 6, 10}, 1, 4)
	code, _, stderr := run("noise", "--checkpoint", ck, "--first", "100", "--batch-size", "8", "--minibatches", "100000000", "--out", filepath.Join(base, "n"), "--quiet")
	if code != 2 || !strings.Contains(stderr, "--max-memory") || !strings.Contains(stderr, "--minibatches 100000000") {
		t.Errorf("--minibatches 100000000: exit %d, stderr %q", code, stderr)
	}
	code, _, stderr = run("noise", "--checkpoint", ck, "--first", "100", "--batch-size", "8", "--minibatches", "100", "--max-memory", "1KiB", "--out", filepath.Join(base, "n"), "--quiet")
	if code != 2 || !strings.Contains(stderr, "--max-memory") {
		t.Errorf("--max-memory 1KiB: exit %d, stderr %q", code, stderr)
	}
}

// TestBadDataFileEveryCommand: every command that reads --data refuses a
// bad data file (labels beyond the model's outputs, features of an
// integer dtype, labels that are not whole numbers, x of rank 3, a
// truncated file, a NaN feature) with exit 1 and one line naming the file
// and what is expected, and leaves what its output folder already held.
func TestBadDataFileEveryCommand(t *testing.T) {
	tmp := t.TempDir()
	ck := writeCheckpoint(t, tmp, "ck.safetensors", []int{3, 4, 4}, 1, 0)
	const n = 8
	x := make([]float64, n*3)
	for i := range x {
		x[i] = math.Sin(float64(i))
	}
	y := []int64{0, 1, 2, 3, 0, 1, 2, 3}
	write := func(name string, ts ...data.Tensor) string {
		p := filepath.Join(tmp, name)
		if err := data.WriteSafetensors(p, ts, nil); err != nil {
			t.Fatal(err)
		}
		return p
	}
	X := data.Tensor{Name: "x", DType: "F64", Shape: []int{n, 3}, F64: x}
	Y := data.Tensor{Name: "y", DType: "I64", Shape: []int{n}, I64: y}
	wide := append([]int64(nil), y...)
	wide[5] = 6
	intX := make([]int64, len(x))
	fracY := make([]float64, n)
	for i := range fracY {
		fracY[i] = float64(y[i]) + 0.5
	}
	nanX := append([]float64(nil), x...)
	nanX[4] = math.NaN()
	truncated := write("truncated.safetensors", X, Y)
	if b, err := os.ReadFile(truncated); err != nil || os.WriteFile(truncated, b[:len(b)-20], 0o644) != nil {
		t.Fatal("cannot truncate", err)
	}
	files := []struct {
		name, path, want string
	}{
		{"labels beyond the outputs", write("wide.safetensors", X, data.Tensor{Name: "y", DType: "I64", Shape: []int{n}, I64: wide}), "7 classes"},
		{"integer features", write("intx.safetensors", data.Tensor{Name: "x", DType: "I64", Shape: []int{n, 3}, I64: intX}, Y), "want F64 or F32"},
		{"fractional labels", write("fracy.safetensors", X, data.Tensor{Name: "y", DType: "F64", Shape: []int{n}, F64: fracY}), "not a whole number"},
		{"x of rank 3", write("rank3.safetensors", data.Tensor{Name: "x", DType: "F64", Shape: []int{n, 3, 1}, F64: x}, Y), "rank 2"},
		{"truncated", truncated, "beyond"},
		{"NaN feature", write("nan.safetensors", data.Tensor{Name: "x", DType: "F64", Shape: []int{n, 3}, F64: nanX}, Y), "NaN"},
	}
	commands := map[string][]string{
		"train":       {"train", "--layers", "3,4,4", "--epochs", "1", "--batch-size", "2"},
		"hessian":     {"hessian", "--checkpoint", ck, "--top-k", "2"},
		"covariance":  {"covariance", "--checkpoint", ck, "--batch-size", "2"},
		"noise":       {"noise", "--checkpoint", ck, "--batch-size", "2", "--minibatches", "20"},
		"minimum":     {"minimum", "--checkpoint", ck},
		"equilibrium": {"equilibrium", "--checkpoint", ck},
		"paper":       {"paper", "--checkpoint", ck, "--quick"},
	}
	for cmd, args := range commands {
		out := filepath.Join(tmp, "out-"+cmd)
		kept := writeFile(t, out, "notes.txt", "an earlier file")
		for _, f := range files {
			a := append(append([]string{}, args...), "--data", f.path, "--out", out, "--quiet")
			code, _, errs := run(a...)
			if code != 1 || strings.Count(strings.TrimSpace(errs), "\n") != 0 || !strings.HasPrefix(errs, "sgn "+cmd+": ") ||
				!strings.Contains(errs, filepath.Base(f.path)) || !strings.Contains(errs, f.want) {
				t.Errorf("%s, %s: exit %d, %q; want exit 1 and one line naming %s and %q", cmd, f.name, code, errs, filepath.Base(f.path), f.want)
			}
		}
		if b, err := os.ReadFile(kept); err != nil || string(b) != "an earlier file" {
			t.Errorf("%s: the earlier file of its output folder: %q, %v", cmd, b, err)
		}
	}
}

// A writing command refused after it took its output folder (here: MNIST
// files that are not there, shards of different sweeps) leaves nothing
// behind: a new --out folder and the parents it needed are gone again, and
// an existing empty one holds no .sgn.lock.
func TestRefusedCommandsLeaveNothingBehind(t *testing.T) {
	base := t.TempDir()
	noMNIST := filepath.Join(base, "no-mnist")
	if err := os.Mkdir(noMNIST, 0o755); err != nil {
		t.Fatal(err)
	}
	ck := writeCheckpoint(t, base, "model.safetensors", []int{49, 4, 10}, 1, 4)
	escA, escB, twA, twB := filepath.Join(base, "esc-a"), filepath.Join(base, "esc-b"), filepath.Join(base, "tw-a"), filepath.Join(base, "tw-b")
	for _, args := range [][]string{
		{"escape", "sweep", "--config", writeConfig(t, base, 1, "doublewell"), "--out", escA},
		{"escape", "sweep", "--config", writeConfig(t, base, 2, "doublewell"), "--out", escB},
		{"selection", "twowell", "run", "--dynamics", "sgld", "--replicas", "2", "--steps", "10", "--burn-in", "1", "--seed", "1", "--out", twA},
		{"selection", "twowell", "run", "--dynamics", "sgld", "--replicas", "2", "--steps", "10", "--burn-in", "1", "--seed", "2", "--out", twB},
	} {
		if code, _, stderr := run(append(args, "--quiet")...); code != 0 {
			t.Fatalf("%v: %s", args, stderr)
		}
	}
	for _, c := range []struct {
		name string
		args []string
	}{
		{"train", []string{"train", "--preset", "figure", "--mnist", noMNIST}},
		{"hessian", []string{"hessian", "--checkpoint", ck, "--mnist", noMNIST}},
		{"covariance", []string{"covariance", "--checkpoint", ck, "--mnist", noMNIST}},
		{"noise", []string{"noise", "--checkpoint", ck, "--mnist", noMNIST}},
		{"minimum", []string{"minimum", "--checkpoint", ck, "--mnist", noMNIST}},
		{"equilibrium", []string{"equilibrium", "--checkpoint", ck, "--mnist", noMNIST}},
		{"escape run", []string{"escape", "run", "--landscape", "mlp", "--dynamics", "sgd", "--eta", "0.1", "--delta", "0.05", "--mnist", noMNIST}},
		{"escape sweep", []string{"escape", "sweep", "--config", "builtin:mlp-eta", "--mnist", noMNIST}},
		{"escape merge", []string{"escape", "merge", escA, escB}},
		{"selection twowell merge", []string{"selection", "twowell", "merge", twA, twB}},
		{"selection networks sweep", []string{"selection", "networks", "sweep", "--mnist", noMNIST}},
	} {
		for _, fresh := range []bool{true, false} {
			top := filepath.Join(base, "out", c.name)
			out := filepath.Join(top, "sub")
			if !fresh {
				if err := os.MkdirAll(out, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			code, _, stderr := run(append(c.args, "--out", out, "--quiet")...)
			if code == 0 {
				t.Fatalf("%s: exit 0, want a refusal", c.name)
			}
			if fresh {
				if _, err := os.Stat(top); !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("%s (refused: %s): left the new folder %s behind (%v)", c.name, stderr, top, err)
				}
				continue
			}
			if es, err := os.ReadDir(out); err != nil || len(es) != 0 {
				t.Errorf("%s (refused: %s): the existing empty folder now holds %v (%v)", c.name, stderr, es, err)
			}
			os.RemoveAll(top)
		}
	}
	// data export names a file; its folder is created before MNIST is read.
	top := filepath.Join(base, "out", "export")
	if code, _, _ := run("data", "export", "--mnist", noMNIST, "--out", filepath.Join(top, "sub", "x.safetensors"), "--quiet"); code != 1 {
		t.Fatalf("data export without MNIST: exit %d, want 1", code)
	}
	if _, err := os.Stat(top); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("data export left the new folder %s behind (%v)", top, err)
	}
}

// TestWorkerPanicIsOneLineExit1: a command whose worker pool (the sweep
// machinery every sweep runs on) has a worker that panics ends with one line
// on stderr naming the task and the panic, and exit status 1 — not a Go
// stack trace and exit 2; SGN_TRACEBACK adds the worker's stack.
func TestWorkerPanicIsOneLineExit1(t *testing.T) {
	c := command{run: func(*app, []string) error {
		tasks := []sweep.Task{{Point: 0, Run: 0, Seed: 1}, {Point: 0, Run: 1, Seed: 2}, {Point: 1, Run: 0, Seed: 3}}
		return sweep.Execute(tasks, 2, func(t sweep.Task) (float64, error) {
			if t.Point == 1 {
				var x []float64
				return x[t.Run+1], nil
			}
			return 0, nil
		}, func(sweep.Record[float64]) error { return nil })
	}}
	var out, errb bytes.Buffer
	a := &app{stdout: &out, stderr: &errb}
	code := a.status("escape", runCommand(c, a, nil))
	msg := errb.String()
	if code != 1 || strings.Count(msg, "\n") != 1 || !strings.HasPrefix(msg, "sgn escape: point 1 run 0 (seed 3): internal error: panic: runtime error: index out of range") {
		t.Fatalf("exit %d, stderr %q; want exit 1 and one line naming the run and the panic", code, msg)
	}
	t.Setenv("SGN_TRACEBACK", "1")
	errb.Reset()
	if code := a.status("escape", runCommand(c, a, nil)); code != 1 || !strings.Contains(errb.String(), "exit_test.go") {
		t.Errorf("with SGN_TRACEBACK: exit %d, stderr %q; want the worker's stack", code, errb.String())
	}
}

// subcommands returns the subcommands a group lists in its help (the
// first word of each line of its "Subcommands:" table), or
// nil when path is not a group.
func subcommands(t *testing.T, path []string) []string {
	t.Helper()
	_, out, _ := run(append(append([]string{}, path...), "--help")...)
	if !strings.HasPrefix(out, "Usage: sgn "+strings.Join(path, " ")+" <") {
		return nil
	}
	var subs []string
	in := false
	for _, line := range strings.Split(out, "\n") {
		switch {
		case line == "Subcommands:":
			in = true
		case in && strings.TrimSpace(line) == "":
			return subs
		case in && strings.HasPrefix(line, "  ") && !strings.HasPrefix(line, "   "):
			subs = append(subs, strings.Fields(line)[0])
		}
	}
	return subs
}

// TestErrorPrefixNamesTheSubcommand: over the command table, walking every
// group's subcommands, an error line begins with the words of the command
// that failed, `sgn CMD [SUB…]: `: a flag that does not exist (exit 2) in
// every leaf, an unknown subcommand in every group, and failures (exit 1)
// of subcommands.
func TestErrorPrefixNamesTheSubcommand(t *testing.T) {
	var names []string
	for n := range commands() {
		names = append(names, n)
	}
	sort.Strings(names)
	leaves, groups := 0, 0
	var walk func(path []string)
	walk = func(path []string) {
		want := "sgn " + strings.Join(path, " ") + ": "
		if subs := subcommands(t, path); subs != nil {
			groups++
			code, _, errs := run(append(append([]string{}, path...), "no-such-subcommand")...)
			if code != 2 || !strings.HasPrefix(errs, want+"unknown ") || strings.Count(errs, "\n") != 1 {
				t.Errorf("%s no-such-subcommand: exit %d, %q; want exit 2, one line beginning %q", want, code, errs, want+"unknown ")
			}
			for _, s := range subs {
				walk(append(append([]string{}, path...), s))
			}
			return
		}
		leaves++
		code, _, errs := run(append(append([]string{}, path...), "--no-such-flag")...)
		if code != 2 || !strings.HasPrefix(errs, want) || strings.Count(errs, "\n") != 1 {
			t.Errorf("%s--no-such-flag: exit %d, %q; want exit 2 and one line beginning %q", want, code, errs, want)
		}
	}
	for _, n := range names {
		walk([]string{n})
	}
	if groups < 5 || leaves < 25 {
		t.Errorf("walked %d groups and %d leaves: the help of the groups was not read", groups, leaves)
	}
	// Failures (exit 1) carry the subcommand's words too.
	tmp := t.TempDir()
	missing := tmp + "/missing"
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"data", "export", "--mnist", missing, "--out", tmp + "/x.safetensors", "--quiet"}, "sgn data export: "},
		{[]string{"escape", "fit", missing}, "sgn escape fit: "},
		{[]string{"selection", "twowell", "fit", missing}, "sgn selection twowell fit: "},
		{[]string{"equilibrium", "escape", "--sweep", missing, "--out", tmp + "/o", "--quiet"}, "sgn equilibrium escape: "},
		{[]string{"hessian", "--checkpoint", missing, "--top-k", "2", "--out", tmp + "/h", "--quiet"}, "sgn hessian: "},
	} {
		code, _, errs := run(c.args...)
		if code != 1 || !strings.HasPrefix(errs, c.want) || strings.Count(errs, "\n") != 1 {
			t.Errorf("%v: exit %d, %q; want exit 1 and one line beginning %q", c.args, code, errs, c.want)
		}
	}
}
