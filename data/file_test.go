package data

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/sgn-project/sgn/internal/memlimit"
)

// The arrays of testdata/datafile (make.py): x[i,j] = (3i+j)/8 − 0.5 and
// y = [0, 2, 1, 3, 2].
var (
	pyRows, pyCols = 5, 3
	pyY            = []int{0, 2, 1, 3, 2}
)

func pyX(i, j int) float64 { return float64(3*i+j)/8 - 0.5 }

func sha256File(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// TestLoadFileWrittenByPython: the files NumPy (np.savez,
// np.savez_compressed) and a hand-written safetensors file hold load
// with the values make.py wrote, the file's SHA-256 as the digest, and the
// selections of MNIST (first, random) on their rows.
func TestLoadFileWrittenByPython(t *testing.T) {
	for _, name := range []string{"savez.npz", "compressed.npz", "int16.npz", "handmade.safetensors"} {
		path := filepath.Join("testdata", "datafile", name)
		s, err := Load(Options{File: path, Split: "train"})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if s.N != pyRows || s.D != pyCols || s.Classes != 4 || s.Pool != 0 || s.File != path {
			t.Fatalf("%s: N %d D %d classes %d pool %d file %q: want 5, 3, 4, 0, %q", name, s.N, s.D, s.Classes, s.Pool, s.File, path)
		}
		for i := range pyRows {
			for j := range pyCols {
				if s.X[i*pyCols+j] != pyX(i, j) {
					t.Errorf("%s: x[%d,%d] = %v, want %v", name, i, j, s.X[i*pyCols+j], pyX(i, j))
				}
			}
		}
		if !slices.Equal(s.Y, pyY) {
			t.Errorf("%s: y = %v, want %v", name, s.Y, pyY)
		}
		if want := sha256File(t, path); s.Digest != want || s.Selected().FileSHA256 != want || s.Selected().MNIST != "" {
			t.Errorf("%s: digest %s, selection %+v: want the file's SHA-256 %s", name, s.Digest, s.Selected(), want)
		}
		first, err := Load(Options{File: path, Split: "train", First: 2})
		if err != nil {
			t.Fatal(err)
		}
		if first.N != 2 || !slices.Equal(first.X, s.X[:2*pyCols]) || !slices.Equal(first.Y, pyY[:2]) || first.Classes != 4 {
			t.Errorf("%s first 2: %+v", name, first)
		}
		rnd, err := Load(Options{File: path, Split: "train", Random: 3, Seed: 7})
		if err != nil {
			t.Fatal(err)
		}
		want := s.Subset(randomSubset(pyRows, 3, 7))
		if !slices.Equal(rnd.X, want.X) || !slices.Equal(rnd.Y, want.Y) || !slices.Equal(rnd.Index, want.Index) {
			t.Errorf("%s random 3 seed 7: rows %v, want %v", name, rnd.Index, want.Index)
		}
		if sel := rnd.Selected(); sel.Random != 3 || sel.Seed != 7 || sel.N != 3 || sel.File != path {
			t.Errorf("%s: selection %+v", name, sel)
		}
		if _, err := Load(Options{File: path, Split: "train", First: 6}); err == nil || !strings.Contains(err.Error(), "first 6") || !strings.Contains(err.Error(), path) {
			t.Errorf("%s first 6: %v", name, err)
		}
	}
}

// TestLoadFileRefusesNumpyLayouts: what NumPy writes but sgn does not read
// is refused with one line naming the file, the array and why.
func TestLoadFileRefusesNumpyLayouts(t *testing.T) {
	for name, want := range map[string]string{
		"fortran.npz":   `array "x" is in Fortran order`,
		"bigendian.npz": `array "x" dtype ">f8" is big-endian`,
		"object.npz":    `array "y" dtype "|O" is not supported`,
	} {
		path := filepath.Join("testdata", "datafile", name)
		_, err := Load(Options{File: path, Split: "train"})
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), path) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: %v, want one line naming %s and %q", name, err, path, want)
		}
	}
}

