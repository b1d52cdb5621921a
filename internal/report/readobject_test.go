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
}
