package data

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// rawSafetensors writes a safetensors file of the JSON header hdr and
// data bytes as they are.
func rawSafetensors(t *testing.T, path, hdr string, data int) {
	t.Helper()
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(hdr)))
	b = append(append(b, hdr...), make([]byte, data)...)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestDataFileHeaderMessages: a data file whose safetensors header cannot
// be read is named once, and an array of an unsupported dtype is told the
// dtypes it may have: features F64 or F32 (not I64, which x may not be),
// labels I64.
func TestDataFileHeaderMessages(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		name, hdr string
		data      int
		want, not string
	}{
		{"I32 features", `{"x":{"dtype":"I32","shape":[2,3],"data_offsets":[0,24]},"y":{"dtype":"I64","shape":[2],"data_offsets":[24,40]}}`, 40,
			`tensor "x" has dtype I32: want F64 or F32 features`, "I64"},
		{"I32 labels", `{"x":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},"y":{"dtype":"I32","shape":[2],"data_offsets":[24,32]}}`, 32,
			`tensor "y" has dtype I32: want I64 labels`, ""},
		{"bad JSON", `{"x": garbage}`, 0, "(safetensors): header is not a JSON object", ""},
	} {
		path := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "-")+".safetensors")
		rawSafetensors(t, path, c.hdr, c.data)
		_, err := Load(Options{File: path, Split: "train"})
		if err == nil {
			t.Fatalf("%s: loaded", c.name)
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, "data file "+path) || strings.Count(msg, path) != 1 || !strings.Contains(msg, c.want) || (c.not != "" && strings.Contains(msg, c.not)) {
			t.Errorf("%s: %q, want the file named once and %q", c.name, msg, c.want)
		}
	}
}
