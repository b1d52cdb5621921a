package report

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// ReadObject decodes an object, refuses null, lists, numbers, wrong types
// and bad JSON naming the file, and passes a missing file's error through.
func TestReadObject(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	var v struct{ A float64 }
	if err := ReadObject(write("ok.json", `{"A": 2.5}`), &v); err != nil || v.A != 2.5 {
		t.Fatalf("object: %v %v", v, err)
	}
	for name, s := range map[string]string{"null.json": "null", "list.json": "[]", "num.json": "3", "type.json": `{"A": "x"}`, "bad.json": "{"} {
		p := write(name, s)
		if err := ReadObject(p, &v); err == nil || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: %v, want an error naming the file", name, err)
		}
	}
	if err := ReadObject(filepath.Join(dir, "none.json"), &v); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	type rep struct{ Fits []float64 }
	ok := func(r *rep) bool { return r.Fits != nil }
	if r, err := ReadTyped(write("fits.json", `{"Fits": [1, 2]}`), ok, "a report: no fits"); err != nil || len(r.Fits) != 2 {
		t.Errorf("a report: %+v, %v", r, err)
	}
	empty := write("empty.json", `{}`)
	if _, err := ReadTyped(empty, ok, "a report: no fits"); err == nil || err.Error() != empty+" is not a report: no fits" {
		t.Errorf("an object without fits: %v", err)
	}
	if _, err := ReadTyped(filepath.Join(dir, "none.json"), ok, "a report"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ReadTyped of a missing file: %v", err)
	}
}

// TestFigureBeside: a regular file beside is its path; a missing name or a
// folder of that name is "".
func TestFigureBeside(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "fig.svg"), []byte("<svg/>"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "folder.svg"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"fig.svg": filepath.Join(dir, "fig.svg"), "none.svg": "", "folder.svg": ""} {
		if got := FigureBeside(dir, name); got != want {
			t.Errorf("FigureBeside(%s) = %q, want %q", name, got, want)
		}
	}
}
