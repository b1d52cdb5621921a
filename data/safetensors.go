package data

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strconv"

	"github.com/sgn-project/sgn/internal/atomicfile"
)

// The safetensors format (https://huggingface.co/docs/safetensors):
//
//	8 bytes   N, the header length, little-endian uint64
//	N bytes   a JSON object, padded with spaces: for each tensor
//	          "name": {"dtype": "F64", "shape": [2, 3], "data_offsets": [begin, end]},
//	          and an optional "__metadata__": {"key": "value", …} of strings
//	rest      the tensors' little-endian bytes; offsets are relative to the
//	          start of this part, contiguous, in header order, covering it all.
const (
	// metadataKey is the header key of the string→string metadata.
	metadataKey = "__metadata__"
	// maxHeader bounds the header length, as the reference implementation does.
	maxHeader = 100 << 20
)

// The dtypes this package reads and writes.
const (
	// DTypeF64 is IEEE 754 binary64, little-endian.
	DTypeF64 = "F64"
	// DTypeF32 is IEEE 754 binary32, little-endian (held in Tensor.F64).
	DTypeF32 = "F32"
	// DTypeI64 is a two's complement 64-bit integer, little-endian.
	DTypeI64 = "I64"
)

// dtypeSize returns the size in bytes of one element of dtype, 0 if unknown.
func dtypeSize(dtype string) int {
	switch dtype {
	case DTypeF64, DTypeI64:
		return 8
	case DTypeF32:
		return 4
	default:
		return 0
	}
}

// Tensor is one named array of a safetensors file.
//
// F64 holds the data of F64 and F32 tensors (F32 is converted on reading and
// rounded to float32 on writing), I64 that of I64 tensors, row-major, with
// as many elements as the product of Shape (1 for a scalar, Shape empty).
type Tensor struct {
	Name  string
	DType string
	Shape []int
	F64   []float64
	I64   []int64
}

// numel returns the product of shape, or an error for a negative dimension
// or a product above 2⁵⁰ (which no file could hold).
func numel(shape []int) (int, error) {
	const limit = 1 << 50
	n := 1
	for _, d := range shape {
		if d < 0 {
			return 0, fmt.Errorf("shape %v has a negative dimension", shape)
		}
		if d != 0 && n > limit/d {
			return 0, fmt.Errorf("shape %v is too large", shape)
		}
		n *= d
	}
	return n, nil
}

// tensorLen checks that t is writable and returns its number of elements.
func tensorLen(t *Tensor) (int, error) {
	n, err := numel(t.Shape)
	if err != nil {
		return 0, fmt.Errorf("tensor %q: %w", t.Name, err)
	}
	var have int
	switch t.DType {
	case DTypeF64, DTypeF32:
		if t.I64 != nil {
			return 0, fmt.Errorf("tensor %q: dtype %s holds its data in F64, but I64 is set", t.Name, t.DType)
		}
		have = len(t.F64)
	case DTypeI64:
		if t.F64 != nil {
			return 0, fmt.Errorf("tensor %q: dtype I64 holds its data in I64, but F64 is set", t.Name)
		}
		have = len(t.I64)
	default:
		return 0, fmt.Errorf("tensor %q: dtype %q is not supported: want F64, F32 or I64", t.Name, t.DType)
	}
	if have != n {
		return 0, fmt.Errorf("tensor %q: shape %v has %d elements but the data has %d", t.Name, t.Shape, n, have)
	}
	return n, nil
}

// jsonString returns s as a JSON string literal, without HTML escaping.
func jsonString(s string) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(s) // a string always encodes
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

