package sweep

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
)

// TestBuiltinSet: the builtins are the folder's .json files sorted by
// name with their descriptions; an unknown or path-like name is an error
// listing the names; Read takes builtin:NAME or a file.
func TestBuiltinSet(t *testing.T) {
	s := BuiltinSet{FS: fstest.MapFS{
		"b/zeta.json":  {Data: []byte(`{"z":1}`)},
		"b/alpha.json": {Data: []byte(`{"a":1}`)},
		"b/notes.txt":  {Data: []byte("not a config")},
	}, Dir: "b", Describe: func(n string) string { return "about " + n }}
	want := []Builtin{{"alpha", "about alpha"}, {"zeta", "about zeta"}}
	if got := s.List(); !reflect.DeepEqual(got, want) {
		t.Errorf("List() = %v, want %v", got, want)
	}
	if b, err := s.Read(BuiltinPrefix+"zeta", "test config"); err != nil || string(b) != `{"z":1}` {
		t.Errorf("Read(builtin:zeta) = %q, %v", b, err)
	}
	for _, bad := range []string{"beta", "../b/alpha", "notes"} {
		if _, err := s.JSON(bad); err == nil || !strings.Contains(err.Error(), `want one of alpha, zeta`) {
			t.Errorf("JSON(%q): %v, want an error listing alpha, zeta", bad, err)
		}
	}
	file := filepath.Join(t.TempDir(), "c.json")
	if err := os.WriteFile(file, []byte(`{"f":2}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if b, err := s.Read(file, "test config"); err != nil || string(b) != `{"f":2}` {
		t.Errorf("Read(%s) = %q, %v", file, b, err)
	}
	if _, err := s.Read(file+".missing", "test config"); err == nil || !strings.Contains(err.Error(), "cannot read test config") {
		t.Errorf("a missing file: %v", err)
	}
}

// TestDecodeConfig: one object with known fields decodes; unknown fields,
// a second value and bad JSON are errors naming the input and the kind.
func TestDecodeConfig(t *testing.T) {
	type cfg struct {
		A int `json:"a"`
	}
	var c cfg
	if err := DecodeConfig(strings.NewReader(`{"a": 3}`), "x.json", "test config", &c); err != nil || c.A != 3 {
		t.Fatalf("decoded %+v, %v", c, err)
	}
	for in, want := range map[string]string{
		`{"a": 1, "b": 2}`:  `x.json: not a valid test config: json: unknown field "b"`,
		`{"a": 1} {"a": 2}`: "x.json: not a valid test config: data after the JSON object",
		`{"a": "one"}`:      "x.json: not a valid test config: json: cannot unmarshal",
	} {
		if err := DecodeConfig(strings.NewReader(in), "x.json", "test config", &cfg{}); err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%s: %v, want %q", in, err, want)
		}
	}
}
