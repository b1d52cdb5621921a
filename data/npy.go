package data

import (
	"archive/zip"
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
)

// The .npy format (NumPy's NEP 1, format versions 1.0–3.0):
//
//	6 bytes   the magic "\x93NUMPY"
//	2 bytes   major, minor version
//	2 or 4    H, the header length, little-endian (uint16 for 1.x, uint32 for 2.x and 3.x)
//	H bytes   a Python dict literal {'descr': '<f8', 'fortran_order': False, 'shape': (N, d), }
//	          padded with spaces and ended by '\n'
//	rest      the array's bytes, C order unless fortran_order
//
// An .npz file is a zip archive of .npy files, one per array, named
// NAME.npy (np.savez, np.savez_compressed).

// npyMagic starts every .npy file.
const npyMagic = "\x93NUMPY"

// maxNpyHeader bounds the header length of an .npy file: NumPy writes
// headers of a few hundred bytes.
const maxNpyHeader = 1 << 16

// npyArray is the checked header of an .npy array: its element type and
// shape, and how many bytes of data follow.
type npyArray struct {
	descr string // e.g. "<f8", "|u1"
	kind  byte   // 'f' (float), 'i' (signed integer) or 'u' (unsigned)
	size  int    // bytes per element
	shape []int
	n     int // elements: the product of shape
}

// npyDescr returns the kind and size of the little-endian (or one-byte)
// NumPy type descr, or an error saying what is not supported.
func npyDescr(descr string) (kind byte, size int, err error) {
	if len(descr) < 3 {
		return 0, 0, fmt.Errorf("dtype %q is not supported", descr)
	}
	order, kind, digits := descr[0], descr[1], descr[2:]
	size, err = strconv.Atoi(digits)
	if err != nil || (kind != 'f' && kind != 'i' && kind != 'u') {
		return 0, 0, fmt.Errorf("dtype %q is not supported: want a float or integer type such as <f8 or <i8", descr)
	}
	switch {
	case order == '>':
		return 0, 0, fmt.Errorf("dtype %q is big-endian: want little-endian (%s)", descr, "<"+descr[1:])
	case order == '|' && size != 1, order != '<' && order != '|':
		return 0, 0, fmt.Errorf("dtype %q is not supported: want a little-endian type such as <f8 or <i8", descr)
	}
	switch {
	case kind == 'f' && (size == 4 || size == 8),
		kind == 'i' && (size == 1 || size == 2 || size == 4 || size == 8),
		kind == 'u' && size == 1:
		return kind, size, nil
	}
	return 0, 0, fmt.Errorf("dtype %q is not supported: want f4 or f8 (features), i1, i2, i4, i8 or u1 (labels)", descr)
}

