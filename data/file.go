package data

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
)

// A data file holds a dataset that is not MNIST, already preprocessed: the
// array x (N×d features, float32 or float64, row-major) and the array y (N
// integer class labels 0, 1, …), in one of two formats:
//
//   - safetensors, as `sgn data export` writes it (x F64 or F32, y I64, or
//     F64/F32 holding whole numbers);
//   - .npz, NumPy's np.savez(path, x=x, y=y) or np.savez_compressed: x of
//     dtype <f4 or <f8, y of <i1, <i2, <i4, <i8 or |u1 (or a float type
//     holding whole numbers), both in C order.
//
// The format is told by the file's first bytes (a zip archive is .npz),
// not by its name.

// Data file formats (FileInfo.Format).
const (
	FormatSafetensors = "safetensors"
	FormatNpz         = "npz"
)

// FileInfo is what the headers of a data file declare, checked against the
// file's size before anything of the size of the arrays is allocated.
type FileInfo struct {
	// Path is the file as named.
	Path string
	// Format is FormatSafetensors or FormatNpz.
	Format string
	// N is the number of rows (samples) and D the number of features.
	N, D int
	// XType and YType are the arrays' element types as the file names
	// them ("F32", "<f8", "|u1", …).
	XType, YType string

	x, y fileArray
}

// fileArray locates an array of a data file: its element reader and,
// for safetensors, the byte offset of its data.
type fileArray struct {
	name  string
	shape []int
	size  int                  // bytes per element
	float bool                 // a float type (labels must then be whole numbers)
	value func([]byte) float64 // element as float64
	ival  func([]byte) int64   // element as int64 (integer types)
	off   int64                // safetensors: offset of the data in the file
}

// InspectFile reads and checks the headers of the data file path: both
// arrays present, x of rank 2 and y of rank 1 with the same number of
// rows, element types supported, sizes consistent with the file. It reads
// no array data. Every error names the file and the array.
func InspectFile(path string) (*FileInfo, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("data file %s not found", path)
		}
		return nil, fmt.Errorf("cannot read data file %s: %v", path, err)
	}
	defer f.Close()
	var magic [4]byte
	n, _ := io.ReadFull(f, magic[:])
	if n == 4 && string(magic[:]) == "PK\x03\x04" || n == 4 && string(magic[:]) == "PK\x05\x06" {
		f.Close()
		return inspectNpz(path)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("cannot read data file %s: %v", path, err)
	}
	return inspectSafetensors(path, f)
}

// dataHeaderError is the error of a data file whose safetensors header
// cannot be read, naming the file once: "data file PATH (safetensors):
// what is wrong", and for x or y of an unsupported dtype the dtypes that
// array may have.
func dataHeaderError(path string, err error) error {
	var de *dtypeError
	if errors.As(err, &de) {
		switch de.name {
		case "x":
			return fmt.Errorf("data file %s: tensor \"x\" has dtype %s: want F64 or F32 features", path, de.dtype)
		case "y":
			return fmt.Errorf("data file %s: tensor \"y\" has dtype %s: want I64 labels (or F64, F32 holding whole numbers)", path, de.dtype)
		}
	}
	var he *headerError
	if errors.As(err, &he) {
		return fmt.Errorf("data file %s (safetensors): %w", path, he.err)
	}
	return fmt.Errorf("data file %s: %w", path, err)
}