// npy returns an .npy file (format 1.0) of the given header fields and data.
func npy(descr string, fortran bool, shape []int, data []byte) []byte {
	dims := make([]string, len(shape))
	for i, d := range shape {
		dims[i] = fmt.Sprint(d)
	}
	tuple := "(" + strings.Join(dims, ", ")
	if len(shape) == 1 {
		tuple += ","
	}
	tuple += ")"
	f := "False"
	if fortran {
		f = "True"
	}
	h := fmt.Sprintf("{'descr': '%s', 'fortran_order': %s, 'shape': %s, }", descr, f, tuple)
	for (10+len(h)+1)%64 != 0 {
		h += " "
	}
	h += "\n"
	var b bytes.Buffer
	b.WriteString(npyMagic + "\x01\x00")
	binary.Write(&b, binary.LittleEndian, uint16(len(h)))
	b.WriteString(h)
	b.Write(data)
	return b.Bytes()
}

// le returns the little-endian bytes of vs, each converted to T.
func le[T any](vs ...T) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.LittleEndian, vs)
	return b.Bytes()
}

// writeNpz writes an .npz of the given members (name → .npy bytes).
func writeNpz(t *testing.T, path string, members map[string][]byte, compress bool) {
	t.Helper()
	var b bytes.Buffer
	z := zip.NewWriter(&b)
	names := make([]string, 0, len(members))
	for k := range members {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, name := range names {
		method := zip.Store
		if compress {
			method = zip.Deflate
		}
		w, err := z.CreateHeader(&zip.FileHeader{Name: name + ".npy", Method: method})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(members[name])
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestLoadFileErrors: each defect of a data file gets one line naming the
// file and the array at fault.
func TestLoadFileErrors(t *testing.T) {
	dir := t.TempDir()
	x23 := npy("<f8", false, []int{2, 3}, le(0.0, 1, 2, 3, 4, 5))
	y2 := npy("<i8", false, []int{2}, le[int64](0, 1))
	npzCases := []struct {
		name    string
		members map[string][]byte
		want    string
	}{
		{"missing y", map[string][]byte{"x": x23}, `no array "y"`},
		{"missing x", map[string][]byte{"y": y2}, `no array "x"`},
		{"x rank 1", map[string][]byte{"x": npy("<f8", false, []int{6}, le(0.0, 1, 2, 3, 4, 5)), "y": y2}, "x has shape [6]: want rank 2"},
		{"x rank 3", map[string][]byte{"x": npy("<f8", false, []int{2, 3, 1}, le(0.0, 1, 2, 3, 4, 5)), "y": y2}, "x has shape [2 3 1]: want rank 2"},
		{"y rank 2", map[string][]byte{"x": x23, "y": npy("<i8", false, []int{2, 1}, le[int64](0, 1))}, "y has shape [2 1]: want rank 1"},
		{"N mismatch", map[string][]byte{"x": x23, "y": npy("<i8", false, []int{3}, le[int64](0, 1, 2))}, "x has 2 rows but y has 3 labels"},
		{"negative label", map[string][]byte{"x": x23, "y": npy("<i4", false, []int{2}, le[int32](0, -1))}, "y[1] = -1 is negative"},
		{"non-integer label", map[string][]byte{"x": x23, "y": npy("<f8", false, []int{2}, le(0, 1.5))}, "y[1] = 1.5 is not a whole number"},
		{"NaN label", map[string][]byte{"x": x23, "y": npy("<f4", false, []int{2}, le(float32(math.NaN()), 1))}, "y[0] = NaN is not a whole number"},
		{"NaN feature", map[string][]byte{"x": npy("<f8", false, []int{2, 3}, le(0.0, 1, 2, 3, math.NaN(), 5)), "y": y2}, "x[1,1] is NaN"},
		{"Inf feature", map[string][]byte{"x": npy("<f4", false, []int{2, 3}, le[float32](0, float32(math.Inf(-1)), 2, 3, 4, 5)), "y": y2}, "x[0,1] is -Inf"},
		{"integer features", map[string][]byte{"x": npy("<i8", false, []int{2, 3}, le[int64](0, 1, 2, 3, 4, 5)), "y": y2}, `array "x" has dtype <i8`},
		{"int16 features unsupported", map[string][]byte{"x": npy("<f2", false, []int{2, 3}, make([]byte, 12)), "y": y2}, `dtype "<f2" is not supported`},
		{"uint16 labels", map[string][]byte{"x": x23, "y": npy("<u2", false, []int{2}, le[uint16](0, 1))}, `array "y" dtype "<u2" is not supported`},
		{"truncated x", map[string][]byte{"x": x23[:len(x23)-5], "y": y2}, `array "x" is truncated`},
		{"x too long", map[string][]byte{"x": append(slices.Clone(x23), 0, 0, 0, 0, 0, 0, 0, 0), "y": y2}, `array "x" is corrupt`},
		{"fortran", map[string][]byte{"x": npy("<f8", true, []int{2, 3}, le(0.0, 1, 2, 3, 4, 5)), "y": y2}, `array "x" is in Fortran order`},
		{"no rows", map[string][]byte{"x": npy("<f8", false, []int{0, 3}, nil), "y": npy("<i8", false, []int{0}, nil)}, "hold no rows"},
		{"no features", map[string][]byte{"x": npy("<f8", false, []int{2, 0}, nil), "y": y2}, "no features"},
		{"bad magic", map[string][]byte{"x": append([]byte("NUMPY!"), x23[6:]...), "y": y2}, `array "x" is not an .npy array`},
	}
	for i, c := range npzCases {
		for _, compress := range []bool{false, true} {
			path := filepath.Join(dir, fmt.Sprintf("case%d.npz", i))
			writeNpz(t, path, c.members, compress)
			_, err := Load(Options{File: path, Split: "train"})
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), path) || strings.Contains(err.Error(), "\n") {
				t.Errorf("%s (compressed %v): %v, want one line naming %s and %q", c.name, compress, err, path, c.want)
			}
		}
	}
	// The archive itself cut short.
	good := filepath.Join(dir, "good.npz")
	writeNpz(t, good, map[string][]byte{"x": x23, "y": y2}, true)
	b, _ := os.ReadFile(good)
	cut := filepath.Join(dir, "cut.npz")
	os.WriteFile(cut, b[:len(b)-30], 0o644)
	if _, err := Load(Options{File: cut, Split: "train"}); err == nil || !strings.Contains(err.Error(), cut) {
		t.Errorf("truncated archive: %v", err)
	}

	stCases := []struct {
		name    string
		tensors []Tensor
		want    string
	}{
		{"missing y", []Tensor{{Name: "x", DType: DTypeF64, Shape: []int{2, 3}, F64: make([]float64, 6)}}, `no tensor "y"`},
		{"missing x", []Tensor{{Name: "y", DType: DTypeI64, Shape: []int{2}, I64: []int64{0, 1}}}, `no tensor "x"`},
		{"integer x", []Tensor{{Name: "x", DType: DTypeI64, Shape: []int{2, 3}, I64: make([]int64, 6)}, {Name: "y", DType: DTypeI64, Shape: []int{2}, I64: []int64{0, 1}}}, `tensor "x" has dtype I64`},
		{"N mismatch", []Tensor{{Name: "x", DType: DTypeF32, Shape: []int{3, 2}, F64: make([]float64, 6)}, {Name: "y", DType: DTypeI64, Shape: []int{2}, I64: []int64{0, 1}}}, "x has 3 rows but y has 2 labels"},
		{"negative", []Tensor{{Name: "x", DType: DTypeF64, Shape: []int{2, 3}, F64: make([]float64, 6)}, {Name: "y", DType: DTypeI64, Shape: []int{2}, I64: []int64{-3, 1}}}, "y[0] = -3 is negative"},
		{"non-integer", []Tensor{{Name: "x", DType: DTypeF64, Shape: []int{2, 3}, F64: make([]float64, 6)}, {Name: "y", DType: DTypeF32, Shape: []int{2}, F64: []float64{0, 0.5}}}, "y[1] = 0.5 is not a whole number"},
		{"Inf", []Tensor{{Name: "x", DType: DTypeF64, Shape: []int{2, 3}, F64: []float64{0, 0, 0, 0, 0, math.Inf(1)}}, {Name: "y", DType: DTypeI64, Shape: []int{2}, I64: []int64{0, 1}}}, "x[1,2] is +Inf"},
		{"rank", []Tensor{{Name: "x", DType: DTypeF64, Shape: []int{6}, F64: make([]float64, 6)}, {Name: "y", DType: DTypeI64, Shape: []int{6}, I64: make([]int64, 6)}}, "x has shape [6]: want rank 2"},
	}
	for i, c := range stCases {
		path := filepath.Join(dir, fmt.Sprintf("case%d.safetensors", i))
		if err := WriteSafetensors(path, c.tensors, nil); err != nil {
			t.Fatal(err)
		}
		_, err := Load(Options{File: path, Split: "train"})
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), path) || strings.Contains(err.Error(), "\n") {
			t.Errorf("safetensors %s: %v, want one line naming %s and %q", c.name, err, path, c.want)
		}
	}
	// A truncated safetensors file and a missing file.
	st := filepath.Join(dir, "case0.safetensors")
	b, _ = os.ReadFile(st)
	os.WriteFile(st, b[:len(b)-4], 0o644)
	if _, err := Load(Options{File: st, Split: "train"}); err == nil || !strings.Contains(err.Error(), st) {
		t.Errorf("truncated safetensors: %v", err)
	}
	if _, err := Load(Options{File: filepath.Join(dir, "none.npz"), Split: "train"}); err == nil || !strings.Contains(err.Error(), "none.npz not found") {
		t.Errorf("missing file: %v", err)
	}
}

