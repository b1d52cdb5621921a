package data

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/sgn-project/sgn/internal/memtest"
)

// allocLimit bounds what one fuzz input may make a reader allocate: the
// inputs are small, so anything near this means a size was taken from the
// input without a check against the file.
const allocLimit = 256 << 20

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
		var md map[string]string
		var err error
		if n := memtest.Allocated(func() { ts, md, err = ReadSafetensors(path) }); n > allocLimit {
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
		roundTrip(t, filepath.Join(dir, "again.safetensors"), ts, md)
	})
}

// roundTrip writes the tensors and metadata a file was read into to path,
// reads them back and fails t unless they are the same — names, dtypes,
// shapes, every value (NaN for NaN) and the metadata — and unless writing
// them again gives the same bytes.
func roundTrip(t *testing.T, path string, ts map[string]Tensor, md map[string]string) {
	t.Helper()
	list := make([]Tensor, 0, len(ts))
	for _, tn := range ts {
		list = append(list, tn)
	}
	if err := WriteSafetensors(path, list, md); err != nil {
		t.Fatalf("writing back what was read: %v", err)
	}
	first, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ts2, md2, err := ReadSafetensors(path)
	if err != nil {
		t.Fatalf("reading back what was written: %v", err)
	}
	if len(ts2) != len(ts) || len(md2) != len(md) {
		t.Fatalf("%d tensors and %d metadata keys read back, want %d and %d", len(ts2), len(md2), len(ts), len(md))
	}
	for k, v := range md {
		if md2[k] != v {
			t.Fatalf("metadata %q: %q read back, want %q", k, md2[k], v)
		}
	}
	same := func(a, b float64) bool {
		return a == b && math.Signbit(a) == math.Signbit(b) || math.IsNaN(a) && math.IsNaN(b)
	}
	for name, a := range ts {
		b, ok := ts2[name]
		if !ok || a.DType != b.DType || !slices.Equal(a.Shape, b.Shape) || !slices.Equal(a.I64, b.I64) || len(a.F64) != len(b.F64) {
			t.Fatalf("tensor %q: %s %v read back as %s %v", name, a.DType, a.Shape, b.DType, b.Shape)
		}
		for i := range a.F64 {
			if !same(a.F64[i], b.F64[i]) {
				t.Fatalf("tensor %q[%d]: %v read back as %v", name, i, a.F64[i], b.F64[i])
			}
		}
	}
	list = list[:0]
	for _, tn := range ts2 {
		list = append(list, tn)
	}
	if err := WriteSafetensors(path, list, md2); err != nil {
		t.Fatal(err)
	}
	if second, _ := os.ReadFile(path); !bytes.Equal(first, second) {
		t.Fatal("writing the same tensors twice gave different files")
	}
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
			if n := memtest.Allocated(func() { s, err = Load(o) }); n > allocLimit {
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
			if o.Pool == 1 {
				checkIdxValues(t, s, images, labels, compress)
			}
		}
	})
}

// checkIdxValues compares a set loaded without pooling with the idx files
// it came from, decoded here independently: feature j of image i is byte
// 16+784i+j over 255 and label i is byte 8+i.
func checkIdxValues(t *testing.T, s *Set, images, labels []byte, compressed bool) {
	t.Helper()
	// raw returns the first n bytes of the idx content (what Load needs of
	// it; it may ignore what follows).
	raw := func(b []byte, n int) []byte {
		if compressed {
			if len(b) < n {
				t.Fatalf("%d images loaded from an idx file of %d bytes", s.N, len(b))
			}
			return b[:n]
		}
		z, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("Load read a file gzip cannot open: %v", err)
		}
		out := make([]byte, n)
		if _, err := io.ReadFull(z, out); err != nil {
			t.Fatalf("%d images loaded, but gzip gives fewer than the %d bytes they take: %v", s.N, n, err)
		}
		return out
	}
	img, lbl := raw(images, 16+s.N*Side*Side), raw(labels, 8+s.N)
	for i := range s.N {
		if s.Y[i] != int(lbl[8+i]) {
			t.Fatalf("label %d: %d, the file says %d", i, s.Y[i], lbl[8+i])
		}
		for j := range Side * Side {
			if want := float64(img[16+i*Side*Side+j]) / 255; s.X[i*Side*Side+j] != want {
				t.Fatalf("image %d pixel %d: %v, the file says %v", i, j, s.X[i*Side*Side+j], want)
			}
		}
	}
}