// safetensorsHeader returns the padded header of tensors, sorted by name,
// and the sorted tensors. Metadata comes first, then the tensors in the
// order their data is laid out.
func safetensorsHeader(tensors []Tensor, metadata map[string]string) ([]byte, []Tensor, error) {
	sorted := append([]Tensor(nil), tensors...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	var b bytes.Buffer
	b.WriteByte('{')
	if len(metadata) > 0 {
		keys := make([]string, 0, len(metadata))
		for k := range metadata {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteString(`"` + metadataKey + `":{`)
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			b.Write(jsonString(k))
			b.WriteByte(':')
			b.Write(jsonString(metadata[k]))
		}
		b.WriteByte('}')
	}
	var off int64
	for i := range sorted {
		t := &sorted[i]
		if t.Name == "" || t.Name == metadataKey {
			return nil, nil, fmt.Errorf("tensor name %q is not allowed", t.Name)
		}
		if i > 0 && sorted[i-1].Name == t.Name {
			return nil, nil, fmt.Errorf("tensor name %q appears twice", t.Name)
		}
		n, err := tensorLen(t)
		if err != nil {
			return nil, nil, err
		}
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		b.Write(jsonString(t.Name))
		b.WriteString(`:{"dtype":"` + t.DType + `","shape":[`)
		for k, d := range t.Shape {
			if k > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.Itoa(d))
		}
		end := off + int64(n)*int64(dtypeSize(t.DType))
		fmt.Fprintf(&b, `],"data_offsets":[%d,%d]}`, off, end)
		off = end
	}
	b.WriteByte('}')
	for b.Len()%8 != 0 {
		b.WriteByte(' ')
	}
	return b.Bytes(), sorted, nil
}

// WriteSafetensors writes tensors and metadata to path in the safetensors
// format, atomically (internal/atomicfile). The header lists "__metadata__"
// first (omitted when metadata is empty), then the tensors sorted by name,
// whose data follow in that order; it is padded with spaces to a multiple of
// 8 bytes so that the data start 8-byte aligned. Errors name the file and the
// tensor at fault.
func WriteSafetensors(path string, tensors []Tensor, metadata map[string]string) error {
	hdr, sorted, err := safetensorsHeader(tensors, metadata)
	if err != nil {
		return fmt.Errorf("safetensors %s: %w", path, err)
	}
	return atomicfile.Write(path, func(f io.Writer) error {
		w := bufio.NewWriterSize(f, 1<<16)
		var b [8]byte
		binary.LittleEndian.PutUint64(b[:], uint64(len(hdr)))
		w.Write(b[:])
		w.Write(hdr)
		for i := range sorted {
			t := &sorted[i]
			switch t.DType {
			case DTypeF64:
				for _, v := range t.F64 {
					binary.LittleEndian.PutUint64(b[:], math.Float64bits(v))
					w.Write(b[:])
				}
			case DTypeF32:
				for _, v := range t.F64 {
					binary.LittleEndian.PutUint32(b[:4], math.Float32bits(float32(v)))
					w.Write(b[:4])
				}
			case DTypeI64:
				for _, v := range t.I64 {
					binary.LittleEndian.PutUint64(b[:], uint64(v))
					w.Write(b[:])
				}
			default: // safetensorsHeader accepted only the dtypes above
				return fmt.Errorf("tensor %q: dtype %q cannot be written", t.Name, t.DType)
			}
		}
		return w.Flush() // a bufio.Writer keeps its first error
	})
}

// tensorInfo is a tensor's entry in a safetensors header.
type tensorInfo struct {
	DType       string  `json:"dtype"`
	Shape       []int   `json:"shape"`
	DataOffsets []int64 `json:"data_offsets"`
}

// ReadSafetensors reads the safetensors file path and returns its tensors by
// name and its metadata (empty if none).
//
// It is strict: the header length must fit the file, the header must be a
// JSON object of known entries, every dtype known (F64, F32, I64), every
// shape's element count times the dtype size equal to its byte length, and
// the data offsets contiguous, starting at 0 and ending at the end of the
// file. Every error names the file and what is wrong. F32 data are returned
// in F64 (DType stays "F32").
func ReadSafetensors(path string) (tensors map[string]Tensor, metadata map[string]string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot read safetensors %s: %w", path, err)
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<16)
	entries, metadata, err := readSafetensorsHeader(path, f, r)
	if err != nil {
		return nil, nil, err
	}
	fail := func(format string, args ...any) error {
		return &headerError{path: path, err: fmt.Errorf(format, args...)}
	}

	tensors = make(map[string]Tensor, len(entries))
	for _, e := range entries {
		t := Tensor{Name: e.name, DType: e.info.DType, Shape: e.info.Shape}
		var err error
		switch t.DType {
		case DTypeF64:
			t.F64 = make([]float64, e.n)
			err = readLE(r, 8, e.n, func(i int, b []byte) { t.F64[i] = math.Float64frombits(binary.LittleEndian.Uint64(b)) })
		case DTypeF32:
			t.F64 = make([]float64, e.n)
			err = readLE(r, 4, e.n, func(i int, b []byte) { t.F64[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(b))) })
		case DTypeI64:
			t.I64 = make([]int64, e.n)
			err = readLE(r, 8, e.n, func(i int, b []byte) { t.I64[i] = int64(binary.LittleEndian.Uint64(b)) })
		default: // the header check accepted only the dtypes above
			err = fmt.Errorf("dtype %q cannot be read", t.DType)
		}
		if err != nil {
			return nil, nil, fail("tensor %q: cannot read its data: %w", e.name, err)
		}
		tensors[e.name] = t
	}
	return tensors, metadata, nil
}

