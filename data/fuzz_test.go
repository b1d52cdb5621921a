package data

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// allocLimit bounds what one fuzz input may make a reader allocate: the
// inputs are small, so anything near this means a size was taken from the
// input without a check against the file.
const allocLimit = 256 << 20

// allocated returns the bytes fn allocated.
func allocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// FuzzReadSafetensors feeds arbitrary files to the safetensors reader: it
// must return tensors consistent with their shapes or an error, never panic,
// and allocate no more than the file can hold.
func FuzzReadSafetensors(f *testing.F) {
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		path := filepath.Join(dir, "f.safetensors")
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		var ts map[string]Tensor
		var err error
		if n := allocated(func() { ts, _, err = ReadSafetensors(path) }); n > allocLimit {
			t.Fatalf("a %d-byte file made the reader allocate %d bytes", len(b), n)
		}
		hs, _, herr := ReadSafetensorsHeader(path)
		if (err == nil) != (herr == nil) {
			t.Fatalf("ReadSafetensors: %v, but ReadSafetensorsHeader: %v", err, herr)
		}
		if err != nil {
			return
		}
		for name, tn := range ts {
			n, err := numel(tn.Shape)
			if err != nil {
				t.Fatalf("tensor %q: %v", name, err)
			}
			if len(tn.F64)+len(tn.I64) != n {
				t.Fatalf("tensor %q: shape %v but %d+%d values", name, tn.Shape, len(tn.F64), len(tn.I64))
			}
			if h := hs[name]; h.DType != tn.DType || len(h.Shape) != len(tn.Shape) {
				t.Fatalf("tensor %q: header %+v disagrees with %s %v", name, h, tn.DType, tn.Shape)
			}
		}
	})
}

// FuzzLoadMNIST feeds arbitrary test-split idx files to Load, either as the
// gzip file itself or as the idx content that the target compresses (so that
// the fuzzer reaches the idx header): Load must return a consistent set or
// an error naming a file, never panic, and allocate no more than the
// compressed file can expand to.
func FuzzLoadMNIST(f *testing.F) {
	dir := f.TempDir()
	// A valid train split of 3 images: Load of the test split must not
	// depend on it, but FindMNIST wants all four files.
	gzipTo := func(path string, raw []byte) error {
		var gz bytes.Buffer
		z := gzip.NewWriter(&gz)
		z.Write(raw)
		z.Close()
		return os.WriteFile(path, gz.Bytes(), 0o644)
	}
	idx := func(dims []int, data []byte) []byte {
		var raw bytes.Buffer
		binary.Write(&raw, binary.BigEndian, uint32(0x0800|len(dims)))
		for _, d := range dims {
			binary.Write(&raw, binary.BigEndian, uint32(d))
		}
		raw.Write(data)
		return raw.Bytes()
	}
	if err := gzipTo(filepath.Join(dir, TrainImagesFile), idx([]int{3, Side, Side}, make([]byte, 3*Side*Side))); err != nil {
		f.Fatal(err)
	}
	if err := gzipTo(filepath.Join(dir, TrainLabelsFile), idx([]int{3}, []byte{1, 2, 3})); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, images, labels []byte, compress bool) {
		write := func(name string, b []byte) {
			path := filepath.Join(dir, name)
			var err error
			if compress {
				err = gzipTo(path, b)
			} else {
				err = os.WriteFile(path, b, 0o644)
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		write(TestImagesFile, images)
		write(TestLabelsFile, labels)
		for _, o := range []Options{{Dir: dir, Split: "test", Pool: 4}, {Dir: dir, Split: "test", Pool: 1, First: 2}} {
			var s *Set
			var err error
			if n := allocated(func() { s, err = Load(o) }); n > allocLimit {
				t.Fatalf("files of %d and %d bytes made Load allocate %d bytes", len(images), len(labels), n)
			}
			if err != nil {
				continue
			}
			if len(s.X) != s.N*s.D || len(s.Y) != s.N || s.D != (Side/o.Pool)*(Side/o.Pool) {
				t.Fatalf("inconsistent set: N %d D %d, %d features, %d labels", s.N, s.D, len(s.X), len(s.Y))
			}
			for _, y := range s.Y {
				if y < 0 || y >= Classes {
					t.Fatalf("label %d", y)
				}
			}
			for _, x := range s.X {
				if !(x >= 0 && x <= 1) {
					t.Fatalf("feature %v not in [0, 1]", x)
				}
			}
		}
	})
}