// readNpyHeader reads and checks the header of an .npy stream r that holds
// dataBytes bytes in all (−1 if unknown): magic, version, the dict, its
// dtype, C order and shape. With dataBytes known, the shape must account
// for exactly the bytes after the header, so nothing is allocated from a
// shape the stream cannot hold.
func readNpyHeader(r io.Reader, dataBytes int64) (*npyArray, error) {
	var pre [10]byte
	if _, err := io.ReadFull(r, pre[:8]); err != nil {
		return nil, fmt.Errorf("is truncated: it ends within the .npy magic and version")
	}
	if string(pre[:6]) != npyMagic {
		return nil, fmt.Errorf("is not an .npy array: it does not start with \\x93NUMPY")
	}
	var hlen, prefix int
	switch pre[6] {
	case 1:
		if _, err := io.ReadFull(r, pre[8:10]); err != nil {
			return nil, fmt.Errorf("is truncated: it ends within the .npy header length")
		}
		hlen, prefix = int(binary.LittleEndian.Uint16(pre[8:10])), 10
	case 2, 3:
		var b [4]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, fmt.Errorf("is truncated: it ends within the .npy header length")
		}
		h := binary.LittleEndian.Uint32(b[:])
		if h > maxNpyHeader {
			return nil, fmt.Errorf("has an .npy header of %d bytes, more than the limit of %d", h, maxNpyHeader)
		}
		hlen, prefix = int(h), 12
	default:
		return nil, fmt.Errorf("has .npy format version %d.%d: want 1.0, 2.0 or 3.0", pre[6], pre[7])
	}
	if dataBytes >= 0 && int64(prefix+hlen) > dataBytes {
		return nil, fmt.Errorf("is truncated: its %d bytes end within the %d-byte .npy header", dataBytes, hlen)
	}
	hdr := make([]byte, hlen)
	if _, err := io.ReadFull(r, hdr); err != nil {
		return nil, fmt.Errorf("is truncated: it ends within the .npy header")
	}
	dict, err := parsePyDict(strings.TrimRight(string(hdr), " \n\x00"))
	if err != nil {
		return nil, fmt.Errorf("has a bad .npy header: %v", err)
	}
	for k := range dict {
		if k != "descr" && k != "fortran_order" && k != "shape" {
			return nil, fmt.Errorf("has a bad .npy header: unknown key %q", k)
		}
	}
	descr, ok := dict["descr"].(string)
	if !ok {
		return nil, fmt.Errorf("has a bad .npy header: 'descr' is missing or not a string (a structured dtype is not supported)")
	}
	fortran, ok := dict["fortran_order"].(bool)
	if !ok {
		return nil, fmt.Errorf("has a bad .npy header: 'fortran_order' is missing or not True/False")
	}
	shape, ok := dict["shape"].([]int)
	if !ok {
		return nil, fmt.Errorf("has a bad .npy header: 'shape' is missing or not a tuple of integers")
	}
	if fortran {
		return nil, fmt.Errorf("is in Fortran order: want C order (save np.ascontiguousarray(a))")
	}
	a := &npyArray{descr: descr, shape: shape}
	if a.kind, a.size, err = npyDescr(descr); err != nil {
		return nil, err
	}
	if a.n, err = numel(shape); err != nil {
		return nil, err
	}
	if dataBytes >= 0 {
		have := dataBytes - int64(prefix+hlen)
		if need := int64(a.n) * int64(a.size); need != have {
			if need > have {
				return nil, fmt.Errorf("is truncated: shape %v of %s needs %d bytes of data, it holds %d", shape, descr, need, have)
			}
			return nil, fmt.Errorf("is corrupt: shape %v of %s needs %d bytes of data, it holds %d", shape, descr, need, have)
		}
	}
	return a, nil
}

// value reads element b (a.size bytes, little-endian) of a as a float64.
func (a *npyArray) value(b []byte) float64 {
	switch {
	case a.kind == 'f' && a.size == 8:
		return math.Float64frombits(binary.LittleEndian.Uint64(b))
	case a.kind == 'f':
		return float64(math.Float32frombits(binary.LittleEndian.Uint32(b)))
	default:
		return float64(a.intValue(b))
	}
}

// intValue reads element b of an integer array a.
func (a *npyArray) intValue(b []byte) int64 {
	switch {
	case a.kind == 'u':
		return int64(b[0])
	case a.size == 1:
		return int64(int8(b[0]))
	case a.size == 2:
		return int64(int16(binary.LittleEndian.Uint16(b)))
	case a.size == 4:
		return int64(int32(binary.LittleEndian.Uint32(b)))
	default:
		return int64(binary.LittleEndian.Uint64(b))
	}
}

// parsePyDict parses the Python dict literal of an .npy header: string
// keys, and values that are strings, True/False or tuples of
// non-negative integers (returned as string, bool and []int).
func parsePyDict(s string) (map[string]any, error) {
	p := &pyParser{s: s}
	d, err := p.dict()
	if err != nil {
		return nil, err
	}
	p.space()
	if p.i != len(p.s) {
		return nil, fmt.Errorf("unexpected %q after the dict", p.rest())
	}
	return d, nil
}

// pyParser reads a Python literal from s at position i.
type pyParser struct {
	s string
	i int
}

func (p *pyParser) space() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\n') {
		p.i++
	}
}

