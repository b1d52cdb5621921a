package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sgn-project/sgn/internal/paper"
	"github.com/sgn-project/sgn/internal/report"
)

// tinyCheckpoint writes a small untrained 49-8-10 tanh checkpoint (pool 4).
func tinyCheckpoint(t *testing.T) string {
	return writeCheckpoint(t, t.TempDir(), "tiny.safetensors", []int{49, 8, 10}, 5, 4)
}

func TestNoiseCommand(t *testing.T) {
	ck := tinyCheckpoint(t)
	out := filepath.Join(t.TempDir(), "noise")
	code, stdout, errs := run("noise", "--checkpoint", ck, "--first", "300", "--batch-size", "1,16", "--minibatches", "40", "--out", out, "--quiet")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(stdout, "random directions") || !strings.Contains(stdout, "κ/B") {
		t.Errorf("no summary on stdout: %q", stdout)
	}
	b, err := os.ReadFile(filepath.Join(out, "noise.json"))
	if err != nil {
		t.Fatal(err)
	}
	var js struct {
		Version   string
		Selection struct{ N int } `json:"data_selection"`
		Report    struct {
			Params  int
			Batches []struct {
				BatchSize int `json:"batch_size"`
			}
		}
	}
	if err := json.Unmarshal(b, &js); err != nil {
		t.Fatal(err)
	}
	if js.Report.Params != 49*8+8+8*10+10 || js.Selection.N != 300 || len(js.Report.Batches) != 2 || js.Version == "" {
		t.Errorf("noise.json: %+v", js)
	}
	for _, f := range []string{"noise.csv", "noise-coords.csv", "noise-panels.png", "noise-panels.svg", "noise-vs-batch.png", "noise-vs-batch.svg"} {
		if st, err := os.Stat(filepath.Join(out, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s missing or empty", f)
		}
	}
	// sgn report finds the batches of this noise.json (under "report").
	rep, err := report.Build([]string{out}, "test", paper.Experiments())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range rep.Claims {
		if strings.HasPrefix(c.ID, "noise-") && len(c.Sources) == 0 {
			t.Errorf("sgn report does not read noise.json for %s: %s", c.ID, c.Finding)
		}
	}
	bad := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--first", "300"}, 2, "--checkpoint"},
		{[]string{"--checkpoint", ck, "--first", "300", "--batch-sizes", "1,400"}, 2, "400"},
		{[]string{"--checkpoint", ck, "--first", "300", "--batch-sizes", "0"}, 2, "--batch-sizes"},
		{[]string{"--checkpoint", ck, "--first", "300", "--batch-size", "0"}, 2, "--batch-size"},
		{[]string{"--checkpoint", ck, "--first", "300", "--minibatches", "5"}, 2, "--minibatches"},
		{[]string{"--checkpoint", ck, "--first", "300", "--hist-b", "7"}, 2, "--hist-b"},
		{[]string{"--checkpoint", ck, "--split", "val"}, 2, "split"},
		{[]string{"--checkpoint", filepath.Join(t.TempDir(), "none.safetensors")}, 1, "none.safetensors"},
	}
	for _, c := range bad {
		code, _, errs := run(append([]string{"noise", "--quiet", "--out", t.TempDir()}, c.args...)...)
		if code != c.code || !strings.Contains(errs, c.want) {
			t.Errorf("%v: exit %d, %q; want %d and %q", c.args, code, errs, c.code, c.want)
		}
	}
}

// TestNoiseDeprecatedBatchSizes: the old spelling --batch-sizes still works,
// gives the same numbers as --batch-size and prints one deprecation line.
func TestNoiseDeprecatedBatchSizes(t *testing.T) {
	ck := tinyCheckpoint(t)
	var csv [2][]byte
	for i, name := range []string{"batch-size", "batch-sizes"} {
		out := filepath.Join(t.TempDir(), "noise")
		code, _, errs := run("noise", "--checkpoint", ck, "--first", "100", "--"+name, "4,16", "--minibatches", "20", "--out", out, "--quiet")
		if code != 0 {
			t.Fatalf("--%s: exit %d: %s", name, code, errs)
		}
		want := ""
		if name == "batch-sizes" {
			want = "sgn: --batch-sizes is deprecated for noise; use --batch-size\n"
		}
		if errs != want {
			t.Errorf("--%s: stderr %q, want %q", name, errs, want)
		}
		b, err := os.ReadFile(filepath.Join(out, "noise.csv"))
		if err != nil {
			t.Fatal(err)
		}
		csv[i] = b
	}
	if string(csv[0]) != string(csv[1]) {
		t.Error("noise.csv differs between --batch-size and --batch-sizes")
	}
}
