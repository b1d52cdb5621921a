package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSelectionCommands: run, a sharded sweep of a small config, merge,
// fit, configs, and the usage errors (exit status 2, the flag named).
func TestSelectionCommands(t *testing.T) {
	tmp := t.TempDir()
	code, msg := runSgn("selection", "twowell", "run", "--dynamics", "sgd", "--barrier", "0.02", "--batch-size", "2", "--eta", "0.05",
		"--replicas", "4", "--steps", "100000", "--burn-in", "1000", "--workers", "2", "--out", filepath.Join(tmp, "run"), "--quiet")
	if code != 0 || !strings.Contains(msg, "Theorem 2") || !strings.Contains(msg, "selection.json") {
		t.Fatalf("selection run: exit %d:\n%s", code, msg)
	}
	cfg := `{"seed": 3, "landscape": {"barrier": 0.02}, "dynamics": ["sgld", "sgd"], "batch_size": [1, 3],
  "eta": [0.05], "temperature": [0.01, 0.005], "replicas": 3, "steps": 50000, "burn_in": 1000}`
	cfgPath := filepath.Join(tmp, "sel.json")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	sw := filepath.Join(tmp, "sw")
	for _, s := range []string{"0/2", "1/2"} {
		if code, msg := runSgn("selection", "twowell", "sweep", "--config", cfgPath, "--out", sw, "--shard", s, "--quiet"); code != 0 {
			t.Fatalf("sweep shard %s: exit %d: %s", s, code, msg)
		}
	}
	if code, msg := runSgn("selection", "twowell", "merge", sw+"-shard-0", sw+"-shard-1", "--out", sw); code != 0 || !strings.Contains(msg, "12 of 12 replicas") {
		t.Fatalf("merge: exit %d: %s", code, msg)
	}
	// --shards N names the same folders, OUT-shard-0 … OUT-shard-(N−1);
	// with folders listed too it is a usage error.
	if code, msg := runSgn("selection", "twowell", "merge", "--shards", "2", "--out", sw); code != 0 || !strings.Contains(msg, "merged 2 folders") || !strings.Contains(msg, "12 of 12 replicas") {
		t.Fatalf("merge --shards 2: exit %d: %s", code, msg)
	}
	if code, msg := runSgn("selection", "twowell", "merge", "--shards", "2", sw+"-shard-0", "--out", sw); code != 2 || !strings.Contains(msg, "--shards") {
		t.Errorf("merge --shards with a folder: exit %d: %s", code, msg)
	}
	if code, msg := runSgn("selection", "twowell", "merge", "--shards", "3", "--out", sw); code != 1 || !strings.Contains(msg, sw+"-shard-2") {
		t.Errorf("merge --shards 3 of 2: exit %d: %s", code, msg)
	}
	if code, msg := runSgn("selection", "twowell", "fit", sw); code != 0 || !strings.Contains(msg, "fit sgd:") {
		t.Fatalf("fit: exit %d: %s", code, msg)
	}
	var rep struct {
		Points []map[string]any `json:"points"`
		Fits   []map[string]any `json:"fits"`
	}
	b, err := os.ReadFile(filepath.Join(sw, "selection.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &rep); err != nil || len(rep.Points) != 4 || len(rep.Fits) != 2 {
		t.Fatalf("selection.json: %d points, %d fits (%v)", len(rep.Points), len(rep.Fits), err)
	}
	if code, msg := runSgn("selection", "twowell", "configs", "twowell"); code != 0 || !strings.Contains(msg, `"dynamics"`) {
		t.Fatalf("configs twowell: exit %d: %s", code, msg)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"selection", "twowell", "run", "--dynamics", "sgd", "--replicas", "1", "--out", filepath.Join(tmp, "x")}, "want at least 2"},
		{[]string{"selection", "twowell", "run", "--dynamics", "sgd", "--batch-size", "1.5", "--replicas", "2", "--out", filepath.Join(tmp, "x")}, "--batch-size 1.5"},
		{[]string{"selection", "twowell", "run", "--dynamics", "sgld", "--batch-size", "2", "--out", filepath.Join(tmp, "x")}, "--batch-size"},
		{[]string{"selection", "twowell", "run", "--dynamics", "adam", "--out", filepath.Join(tmp, "x")}, `"adam"`},
		{[]string{"selection", "twowell", "run", "--dynamics", "sgld", "--h-col", "3", "--out", filepath.Join(tmp, "x")}, "--h-col 3"},
		{[]string{"selection", "twowell", "sweep", "--config", "builtin:nope", "--out", filepath.Join(tmp, "x")}, "no builtin config"},
		{[]string{"selection", "twowell", "sweep", "--config", cfgPath, "--out", sw, "--shard", "2/2"}, "shard"},
		{[]string{"selection", "twowell", "nope"}, "unknown subcommand"},
		{[]string{"selection", "nope"}, "unknown subcommand"},
	} {
		code, msg := runSgn(c.args...)
		if code != 2 || !strings.Contains(msg, c.want) {
			t.Errorf("%v: exit %d, want 2 and a message with %q:\n%s", c.args, code, c.want, msg)
		}
	}
	// A folder of another sweep is refused before anything is written.
	if code, msg := runSgn("selection", "twowell", "sweep", "--config", "builtin:twowell", "--out", sw, "--quiet"); code != 1 || !strings.Contains(msg, "another sweep") {
		t.Errorf("sweep into another sweep's folder: exit %d: %s", code, msg)
	}
}

// TestSelectionRunOnePointIsATable: one point is a table (stdout and
// selection.csv), not a figure: no selection.png, and an earlier run's is
// removed.
func TestSelectionRunOnePointIsATable(t *testing.T) {
	out := filepath.Join(t.TempDir(), "sel")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(out, "selection.png")
	if err := os.WriteFile(stale, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := run("selection", "twowell", "run", "--dynamics", "sgld", "--barrier", "0.02", "--temperature", "0.004",
		"--eta", "0.05", "--steps", "2000", "--burn-in", "100", "--replicas", "2", "--out", out, "--quiet")
	if code != 0 || !strings.Contains(stdout, "P(flat)/P(sharp)") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	for _, f := range []string{"selection.png", "selection.svg"} {
		if _, err := os.Stat(filepath.Join(out, f)); err == nil {
			t.Errorf("one point: %s written or left", f)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "selection.csv")); err != nil {
		t.Errorf("selection.csv: %v", err)
	}
}
