package cluster

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"
)

// Resolve makes s ready to write before anything is: Out absolute, Dir
// absolute (default: Out with -slurm appended), Binary the frozen program's
// place in Dir, and the settings checked (Files).
func (s *Slurm) Resolve() error {
	out, err := absClean(s.Out)
	if err != nil {
		return err
	}
	s.Out = out
	if s.Dir == "" {
		s.Dir = s.Out + "-slurm"
	}
	if s.Dir, err = absClean(s.Dir); err != nil {
		return err
	}
	s.Binary = filepath.Join(s.Dir, "sgn")
	_, err = s.Files()
	return err
}

// WriteText writes what Write did, the files of paths, and the commands
// that submit the sweep and tell its state.
func (s Slurm) WriteText(w io.Writer, paths []string) error {
	_, err := fmt.Fprintf(w, "sweep %s: %d shards of %s into %s-shard-*, merged into %s\nwrote %s; froze this binary as %s\nsubmit: %s\nstatus: %s sweep status %s --shards %d\n",
		s.Name, s.Shards, s.Config, s.Out, s.Out, strings.Join(paths, ", "), s.Binary, filepath.Join(s.Dir, "submit.sh"), s.Binary, s.Out, s.Shards)
	return err
}

// Dir is the default folder of the manifests: NAME-k8s.
func (k Kubernetes) Dir() string { return k.Name + "-k8s" }

// WriteText writes what was written into dir, the files of paths, and the
// script that runs the sweep.
func (k Kubernetes) WriteText(w io.Writer, dir string, paths []string) error {
	_, err := fmt.Fprintf(w, "sweep %s: %d shards in the Indexed Job sgn-%s, merged by sgn-%s-merge, image %s\nwrote %s\nrun: %s\n",
		k.Name, k.Shards, k.Name, k.Name, k.Image, strings.Join(paths, ", "), filepath.Join(dir, "run.sh"))
	return err
}
