package data

import (
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
