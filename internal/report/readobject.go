package report

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// ReadObject decodes the JSON file at path into v, which the experiment
// packages' typed Read functions use for the files their claims judge. A
// file that is not a JSON object (null, a list, a number) or whose values
// have the wrong types is an error naming the file; a missing file is the
// os error (errors.Is(err, fs.ErrNotExist) holds).
func ReadObject(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var probe any
	if err := json.Unmarshal(b, &probe); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if _, ok := probe.(map[string]any); !ok {
		return fmt.Errorf("%s: not a JSON object", path)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// ReadTyped reads the JSON object of path into a new T (ReadObject) and
// checks with ok that it is the report it should be; one that is not is an
// error saying that path is not what ("a fit report: no relations").
func ReadTyped[T any](path string, ok func(*T) bool, what string) (*T, error) {
	var v T
	if err := ReadObject(path, &v); err != nil {
		return nil, err
	}
	if !ok(&v) {
		return nil, fmt.Errorf("%s is not %s", path, what)
	}
	return &v, nil
}

// FigureBeside returns dir/name when it is a regular file (the figure a
// claim shows, beside the file it judges), else "".
func FigureBeside(dir, name string) string {
	p := filepath.Join(dir, name)
	if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
		return p
	}
	return ""
}
