package main

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

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
