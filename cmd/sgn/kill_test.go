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

// killWhen runs sgn args in a subprocess and sends it SIGKILL extra after
// ready() first holds (polled every millisecond), unless it has finished by
// then. It reports whether the command ran to its end with exit status 0.
func killWhen(t *testing.T, ready func() bool, extra time.Duration, args ...string) bool {
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
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	var fire <-chan time.Time
	for {
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("sgn %v: %v: %s", args, err, stderr.String())
			}
			return true
		case <-tick.C:
			if fire == nil && ready() {
				fire = time.After(extra)
			}
		case <-fire:
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

// SIGKILL at seeded random moments (after a seeded number of epochs or runs
// written, plus a seeded delay), then resume, until the run ends: the
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
	lines := func(path string) int {
		b, _ := os.ReadFile(path)
		return bytes.Count(b, []byte("\n"))
	}
	never := func() bool { return false }

	// Training: 16 epochs of 40 steps, momentum (the buffer is resumed too),
	// killed after a seeded random number of logged epochs plus a seeded
	// random delay of up to 20 ms (inside an epoch or inside a write).
	trainArgs := []string{"train", "--layers", "49,8,10", "--activation", "tanh", "--first", "400", "--test-first", "200",
		"--batch-size", "10", "--epochs", "16", "--momentum", "0.9", "--eta", "0.05", "--quiet", "--out"}
	ref := t.TempDir()
	killWhen(t, never, 0, append(trainArgs, ref)...)
	dir := t.TempDir()
	log := filepath.Join(dir, "log.jsonl")
	finished := false
	for _, at := range []int{1 + rng.IntN(5), 6 + rng.IntN(5), 11 + rng.IntN(4)} {
		extra := time.Duration(rng.Int64N(int64(20 * time.Millisecond)))
		ready := func() bool { return lines(log) >= at }
		if _, err := os.Stat(filepath.Join(dir, "model.safetensors")); err != nil {
			finished = killWhen(t, ready, extra, append(trainArgs, dir)...)
		} else {
			finished = killWhen(t, ready, extra, "train", "--resume", dir, "--quiet")
		}
		t.Logf("train: SIGKILL %v after epoch %d: %d of 16 epochs logged (finished: %v)", extra, at, lines(log), finished)
		if finished {
			break // the last epochs can finish within the extra delay
		}
	}
	if !finished {
		// A kill that lands after the last checkpoint was written (while the
		// summary is written or the process exits) leaves a complete run:
		// resuming it then has nothing to do, which sgn train reports.
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperSgn$")
		cmd.Env = append(os.Environ(), "SGN_HELPER_ARGS="+strings.Join([]string{"train", "--resume", dir, "--quiet"}, "\n"))
		if out, err := cmd.CombinedOutput(); err != nil && !strings.Contains(string(out), "nothing to do") {
			t.Fatalf("sgn train --resume %s: %v: %s", dir, err, out)
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
	lb, _ := os.ReadFile(log)
	if a, b := stripTimes(t, la), stripTimes(t, lb); strings.Join(a, "\n") != strings.Join(b, "\n") {
		t.Errorf("train: the log differs from the uninterrupted run's:\n%s\nwant\n%s", strings.Join(b, "\n"), strings.Join(a, "\n"))
	}

	// A sweep: 3 points × 200 runs of the double well, killed after a seeded
	// random number of runs written.
	cfg := filepath.Join(t.TempDir(), "sweep.json")
	if err := os.WriteFile(cfg, []byte(`{"seed":7,"landscape":{"name":"doublewell","barrier":1},"dynamics":["sgld"],"sharpness":[1,2,4],"eta":[0.01],"temperature":[0.15],"runs":200,"max_steps":100000}`), 0o644); err != nil {
		t.Fatal(err)
	}
	sweepArgs := []string{"escape", "sweep", "--config", cfg, "--workers", "2", "--quiet", "--out"}
	ref = t.TempDir()
	killWhen(t, never, 0, append(sweepArgs, ref)...)
	dir = t.TempDir()
	runs := filepath.Join(dir, "runs.jsonl")
	for _, at := range []int{1 + rng.IntN(150), 200 + rng.IntN(150), 400 + rng.IntN(150)} {
		extra := time.Duration(rng.Int64N(int64(5 * time.Millisecond)))
		finished = killWhen(t, func() bool { return lines(runs) >= at }, extra, append(sweepArgs, dir)...)
		t.Logf("sweep: SIGKILL %v after %d runs: %d of 600 runs written (finished: %v)", extra, at, lines(runs), finished)
		if finished {
			break // the last runs can all finish within the extra delay
		}
	}
	if !finished {
		killWhen(t, never, 0, append(sweepArgs, dir)...)
	}
	for _, f := range []string{"config.json", "runs.jsonl"} {
		a, _ := os.ReadFile(filepath.Join(ref, f))
		b, _ := os.ReadFile(filepath.Join(dir, f))
		if len(a) == 0 || !bytes.Equal(a, b) {
			t.Errorf("sweep: %s differs from the uninterrupted sweep's (%d and %d bytes)", f, len(a), len(b))
		}
	}
}