// rest returns a short view of what is left, for messages.
func (p *pyParser) rest() string {
	r := p.s[p.i:]
	if len(r) > 20 {
		r = r[:20] + "…"
	}
	return r
}

// eat skips spaces and the byte c if it comes next, and says whether it did.
func (p *pyParser) eat(c byte) bool {
	p.space()
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *pyParser) dict() (map[string]any, error) {
	if !p.eat('{') {
		return nil, fmt.Errorf("want a dict {…}, found %q", p.rest())
	}
	d := map[string]any{}
	for !p.eat('}') {
		k, err := p.str()
		if err != nil {
			return nil, err
		}
		if _, dup := d[k]; dup {
			return nil, fmt.Errorf("key %q appears twice", k)
		}
		if !p.eat(':') {
			return nil, fmt.Errorf("want ':' after key %q, found %q", k, p.rest())
		}
		if d[k], err = p.value(); err != nil {
			return nil, fmt.Errorf("key %q: %v", k, err)
		}
		if !p.eat(',') {
			if !p.eat('}') {
				return nil, fmt.Errorf("want ',' or '}' after the value of %q, found %q", k, p.rest())
			}
			break
		}
	}
	return d, nil
}

func (p *pyParser) str() (string, error) {
	p.space()
	if p.i >= len(p.s) || (p.s[p.i] != '\'' && p.s[p.i] != '"') {
		return "", fmt.Errorf("want a quoted string, found %q", p.rest())
	}
	q := p.s[p.i]
	end := strings.IndexByte(p.s[p.i+1:], q)
	if end < 0 {
		return "", fmt.Errorf("unterminated string %q", p.rest())
	}
	v := p.s[p.i+1 : p.i+1+end]
	if strings.ContainsRune(v, '\\') {
		return "", fmt.Errorf("string %q has an escape", v)
	}
	p.i += end + 2
	return v, nil
}

func (p *pyParser) value() (any, error) {
	p.space()
	switch {
	case p.i >= len(p.s):
		return nil, fmt.Errorf("the header ends before the value")
	case p.s[p.i] == '\'' || p.s[p.i] == '"':
		return p.str()
	case strings.HasPrefix(p.s[p.i:], "True"):
		p.i += 4
		return true, nil
	case strings.HasPrefix(p.s[p.i:], "False"):
		p.i += 5
		return false, nil
	case p.s[p.i] == '(':
		return p.tuple()
	}
	return nil, fmt.Errorf("unsupported value %q", p.rest())
}

// tuple parses (), (n,) or (n, m, …) of non-negative integers.
func (p *pyParser) tuple() ([]int, error) {
	p.eat('(')
	shape := []int{}
	for !p.eat(')') {
		p.space()
		j := p.i
		for j < len(p.s) && p.s[j] >= '0' && p.s[j] <= '9' {
			j++
		}
		if j == p.i {
			return nil, fmt.Errorf("want a non-negative integer in the tuple, found %q", p.rest())
		}
		d, err := strconv.Atoi(strings.TrimSuffix(p.s[p.i:j], "L"))
		if err != nil || d > 1<<50 {
			return nil, fmt.Errorf("dimension %s is too large", p.s[p.i:j])
		}
		p.i = j
		shape = append(shape, d)
		if !p.eat(',') {
			if !p.eat(')') {
				return nil, fmt.Errorf("want ',' or ')' in the tuple, found %q", p.rest())
			}
			break
		}
	}
	return shape, nil
}

// npzArchive is an open .npz file.
type npzArchive struct {
	path string
	size int64 // bytes of the file
	z    *zip.ReadCloser
}

// openNpz opens the .npz file path.
func openNpz(path string) (*npzArchive, error) {
	z, err := zip.OpenReader(path)
	if err != nil {
		return nil, fmt.Errorf("data file %s is not a readable .npz (zip) archive: %v", path, err)
	}
	st, err := os.Stat(path)
	if err != nil {
		z.Close()
		return nil, fmt.Errorf("cannot read data file %s: %v", path, err)
	}
	return &npzArchive{path: path, size: st.Size(), z: z}, nil
}

