package data

import (
	"bytes"
	crand "crypto/rand"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sgn-project/sgn/internal/memtest"
)

// TestLoadAllocatesWhatTheFileHolds: a crafted test split whose image and
// label headers declare 2²⁰ items but whose gzip streams hold 100 (the
// files are padded with random bytes so that the header passes the bound
// of deflate's ratio) makes Load fail naming the file, after allocating
// about what the 100 images need, not the 2²⁰ × 49 float64 (411 MB) the
// headers declare.
func TestLoadAllocatesWhatTheFileHolds(t *testing.T) {
	dir := t.TempDir()
	const declared, held = 1 << 20, 100
	// writeIdx's file, then pad bytes of random junk after the gzip stream.
	write := func(name string, dims []int, data []byte, pad int) {
		path := filepath.Join(dir, name)
		writeIdx(t, path, dims, data)
		junk := make([]byte, pad)
		crand.Read(junk)
		f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
		if err == nil {
			_, err = f.Write(junk)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	write(TrainImagesFile, []int{3, Side, Side}, make([]byte, 3*Side*Side), 0)
	write(TrainLabelsFile, []int{3}, []byte{1, 2, 3}, 0)
	// 2²⁰·784 bytes of pixels pass the header check with 800 KB of file.
	write(TestImagesFile, []int{declared, Side, Side}, bytes.Repeat([]byte{7}, held*Side*Side), declared*Side*Side/maxDeflateRatio)
	// Every label is present (random digits: they compress too little to
	// need padding); the images are short.
	labels := make([]byte, declared)
	lr := rand.New(rand.NewPCG(1, 2))
	for i := range labels {
		labels[i] = byte(lr.IntN(Classes))
	}
	write(TestLabelsFile, []int{declared}, labels, 0)
	var err error
	n := memtest.Allocated(func() { _, err = Load(Options{Dir: dir, Split: "test", Pool: 4}) })
	if err == nil || !strings.Contains(err.Error(), TestImagesFile) {
		t.Fatalf("Load = %v, want an error naming %s", err, TestImagesFile)
	}
	// The labels really hold 2²⁰ items (8 MB as ints, with the growth and
	// the indices about 40 MB); the images 100 of 49 values.
	if n > 48<<20 {
		t.Errorf("Load allocated %d bytes for files holding %d images", n, held)
	}
	// Both headers lie: nothing beyond the few rows held.
	write(TestLabelsFile, []int{declared}, make([]byte, held), declared/maxDeflateRatio+1024)
	n = memtest.Allocated(func() { _, err = Load(Options{Dir: dir, Split: "test", Pool: 4}) })
	if err == nil || !strings.Contains(err.Error(), TestLabelsFile) {
		t.Fatalf("Load = %v, want an error naming %s", err, TestLabelsFile)
	}
	if n > 4<<20 {
		t.Errorf("Load allocated %d bytes for files holding %d labels", n, held)
	}
	// A random selection allocates its rows and no array of the header's
	// count (the draw is sparse).
	n = memtest.Allocated(func() { _, err = Load(Options{Dir: dir, Split: "test", Pool: 4, Random: 50, Seed: 1}) })
	if err == nil {
		t.Fatalf("Load of a random selection from lying files succeeded")
	}
	if n > 4<<20 {
		t.Errorf("Load of 50 random rows allocated %d bytes", n)
	}
}

// TestRandomSubsetIsTheFisherYatesDraw: the sparse draw gives the same
// indices as the partial Fisher–Yates shuffle of the identity it replaces.
func TestRandomSubsetIsTheFisherYatesDraw(t *testing.T) {
	for _, c := range [][3]int{{10, 10, 1}, {60000, 500, 7}, {1000, 1, 3}} {
		n, k, seed := c[0], c[1], uint64(c[2])
		got := randomSubset(n, k, seed)
		r := rand.New(rand.NewPCG(seed, subsetStream))
		p := make([]int, n)
		for i := range p {
			p[i] = i
		}
		for i := 0; i < k; i++ {
			j := i + r.IntN(n-i)
			p[i], p[j] = p[j], p[i]
		}
		for i := range k {
			if got[i] != p[i] {
				t.Fatalf("n %d k %d seed %d: index %d is %d, the shuffle gives %d", n, k, seed, i, got[i], p[i])
			}
		}
	}
}
