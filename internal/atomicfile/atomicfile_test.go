package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteReplacesWholeFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.json")
	if err := WriteBytes(path, []byte("old")); err != nil {
		t.Fatal(err)
	}
	if err := WriteBytes(path, []byte("new content")); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil || string(b) != "new content" {
		t.Fatalf("got %q, %v; want %q", b, err, "new content")
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o644 {
		t.Fatalf("mode %v, %v; want 0644", st.Mode().Perm(), err)
	}
}

func TestWriteFailureKeepsOldContentAndNoTemporary(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.json")
	if err := WriteBytes(path, []byte("old")); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err := Write(path, func(w io.Writer) error {
		w.Write([]byte("half"))
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("error %v does not wrap the cause", err)
	}
	b, _ := os.ReadFile(path)
	if string(b) != "old" {
		t.Fatalf("old content lost: %q", b)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Fatalf("temporary files left: %v", ents)
	}
}

func TestWriteMissingFolder(t *testing.T) {
	path := filepath.Join(t.TempDir(), "no", "such", "out.json")
	if err := WriteBytes(path, []byte("x")); err == nil {
		t.Fatal("no error writing into a missing folder")
	}
}

// RemoveStale removes the files that exist, reports them in order, skips the
// missing ones and names a file it cannot remove.
func TestRemoveStale(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"a.json", "c.csv"} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	gone, err := RemoveStale(dir, "a.json", "b.png", "c.csv")
	if err != nil || strings.Join(gone, ",") != "a.json,c.csv" {
		t.Fatalf("RemoveStale = %v, %v; want [a.json c.csv]", gone, err)
	}
	if es, _ := os.ReadDir(dir); len(es) != 0 {
		t.Errorf("%d files left", len(es))
	}
	// A non-empty folder in place of a file cannot be removed.
	sub := filepath.Join(dir, "d")
	if err := os.MkdirAll(filepath.Join(sub, "inner"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := RemoveStale(dir, "d"); err == nil || !strings.Contains(err.Error(), sub) {
		t.Errorf("RemoveStale of a non-empty folder: error %v, want one naming %s", err, sub)
	}
}

// CheckWritable accepts a folder, leaves nothing in it, and names a folder
// it cannot write in.
func TestCheckWritable(t *testing.T) {
	dir := t.TempDir()
	if err := CheckWritable(dir); err != nil {
		t.Fatal(err)
	}
	if es, _ := os.ReadDir(dir); len(es) != 0 {
		t.Errorf("%d files left", len(es))
	}
	missing := filepath.Join(dir, "no", "such")
	if err := CheckWritable(missing); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("CheckWritable(%s): %v", missing, err)
	}
}

// TestWriteJSON: the encoding is indented by two spaces, keeps "<", ">" and
// "&", ends in a newline, and replaces the file; a value JSON cannot encode
// is an error naming the file, which is left untouched.
func TestWriteJSON(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v.json")
	v := map[string]any{"a": []int{1, 2}, "b": "x<y & z>w"}
	if err := WriteJSON(path, v); err != nil {
		t.Fatal(err)
	}
	want := "{\n  \"a\": [\n    1,\n    2\n  ],\n  \"b\": \"x<y & z>w\"\n}\n"
	if got, err := os.ReadFile(path); err != nil || string(got) != want {
		t.Fatalf("WriteJSON wrote %q (%v), want %q", got, err, want)
	}
	if err := WriteJSON(path, func() {}); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("WriteJSON of a func: %v, want an error naming %s", err, path)
	}
	if got, _ := os.ReadFile(path); string(got) != want {
		t.Errorf("a failed WriteJSON changed the file to %q", got)
	}
}

// MkdirAll's undo removes the folders it created while they are empty, and
// nothing that existed before or holds a file.
func TestMkdirAllUndo(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "a", "b", "c")
	undo, err := MkdirAll(dir)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		t.Fatalf("%s not created: %v", dir, err)
	}
	undo()
	if _, err := os.Stat(filepath.Join(base, "a")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("undo left %s: %v", filepath.Join(base, "a"), err)
	}
	if _, err := os.Stat(base); err != nil {
		t.Fatalf("undo removed the existing %s: %v", base, err)
	}
	undo, err = MkdirAll(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(base, "a", "keep"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	undo()
	if _, err := os.Stat(filepath.Join(base, "a", "b")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("undo left the empty %s: %v", filepath.Join(base, "a", "b"), err)
	}
	if _, err := os.Stat(filepath.Join(base, "a", "keep")); err != nil {
		t.Fatalf("undo removed a folder holding a file: %v", err)
	}
}
