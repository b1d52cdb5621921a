package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sgn-project/sgn/data"
)

func TestDataExport(t *testing.T) {
	dir := mnistOrSkip(t)
	out := filepath.Join(t.TempDir(), "new", "folder", "test50.safetensors")
	var buf bytes.Buffer
	code := (&app{stdout: &buf, stderr: &buf}).main([]string{"data", "export", "--mnist", dir, "--split", "test", "--pool", "4", "--first", "50", "--out", out, "--quiet"})
	if code != 0 {
		t.Fatalf("exit %d, output:\n%s", code, buf.String())
	}
	if !strings.Contains(buf.String(), "N=50 D=49") || !strings.Contains(buf.String(), out) {
		t.Errorf("summary %q lacks N, D or the file", buf.String())
	}
	ts, meta, err := data.ReadSafetensors(out)
	if err != nil {
		t.Fatal(err)
	}
	want, err := data.Load(data.Options{Dir: dir, Split: "test", Pool: 4, First: 50})
	if err != nil {
		t.Fatal(err)
	}
	x, y := ts["x"], ts["y"]
	if len(x.Shape) != 2 || x.Shape[0] != 50 || x.Shape[1] != 49 || len(y.I64) != 50 || y.I64[0] != 7 {
		t.Fatalf("x shape %v, y %v", x.Shape, y.I64)
	}
	for i, v := range want.X {
		if x.F64[i] != v {
			t.Fatalf("x[%d] = %v, want %v", i, x.F64[i], v)
		}
	}
	for i, v := range want.Y {
		if y.I64[i] != int64(v) {
			t.Fatalf("y[%d] = %v, want %v", i, y.I64[i], v)
		}
	}
	var sel data.Selection
	if err := json.Unmarshal([]byte(meta["selection"]), &sel); err != nil || sel != want.Selected() {
		t.Errorf("metadata selection %q (%v), want %+v", meta["selection"], err, want.Selected())
	}
	if meta["version"] != version {
		t.Errorf("metadata version %q, want %q", meta["version"], version)
	}
}

func TestDataExportRandom(t *testing.T) {
	dir := mnistOrSkip(t)
	out := filepath.Join(t.TempDir(), "r.safetensors")
	var buf bytes.Buffer
	code := (&app{stdout: &buf, stderr: &buf}).main([]string{"data", "export", "--mnist", dir, "--split", "test", "--pool", "2", "--random", "20", "--seed", "3", "--out", out})
	if code != 0 {
		t.Fatalf("exit %d, output:\n%s", code, buf.String())
	}
	ts, meta, err := data.ReadSafetensors(out)
	if err != nil {
		t.Fatal(err)
	}
	if s := ts["x"].Shape; len(s) != 2 || s[0] != 20 || s[1] != 196 {
		t.Errorf("x shape %v, want [20 196]", s)
	}
	if !strings.Contains(meta["selection"], `"description":"test random 20 seed 3"`) {
		t.Errorf("metadata selection %q", meta["selection"])
	}
}

// TestDataExportDeprecatedSeed: the old spelling --seed still works, writes
// the same file as --data-seed and prints one deprecation line on stderr.
func TestDataExportDeprecatedSeed(t *testing.T) {
	dir := mnistOrSkip(t)
	tmp := t.TempDir()
	var files [2][]byte
	for i, name := range []string{"--data-seed", "--seed"} {
		out := filepath.Join(tmp, fmt.Sprintf("r%d.safetensors", i))
		var stdout, stderr bytes.Buffer
		code := (&app{stdout: &stdout, stderr: &stderr}).main([]string{"data", "export", "--mnist", dir, "--split", "test", "--pool", "4", "--random", "7", name, "3", "--quiet", "--out", out})
		if code != 0 {
			t.Fatalf("%s: exit %d, stderr:\n%s", name, code, stderr.String())
		}
		want := ""
		if name == "--seed" {
			want = "sgn: --seed is deprecated for data export; use --data-seed\n"
		}
		if stderr.String() != want {
			t.Errorf("%s: stderr %q, want %q", name, stderr.String(), want)
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		files[i] = b
	}
	if !bytes.Equal(files[0], files[1]) {
		t.Error("--seed 3 and --data-seed 3 wrote different files")
	}
}

func TestDataUsageErrors(t *testing.T) {
	out := filepath.Join(t.TempDir(), "x.safetensors")
	for _, args := range [][]string{
		{"data"},
		{"data", "frob"},
		{"data", "export", "--bogus", "--out", out},
		{"data", "export"},
		{"data", "export", "--pool", "3", "--out", out},
		{"data", "export", "--split", "val", "--out", out},
		{"data", "export", "--first", "60001", "--out", out},
		{"data", "export", "--first", "-1", "--out", out},
		{"data", "export", "--first", "5", "--random", "5", "--out", out},
		{"data", "export", "--out", out, "extra"},
	} {
		var buf bytes.Buffer
		if code := (&app{stdout: &buf, stderr: &buf}).main(args); code != 2 {
			t.Errorf("%q: exit %d, want 2; output:\n%s", args, code, buf.String())
		}
		if args[len(args)-1] == "frob" || len(args) == 1 {
			if !strings.Contains(buf.String(), "export") {
				t.Errorf("%q: usage error %q does not list export", args, buf.String())
			}
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("usage errors left %s", out)
	}
	var buf bytes.Buffer
	if code := (&app{stdout: &buf, stderr: &buf}).main([]string{"data", "export", "-h"}); code != 0 || !strings.Contains(buf.String(), "--out") && !strings.Contains(buf.String(), "-out") {
		t.Errorf("data export -h: exit %d, output %q", code, buf.String())
	}
}

func TestDataExportUnwritable(t *testing.T) {
	dir := mnistOrSkip(t)
	tmp := t.TempDir()
	file := filepath.Join(tmp, "file")
	if err := os.WriteFile(file, []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{
		filepath.Join(file, "x.safetensors"), // the parent is a regular file
		tmp,                                  // a folder
	} {
		var buf bytes.Buffer
		code := (&app{stdout: &buf, stderr: &buf}).main([]string{"data", "export", "--mnist", dir, "--split", "test", "--first", "10", "--out", out, "--quiet"})
		if code != 1 || !strings.Contains(buf.String(), out) {
			t.Errorf("--out %s: exit %d, output %q; want 1 and an error naming the path", out, code, buf.String())
		}
	}
	entries, _ := os.ReadDir(tmp)
	if len(entries) != 1 || entries[0].Name() != "file" {
		t.Errorf("failed exports left files: %v", entries)
	}
	if b, _ := os.ReadFile(file); string(b) != "keep" {
		t.Errorf("failed export changed %s", file)
	}
}

// TestDataExportRefusesASelectionAboveMaxMemory: data export holds the
// selection before writing it; it estimates it first.
func TestDataExportRefusesASelectionAboveMaxMemory(t *testing.T) {
	out := filepath.Join(t.TempDir(), "x.safetensors")
	code, _, stderr := run("data", "export", "--pool", "1", "--max-memory", "100MiB", "--out", out, "--quiet")
	if code != 2 || !strings.Contains(stderr, "--max-memory 100.0 MiB") || !strings.Contains(stderr, "train selection at pool 1") {
		t.Errorf("exit %d, stderr %q; want a usage error naming --max-memory", code, stderr)
	}
	if code, _, stderr := run("data", "export", "--max-memory", "lots", "--out", out); code != 2 || !strings.Contains(stderr, "--max-memory") {
		t.Errorf("--max-memory lots: exit %d, stderr %q", code, stderr)
	}
}
