package report

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
)

// doc is a decoded JSON document read from a file.
type doc struct {
	path string
	v    any
}

// readDoc decodes the JSON file at path.
func readDoc(path string) (*doc, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("%s: not valid JSON: %w", path, err)
	}
	return &doc{path: path, v: v}, nil
}

// at returns the value at a dotted path ("models.pretrained.pearson_r",
// "panels.0.relation"), or nil where the path does not exist.
func at(v any, path string) any {
	if path == "" {
		return v
	}
	for _, key := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			v = x[key]
		case []any:
			i, err := strconv.Atoi(key)
			if err != nil || i < 0 || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

// num returns the number at path, and whether it exists and is finite.
func num(v any, path string) (float64, bool) {
	f, ok := at(v, path).(float64)
	if !ok || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

// interval returns the two-element numeric array at path.
func interval(v any, path string) (*[2]float64, bool) {
	a, ok := at(v, path).([]any)
	if !ok || len(a) != 2 {
		return nil, false
	}
	lo, ok1 := a[0].(float64)
	hi, ok2 := a[1].(float64)
	if !ok1 || !ok2 {
		return nil, false
	}
	return &[2]float64{lo, hi}, true
}

// str returns the string at path, or "".
func str(v any, path string) string {
	s, _ := at(v, path).(string)
	return s
}

// list returns the array at path, or nil.
func list(v any, path string) []any {
	a, _ := at(v, path).([]any)
	return a
}
