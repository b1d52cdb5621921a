package main

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sgn-project/sgn/data"
)

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

// TestEscapeDivergenceStops: an escape run whose step size is far too large
// (η = 1e300: θ is not finite after a step or two), on the double well and
// on a network, stops with exit 1 and one line saying it diverged, and
// writes no results.
func TestEscapeDivergenceStops(t *testing.T) {
	mnistOrSkip(t)
	tmp := t.TempDir()
	for name, args := range map[string][]string{
		"double well": {"escape", "run", "--landscape", "doublewell", "--dynamics", "sgld", "--temperature", "0.2", "--runs", "4"},
		"network": {"escape", "run", "--landscape", "mlp", "--layers", "49,8,10", "--first", "100", "--dynamics", "sgd", "--batch-size", "10",
			"--criterion", "loss", "--delta", "0.01", "--runs", "4", "--max-steps", "100"},
	} {
		out := filepath.Join(tmp, strings.ReplaceAll(name, " ", "-"))
		code, _, errs := run(append(args, "--eta", "1e300", "--out", out, "--quiet")...)
		if code != 1 || strings.Count(strings.TrimSpace(errs), "\n") != 0 || !strings.HasPrefix(errs, "sgn escape run: ") || !strings.Contains(errs, "diverged") {
			t.Errorf("%s: exit %d, %q; want exit 1 and one line saying the run diverged", name, code, errs)
		}
		for _, f := range []string{"escape.json", "runs.jsonl"} {
			if _, err := os.Stat(filepath.Join(out, f)); err == nil {
				t.Errorf("%s: a diverged run wrote %s", name, f)
			}
		}
	}
}