// TestExportSetRoundTrip: a Set written by ExportSet loads back as a data
// file bit for bit, with its labels and selection.
func TestExportSetRoundTrip(t *testing.T) {
	s := &Set{N: 4, D: 2, X: []float64{0.1, -2, math.Pi, 1e-300, 0, 5, math.SmallestNonzeroFloat64, -0.0}, Y: []int{9, 0, 3, 9}, Split: "train", Classes: 10}
	path := filepath.Join(t.TempDir(), "e.safetensors")
	if err := ExportSet(path, s, nil); err != nil {
		t.Fatal(err)
	}
	got, err := Load(Options{File: path, Split: "test"})
	if err != nil {
		t.Fatal(err)
	}
	for i := range s.X {
		if math.Float64bits(got.X[i]) != math.Float64bits(s.X[i]) {
			t.Errorf("x[%d] = %v, want %v", i, got.X[i], s.X[i])
		}
	}
	if !slices.Equal(got.Y, s.Y) || got.Classes != 10 || got.Split != "test" {
		t.Errorf("y %v classes %d split %s", got.Y, got.Classes, got.Split)
	}
}

// TestLoadFor: the samples of a data file load for a model they fit; a
// model of other inputs or too few outputs is refused, named.
func TestLoadFor(t *testing.T) {
	s := &Set{N: 3, D: 2, X: []float64{1, 2, 3, 4, 5, 6}, Y: []int{0, 4, 1}, Split: "train", Classes: 5}
	path := filepath.Join(t.TempDir(), "e.safetensors")
	if err := ExportSet(path, s, nil); err != nil {
		t.Fatal(err)
	}
	if got, err := LoadFor(Options{File: path, Split: "train"}, []int{2, 3, 5}, "m"); err != nil || got.N != 3 || got.D != 2 {
		t.Errorf("a fitting model: %v, %v", got, err)
	}
	for _, c := range []struct {
		layers []int
		want   string
	}{
		{[]int{3, 5}, "m: data file " + path + " has 2 features per row, but the model [3 5] takes 3 inputs"},
		{[]int{2, 4}, "m: data file " + path + " has 5 classes (labels 0..4), but the model [2 4] has 4 outputs"},
	} {
		if _, err := LoadFor(Options{File: path, Split: "train"}, c.layers, "m"); err == nil || err.Error() != c.want {
			t.Errorf("%v: %v, want %q", c.layers, err, c.want)
		}
	}
	if _, err := LoadFor(Options{File: path + ".missing", Split: "train"}, []int{2, 5}, "m"); err == nil {
		t.Errorf("a missing file loaded")
	}
}