// inspectSafetensors reads the header of the safetensors data file f.
func inspectSafetensors(path string, f *os.File) (*FileInfo, error) {
	entries, _, err := readSafetensorsHeader(path, f, bufio.NewReaderSize(f, 4096))
	if err != nil {
		return nil, dataHeaderError(path, err)
	}
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("cannot read data file %s: %v", path, err)
	}
	var dataLen int64
	for _, e := range entries {
		dataLen = max(dataLen, e.info.DataOffsets[1])
	}
	start := st.Size() - dataLen
	info := &FileInfo{Path: path, Format: FormatSafetensors}
	found := map[string]bool{}
	for _, e := range entries {
		var a *fileArray
		switch e.name {
		case "x":
			a = &info.x
			info.XType = e.info.DType
		case "y":
			a = &info.y
			info.YType = e.info.DType
		default:
			continue
		}
		found[e.name] = true
		*a = fileArray{name: e.name, shape: e.info.Shape, off: start + e.info.DataOffsets[0], size: dtypeSize(e.info.DType)}
		switch e.info.DType {
		case DTypeF64:
			a.float = true
			a.value = func(b []byte) float64 { return math.Float64frombits(binary.LittleEndian.Uint64(b)) }
		case DTypeF32:
			a.float = true
			a.value = func(b []byte) float64 { return float64(math.Float32frombits(binary.LittleEndian.Uint32(b))) }
		case DTypeI64:
			a.ival = func(b []byte) int64 { return int64(binary.LittleEndian.Uint64(b)) }
			a.value = func(b []byte) float64 { return float64(int64(binary.LittleEndian.Uint64(b))) }
		default:
			return nil, fmt.Errorf("data file %s: tensor %q has dtype %s: want F64, F32 or I64", path, e.name, e.info.DType)
		}
	}
	for _, name := range []string{"x", "y"} {
		if !found[name] {
			return nil, fmt.Errorf("data file %s has no tensor %q: want x (N×d features) and y (N labels), as sgn data export writes", path, name)
		}
	}
	if info.x.ival != nil {
		return nil, fmt.Errorf("data file %s: tensor \"x\" has dtype %s: want F64 or F32 features", path, info.XType)
	}
	return info, info.checkShapes()
}

// inspectNpz reads the headers of x.npy and y.npy of the .npz file path.
func inspectNpz(path string) (*FileInfo, error) {
	z, err := openNpz(path)
	if err != nil {
		return nil, err
	}
	defer z.Close()
	info := &FileInfo{Path: path, Format: FormatNpz}
	for _, name := range []string{"x", "y"} {
		arr, err := z.header(name)
		if err != nil {
			return nil, err
		}
		a := fileArray{name: name, shape: arr.shape, size: arr.size, float: arr.kind == 'f', value: arr.value}
		if arr.kind != 'f' {
			a.ival = arr.intValue
		}
		if name == "x" {
			if arr.kind != 'f' {
				return nil, fmt.Errorf("data file %s: array \"x\" has dtype %s: want <f4 or <f8 features", path, arr.descr)
			}
			info.x, info.XType = a, arr.descr
		} else {
			info.y, info.YType = a, arr.descr
		}
	}
	return info, info.checkShapes()
}

// checkShapes checks the ranks and row counts of x and y and sets N and D.
func (info *FileInfo) checkShapes() error {
	xs, ys := info.x.shape, info.y.shape
	switch {
	case len(xs) != 2:
		return fmt.Errorf("data file %s: x has shape %v: want rank 2 (N×d, one row per sample)", info.Path, xs)
	case len(ys) != 1:
		return fmt.Errorf("data file %s: y has shape %v: want rank 1 (N labels)", info.Path, ys)
	case xs[0] != ys[0]:
		return fmt.Errorf("data file %s: x has %d rows but y has %d labels: want one label per row", info.Path, xs[0], ys[0])
	case xs[0] == 0:
		return fmt.Errorf("data file %s: x and y hold no rows", info.Path)
	case xs[1] == 0:
		return fmt.Errorf("data file %s: x has shape %v: no features", info.Path, xs)
	}
	info.N, info.D = xs[0], xs[1]
	return nil
}

// rows returns the number of rows the selection o takes from the file.
func (info *FileInfo) rows(o Options) int {
	switch {
	case o.First > 0:
		return min(o.First, info.N)
	case o.Random > 0:
		return min(o.Random, info.N)
	}
	return info.N
}

// FileBytes bounds the bytes Load holds for the selection o of the data
// file o.File, from its headers alone (InspectFile): the features read as
// float64 (the first rows up to the last one selected), the selected rows
// when they are a random subset, and the labels of all rows.
func FileBytes(o Options) (float64, error) {
	if err := o.Validate(); err != nil {
		return 0, err
	}
	info, err := InspectFile(o.File)
	if err != nil {
		return 0, err
	}
	return info.bytes(o), nil
}

