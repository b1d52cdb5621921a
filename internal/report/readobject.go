package report

import (
	"encoding/json"
	"fmt"
	"os"
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