// TensorHeader is a tensor's entry in a safetensors header: its name, dtype
// and shape, checked against its byte length and the file's.
type TensorHeader struct {
	Name  string
	DType string
	Shape []int
}

// ReadSafetensorsHeader reads and checks only the header of the safetensors
// file path, as ReadSafetensors does, and returns its tensors' entries by
// name and its metadata. It allocates no tensor data, so a caller can check
// the shapes against what it expects before reading (and allocating) them.
func ReadSafetensorsHeader(path string) (map[string]TensorHeader, map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot read safetensors %s: %w", path, err)
	}
	defer f.Close()
	entries, metadata, err := readSafetensorsHeader(path, f, bufio.NewReaderSize(f, 4096))
	if err != nil {
		return nil, nil, err
	}
	hs := make(map[string]TensorHeader, len(entries))
	for _, e := range entries {
		hs[e.name] = TensorHeader{Name: e.name, DType: e.info.DType, Shape: e.info.Shape}
	}
	return hs, metadata, nil
}

// headerEntry is a checked tensor entry of a header: n elements.
type headerEntry struct {
	name string
	info tensorInfo
	n    int
}

// headerError is a safetensors header that cannot be read: "safetensors
// PATH: what is wrong"; a caller that names the file itself takes err.
type headerError struct {
	path string
	err  error
}

func (e *headerError) Error() string { return fmt.Sprintf("safetensors %s: %v", e.path, e.err) }
func (e *headerError) Unwrap() error { return e.err }

// dtypeError is a tensor of a dtype sgn does not read (it reads F64, F32
// and I64).
type dtypeError struct{ name, dtype string }

func (e *dtypeError) Error() string {
	return fmt.Sprintf("tensor %q: dtype %q is not supported: want F64, F32 or I64", e.name, e.dtype)
}

