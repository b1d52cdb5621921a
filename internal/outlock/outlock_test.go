package outlock

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

func skipWithoutFlock(t *testing.T) {
	switch runtime.GOOS {
	case "linux", "darwin", "freebsd", "netbsd", "openbsd", "dragonfly":
	default:
		t.Skipf("no flock(2) on %s", runtime.GOOS)
	}
}

func TestAcquireExcludesASecondHolder(t *testing.T) {
	skipWithoutFlock(t)
	dir := filepath.Join(t.TempDir(), "out", "sub")
	l, err := Acquire(dir, "sgn train --out "+dir)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		t.Fatalf("Acquire did not create %s: %v", dir, err)
	}
	_, err = Acquire(dir, "second")
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second Acquire: got %v, want ErrLocked", err)
	}
	for _, want := range []string{dir, "pid " + strconv.Itoa(os.Getpid()), "sgn train --out " + dir} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	if err := l.Release(); err != nil {
		t.Fatalf("second Release: %v", err)
	}
	l2, err := Acquire(dir, "third")
	if err != nil {
		t.Fatalf("Acquire after Release: %v", err)
	}
	l2.Release()
}

// TestHelperHolder is not a test: run as a subprocess with OUTLOCK_HELPER
// set, it takes the lock of that folder, says "locked" and waits for stdin
// to close.
func TestHelperHolder(t *testing.T) {
	dir := os.Getenv("OUTLOCK_HELPER")
	if dir == "" {
		t.Skip("helper process only")
	}
	l, err := Acquire(dir, "helper holding "+dir)
	if err != nil {
		os.Stdout.WriteString("error " + err.Error() + "\n")
		os.Exit(3)
	}
	os.Stdout.WriteString("locked\n")
	bufio.NewReader(os.Stdin).ReadString('\n')
	l.Release()
	os.Exit(0)
}

// startHolder runs the helper on dir and waits until it holds the lock.
func startHolder(t *testing.T, dir string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperHolder$")
	cmd.Env = append(os.Environ(), "OUTLOCK_HELPER="+dir)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdin.Close(); cmd.Process.Kill(); cmd.Wait() })
	line, _ := bufio.NewReader(out).ReadString('\n')
	if line != "locked\n" {
		t.Fatalf("helper: %q", line)
	}
	return cmd
}

func TestAnotherProcessIsNamedAndAKillFreesTheLock(t *testing.T) {
	skipWithoutFlock(t)
	dir := t.TempDir()
	cmd := startHolder(t, dir)
	_, err := Acquire(dir, "me")
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("got %v, want ErrLocked", err)
	}
	for _, want := range []string{dir, "pid " + strconv.Itoa(cmd.Process.Pid), "helper holding"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}
	// SIGKILL: the kernel drops the lock, nothing stale remains.
	cmd.Process.Kill()
	cmd.Wait()
	l, err := Acquire(dir, "me")
	if err != nil {
		t.Fatalf("Acquire after the holder was killed: %v", err)
	}
	l.Release()
}

func TestAcquireRemovesStaleTemporaryFiles(t *testing.T) {
	skipWithoutFlock(t)
	dir := t.TempDir()
	keep := []string{"model.safetensors", "log.jsonl", "notes.tmp-1", "sub/.x.tmp-9/.keep", "other/.a.tmp-1", "other/" + FileName}
	stale := []string{".model.safetensors.tmp-123", ".summary.json.tmp-9", "sub/.log.jsonl.tmp-77"}
	for _, f := range append(append([]string(nil), keep...), stale...) {
		p := filepath.Join(dir, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	l, err := Acquire(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	for _, f := range stale {
		if _, err := os.Stat(filepath.Join(dir, f)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("stale %s not removed (%v)", f, err)
		}
	}
	for _, f := range keep {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("%s removed: %v", f, err)
		}
	}
}

func TestAcquireNamesAnUnusableFolder(t *testing.T) {
	skipWithoutFlock(t)
	base := t.TempDir()
	file := filepath.Join(base, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{file, filepath.Join(file, "sub")} {
		_, err := Acquire(dir, "")
		if err == nil || !strings.Contains(err.Error(), dir) || errors.Is(err, ErrLocked) {
			t.Errorf("Acquire(%s): %v", dir, err)
		}
	}
	if os.Geteuid() != 0 {
		ro := filepath.Join(base, "ro")
		if err := os.Mkdir(ro, 0o555); err != nil {
			t.Fatal(err)
		}
		if _, err := Acquire(ro, ""); err == nil || !strings.Contains(err.Error(), ro) {
			t.Errorf("Acquire on a read-only folder: %v", err)
		}
	}
}

// A holder that wrote nothing (a command refused after taking its folder)
// leaves nothing behind: Release removes the lock file it created and the
// folders Acquire created. A holder that wrote a file keeps them, and a
// lock file that was there before stays.
func TestReleaseOfAnUnusedFolderLeavesNothing(t *testing.T) {
	skipWithoutFlock(t)
	base := t.TempDir()
	dir := filepath.Join(base, "a", "b")
	for _, mode := range []Mode{ModeFlock, ModeNone} {
		l, err := AcquireWith(dir, Options{Who: "refused", Mode: mode})
		if err != nil {
			t.Fatal(err)
		}
		if err := l.Release(); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(filepath.Join(base, "a")); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("mode %s: Release left the folders Acquire created (%v)", mode, err)
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	l, err := Acquire(dir, "refused")
	if err != nil {
		t.Fatal(err)
	}
	l.Release()
	if es, err := os.ReadDir(dir); err != nil || len(es) != 0 {
		t.Fatalf("an existing empty folder holds %v after a Release that wrote nothing (%v)", es, err)
	}
	l, err = Acquire(dir, "writer")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "result.json"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	l.Release()
	if _, err := os.Stat(filepath.Join(dir, FileName)); err != nil {
		t.Fatalf("a holder that wrote a file removed the lock file: %v", err)
	}
	l, err = Acquire(dir, "reader of a finished folder")
	if err != nil {
		t.Fatal(err)
	}
	l.Release()
	if _, err := os.Stat(filepath.Join(dir, FileName)); err != nil {
		t.Fatalf("Release removed a lock file it did not create: %v", err)
	}
}