// TestFileBytesBoundsTheAllocations: what Load allocates for selections
// of a data file is within FileBytes (estimated from the headers) and at
// least 80% of it.
func TestFileBytesBoundsTheAllocations(t *testing.T) {
	dir := t.TempDir()
	const n, d = 4000, 196
	x := make([]float64, n*d)
	y := make([]int64, n)
	for i := range x {
		x[i] = float64(i%255) / 255
	}
	for i := range y {
		y[i] = int64(i % 10)
	}
	st := filepath.Join(dir, "big.safetensors")
	if err := WriteSafetensors(st, []Tensor{{Name: "x", DType: DTypeF32, Shape: []int{n, d}, F64: x}, {Name: "y", DType: DTypeI64, Shape: []int{n}, I64: y}}, nil); err != nil {
		t.Fatal(err)
	}
	xb := make([]float32, len(x))
	for i, v := range x {
		xb[i] = float32(v)
	}
	nz := filepath.Join(dir, "big.npz")
	writeNpz(t, nz, map[string][]byte{"x": npy("<f4", false, []int{n, d}, le(xb...)), "y": npy("<i8", false, []int{n}, le(y...))}, true)
	for _, path := range []string{st, nz} {
		for _, o := range []Options{
			{File: path, Split: "train"},
			{File: path, Split: "train", First: 2500},
			{File: path, Split: "train", Random: 1500, Seed: 2},
		} {
			bound, err := FileBytes(o)
			if err != nil {
				t.Fatal(err)
			}
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			if _, err := Load(o); err != nil {
				t.Fatal(err)
			}
			runtime.ReadMemStats(&after)
			got := float64(after.TotalAlloc - before.TotalAlloc)
			t.Logf("%s first %d random %d: allocated %.0f, bound %.0f (ratio %.3f)", filepath.Base(path), o.First, o.Random, got, bound, got/bound)
			if got > bound || got < 0.8*bound {
				t.Errorf("%s first %d random %d: allocated %.0f bytes, bound %.0f (ratio %.3f): want 0.8 ≤ ratio ≤ 1", path, o.First, o.Random, got, bound, got/bound)
			}
		}
	}
}