// readSafetensorsHeader reads the header of the open file f through r
// (positioned at the start) and checks it against the file's length: every
// allocation it makes is bounded by the header length, itself bounded by the
// file and maxHeader. It returns the entries sorted by data offset.
func readSafetensorsHeader(path string, f *os.File, r io.Reader) ([]headerEntry, map[string]string, error) {
	fail := func(format string, args ...any) error {
		return &headerError{path: path, err: fmt.Errorf(format, args...)}
	}
	st, err := f.Stat()
	if err != nil {
		return nil, nil, fail("%w", err)
	}
	size := st.Size()
	if size < 8 {
		return nil, nil, fail("file of %d bytes is too short for the 8-byte header length", size)
	}
	var b [8]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return nil, nil, fail("cannot read the header length: %w", err)
	}
	hlen := binary.LittleEndian.Uint64(b[:])
	switch {
	case hlen == 0:
		return nil, nil, fail("header length is 0")
	case hlen > uint64(size-8):
		return nil, nil, fail("header length %d exceeds the %d bytes that follow it", hlen, size-8)
	case hlen > maxHeader:
		return nil, nil, fail("header length %d exceeds the limit of %d", hlen, maxHeader)
	}
	hdr := make([]byte, hlen)
	if _, err := io.ReadFull(r, hdr); err != nil {
		return nil, nil, fail("cannot read the header: %w", err)
	}
	if hdr[0] != '{' {
		return nil, nil, fail("header does not start with '{'")
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(hdr, &raw); err != nil {
		return nil, nil, fail("header is not a JSON object: %w", err)
	}
	dataLen := size - 8 - int64(hlen)
	metadata := map[string]string{}
	var entries []headerEntry
	for name, msg := range raw {
		if name == metadataKey {
			if err := json.Unmarshal(msg, &metadata); err != nil {
				return nil, nil, fail("__metadata__ must map strings to strings: %w", err)
			}
			continue
		}
		var info tensorInfo
		dec := json.NewDecoder(bytes.NewReader(msg))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&info); err != nil {
			return nil, nil, fail("tensor %q: bad header entry: %w", name, err)
		}
		size := dtypeSize(info.DType)
		switch {
		case size == 0:
			return nil, nil, fail("%w", &dtypeError{name: name, dtype: info.DType})
		case info.Shape == nil:
			return nil, nil, fail("tensor %q: no shape", name)
		case len(info.DataOffsets) != 2:
			return nil, nil, fail("tensor %q: data_offsets %v is not a pair [begin, end]", name, info.DataOffsets)
		case info.DataOffsets[0] < 0 || info.DataOffsets[1] < info.DataOffsets[0]:
			return nil, nil, fail("tensor %q: data_offsets %v: want 0 ≤ begin ≤ end", name, info.DataOffsets)
		case info.DataOffsets[1] > dataLen:
			return nil, nil, fail("tensor %q: data_offsets %v go beyond the %d data bytes of the file", name, info.DataOffsets, dataLen)
		}
		n, err := numel(info.Shape)
		if err != nil {
			return nil, nil, fail("tensor %q: %w", name, err)
		}
		if int64(n)*int64(size) != info.DataOffsets[1]-info.DataOffsets[0] {
			return nil, nil, fail("tensor %q: shape %v of %s needs %d bytes but data_offsets %v span %d",
				name, info.Shape, info.DType, int64(n)*int64(size), info.DataOffsets, info.DataOffsets[1]-info.DataOffsets[0])
		}
		entries = append(entries, headerEntry{name, info, n})
	}
	sort.Slice(entries, func(i, j int) bool {
		a, b := entries[i].info.DataOffsets, entries[j].info.DataOffsets
		if a[0] != b[0] {
			return a[0] < b[0]
		}
		return a[1] < b[1]
	})
	var off int64
	for _, e := range entries {
		if e.info.DataOffsets[0] != off {
			return nil, nil, fail("tensor %q: data_offsets %v do not start where the previous tensor ends (%d): offsets must be contiguous", e.name, e.info.DataOffsets, off)
		}
		off = e.info.DataOffsets[1]
	}
	if off != dataLen {
		return nil, nil, fail("the tensors cover %d data bytes but the file holds %d after the header", off, dataLen)
	}
	return entries, metadata, nil
}

// readLE reads n elements of size bytes from r and calls set with each.
func readLE(r io.Reader, size, n int, set func(i int, b []byte)) error {
	const chunk = 8192
	buf := make([]byte, chunk*size)
	for i := 0; i < n; {
		k := min(chunk, n-i)
		if _, err := io.ReadFull(r, buf[:k*size]); err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return err
		}
		for j := 0; j < k; j++ {
			set(i+j, buf[j*size:(j+1)*size])
		}
		i += k
	}
	return nil
}

// ExportSet writes s to path as safetensors (atomically): tensor "x", N×D
// F64, the features exactly as the models consume them, and tensor "y", N
// I64, the labels. The metadata are those given plus "selection", the JSON
// of s.Selected() (which replaces any "selection" given).
func ExportSet(path string, s *Set, metadata map[string]string) error {
	if len(s.X) != s.N*s.D || len(s.Y) != s.N {
		return fmt.Errorf("safetensors %s: set of %d×%d has %d features and %d labels", path, s.N, s.D, len(s.X), len(s.Y))
	}
	sel, err := json.Marshal(s.Selected())
	if err != nil {
		return fmt.Errorf("safetensors %s: %w", path, err)
	}
	meta := make(map[string]string, len(metadata)+1)
	for k, v := range metadata {
		meta[k] = v
	}
	meta["selection"] = string(sel)
	y := make([]int64, s.N)
	for i, v := range s.Y {
		y[i] = int64(v)
	}
	return WriteSafetensors(path, []Tensor{
		{Name: "x", DType: DTypeF64, Shape: []int{s.N, s.D}, F64: s.X},
		{Name: "y", DType: DTypeI64, Shape: []int{s.N}, I64: y},
	}, meta)
}
