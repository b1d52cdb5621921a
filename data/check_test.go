package data

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestCheck: Check refuses, reading no image, what Load refuses for a
// missing or malformed MNIST folder or data file and for a selection
// beyond the images the headers declare, naming the field; it accepts
// what Load loads.
func TestCheck(t *testing.T) {
	dir := syntheticDir(t, 3)
	if err := Check(Options{Split: "train", Pool: 4, First: 3, Dir: dir}); err != nil {
		t.Fatalf("3 of 3 images: %v", err)
	}
	if _, err := Load(Options{Split: "train", Pool: 4, First: 3, Dir: dir}); err != nil {
		t.Fatalf("Load of what Check accepts: %v", err)
	}
	var fe *FieldError
	for _, o := range []Options{{Split: "train", Pool: 4, First: 4, Dir: dir}, {Split: "test", Pool: 4, Random: 4, Dir: dir}} {
		if err := Check(o); !errors.As(err, &fe) || (fe.Field != "first" && fe.Field != "random") {
			t.Errorf("%+v: %v, want a FieldError of first or random", o, err)
		}
	}
	empty, notGzip := t.TempDir(), t.TempDir()
	for _, f := range mnistFiles {
		os.WriteFile(filepath.Join(notGzip, f), []byte("not gzip"), 0o644)
	}
	for _, d := range []string{empty, notGzip, filepath.Join(empty, "none")} {
		if err := Check(Options{Split: "train", Pool: 4, Dir: d}); err == nil {
			t.Errorf("MNIST folder %s: no error", d)
		}
	}
	if err := Check(Options{Split: "train", Pool: 3, Dir: dir}); err == nil {
		t.Error("pool 3: no error")
	}
	// A data file: its header, and the rows it declares.
	file := filepath.Join(t.TempDir(), "d.safetensors")
	if err := WriteSafetensors(file, []Tensor{{Name: "x", DType: DTypeF64, Shape: []int{2, 3}, F64: make([]float64, 6)}, {Name: "y", DType: DTypeI64, Shape: []int{2}, I64: []int64{0, 1}}}, nil); err != nil {
		t.Fatal(err)
	}
	if err := Check(Options{Split: "train", File: file, First: 2}); err != nil {
		t.Errorf("data file, first 2 of 2: %v", err)
	}
	if err := Check(Options{Split: "train", File: file, First: 3}); !errors.As(err, &fe) || fe.Field != "first" {
		t.Errorf("data file, first 3 of 2: %v", err)
	}
	if err := Check(Options{Split: "train", File: file + ".missing"}); err == nil {
		t.Error("a missing data file: no error")
	}
}
