package data

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/sgn-project/sgn/internal/memtest"
)

// FuzzLoadDataFile feeds arbitrary files to the data-file reader (the .npz
// archive and its .npy headers, and safetensors): Load must return a set
// consistent with the headers or an error, never panic, and allocate no
// more than the file can hold (FileBytes bounds it whenever the headers
// are accepted).
func FuzzLoadDataFile(f *testing.F) {
	for _, name := range []string{"savez.npz", "compressed.npz", "int16.npz", "handmade.safetensors", "fortran.npz", "object.npz"} {
		b, err := os.ReadFile(filepath.Join("testdata", "datafile", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		path := filepath.Join(dir, "f.npz")
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		o := Options{File: path, Split: "train"}
		var s *Set
		var err error
		if n := memtest.Allocated(func() { s, err = Load(o) }); n > allocLimit {
			t.Fatalf("a %d-byte file made Load allocate %d bytes", len(b), n)
		}
		info, ierr := InspectFile(path)
		if err != nil {
			return
		}
		if ierr != nil {
			t.Fatalf("Load accepted the file but InspectFile: %v", ierr)
		}
		if s.N != info.N || s.D != info.D || len(s.X) != s.N*s.D || len(s.Y) != s.N {
			t.Fatalf("set N %d D %d with %d features and %d labels, headers N %d D %d", s.N, s.D, len(s.X), len(s.Y), info.N, info.D)
		}
		for i, y := range s.Y {
			if y < 0 || y >= s.Classes {
				t.Fatalf("label %d of row %d is outside 0..%d", y, i, s.Classes-1)
			}
		}
	})
}
