package data

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestSafetensorsRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rt.safetensors")
	in := []Tensor{
		{Name: "w", DType: DTypeF64, Shape: []int{2, 3}, F64: []float64{1, -2.5, math.Pi, math.SmallestNonzeroFloat64, math.MaxFloat64, math.Inf(-1)}},
		{Name: "labels", DType: DTypeI64, Shape: []int{4}, I64: []int64{0, -1, math.MaxInt64, math.MinInt64}},
		{Name: "half", DType: DTypeF32, Shape: []int{3}, F64: []float64{0.5, -1.25, 1 << 20}},
		{Name: "scalar", DType: DTypeF64, Shape: []int{}, F64: []float64{42}},
		{Name: "empty", DType: DTypeF64, Shape: []int{0, 5}, F64: []float64{}},
		{Name: "fc1.weight", DType: DTypeF64, Shape: []int{1, 1}, F64: []float64{-0.0}},
	}
	meta := map[string]string{"config": `{"layers":[49,16,10]}`, "odd \"key\"": "<tab>\t & ünïcode", "empty": ""}
	if err := WriteSafetensors(path, in, meta); err != nil {
		t.Fatal(err)
	}
	got, gotMeta, err := ReadSafetensors(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(in) {
		t.Fatalf("%d tensors read, want %d", len(got), len(in))
	}
	for _, w := range in {
		g, ok := got[w.Name]
		if !ok {
			t.Errorf("tensor %q missing", w.Name)
			continue
		}
		if g.Name != w.Name || g.DType != w.DType || !slices.Equal(g.Shape, w.Shape) || len(g.F64) != len(w.F64) || len(g.I64) != len(w.I64) {
			t.Errorf("tensor %q: read %+v, want %+v", w.Name, g, w)
			continue
		}
		for i := range w.F64 {
			if math.Float64bits(g.F64[i]) != math.Float64bits(w.F64[i]) {
				t.Errorf("tensor %q element %d: %v, want %v", w.Name, i, g.F64[i], w.F64[i])
			}
		}
		for i := range w.I64 {
			if g.I64[i] != w.I64[i] {
				t.Errorf("tensor %q element %d: %v, want %v", w.Name, i, g.I64[i], w.I64[i])
			}
		}
	}
	if len(gotMeta) != len(meta) {
		t.Errorf("metadata %v, want %v", gotMeta, meta)
	}
	for k, v := range meta {
		if gotMeta[k] != v {
			t.Errorf("metadata[%q] = %q, want %q", k, gotMeta[k], v)
		}
	}
	// Without metadata the header has no __metadata__ and reads back empty.
	if err := WriteSafetensors(path, in[:1], nil); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	if bytes.Contains(b, []byte(metadataKey)) {
		t.Errorf("header without metadata holds %s", metadataKey)
	}
	if _, m, err := ReadSafetensors(path); err != nil || len(m) != 0 {
		t.Errorf("no metadata: read %v, %v", m, err)
	}
}