// TestOtherIdxDatasets: a folder of idx files in MNIST's layout but other
// images (as Fashion-MNIST and KMNIST ship them: other pixels, other
// counts) loads through Options.Dir with its own digest; images that are
// not 28×28 are refused naming the file and both sizes.
func TestOtherIdxDatasets(t *testing.T) {
	dir := syntheticDir(t, 37)
	s, err := Load(Options{Dir: dir, Split: "train", Pool: 2})
	if err != nil {
		t.Fatal(err)
	}
	if s.N != 37 || s.D != 196 || s.Classes != 10 || s.Selected().MNIST == "" || s.Selection != "train all 37" {
		t.Errorf("N %d D %d classes %d selection %+v", s.N, s.D, s.Classes, s.Selected())
	}
	other := syntheticDir(t, 12)
	if o, err := Load(Options{Dir: other, Split: "test", Pool: 4}); err != nil || o.Digest == s.Digest || o.N != 12 {
		t.Errorf("another folder: %v, digest %s (first folder %s)", err, o.Digest, s.Digest)
	}
	big := t.TempDir()
	for _, split := range [][2]string{{TrainImagesFile, TrainLabelsFile}, {TestImagesFile, TestLabelsFile}} {
		writeIdx(t, filepath.Join(big, split[0]), []int{3, 32, 32}, make([]byte, 3*32*32))
		writeIdx(t, filepath.Join(big, split[1]), []int{3}, []byte{0, 1, 2})
	}
	_, err = Load(Options{Dir: big, Split: "train", Pool: 4})
	if err == nil || !strings.Contains(err.Error(), filepath.Join(big, TrainImagesFile)) || !strings.Contains(err.Error(), "32×32, want 28×28") {
		t.Errorf("32×32 images: %v", err)
	}
}

