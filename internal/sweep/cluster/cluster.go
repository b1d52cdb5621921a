package cluster

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/sgn-project/sgn/internal/atomicfile"
	"github.com/sgn-project/sgn/internal/sweep"
)

// Spec is a sharded sweep to run: the same for Slurm and Kubernetes.
type Spec struct {
	// Name names the jobs: sgn-<Name> (the array or Indexed Job) and
	// sgn-<Name>-merge; a DNS label (a-z, 0-9, '-') of at most 40
	// characters (DefaultName derives one).
	Name string
	// Family is the command of the sweep family, e.g. ["escape"] or
	// ["selection", "networks"]: the jobs run its sweep, merge and fit.
	Family []string
	// Config is the value of --config as the jobs see it (a file or
	// builtin:NAME).
	Config string
	// Shards is the number of shards n.
	Shards int
	// Out is the sweep's output folder as the jobs see it; shard i is
	// sweep.ShardDir(Out, i).
	Out string
	// CPUs is the CPUs of each task, its --workers.
	CPUs int
	// Version is the version of the binary that runs.
	Version string
}

// File is one file to write.
type File struct {
	Name string
	Mode os.FileMode
	Data []byte
}

// ErrSpec is wrapped by the errors of an invalid Spec, Slurm or Kubernetes.
var ErrSpec = errors.New("invalid cluster settings")

// dnsLabel is a name Kubernetes and Slurm both take.
var dnsLabel = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?$`)

// DefaultName derives a job name from an output folder: its base name in
// lower case, other characters as '-', at most 40 characters.
func DefaultName(out string) string {
	base := strings.ToLower(filepath.Base(strings.TrimRight(out, "/")))
	var b strings.Builder
	for _, r := range base {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	name := strings.Trim(b.String(), "-")
	if len(name) > 40 {
		name = strings.Trim(name[:40], "-")
	}
	if name == "" {
		return "sweep"
	}
	return name
}

// NewSpec returns the checked Spec of a sweep run by the command family
// (e.g. ["selection", "networks"]) with config (a file, or builtin:NAME)
// in shards tasks of cpus CPUs into out, its jobs named name (""
// : DefaultName of out); and the config file's content, which the jobs
// get as a copy (nil for builtin:NAME). Invalid settings wrap ErrSpec; a
// config file that cannot be read is its own error.
func NewSpec(name string, family []string, config, out string, shards, cpus int, version string) (Spec, []byte, error) {
	if name == "" {
		name = DefaultName(out)
	}
	s := Spec{Name: name, Family: family, Config: config, Shards: shards, Out: out, CPUs: cpus, Version: version}
	if err := s.check(); err != nil {
		return s, nil, err
	}
	if strings.HasPrefix(config, "builtin:") {
		return s, nil, nil
	}
	data, err := os.ReadFile(config)
	return s, data, err
}

func (s Spec) check() error {
	switch {
	case !dnsLabel.MatchString(s.Name) || len(s.Name) > 40:
		return fmt.Errorf("%w: name %q: want lower-case letters, digits and '-' (at most 40, not starting or ending with '-')", ErrSpec, s.Name)
	case len(s.Family) == 0:
		return fmt.Errorf("%w: no sweep family", ErrSpec)
	case s.Config == "":
		return fmt.Errorf("%w: no config", ErrSpec)
	case s.Shards < 1:
		return fmt.Errorf("%w: %d shards: want at least 1", ErrSpec, s.Shards)
	case s.Out == "" || strings.Trim(s.Out, "/") == "":
		return fmt.Errorf("%w: output folder %q", ErrSpec, s.Out)
	case s.CPUs < 1:
		return fmt.Errorf("%w: %d CPUs per task: want at least 1", ErrSpec, s.CPUs)
	}
	return nil
}

// jobName is the name of the sweep's job; mergeName that of its merge.
func (s Spec) jobName() string   { return "sgn-" + s.Name }
func (s Spec) mergeName() string { return "sgn-" + s.Name + "-merge" }

// command returns the family's subcommand sub ("sweep", "merge", "fit").
func (s Spec) command(sub string) []string {
	return append(append([]string(nil), s.Family...), sub)
}

// shardDirs lists the shard folders of out.
func (s Spec) shardDirs(out string) []string {
	dirs := make([]string, s.Shards)
	for i := range dirs {
		dirs[i] = sweep.ShardDir(out, i)
	}
	return dirs
}

// Freeze copies the executable at bin into folder dir as
// sgn-<version>-<first 12 hex digits of its SHA-256> (mode 0555, written
// atomically; an identical copy is kept) and returns its path: the binary
// the jobs run, which a rebuild of bin cannot change under queued tasks.
func Freeze(bin, dir, version string) (string, error) {
	b, err := os.ReadFile(bin)
	if err != nil {
		return "", fmt.Errorf("cannot read the binary to freeze: %w", err)
	}
	sum := sha256.Sum256(b)
	name := fmt.Sprintf("sgn-%s-%s", safeTag(version), hex.EncodeToString(sum[:])[:12])
	dst := filepath.Join(dir, name)
	if old, err := os.ReadFile(dst); err == nil && string(old) == string(b) {
		return dst, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	if err := atomicfile.Write(dst, func(w io.Writer) error { _, err := w.Write(b); return err }); err != nil {
		return "", err
	}
	if err := os.Chmod(dst, 0o555); err != nil {
		return "", err
	}
	return dst, nil
}

// safeTag turns a version into characters a file name and an image tag
// take ([A-Za-z0-9_.-]).
func safeTag(v string) string {
	var b strings.Builder
	for _, r := range v {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '.' || r == '-' {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	if b.Len() == 0 {
		return "dev"
	}
	return b.String()
}

// sh quotes s for a POSIX shell.
func sh(s string) string {
	if s != "" && regexp.MustCompile(`^[A-Za-z0-9_./:=@%+-]+$`).MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// shWords quotes each word.
func shWords(words []string) string {
	q := make([]string, len(words))
	for i, w := range words {
		q[i] = sh(w)
	}
	return strings.Join(q, " ")
}

// absClean makes p absolute and clean (no trailing slash).
func absClean(p string) (string, error) {
	a, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	return filepath.Clean(a), nil
}

// WriteFiles writes files into folder dir (created if missing), each
// atomically with its mode, and returns their paths.
func WriteFiles(dir string, files []File) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("cannot create %s: %w", dir, err)
	}
	var paths []string
	for _, f := range files {
		p := filepath.Join(dir, f.Name)
		if err := atomicfile.WriteBytes(p, f.Data); err != nil {
			return paths, err
		}
		if err := os.Chmod(p, f.Mode); err != nil {
			return paths, err
		}
		paths = append(paths, p)
	}
	return paths, nil
}
