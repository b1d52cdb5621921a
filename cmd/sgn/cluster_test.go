package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestClusterSlurmWritesConsistentFiles: sgn cluster slurm with a trailing
// slash on --out writes the three scripts, a frozen copy of the binary
// and of the config, and every file names the same shards.
func TestClusterSlurmWritesConsistentFiles(t *testing.T) {
	tmp := t.TempDir()
	cfg := writeConfig(t, tmp, 1, "doublewell")
	out := filepath.Join(tmp, "out", "sw") + "/"
	code, stdout, stderr := run("cluster", "slurm", "--config", cfg, "--shards", "3", "--out", out, "--time", "00:30:00")
	if code != 0 {
		t.Fatalf("exit %d: %s %s", code, stdout, stderr)
	}
	dir := filepath.Join(tmp, "out", "sw-slurm")
	frozen, _ := filepath.Glob(filepath.Join(dir, "sgn-*"))
	if len(frozen) != 1 || !strings.Contains(stdout, frozen[0]) {
		t.Fatalf("frozen binaries %v; output %s", frozen, stdout)
	}
	if c, _ := os.ReadFile(filepath.Join(dir, "config.json")); string(c) != fmt.Sprintf(escapeTestConfig, 1, "doublewell") {
		t.Errorf("the config copy holds %q", c)
	}
	sw, _ := os.ReadFile(filepath.Join(dir, "sweep.sbatch"))
	mg, _ := os.ReadFile(filepath.Join(dir, "merge.sbatch"))
	for _, s := range []string{"OUT=" + filepath.Join(tmp, "out", "sw") + "\n", "SHARDS=3\n", "SGN=" + frozen[0] + "\n", "CONFIG=" + filepath.Join(dir, "config.json") + "\n", "#SBATCH --job-name=sgn-sw\n", "#SBATCH --time=00:30:00\n"} {
		if !strings.Contains(string(sw), s) {
			t.Errorf("sweep.sbatch lacks %q", s)
		}
	}
	for i := range 3 {
		if !strings.Contains(string(mg), filepath.Join(tmp, "out", fmt.Sprintf("sw-shard-%d", i))) {
			t.Errorf("merge.sbatch does not merge shard %d", i)
		}
	}
	// Bad settings are usage errors naming the value.
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--shards", "0"}, "--shards"},
		{[]string{"--shards", "2", "--time", "4h"}, `"4h"`},
		{[]string{"--shards", "2", "--name", "No_Good"}, `"No_Good"`},
		{[]string{"--shards", "2", "--family", "nosuch sweep"}, `"nosuch"`},
	} {
		args := append([]string{"cluster", "slurm", "--config", cfg, "--out", filepath.Join(tmp, "bad")}, c.args...)
		if code, _, stderr := run(args...); code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, %q", c.args, code, stderr)
		}
	}
}

func TestClusterK8sRefusesAMovingTag(t *testing.T) {
	tmp := t.TempDir()
	cfg := writeConfig(t, tmp, 1, "doublewell")
	dir := filepath.Join(tmp, "k8s")
	code, _, stderr := run("cluster", "k8s", "--config", cfg, "--shards", "4", "--out", "sw", "--dir", dir, "--image", "registry.example.org/sgn:latest")
	if code != 2 || !strings.Contains(stderr, "latest") {
		t.Errorf("image :latest: exit %d, %q", code, stderr)
	}
	code, stdout, stderr := run("cluster", "k8s", "--config", cfg, "--shards", "4", "--out", "sw", "--dir", dir, "--image", "registry.example.org/sgn:v1")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, f := range []string{"pvc.yaml", "configmap.yaml", "sweep-job.yaml", "merge-job.yaml", "run.sh"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil || !strings.Contains(stdout, f) {
			t.Errorf("%s: %v", f, err)
		}
	}
}

// TestSweepStatusExitStatus: 1 while a shard is missing, with the indices
// to retry; 0 once every shard is done.
func TestSweepStatusExitStatus(t *testing.T) {
	tmp := t.TempDir()
	cfg := writeConfig(t, tmp, 1, "doublewell")
	out := filepath.Join(tmp, "sw")
	for _, i := range []int{0, 2} {
		if code, msg := runSgn("escape", "sweep", "--config", cfg, "--out", out, "--shard", fmt.Sprintf("%d/3", i), "--quiet"); code != 0 {
			t.Fatalf("shard %d: %s", i, msg)
		}
	}
	code, stdout, _ := run("sweep", "status", out, "--shards", "3")
	if code != 1 || !strings.Contains(stdout, "missing: 1\n") || !strings.Contains(stdout, "retry: --array=1 ") {
		t.Errorf("exit %d:\n%s", code, stdout)
	}
	if code, stdout, _ := run("sweep", "status", out, "--shards", "3", "--retry"); code != 1 || stdout != "1\n" {
		t.Errorf("--retry: exit %d, %q", code, stdout)
	}
	if code, msg := runSgn("escape", "sweep", "--config", cfg, "--out", out, "--shard", "1/3", "--quiet"); code != 0 {
		t.Fatal(msg)
	}
	if code, stdout, _ := run("sweep", "status", out+"/", "--shards", "3"); code != 0 || !strings.Contains(stdout, "complete") {
		t.Errorf("all done: exit %d:\n%s", code, stdout)
	}
	if code, _, stderr := run("sweep", "status", out); code != 2 || !strings.Contains(stderr, "--shards") {
		t.Errorf("no --shards: exit %d, %q", code, stderr)
	}
}

// TestLockModeFromTheEnvironment: SGN_LOCK=none writes without a lock and
// says so; another value is a usage error naming it.
func TestLockModeFromTheEnvironment(t *testing.T) {
	tmp := t.TempDir()
	cfg := writeConfig(t, tmp, 1, "doublewell")
	t.Setenv("SGN_LOCK", "off")
	if code, _, stderr := run("escape", "sweep", "--config", cfg, "--out", filepath.Join(tmp, "a"), "--quiet"); code != 2 || !strings.Contains(stderr, `SGN_LOCK: lock mode "off"`) {
		t.Errorf("SGN_LOCK=off: exit %d, %q", code, stderr)
	}
	t.Setenv("SGN_LOCK", "none")
	if code, _, _ := run("escape", "sweep", "--config", cfg, "--out", filepath.Join(tmp, "b"), "--quiet"); code != 0 {
		t.Errorf("SGN_LOCK=none: exit %d", code)
	}
	if _, err := os.Stat(filepath.Join(tmp, "b", ".sgn.lock")); !os.IsNotExist(err) {
		t.Errorf("SGN_LOCK=none left a lock file: %v", err)
	}
}

func TestUnlock(t *testing.T) {
	dir := t.TempDir()
	if code, stdout, _ := run("unlock", dir); code != 0 || !strings.Contains(stdout, "is not locked") {
		t.Errorf("unlock of a folder never locked: exit %d, %q", code, stdout)
	}
	rec := `{"pid":4242,"host":"node-gone","slurm_job":"99","command":"sgn escape sweep"}` + "\n"
	if err := os.WriteFile(filepath.Join(dir, ".sgn.lock"), []byte(rec), 0o644); err != nil {
		t.Fatal(err)
	}
	// A record without a holder alive is stale: nothing to break.
	if code, stdout, stderr := run("unlock", dir); code != 0 || !strings.Contains(stdout, "is not locked") {
		t.Errorf("unlock of a stale record: exit %d, %q %q", code, stdout, stderr)
	}
}
