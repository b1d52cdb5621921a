package cluster

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSlurmResolve: relative folders become absolute, the script folder
// defaults to OUT-slurm, and bad settings are refused before anything is
// written; the summary names the folders, the frozen binary and the
// submit and status commands.
func TestSlurmResolve(t *testing.T) {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	s := Slurm{Spec: testSpec(4), Time: "04:00:00", Mem: "1G", SignalSeconds: 120}
	s.Out = "out/../sweep"
	if err := s.Resolve(); err != nil {
		t.Fatal(err)
	}
	if s.Out != filepath.Join(wd, "sweep") || s.Dir != filepath.Join(wd, "sweep-slurm") || s.Binary != filepath.Join(wd, "sweep-slurm", "sgn") {
		t.Errorf("out %s, dir %s, binary %s", s.Out, s.Dir, s.Binary)
	}
	var b bytes.Buffer
	if err := s.WriteText(&b, []string{"a", "b"}); err != nil || !strings.Contains(b.String(), "wrote a, b; froze this binary as "+s.Binary) ||
		!strings.Contains(b.String(), "status: "+s.Binary+" sweep status "+s.Out+" --shards 4\n") {
		t.Errorf("summary %q, %v", b.String(), err)
	}
	s = Slurm{Spec: testSpec(4), Dir: "jobs", Time: "soon", Mem: "1G", SignalSeconds: 120}
	if err := s.Resolve(); !errors.Is(err, ErrSpec) || s.Dir != filepath.Join(wd, "jobs") {
		t.Errorf("time soon: %v (dir %s), want ErrSpec", err, s.Dir)
	}
	k := Kubernetes{Spec: testSpec(2), Image: "img:1"}
	b.Reset()
	if err := k.WriteText(&b, k.Dir(), []string{"x"}); err != nil || !strings.Contains(b.String(), "run: "+filepath.Join(k.Name+"-k8s", "run.sh")) {
		t.Errorf("k8s summary %q, %v", b.String(), err)
	}
}
