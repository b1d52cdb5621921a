package atomicfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Write writes the bytes produced by write to path atomically: it writes a
// temporary file ".<name>.tmp-*" in the same folder, syncs it, makes it
// mode 0644 and renames it over path. On any error the temporary file is
// removed and path is untouched. The error names path and wraps the cause.
func Write(path string, write func(w io.Writer) error) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err = write(f); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err = os.Chmod(tmp, 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err = os.Rename(tmp, path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// WriteBytes writes b to path atomically (see Write).
func WriteBytes(path string, b []byte) error {
	return Write(path, func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
}

// WriterTo writes the output of wt to path atomically (see Write).
func WriterTo(path string, wt io.WriterTo) error {
	return Write(path, func(w io.Writer) error {
		_, err := wt.WriteTo(w)
		return err
	})
}

// MarshalJSON is the encoding of the JSON files users read: v as
// encoding/json encodes it, indented by two spaces, without HTML escaping
// (so "<", ">" and "&" stay as they are), with a final newline.
func MarshalJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// WriteJSON writes v to path atomically (see Write) in MarshalJSON's
// encoding.
func WriteJSON(path string, v any) error {
	b, err := MarshalJSON(v)
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return WriteBytes(path, b)
}

// RemoveStale removes the named files of dir that exist — an earlier run's
// outputs, so that a fresh run never leaves them beside its own — and
// returns the names it removed. A file that cannot be removed is an error
// naming it; one that does not exist is skipped.
func RemoveStale(dir string, names ...string) ([]string, error) {
	var gone []string
	for _, n := range names {
		err := os.Remove(filepath.Join(dir, n))
		switch {
		case err == nil:
			gone = append(gone, n)
		case !errors.Is(err, fs.ErrNotExist):
			return gone, fmt.Errorf("cannot remove the earlier run's %s: %w", filepath.Join(dir, n), err)
		}
	}
	return gone, nil
}

// CheckWritable makes sure files can be created in dir (a temporary file is
// created and removed), so that a command learns of an unusable output
// folder before any long work.
func CheckWritable(dir string) error {
	f, err := os.CreateTemp(dir, ".sgn-write-test-*")
	if err != nil {
		return fmt.Errorf("output folder %s is not writable: %w", dir, errors.Unwrap(err))
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}

// MkdirAll creates dir and the parents it lacks, like os.MkdirAll, and
// returns undo, which removes the folders it created, deepest first, while
// they are empty: a command that creates its output folder before its
// inputs are checked calls undo when it is refused, so that nothing is left
// behind.
func MkdirAll(dir string) (undo func(), err error) {
	var created []string
	for d := filepath.Clean(dir); ; {
		if _, err := os.Lstat(d); err == nil || !errors.Is(err, fs.ErrNotExist) {
			break
		}
		created = append(created, d)
		parent := filepath.Dir(d)
		if parent == d {
			break
		}
		d = parent
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return func() {}, err
	}
	return func() {
		for _, d := range created {
			if os.Remove(d) != nil {
				return
			}
		}
	}, nil
}
