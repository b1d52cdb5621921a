package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sgn-project/sgn/internal/cli"
	"github.com/sgn-project/sgn/internal/outlock"
)

// Issue case 4: every command that writes a folder takes its lock; while
// another process holds it, the command fails at once (exit 1) naming the
// folder and the holder, and writes nothing. (The lock is held here by the
// test itself: flock(2) excludes a second open of the file even within one
// process.)
func TestEveryCommandLocksItsOutputFolder(t *testing.T) {
	base := t.TempDir()
	ck := writeCheckpoint(t, base, "m.safetensors", []int{49, 6, 10}, 1, 4)
	cfg := filepath.Join(base, "sweep.json")
	if err := os.WriteFile(cfg, []byte(`{"seed":1,"landscape":{"name":"doublewell","barrier":1},"dynamics":["sgld"],"sharpness":[1],"eta":[0.001],"temperature":[0.2],"runs":2,"max_steps":100}`), 0o644); err != nil {
		t.Fatal(err)
	}
	// merge and fit refuse a folder that is not a sweep before locking: give
	// them a real one.
	sw := filepath.Join(base, "sw")
	if code, _, errs := run("escape", "sweep", "--config", cfg, "--out", sw, "--quiet"); code != 0 {
		t.Fatalf("escape sweep: exit %d, %s", code, errs)
	}
	netCfg := filepath.Join(base, "networks.json")
	if err := os.WriteFile(netCfg, []byte(`{"seed":1,"model":{"layers":[49,6,10],"activation":"tanh","init":"auto","seed":1},"pool":4,"train_first":100,"test_first":100,"batch_sizes":[16],"etas":[0.1],"epochs":1,"runs":1,"engine":"gonum","exact_trace_max_params":3000}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		args func(out string) []string
	}{
		{"train", func(out string) []string {
			return []string{"train", "--layers", "49,6,10", "--first", "100", "--test-first", "100", "--epochs", "1", "--out", out, "--quiet"}
		}},
		{"hessian", func(out string) []string {
			return []string{"hessian", "--checkpoint", ck, "--first", "50", "--top-k", "2", "--out", out, "--quiet"}
		}},
		{"noise", func(out string) []string {
			return []string{"noise", "--checkpoint", ck, "--first", "200", "--batch-size", "8", "--out", out, "--quiet"}
		}},
		{"covariance", func(out string) []string {
			return []string{"covariance", "--checkpoint", ck, "--first", "200", "--out", out, "--quiet"}
		}},
		{"escape run", func(out string) []string {
			return []string{"escape", "run", "--dynamics", "sgld", "--temperature", "0.2", "--runs", "2", "--max-steps", "100", "--out", out, "--quiet"}
		}},
		{"escape sweep", func(out string) []string {
			return []string{"escape", "sweep", "--config", cfg, "--out", out, "--quiet"}
		}},
		{"escape merge", func(out string) []string { return []string{"escape", "merge", sw, "--out", out} }},
		{"escape fit", func(out string) []string { return []string{"escape", "fit", sw, "--out", out} }},
		{"selection networks sweep", func(out string) []string {
			return []string{"selection", "networks", "sweep", "--config", netCfg, "--out", out, "--quiet"}
		}},
		{"selection networks merge", func(out string) []string { return []string{"selection", "networks", "merge", sw, "--out", out} }},
		{"selection networks fit", func(out string) []string { return []string{"selection", "networks", "fit", sw, "--out", out} }},
		{"selection twowell sweep", func(out string) []string {
			return []string{"selection", "twowell", "sweep", "--config", "builtin:twowell", "--out", out, "--quiet"}
		}},
		{"selection twowell merge", func(out string) []string { return []string{"selection", "twowell", "merge", sw, "--out", out} }},
		{"selection twowell fit", func(out string) []string { return []string{"selection", "twowell", "fit", sw, "--out", out} }},
		{"selection twowell figure", func(out string) []string {
			return []string{"selection", "twowell", "figure", "--quick", "--out", out, "--quiet"}
		}},
		{"escape figure", func(out string) []string { return []string{"escape", "figure", "--quick", "--out", out, "--quiet"} }},
	} {
		out := filepath.Join(base, strings.ReplaceAll(c.name, " ", "-"))
		l, err := outlock.Acquire(out, "the test holder")
		if err != nil {
			t.Fatal(err)
		}
		code, _, stderr := run(c.args(out)...)
		l.Release()
		if code != 1 || !strings.Contains(stderr, out) || !strings.Contains(stderr, "the test holder") || !strings.Contains(stderr, "pid ") {
			t.Errorf("%s on a locked folder: exit %d, stderr %q; want exit 1 naming %s and its holder", c.name, code, stderr, out)
		}
		entries, _ := os.ReadDir(out)
		for _, e := range entries {
			if e.Name() != outlock.FileName {
				t.Errorf("%s wrote %s into a locked folder", c.name, e.Name())
			}
		}
	}
}

// Issue case 10: an unwritable --out is found before any computation.
func TestUnwritableOutIsFoundFirst(t *testing.T) {
	base := t.TempDir()
	ck := writeCheckpoint(t, base, "m.safetensors", []int{49, 6, 10}, 1, 4)
	// A folder beneath a regular file cannot be made, even by root.
	ro := filepath.Join(ck, "out")
	for _, args := range [][]string{
		{"hessian", "--checkpoint", ck, "--first", "50", "--top-k", "2", "--out", ro},
		{"data", "export", "--split", "test", "--first", "10", "--out", filepath.Join(ro, "x.safetensors")},
		{"escape", "run", "--dynamics", "sgld", "--temperature", "0.2", "--runs", "2", "--max-steps", "100", "--out", ro},
	} {
		code, _, stderr := run(args...)
		// One line: the error, and no progress of a computation before it.
		if code != 1 || !strings.Contains(stderr, ro) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q", args, code, stderr)
		}
	}
}

// Issue case 5: a fresh sgn train into a folder of another run removes that
// run's checkpoint, log and summary before it starts.
func TestFreshTrainStartsClean(t *testing.T) {
	mnistOrSkip(t)
	dir := t.TempDir()
	for _, f := range []string{"model.safetensors", "log.jsonl", "summary.json"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("old run\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// --eta 1e308 diverges at once: the run fails before its first checkpoint.
	code, _, stderr := run("train", "--layers", "49,6,10", "--first", "200", "--test-first", "100", "--epochs", "1", "--eta", "1e308", "--out", dir)
	if code != 1 {
		t.Fatalf("exit %d, stderr %s", code, stderr)
	}
	for _, f := range []string{"model.safetensors", "log.jsonl", "summary.json"} {
		if b, err := os.ReadFile(filepath.Join(dir, f)); err == nil && string(b) == "old run\n" {
			t.Errorf("the earlier run's %s is still there after a fresh run", f)
		}
	}
}

// Issue case 8: a runtime panic in a command reaches the user as one line
// and exit status 1.
func TestPanicIsOneLineExit1(t *testing.T) {
	var out, errb strings.Builder
	a := &app{stdout: &out, stderr: &errb}
	err := runCommand(command{run: func(*app, []string) error {
		var s []int
		_ = s[3] // index out of range
		return nil
	}}, a, nil)
	if err == nil || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), "index out of range") {
		t.Fatalf("panic became %v", err)
	}
	var ue *cli.UsageError
	if errors.As(err, &ue) {
		t.Errorf("a panic is reported as a usage error")
	}
}

// merge and fit given a folder that is not a sweep fail (exit 1) naming it
// and create no folder: neither the mistyped input nor --out.
func TestMergeFitOfAMissingFolderCreatesNothing(t *testing.T) {
	base := t.TempDir()
	missing, out := filepath.Join(base, "missing"), filepath.Join(base, "merged")
	for _, args := range [][]string{
		{"escape", "fit", missing},
		{"escape", "merge", missing, "--out", out},
		{"selection", "networks", "fit", missing},
		{"selection", "networks", "merge", missing, "--out", out},
	} {
		code, _, errs := run(args...)
		if code != 1 || !strings.Contains(errs, missing) || !strings.Contains(errs, "not a sweep folder") {
			t.Errorf("%v: exit %d, %q; want exit 1 naming %s", args, code, errs, missing)
		}
		for _, d := range []string{missing, out} {
			if _, err := os.Stat(d); err == nil {
				t.Errorf("%v created %s", args, d)
			}
		}
	}
}

// Issue case 6: sgn hessian into the folder of an earlier --density run
// does not leave the old density figures beside the new hessian.json.
func TestHessianStartsClean(t *testing.T) {
	mnistOrSkip(t)
	base := t.TempDir()
	ck := writeCheckpoint(t, base, "m.safetensors", []int{49, 6, 10}, 1, 4)
	out := filepath.Join(base, "h")
	if code, _, stderr := run("hessian", "--checkpoint", ck, "--first", "100", "--top-k", "2", "--density", "--out", out, "--quiet"); code != 0 {
		t.Fatal(stderr)
	}
	if _, err := os.Stat(filepath.Join(out, "density.png")); err != nil {
		t.Fatalf("the --density run wrote no density.png: %v", err)
	}
	if code, _, stderr := run("hessian", "--checkpoint", ck, "--first", "100", "--top-k", "2", "--out", out, "--quiet"); code != 0 {
		t.Fatal(stderr)
	}
	for _, f := range []string{"density.png", "density.svg"} {
		if _, err := os.Stat(filepath.Join(out, f)); err == nil {
			t.Errorf("%s of the earlier --density run is still there", f)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "hessian.json")); err != nil {
		t.Errorf("no hessian.json: %v", err)
	}
}

// Bad input loses nothing: sgn covariance that fails before writing (here
// an eigenvalue window above every eigenvalue) leaves an earlier run's
// outputs and the analysed checkpoint — here the pretrained.safetensors of
// the same folder — as they were.
func TestCovarianceFailureLosesNothing(t *testing.T) {
	mnistOrSkip(t)
	out := t.TempDir()
	ck := writeCheckpoint(t, out, "pretrained.safetensors", []int{49, 6, 10}, 1, 4)
	earlier := filepath.Join(out, "cvh.svg")
	if err := os.WriteFile(earlier, []byte("earlier run"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := run("covariance", "--checkpoint", ck, "--first", "100", "--batch-size", "8", "--lambda-min", "1e6", "--lambda-max", "2e6", "--out", out, "--quiet")
	if code == 0 {
		t.Fatalf("an empty eigenvalue window succeeded: %s", stderr)
	}
	for _, f := range []string{ck, earlier} {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("%s was removed by a failed run: %v", f, err)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "random.safetensors")); err == nil {
		t.Errorf("a failed run left random.safetensors")
	}
}

// A one-shot command into the folder of its own earlier run starts clean:
// escape fit of another sweep leaves none of the earlier fit's figures;
// noise and report remove the earlier run's files first and say so.
func TestOneShotCommandsStartClean(t *testing.T) {
	base := t.TempDir()
	two := writeConfig(t, base, 1, "doublewell") // sgld and sgd-diffusion
	one := filepath.Join(base, "sgld-only.json")
	os.WriteFile(one, []byte(strings.NewReplacer(`"dynamics": ["sgld", "sgd-diffusion"]`, `"dynamics": ["sgld"]`, `"batch_size": [1, 2],`, "").Replace(fmt.Sprintf(escapeTestConfig, 1, "doublewell"))), 0o644)
	fit := filepath.Join(base, "fit")
	for i, cfg := range []string{two, one} {
		sw := filepath.Join(base, fmt.Sprintf("sweep%d", i))
		if code, _, stderr := run("escape", "sweep", "--config", cfg, "--out", sw, "--quiet"); code != 0 {
			t.Fatal(stderr)
		}
		code, _, stderr := run("escape", "fit", sw, "--out", fit)
		if code != 0 {
			t.Fatal(stderr)
		}
		if i == 1 && (!strings.Contains(stderr, "removed the earlier fit's rates.csv, fit.json, ") || !strings.Contains(stderr, "fit-sgd-diffusion-vs-batch-size.png")) {
			t.Errorf("second fit: stderr %q", stderr)
		}
	}
	if stale, _ := filepath.Glob(filepath.Join(fit, "fit-sgd-diffusion-*")); len(stale) > 0 {
		t.Errorf("the earlier fit's figures are still there: %v", stale)
	}
	if _, err := os.Stat(filepath.Join(fit, "fit-sgld-vs-log-sharpness.png")); err != nil {
		t.Errorf("the second fit's figure is missing: %v", err)
	}

	rep := filepath.Join(base, "report")
	for i := range 2 {
		code, _, stderr := run("report", fit, "--out", rep)
		if code != 0 || (i == 1) != strings.Contains(stderr, "removed the earlier run's report.json, index.html") {
			t.Errorf("report %d: exit %d, stderr %q", i, code, stderr)
		}
	}

	mnistOrSkip(t)
	ck := writeCheckpoint(t, base, "m.safetensors", []int{49, 4, 10}, 1, 4)
	noise := filepath.Join(base, "noise")
	for i := range 2 {
		code, _, stderr := run("noise", "--checkpoint", ck, "--first", "64", "--batch-size", "8", "--minibatches", "20", "--workers", "1", "--out", noise)
		if code != 0 || (i == 1) != strings.Contains(stderr, "removed the earlier run's noise.json, noise.csv") {
			t.Errorf("noise %d: exit %d, stderr %q", i, code, stderr)
		}
	}
}

// Commands whose files would collide refuse each other's folders (exit 1,
// one line) and leave them as they were: a single escape run and the three
// kinds of sweep.
func TestFoldersOfOtherKindsAreRefused(t *testing.T) {
	base := t.TempDir()
	escRun, escSweep, selRun := filepath.Join(base, "esc-run"), filepath.Join(base, "esc-sweep"), filepath.Join(base, "sel-run")
	for _, args := range [][]string{
		{"escape", "run", "--dynamics", "sgld", "--runs", "3", "--max-steps", "100", "--out", escRun, "--quiet"},
		{"escape", "sweep", "--config", writeConfig(t, base, 1, "doublewell"), "--out", escSweep, "--quiet"},
		{"selection", "twowell", "run", "--dynamics", "sgld", "--replicas", "2", "--steps", "10", "--burn-in", "1", "--out", selRun, "--quiet"},
	} {
		if code, _, stderr := run(args...); code != 0 {
			t.Fatalf("%v: %s", args, stderr)
		}
	}
	for _, c := range []struct {
		dir  string
		args []string
		want string
	}{
		{selRun, []string{"escape", "run", "--dynamics", "sgld", "--runs", "3", "--max-steps", "100"}, "not an escape sweep's"},
		{escRun, []string{"selection", "twowell", "run", "--dynamics", "sgld", "--replicas", "2", "--steps", "10"}, "not a sweep folder"},
		{escRun, []string{"escape", "sweep", "--config", writeConfig(t, base, 1, "doublewell")}, "holds the results of an earlier escape run"},
		{escSweep, []string{"selection", "twowell", "run", "--dynamics", "sgld", "--replicas", "2", "--steps", "10"}, escSweep},
		{selRun, []string{"escape", "sweep", "--config", writeConfig(t, base, 1, "doublewell")}, selRun},
		{escSweep, []string{"selection", "networks", "sweep"}, escSweep},
		{escRun, []string{"escape", "merge", escSweep}, "holds the results of an earlier escape run"},
		{escRun, []string{"selection", "twowell", "merge", selRun}, "not a sweep folder"},
	} {
		before := folderSnapshot(c.dir)
		code, _, stderr := run(append(c.args, "--out", c.dir, "--quiet")...)
		if code != 1 || !strings.Contains(stderr, c.want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%v into %s: exit %d, stderr %q; want exit 1 and one line with %q", c.args, c.dir, code, stderr, c.want)
		}
		if folderSnapshot(c.dir) != before {
			t.Errorf("%v changed the files of %s", c.args, c.dir)
		}
	}
}