// TestCheckRows: a selection of a data file is checked against the rows its
// header declares, and NominalSize is the selection's size at the split's
// nominal size.
func TestCheckRows(t *testing.T) {
	s := &Set{N: 3, D: 1, X: []float64{1, 2, 3}, Y: []int{0, 1, 0}, Split: "train", Classes: 2}
	path := filepath.Join(t.TempDir(), "r.safetensors")
	if err := ExportSet(path, s, nil); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		first, random int
		field         string
	}{{0, 0, ""}, {3, 0, ""}, {0, 3, ""}, {4, 0, "first"}, {0, 4, "random"}} {
		err := CheckRows(path, c.first, c.random)
		var re *RowsError
		switch {
		case c.field == "" && err != nil:
			t.Errorf("first %d random %d of 3 rows: %v", c.first, c.random, err)
		case c.field != "" && (!errors.As(err, &re) || re.Field != c.field || re.Rows != 3 || re.Value != 4 || re.File != path ||
			err.Error() != c.field+" 4 is out of range: want 0..3 ("+path+" holds 3 rows)"):
			t.Errorf("first %d random %d of 3 rows: %v; want a *RowsError on %s", c.first, c.random, err, c.field)
		}
	}
	var re *RowsError
	if err := CheckFile(Options{File: path, Split: "train", First: 4}, 1<<30); !errors.As(err, &re) || re.Field != "first" {
		t.Errorf("CheckFile of 4 of 3 rows: %v; want a *RowsError", err)
	}
	need, err := FileBytes(Options{File: path, Split: "train", Random: 2})
	if err != nil {
		t.Fatal(err)
	}
	var me *memlimit.Error
	if err := CheckFile(Options{File: path, Split: "train", Random: 2}, int64(need)-1); !errors.As(err, &me) || me.Need != int64(need) ||
		me.Error() != fmt.Sprintf("data %s (the rows selected) needs about %d bytes, more than the limit of %d bytes; lower first or random", path, me.Need, me.Need-1) {
		t.Errorf("CheckFile a byte below its need: %v", err)
	}
	if err := CheckFile(Options{File: path, Split: "train", Random: 2}, int64(math.Ceil(need))); err != nil {
		t.Errorf("CheckFile at its need: %v", err)
	}
	if err := CheckFile(Options{Split: "train", Pool: 1}, 1); err != nil {
		t.Errorf("CheckFile of MNIST: %v; want nil (the split bounds it)", err)
	}
	if err := CheckRows(filepath.Join(t.TempDir(), "none.npz"), 1, 0); err == nil || !strings.Contains(err.Error(), "none.npz not found") {
		t.Errorf("missing file: %v", err)
	}
	for o, want := range map[Options]int{{}: TrainSize, {Split: "test"}: TestSize, {First: 7}: 7, {Random: 9, Split: "test"}: 9} {
		if got := o.NominalSize(); got != want {
			t.Errorf("%+v.NominalSize() = %d, want %d", o, got, want)
		}
	}
}
