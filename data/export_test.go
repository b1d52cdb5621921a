package data

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestExport: the exported file holds the tensors Load gives for the same
// selection, bit for bit, with the version and preprocessing in its
// metadata; a failed export removes the folders it created.
func TestExport(t *testing.T) {
	o := Options{Split: "test", Pool: 4, First: 5}
	path := filepath.Join(t.TempDir(), "a", "b", "set.safetensors")
	loaded := false
	s, size, err := Export(path, o, "v-test", func() { loaded = true })
	if err != nil {
		t.Fatal(err)
	}
	want, err := Load(o)
	if err != nil {
		t.Fatal(err)
	}
	ts, meta, err := ReadSafetensors(path)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(path)
	if !loaded || s.N != 5 || st == nil || st.Size() != size || !slices.Equal(ts["x"].F64, want.X) || len(ts["y"].I64) != 5 || ts["y"].I64[4] != int64(want.Y[4]) {
		t.Errorf("export of %+v: loaded %v, N %d, size %d (file %v), x equal %v", o, loaded, s.N, size, st, slices.Equal(ts["x"].F64, want.X))
	}
	if meta["version"] != "v-test" || meta["format"] != "sgn data export" || meta["preprocessing"] == "" {
		t.Errorf("metadata %v", meta)
	}
	base := t.TempDir()
	bad := filepath.Join(base, "new", "set.safetensors")
	if _, _, err := Export(bad, Options{Split: "test", Pool: 3, First: 5}, "v", nil); err == nil {
		t.Errorf("export with pool 3: no error")
	}
	if _, err := os.Stat(filepath.Join(base, "new")); !os.IsNotExist(err) {
		t.Errorf("the folder of a failed export is left behind: %v", err)
	}
	// MNIST that is not there, or not gzip, is refused before loading is
	// called (a refused command says nothing of loading).
	empty, notGzip := t.TempDir(), t.TempDir()
	for _, f := range mnistFiles {
		os.WriteFile(filepath.Join(notGzip, f), []byte("not gzip"), 0o644)
	}
	for _, dir := range []string{empty, notGzip} {
		called := false
		if _, _, err := Export(filepath.Join(base, "x.safetensors"), Options{Split: "train", Pool: 4, First: 5, Dir: dir}, "v", func() { called = true }); err == nil || called {
			t.Errorf("export from %s: error %v, loading called %v", dir, err, called)
		}
	}
}