// bytes is FileBytes for the checked headers info.
func (info *FileInfo) bytes(o Options) float64 {
	N, D, k := float64(info.N), float64(info.D), float64(info.rows(o))
	read := k
	b := 8*N + 8*2*k + 1<<20 // all labels, the rows' labels and indices, buffers
	if o.Random > 0 {
		read = N
		b += 8*k*D + 3*64*k
	}
	return b + 8*read*D
}

// fileDigest returns the hex SHA-256 of the bytes of the file path.
func fileDigest(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("cannot read data file %s: %v", path, err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("cannot read data file %s: %v", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// loadFile is Load for a data file (o.File): the first rows, all of them,
// or a random subset drawn as from MNIST. All labels are read and checked
// (whole numbers, not negative); Classes is one more than the largest. The
// features read must be finite.
func loadFile(o Options) (*Set, error) {
	info, err := InspectFile(o.File)
	if err != nil {
		return nil, err
	}
	if o.First > info.N {
		return nil, fieldErrorf("first", "%d is out of range: want 0..%d (%s holds %d rows)", o.First, info.N, o.File, info.N)
	}
	if o.Random > info.N {
		return nil, fieldErrorf("random", "%d is out of range: want 0..%d (%s holds %d rows)", o.Random, info.N, o.File, info.N)
	}
	s := &Set{Split: o.Split, File: o.File, D: info.D, first: o.First, random: o.Random}
	if s.Digest, err = fileDigest(o.File); err != nil {
		return nil, err
	}
	labels, classes, err := info.labels()
	if err != nil {
		return nil, err
	}
	s.Classes = classes
	read := info.N
	if o.First > 0 {
		read = o.First
	}
	x := make([]float64, read*info.D)
	err = info.read(info.x, read*info.D, func(i int, b []byte) error {
		v := info.x.value(b)
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("data file %s: x[%d,%d] is %v: want finite features", o.File, i/info.D, i%info.D, v)
		}
		x[i] = v
		return nil
	})
	if err != nil {
		return nil, err
	}
	if o.Random > 0 {
		s.seed = o.Seed
		s.Selection = fmt.Sprintf("%s random %d seed %d", o.File, o.Random, o.Seed)
		all := &Set{X: x, Y: labels, N: info.N, D: info.D}
		sub := all.Subset(randomSubset(info.N, o.Random, o.Seed))
		s.X, s.Y, s.N, s.Index = sub.X, sub.Y, sub.N, sub.Index
		return s, nil
	}
	s.N = read
	s.X, s.Y, s.Index = x, labels[:read:read], identity(read)
	if o.First > 0 {
		s.Selection = fmt.Sprintf("%s first %d", o.File, o.First)
	} else {
		s.Selection = fmt.Sprintf("%s all %d", o.File, read)
	}
	return s, nil
}

// read reads the first n elements of array a of the data file and calls
// set with each.
func (info *FileInfo) read(a fileArray, n int, set func(i int, b []byte) error) error {
	if info.Format == FormatNpz {
		z, err := openNpz(info.Path)
		if err != nil {
			return err
		}
		defer z.Close()
		arr, err := z.header(a.name)
		if err != nil {
			return err
		}
		if fmt.Sprint(arr.shape) != fmt.Sprint(a.shape) || arr.size != a.size {
			return fmt.Errorf("data file %s changed while it was read", info.Path)
		}
		stop := errors.New("stop")
		err = z.read(a.name, arr, func(i int, b []byte) error {
			if i >= n {
				return stop
			}
			return set(i, b)
		})
		if err == stop {
			return nil
		}
		return err
	}
	f, err := os.Open(info.Path)
	if err != nil {
		return fmt.Errorf("cannot read data file %s: %v", info.Path, err)
	}
	defer f.Close()
	if _, err := f.Seek(a.off, io.SeekStart); err != nil {
		return fmt.Errorf("cannot read data file %s: %v", info.Path, err)
	}
	var inner error
	err = readLE(bufio.NewReaderSize(f, 1<<16), a.size, n, func(i int, b []byte) {
		if inner == nil {
			inner = set(i, b)
		}
	})
	if inner != nil {
		return inner
	}
	if err != nil {
		return fmt.Errorf("data file %s: tensor %q is truncated or unreadable: %v", info.Path, a.name, err)
	}
	return nil
}

// CheckFits returns an error unless the rows of s fit a network of the
// layer widths layers: D inputs, and at least as many outputs as s has
// classes. The error names the data (the file, or MNIST and its pooling)
// and both sizes. A nil s fits.
func CheckFits(s *Set, layers []int) error {
	if s == nil || len(layers) < 2 {
		return nil
	}
	in, out := layers[0], layers[len(layers)-1]
	src := "data file " + s.File
	if s.File == "" {
		src = fmt.Sprintf("MNIST pooled by %d", s.Pool)
	}
	if s.D != in {
		return fmt.Errorf("%s has %d features per row, but the model %v takes %d inputs", src, s.D, layers, in)
	}
	if s.Classes > out {
		return fmt.Errorf("%s has %d classes (labels 0..%d), but the model %v has %d outputs", src, s.Classes, s.Classes-1, layers, out)
	}
	return nil
}

// LoadFor is Load, then CheckFits of the samples against the layer widths
// of a model; a misfit's error begins with name, the model's (e.g.
// "checkpoint model.safetensors").
func LoadFor(o Options, layers []int, name string) (*Set, error) {
	s, err := Load(o)
	if err != nil {
		return nil, err
	}
	if err := CheckFits(s, layers); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return s, nil
}

// labels reads and checks every label of the file (whole numbers, not
// negative) and returns them with the number of classes, one more than
// the largest.
func (info *FileInfo) labels() ([]int, int, error) {
	labels := make([]int, info.N)
	classes := 0
	err := info.read(info.y, info.N, func(i int, b []byte) error {
		a := &info.y
		var v int64
		if a.float {
			f := a.value(b)
			if f != math.Trunc(f) || math.IsInf(f, 0) || math.Abs(f) > 1<<53 {
				return fmt.Errorf("data file %s: y[%d] = %v is not a whole number: want integer class labels 0, 1, …", info.Path, i, f)
			}
			v = int64(f)
		} else {
			v = a.ival(b)
		}
		if v < 0 {
			return fmt.Errorf("data file %s: y[%d] = %d is negative: want class labels 0, 1, …", info.Path, i, v)
		}
		if v >= 1<<31 {
			return fmt.Errorf("data file %s: y[%d] = %d is too large for a class label", info.Path, i, v)
		}
		labels[i] = int(v)
		classes = max(classes, int(v)+1)
		return nil
	})
	return labels, classes, err
}

// Classes reads the labels of the data file (only y) and returns the
// number of classes: one more than the largest label. A label that is
// negative or not a whole number is an error naming the file.
func (info *FileInfo) Classes() (int, error) {
	_, c, err := info.labels()
	return c, err
}

// RowsError reports a selection beyond the rows of a data file: Field
// ("first" or "random", as FieldError.Field) asks for Value rows of File,
// which holds Rows.
type RowsError struct {
	Field, File string
	Value, Rows int
}

// Error returns "<field> <value> is out of range: want 0..<rows> (<file>
// holds <rows> rows)".
func (e *RowsError) Error() string {
	return fmt.Sprintf("%s %d is out of range: want 0..%d (%s holds %d rows)", e.Field, e.Value, e.Rows, e.File, e.Rows)
}

// CheckRows checks, from the headers of the data file path alone
// (InspectFile), that the first rows and the random ones it selects are
// rows it holds: a *RowsError names the selection beyond them.
func CheckRows(path string, first, random int) error {
	info, err := InspectFile(path)
	if err != nil {
		return err
	}
	switch {
	case first > info.N:
		return &RowsError{Field: "first", File: path, Value: first, Rows: info.N}
	case random > info.N:
		return &RowsError{Field: "random", File: path, Value: random, Rows: info.N}
	}
	return nil
}