func (a *npzArchive) Close() error { return a.z.Close() }

// member returns the entry NAME.npy of the archive, nil if there is none.
func (a *npzArchive) member(name string) *zip.File {
	for _, f := range a.z.File {
		if f.Name == name+".npy" {
			return f
		}
	}
	return nil
}

// header reads and checks the .npy header of array name. The sizes the
// zip directory declares bound the shape: the data must be exactly what
// the shape needs, and no more than deflate can expand the stored bytes
// to.
func (a *npzArchive) header(name string) (*npyArray, error) {
	f := a.member(name)
	if f == nil {
		return nil, fmt.Errorf("data file %s has no array %q (%s.npy): save it with np.savez(path, x=features, y=labels)", a.path, name, name)
	}
	r, total, err := a.open(f)
	if err != nil {
		return nil, fmt.Errorf("data file %s: array %q %v", a.path, name, err)
	}
	defer r.Close()
	arr, err := readNpyHeader(r, total)
	if err != nil {
		return nil, fmt.Errorf("data file %s: array %q %v", a.path, name, err)
	}
	return arr, nil
}

// open opens entry f and returns its uncompressed size, after checking
// that size against what its stored bytes can hold.
func (a *npzArchive) open(f *zip.File) (io.ReadCloser, int64, error) {
	total := f.UncompressedSize64
	if f.CompressedSize64 > uint64(a.size) {
		return nil, 0, fmt.Errorf("is corrupt: declares %d compressed bytes, the archive holds %d", f.CompressedSize64, a.size)
	}
	switch f.Method {
	case zip.Store:
		if total != f.CompressedSize64 {
			return nil, 0, fmt.Errorf("is corrupt: stored with %d bytes but declares %d", f.CompressedSize64, total)
		}
	case zip.Deflate:
		if float64(total) > float64(f.CompressedSize64)*maxDeflateRatio+1024 {
			return nil, 0, fmt.Errorf("is corrupt: declares %d bytes, more than its %d compressed bytes can hold", total, f.CompressedSize64)
		}
	default:
		return nil, 0, fmt.Errorf("uses zip compression method %d: want stored or deflated (np.savez, np.savez_compressed)", f.Method)
	}
	if total > 1<<50 {
		return nil, 0, fmt.Errorf("declares %d bytes, too large", total)
	}
	r, err := f.Open()
	if err != nil {
		return nil, 0, fmt.Errorf("cannot be opened: %v", err)
	}
	return r, int64(total), nil
}

// read reads array name, calling set with the index and bytes of each
// element in C order. The header is read again and must be as before.
func (a *npzArchive) read(name string, want *npyArray, set func(i int, b []byte) error) error {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("data file %s: array %q %s", a.path, name, fmt.Sprintf(format, args...))
	}
	rc, total, err := a.open(a.member(name))
	if err != nil {
		return fail("%v", err)
	}
	defer rc.Close()
	r := bufio.NewReaderSize(rc, 1<<16)
	if _, err := readNpyHeader(r, total); err != nil {
		return fail("%v", err)
	}
	const chunk = 8192
	buf := make([]byte, chunk*want.size)
	for i := 0; i < want.n; {
		k := min(chunk, want.n-i)
		if _, err := io.ReadFull(r, buf[:k*want.size]); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return fail("is truncated: it ends within element %d of %d", i+k, want.n)
			}
			return fail("is corrupt: %v", err)
		}
		for j := 0; j < k; j++ {
			if err := set(i+j, buf[j*want.size:(j+1)*want.size]); err != nil {
				return err
			}
		}
		i += k
	}
	// The end of the stream is where zip checks the entry's CRC-32.
	if _, err := io.ReadFull(r, buf[:1]); !errors.Is(err, io.EOF) {
		if err == nil {
			return fail("is corrupt: data after the %d elements of its shape", want.n)
		}
		return fail("is corrupt: %v", err)
	}
	return nil
}
