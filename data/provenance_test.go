package data

import (
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Issue case 7: an explicit SGN_MNIST that does not hold MNIST (a missing
// folder, a file, an empty folder) is an error naming it, never a silent
// fall-back to other images.
func TestBadSGNMNISTIsAnError(t *testing.T) {
	base := t.TempDir()
	file := filepath.Join(base, "file")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(base, "empty")
	if err := os.Mkdir(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{filepath.Join(base, "missing"), file, empty} {
		t.Setenv("SGN_MNIST", d)
		_, err := Load(Options{Split: "test", Pool: 4, First: 10})
		if err == nil || !strings.Contains(err.Error(), "SGN_MNIST="+d) {
			t.Errorf("SGN_MNIST=%s: Load error %v, want one naming it", d, err)
		}
		if _, err := FindMNIST(""); err == nil || !strings.Contains(err.Error(), d) {
			t.Errorf("SGN_MNIST=%s: FindMNIST error %v", d, err)
		}
	}
}

// The digest is the SHA-256 of the lines "NAME SHA256" of the four files,
// computed here independently; it changes when any one file changes, and
// every Set and Selection carries it.
func TestDigestIdentifiesTheFourFiles(t *testing.T) {
	dir := syntheticDir(t, 12)
	var lines strings.Builder
	for _, name := range []string{TrainImagesFile, TrainLabelsFile, TestImagesFile, TestLabelsFile} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&lines, "%s %x\n", name, sha256.Sum256(b))
	}
	want := fmt.Sprintf("%x", sha256.Sum256([]byte(lines.String())))
	s := load(t, Options{Dir: dir, Split: "test", Pool: 4, First: 3})
	if s.Digest != want || s.Selected().MNIST != want || s.Subset([]int{1}).Digest != want {
		t.Fatalf("digest %q (selection %q), want %q", s.Digest, s.Selected().MNIST, want)
	}
	// Another training-labels file, same test split: another digest.
	lbl := make([]byte, 12)
	lbl[5] = 7
	writeIdx(t, filepath.Join(dir, TrainLabelsFile), []int{12}, lbl)
	if d := load(t, Options{Dir: dir, Split: "test", Pool: 4, First: 3}).Digest; d == want {
		t.Errorf("the digest did not change with the training labels")
	}
}
