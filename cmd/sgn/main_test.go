package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sgn-project/sgn/data"
	"github.com/sgn-project/sgn/model"
)

// TestMain runs the tests on the matrix products the program uses
// (model.UseBLAS), as cmd/sgn's main installs them.
func TestMain(m *testing.M) {
	model.UseBLAS()
	os.Exit(m.Run())
}

// run executes the command line and returns the exit status, stdout and
// stderr.
func run(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	a := &app{stdout: &out, stderr: &errb}
	code := a.main(args)
	return code, out.String(), errb.String()
}

// mnistOrSkip returns the real MNIST folder or skips the test.
func mnistOrSkip(t *testing.T) string {
	t.Helper()
	dir, err := data.FindMNIST("")
	if err != nil {
		t.Skipf("real MNIST not available: %v", err)
	}
	return dir
}

// writeCheckpoint writes an untrained tanh MLP with the given widths, seed
// and pool in the metadata to dir/name and returns its path.
func writeCheckpoint(t *testing.T, dir, name string, layers []int, seed uint64, pool int) string {
	t.Helper()
	m, err := model.New(model.Config{Layers: layers, Activation: model.Tanh, Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := model.SaveCheckpoint(p, m, model.CheckpointMeta{Pool: pool}); err != nil {
		t.Fatal(err)
	}
	return p
}

// folderSnapshot returns the names and contents of the files of dir, to
// check that a refused command changed nothing there.
func folderSnapshot(dir string) string {
	var b strings.Builder
	es, _ := os.ReadDir(dir)
	for _, e := range es {
		c, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		fmt.Fprintf(&b, "%s %q\n", e.Name(), c)
	}
	return b.String()
}

// readJSON decodes the JSON file path into v and returns its bytes.
func readJSON(t *testing.T, path string, v any) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return b
}
