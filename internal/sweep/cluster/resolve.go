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

// Make is all of sgn cluster slurm once its settings are read: s resolved
// and checked before anything is written (Resolve), its folder claimed by
// claim (the caller's lock on it, released when done), the program exe
// frozen beside config and the scripts (Write), and what was written said
// on w (WriteText). Invalid settings wrap ErrSpec.
func (s *Slurm) Make(exe string, config []byte, claim func(dir string) (release func(), err error), w io.Writer) error {
	if err := s.Resolve(); err != nil {
		return err
	}
	release, err := claim(s.Dir)
	if err != nil {
		return err
	}
	defer release()
	paths, err := s.Write(exe, config)
	if err != nil {
		return err
	}
	return s.WriteText(w, paths)
}

// Make is all of sgn cluster k8s once its settings are read: the
// manifests built and checked before anything is written (Files), the
// folder dir (default Dir) claimed by claim (the caller's lock on it,
// released when done), the files written (WriteFiles) and said on w
// (WriteText). Invalid settings wrap ErrSpec.
func (k Kubernetes) Make(dir string, claim func(dir string) (release func(), err error), w io.Writer) error {
	files, err := k.Files()
	if err != nil {
		return err
	}
	if dir == "" {
		dir = k.Dir()
	}
	release, err := claim(dir)
	if err != nil {
		return err
	}
	defer release()
	paths, err := WriteFiles(dir, files)
	if err != nil {
		return err
	}
	return k.WriteText(w, dir, paths)
}
