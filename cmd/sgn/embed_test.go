package main

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sgn-project/sgn/data"
)

// buildEmbedded builds sgn as `make build` does, with the MNIST files
// embedded (-tags embedmnist), into a temporary folder. Instead of copying
// the files into data/mnist/ (what the Makefile does) it maps them there with
// an -overlay, so the test writes nothing into the source tree.
func buildEmbedded(t *testing.T, mnist string) string {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build the binary with")
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	replace := map[string]string{}
	for _, f := range []string{data.TrainImagesFile, data.TrainLabelsFile, data.TestImagesFile, data.TestLabelsFile} {
		replace[filepath.Join(root, "data", "mnist", f)] = filepath.Join(mnist, f)
	}
	overlay, err := json.Marshal(map[string]any{"Replace": replace})
	if err != nil {
		t.Fatal(err)
	}
	ov := filepath.Join(tmp, "overlay.json")
	if err := os.WriteFile(ov, overlay, 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(tmp, "sgn")
	cmd := exec.Command(gobin, "build", "-tags", "embedmnist", "-overlay", ov, "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build -tags embedmnist: %v\n%s", err, out)
	}
	return bin
}

// TestEmbeddedBinaryRunsWithoutGo runs the built binary with an empty PATH and
// an empty HOME (no go command, no module cache) in an empty folder: it must
// read MNIST from its embedded copy, the same images as the GoMNIST module's
// files, and $SGN_MNIST must still take precedence over the embedded copy.
func TestEmbeddedBinaryRunsWithoutGo(t *testing.T) {
	mnist := mnistOrSkip(t)
	bin := buildEmbedded(t, mnist)
	work := t.TempDir()
	sgn := func(env []string, args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Dir = work
		cmd.Env = append([]string{"PATH=", "HOME="}, env...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("sgn %s with PATH= HOME=: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	// All four files: the test split from its start, the train split at
	// random (indices across the whole file).
	for _, o := range []data.Options{
		{Split: "test", Pool: 4, First: 50},
		{Split: "train", Pool: 4, Random: 30, Seed: 7},
	} {
		out := filepath.Join(work, o.Split+".safetensors")
		args := []string{"data", "export", "--split", o.Split, "--pool", "4", "--out", out, "--quiet"}
		if o.First > 0 {
			args = append(args, "--first", "50")
		} else {
			args = append(args, "--random", "30", "--seed", "7")
		}
		sgn(nil, args...)
		o.Dir = mnist
		want, err := data.Load(o)
		if err != nil {
			t.Fatal(err)
		}
		ts, _, err := data.ReadSafetensors(out)
		if err != nil {
			t.Fatal(err)
		}
		x, y := ts["x"], ts["y"]
		if len(x.F64) != len(want.X) || len(y.I64) != len(want.Y) {
			t.Fatalf("%s: %d features and %d labels, want %d and %d", o.Split, len(x.F64), len(y.I64), len(want.X), len(want.Y))
		}
		for i, v := range want.X {
			if x.F64[i] != v {
				t.Fatalf("%s: x[%d] = %v, want %v (the module's file)", o.Split, i, x.F64[i], v)
			}
		}
		for i, v := range want.Y {
			if y.I64[i] != int64(v) {
				t.Fatalf("%s: y[%d] = %d, want %d", o.Split, i, y.I64[i], v)
			}
		}
	}

	// $SGN_MNIST before the embedded copy: a folder whose test labels are
	// all 3.
	alt := t.TempDir()
	for _, f := range []string{data.TrainImagesFile, data.TrainLabelsFile, data.TestImagesFile} {
		if err := os.Symlink(filepath.Join(mnist, f), filepath.Join(alt, f)); err != nil {
			t.Fatal(err)
		}
	}
	var z bytes.Buffer
	w := gzip.NewWriter(&z)
	hdr := make([]byte, 8)
	binary.BigEndian.PutUint32(hdr, 0x0801)
	binary.BigEndian.PutUint32(hdr[4:], data.TestSize)
	w.Write(hdr)
	w.Write(bytes.Repeat([]byte{3}, data.TestSize))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(alt, data.TestLabelsFile), z.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(work, "alt.safetensors")
	sgn([]string{"SGN_MNIST=" + alt}, "data", "export", "--split", "test", "--pool", "4", "--first", "20", "--out", out, "--quiet")
	ts, _, err := data.ReadSafetensors(out)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range ts["y"].I64 {
		if v != 3 {
			t.Fatalf("with SGN_MNIST=%s: y[%d] = %d, want 3 (the embedded copy was used instead)", alt, i, v)
		}
	}
}
