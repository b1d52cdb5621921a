package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
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
