package data

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/sgn-project/sgn/internal/atomicfile"
)

// Export loads the selection o and writes it to path with ExportSet: the
// exact tensors a model consumes (x N×D float64, y N int64), their
// preprocessing and the program version in the metadata. The folder of path
// is created and checked to be writable before anything is loaded, and
// removed again, if Export created it, when the export fails. loading, if
// not nil, is called once the files are found and their headers checked
// (Check), so that a refused export has said nothing of loading. It returns the set and the size of the file
// written.
func Export(path string, o Options, version string, loading func()) (*Set, int64, error) {
	undo, err := atomicfile.MkdirAll(filepath.Dir(path))
	if err != nil {
		return nil, 0, fmt.Errorf("cannot create the folder of %s: %w", path, err)
	}
	s, size, err := export(path, o, version, loading)
	if err != nil {
		undo()
	}
	return s, size, err
}

// export is Export once the folder exists.
func export(path string, o Options, version string, loading func()) (*Set, int64, error) {
	if err := atomicfile.CheckWritable(filepath.Dir(path)); err != nil {
		return nil, 0, err
	}
	if err := Check(o); err != nil {
		return nil, 0, err
	}
	if loading != nil {
		loading()
	}
	s, err := Load(o)
	if err != nil {
		return nil, 0, err
	}
	side := Side / o.Pool
	meta := map[string]string{
		"version":       version,
		"format":        "sgn data export",
		"preprocessing": fmt.Sprintf("x: N×D row-major float64, pixels/255 average-pooled by %d×%d blocks to %d×%d (row-major); y: labels 0..9", o.Pool, o.Pool, side, side),
	}
	if err := ExportSet(path, s, meta); err != nil {
		return nil, 0, err
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, 0, fmt.Errorf("cannot stat the file just written: %w", err)
	}
	return s, st.Size(), nil
}
