package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestHelperSgn is not a test: run as a subprocess with SGN_HELPER_ARGS set
// (arguments separated by newlines), it is the sgn command.
func TestHelperSgn(t *testing.T) {
	args := os.Getenv("SGN_HELPER_ARGS")
	if args == "" {
		t.Skip("helper process only")
	}
	a := &app{stdout: os.Stdout, stderr: os.Stderr}
	os.Exit(a.main(strings.Split(args, "\n")))
}

// killAt runs sgn args in a subprocess and sends it SIGKILL after d (if it
// has not finished by then). It reports whether the command ran to its end
// with exit status 0.
func killAt(t *testing.T, d time.Duration, args ...string) bool {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperSgn$")
	cmd.Env = append(os.Environ(), "SGN_HELPER_ARGS="+strings.Join(args, "\n"))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("sgn %v: %v: %s", args, err, stderr.String())
		}
		return true
	case <-time.After(d):
		cmd.Process.Signal(syscall.SIGKILL)
		err := <-done
		var ee *exec.ExitError
		if err == nil {
			return true // it finished just before the signal
		}
		if !errors.As(err, &ee) {
			t.Fatal(err)
		}
		return false
	}
}

// stripTimes returns the lines of a log.jsonl without their timing fields
// (the wall time of each invocation differs between runs).
func stripTimes(t *testing.T, b []byte) []string {
	t.Helper()
	var out []string
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		delete(m, "samples_per_sec")
		delete(m, "elapsed_seconds")
		js, _ := json.Marshal(m)
		out = append(out, string(js))
	}
	return out
}

// moment draws a time to kill a run that takes span uninterrupted: between
// 20% and 80% of it, so that most kills land inside the computation.
func moment(rng *rand.Rand, span time.Duration) time.Duration {
	return span/5 + time.Duration(rng.Int64N(int64(span*6/10)))
}

// SIGKILL at seeded random moments, then resume, until the run ends: the
// final files are byte for byte those of an uninterrupted run (the
// checkpoint, the sweep's config.json and runs.jsonl) and the log holds the
// same lines, timings aside. No lock or temporary file is left behind to
// stop the next command.
func TestKilledRunsResumeToTheSameFiles(t *testing.T) {
	mnistOrSkip(t)
	if testing.Short() {
		t.Skip("subprocesses")
	}
	rng := rand.New(rand.NewPCG(15, 4))
	// Kill until two kills have landed mid-run (some but not all of the
	// output written), at most six times.
	const kills, maxKills = 2, 6
	lines := func(path string) int {
		b, _ := os.ReadFile(path)
		return bytes.Count(b, []byte("\n"))
	}

	// Training: 16 epochs of 40 steps, momentum (the buffer is resumed too).
	trainArgs := []string{"train", "--layers", "49,8,10", "--activation", "tanh", "--first", "400", "--test-first", "200",
		"--batch-size", "10", "--epochs", "16", "--momentum", "0.9", "--lr", "0.05", "--quiet", "--out"}
	ref := t.TempDir()
	t0 := time.Now()
	killAt(t, time.Hour, append(trainArgs, ref)...)
	span := time.Since(t0)
	dir := t.TempDir()
	finished, mid := false, 0
	for k := 0; k < maxKills && mid < kills && !finished; k++ {
		d := moment(rng, span)
		if _, err := os.Stat(filepath.Join(dir, "model.safetensors")); err != nil {
			finished = killAt(t, d, append(trainArgs, dir)...)
		} else {
			finished = killAt(t, d, "train", "--resume", dir, "--quiet")
		}
		n := lines(filepath.Join(dir, "log.jsonl"))
		if !finished && n > 0 && n < 16 {
			mid++
		}
		t.Logf("train: SIGKILL after %v: %d of 16 epochs logged (finished before: %v)", d, n, finished)
	}
	if mid == 0 {
		t.Errorf("train: no kill landed mid-run")
	}
	if !finished {
		if _, err := os.Stat(filepath.Join(dir, "model.safetensors")); err != nil {
			killAt(t, time.Hour, append(trainArgs, dir)...)
		} else {
			killAt(t, time.Hour, "train", "--resume", dir, "--quiet")
		}
	}
	for _, f := range []string{"model.safetensors"} {
		a, _ := os.ReadFile(filepath.Join(ref, f))
		b, _ := os.ReadFile(filepath.Join(dir, f))
		if len(a) == 0 || !bytes.Equal(a, b) {
			t.Errorf("train: %s differs from the uninterrupted run's", f)
		}
	}
	la, _ := os.ReadFile(filepath.Join(ref, "log.jsonl"))
	lb, _ := os.ReadFile(filepath.Join(dir, "log.jsonl"))
	if a, b := stripTimes(t, la), stripTimes(t, lb); strings.Join(a, "\n") != strings.Join(b, "\n") {
		t.Errorf("train: the log differs from the uninterrupted run's:\n%s\nwant\n%s", strings.Join(b, "\n"), strings.Join(a, "\n"))
	}

	// A sweep: 3 points × 200 runs of the double well.
	cfg := filepath.Join(t.TempDir(), "sweep.json")
	if err := os.WriteFile(cfg, []byte(`{"seed":7,"landscape":{"name":"doublewell","barrier":1},"dynamics":["sgld"],"sharpness":[1,2,4],"eta":[0.01],"temperature":[0.15],"runs":200,"max_steps":100000}`), 0o644); err != nil {
		t.Fatal(err)
	}
	sweepArgs := []string{"escape", "sweep", "--config", cfg, "--workers", "2", "--quiet", "--out"}
	ref = t.TempDir()
	t0 = time.Now()
	killAt(t, time.Hour, append(sweepArgs, ref)...)
	span = time.Since(t0)
	dir = t.TempDir()
	finished, mid = false, 0
	for k := 0; k < maxKills && mid < kills && !finished; k++ {
		d := moment(rng, span)
		finished = killAt(t, d, append(sweepArgs, dir)...)
		n := lines(filepath.Join(dir, "runs.jsonl"))
		if !finished && n > 0 && n < 600 {
			mid++
		}
		t.Logf("sweep: SIGKILL after %v: %d of 600 runs written (finished before: %v)", d, n, finished)
	}
	if mid == 0 {
		t.Errorf("sweep: no kill landed mid-sweep")
	}
	if !finished {
		killAt(t, time.Hour, append(sweepArgs, dir)...)
	}
	for _, f := range []string{"config.json", "runs.jsonl"} {
		a, _ := os.ReadFile(filepath.Join(ref, f))
		b, _ := os.ReadFile(filepath.Join(dir, f))
		if len(a) == 0 || !bytes.Equal(a, b) {
			t.Errorf("sweep: %s differs from the uninterrupted sweep's (%d and %d bytes)", f, len(a), len(b))
		}
	}
}