// TestSafetensorsBytes checks a tiny file byte for byte against the format
// as the specification states it.
func TestSafetensorsBytes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tiny.safetensors")
	err := WriteSafetensors(path, []Tensor{
		{Name: "b", DType: DTypeI64, Shape: []int{2}, I64: []int64{-1, 7}},
		{Name: "a", DType: DTypeF64, Shape: []int{1}, F64: []float64{1.5}},
	}, map[string]string{"k": "v"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// The header: metadata, then tensors sorted by name, data in that order.
	header := `{"__metadata__":{"k":"v"},"a":{"dtype":"F64","shape":[1],"data_offsets":[0,8]},"b":{"dtype":"I64","shape":[2],"data_offsets":[8,24]}}`
	// 133 characters, padded with 3 spaces to 136 = 0x88, a multiple of 8.
	if len(header) != 133 {
		t.Fatalf("hand-written header has %d bytes, the test expects 133", len(header))
	}
	want := []byte{0x88, 0, 0, 0, 0, 0, 0, 0}
	want = append(want, header+"   "...)
	want = append(want,
		0, 0, 0, 0, 0, 0, 0xf8, 0x3f, // 1.5 = 0x3ff8000000000000, little-endian
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, // −1
		7, 0, 0, 0, 0, 0, 0, 0) // 7
	if !bytes.Equal(got, want) {
		t.Errorf("file bytes\n%q\nwant\n%q", got, want)
	}
}

// stFile writes a safetensors file with the given header (unpadded, its
// length prefix computed) and data, and returns its path.
func stFile(t *testing.T, header string, data []byte) string {
	t.Helper()
	var b bytes.Buffer
	binary.Write(&b, binary.LittleEndian, uint64(len(header)))
	b.WriteString(header)
	b.Write(data)
	path := filepath.Join(t.TempDir(), "bad.safetensors")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestSafetensorsCorrupt(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.safetensors")
	err := WriteSafetensors(good, []Tensor{
		{Name: "x", DType: DTypeF64, Shape: []int{2, 2}, F64: []float64{1, 2, 3, 4}},
		{Name: "y", DType: DTypeI64, Shape: []int{2}, I64: []int64{5, 6}},
	}, map[string]string{"a": "b"})
	if err != nil {
		t.Fatal(err)
	}
	gb, _ := os.ReadFile(good)
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	bigLen := append([]byte(nil), gb...)
	binary.LittleEndian.PutUint64(bigLen, uint64(len(gb)))
	zeroLen := append([]byte(nil), gb...)
	binary.LittleEndian.PutUint64(zeroLen, 0)
	hugeLen := append([]byte(nil), gb...)
	binary.LittleEndian.PutUint64(hugeLen, math.MaxUint64)
	eight := make([]byte, 8)
	cases := []struct {
		what, path, want string
	}{
		{"truncated by one byte", write("trunc1.safetensors", gb[:len(gb)-1]), "beyond the 47 data bytes"},
		{"truncated in the header", write("trunc2.safetensors", gb[:20]), "header length"},
		{"shorter than 8 bytes", write("short.safetensors", gb[:5]), "too short"},
		{"header length = file size", write("biglen.safetensors", bigLen), "exceeds"},
		{"header length 2^64−1", write("hugelen.safetensors", hugeLen), "exceeds"},
		{"header length 0", write("zerolen.safetensors", zeroLen), "header length is 0"},
		{"an empty header length", write("eight.safetensors", eight), "header length is 0"},
		{"trailing data", write("trailing.safetensors", append(append([]byte(nil), gb...), 1, 2, 3)), "file holds 51"},
		{"offsets beyond the data", stFile(t, `{"x":{"dtype":"F64","shape":[2],"data_offsets":[0,16]}}`, make([]byte, 8)), "beyond the 8 data bytes"},
		{"a gap between tensors", stFile(t, `{"x":{"dtype":"F64","shape":[1],"data_offsets":[0,8]},"y":{"dtype":"F64","shape":[1],"data_offsets":[16,24]}}`, make([]byte, 24)), "contiguous"},
		{"overlapping tensors", stFile(t, `{"x":{"dtype":"F64","shape":[2],"data_offsets":[0,16]},"y":{"dtype":"F64","shape":[1],"data_offsets":[8,16]}}`, make([]byte, 16)), "contiguous"},
		{"not starting at 0", stFile(t, `{"x":{"dtype":"F64","shape":[1],"data_offsets":[8,16]}}`, make([]byte, 16)), "contiguous"},
		{"end before begin", stFile(t, `{"x":{"dtype":"F64","shape":[0],"data_offsets":[8,0]}}`, make([]byte, 8)), "begin ≤ end"},
		{"unknown dtype", stFile(t, `{"x":{"dtype":"F16","shape":[4],"data_offsets":[0,8]}}`, make([]byte, 8)), `dtype "F16"`},
		{"shape and length disagree", stFile(t, `{"x":{"dtype":"F64","shape":[3],"data_offsets":[0,16]}}`, make([]byte, 16)), "needs 24 bytes"},
		{"negative dimension", stFile(t, `{"x":{"dtype":"F64","shape":[-1],"data_offsets":[0,0]}}`, nil), "negative"},
		{"no shape", stFile(t, `{"x":{"dtype":"F64","data_offsets":[0,8]}}`, make([]byte, 8)), "no shape"},
		{"three offsets", stFile(t, `{"x":{"dtype":"F64","shape":[1],"data_offsets":[0,8,8]}}`, make([]byte, 8)), "pair"},
		{"unknown field", stFile(t, `{"x":{"dtype":"F64","shape":[1],"data_offsets":[0,8],"extra":1}}`, make([]byte, 8)), "extra"},
		{"header not JSON", stFile(t, `{"x":`, nil), "not a JSON object"},
		{"header not an object", stFile(t, `[1, 2]`, nil), "start with '{'"},
		{"metadata not strings", stFile(t, `{"__metadata__":{"a":1}}`, nil), "__metadata__"},
	}
	for _, c := range cases {
		_, _, err := ReadSafetensors(c.path)
		if err == nil || !strings.Contains(err.Error(), c.path) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one naming the file and containing %q", c.what, err, c.want)
		}
	}
	if _, _, err := ReadSafetensors(filepath.Join(dir, "missing.safetensors")); err == nil || !strings.Contains(err.Error(), "missing.safetensors") {
		t.Errorf("missing file: error %v", err)
	}
	// A file of tensors only, no metadata, is read back.
	p := stFile(t, `{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, []byte{0, 0, 0xc0, 0x3f})
	ts, _, err := ReadSafetensors(p)
	if err != nil || ts["x"].F64[0] != 1.5 {
		t.Errorf("F32 1.5: read %v, %v", ts, err)
	}
}

func TestWriteSafetensorsErrors(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.safetensors")
	cases := []struct {
		what    string
		tensors []Tensor
		want    string
	}{
		{"unknown dtype", []Tensor{{Name: "x", DType: "BF16", Shape: []int{1}, F64: []float64{1}}}, `dtype "BF16"`},
		{"shape mismatch", []Tensor{{Name: "x", DType: DTypeF64, Shape: []int{2, 2}, F64: []float64{1, 2, 3}}}, "4 elements but the data has 3"},
		{"I64 data in F64", []Tensor{{Name: "x", DType: DTypeI64, Shape: []int{1}, F64: []float64{1}}}, "F64 is set"},
		{"duplicate name", []Tensor{{Name: "x", DType: DTypeF64, Shape: []int{1}, F64: []float64{1}}, {Name: "x", DType: DTypeF64, Shape: []int{1}, F64: []float64{2}}}, "twice"},
		{"empty name", []Tensor{{Name: "", DType: DTypeF64, Shape: []int{1}, F64: []float64{1}}}, "not allowed"},
		{"reserved name", []Tensor{{Name: metadataKey, DType: DTypeF64, Shape: []int{1}, F64: []float64{1}}}, "not allowed"},
		{"negative dimension", []Tensor{{Name: "x", DType: DTypeF64, Shape: []int{-1}, F64: nil}}, "negative"},
	}
	for _, c := range cases {
		err := WriteSafetensors(path, c.tensors, nil)
		if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one naming %s and containing %q", c.what, err, path, c.want)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("failed writes left %d files", len(entries))
	}
	// An unwritable destination (a folder under a regular file) leaves nothing.
	file := filepath.Join(dir, "file")
	os.WriteFile(file, nil, 0o644)
	if err := WriteSafetensors(filepath.Join(file, "x.safetensors"), []Tensor{{Name: "x", DType: DTypeF64, Shape: []int{1}, F64: []float64{1}}}, nil); err == nil {
		t.Errorf("writing under a regular file: no error")
	}
}

func TestExportSet(t *testing.T) {
	s := &Set{
		X: []float64{0, 0.25, 0.5, 1, 0.75, 0.125}, Y: []int{3, 9}, N: 2, D: 3,
		Pool: 4, Split: "train", Selection: "train first 2", Index: []int{0, 1}, first: 2,
	}
	path := filepath.Join(t.TempDir(), "set.safetensors")
	if err := ExportSet(path, s, map[string]string{"version": "test", "selection": "overridden"}); err != nil {
		t.Fatal(err)
	}
	ts, meta, err := ReadSafetensors(path)
	if err != nil {
		t.Fatal(err)
	}
	x, y := ts["x"], ts["y"]
	if len(ts) != 2 || x.DType != DTypeF64 || !slices.Equal(x.Shape, []int{2, 3}) || !slices.Equal(x.F64, s.X) {
		t.Errorf("x = %+v", x)
	}
	if y.DType != DTypeI64 || !slices.Equal(y.Shape, []int{2}) || len(y.I64) != 2 || y.I64[0] != 3 || y.I64[1] != 9 {
		t.Errorf("y = %+v", y)
	}
	var sel Selection
	if err := json.Unmarshal([]byte(meta["selection"]), &sel); err != nil {
		t.Fatalf("metadata selection %q: %v", meta["selection"], err)
	}
	if sel != s.Selected() || meta["version"] != "test" {
		t.Errorf("metadata %v, selection %+v, want %+v", meta, sel, s.Selected())
	}
	bad := &Set{X: []float64{1}, Y: []int{1, 2}, N: 2, D: 1}
	if err := ExportSet(path, bad, nil); err == nil {
		t.Errorf("ExportSet of an inconsistent set: no error")
	}
}

// TestSafetensorsPython reads a file written here with Python's standard
// library (struct and json only, following the specification), when python3
// is installed: an independent reader of the format.
func TestSafetensorsPython(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed")
	}
	path := filepath.Join(t.TempDir(), "py.safetensors")
	x := []float64{0.1, -2, 3.5e-300, 1e300, 5, 6}
	err = WriteSafetensors(path, []Tensor{
		{Name: "x", DType: DTypeF64, Shape: []int{3, 2}, F64: x},
		{Name: "y", DType: DTypeI64, Shape: []int{3}, I64: []int64{-7, 0, 1 << 40}},
	}, map[string]string{"selection": `{"n":3}`})
	if err != nil {
		t.Fatal(err)
	}
	script := `
import json, struct, sys
b = open(sys.argv[1], "rb").read()
(n,) = struct.unpack("<Q", b[:8])
assert (8 + n) % 8 == 0, "header not padded"
h = json.loads(b[8:8+n])
data = b[8+n:]
out = {"meta": h.pop("__metadata__")}
fmt = {"F64": "d", "I64": "q"}
for name, t in h.items():
    s, e = t["data_offsets"]
    k = (e - s) // 8
    out[name] = {"shape": t["shape"], "values": [repr(v) for v in struct.unpack("<%d%s" % (k, fmt[t["dtype"]]), data[s:e])]}
print(json.dumps(out))
`
	out, err := exec.Command(py, "-c", script, path).CombinedOutput()
	if err != nil {
		t.Fatalf("python3: %v\n%s", err, out)
	}
	var got struct {
		Meta map[string]string `json:"meta"`
		X    struct {
			Shape  []int    `json:"shape"`
			Values []string `json:"values"`
		} `json:"x"`
		Y struct {
			Shape  []int    `json:"shape"`
			Values []string `json:"values"`
		} `json:"y"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("python3 output %s: %v", out, err)
	}
	if got.Meta["selection"] != `{"n":3}` || !slices.Equal(got.X.Shape, []int{3, 2}) || !slices.Equal(got.Y.Shape, []int{3}) {
		t.Errorf("python3 read %s", out)
	}
	for i, s := range got.X.Values {
		// Python's repr of a float is the shortest string that rounds back.
		if v, err := strconv.ParseFloat(s, 64); err != nil || v != x[i] {
			t.Errorf("python3 x[%d] = %s, want %v", i, s, x[i])
		}
	}
	if strings.Join(got.Y.Values, ",") != "-7,0,1099511627776" {
		t.Errorf("python3 y = %v", got.Y.Values)
	}
}
