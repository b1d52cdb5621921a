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

// TestMake: bad settings are refused before the folder is claimed; good
// ones claim the folder, write into it and release it, and the summary
// names what was written; a refused claim writes nothing.
func TestMake(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "sgn")
	if err := os.WriteFile(bin, []byte("binary"), 0o755); err != nil {
		t.Fatal(err)
	}
	var claimed, released []string
	claim := func(d string) (func(), error) {
		claimed = append(claimed, d)
		return func() { released = append(released, d) }, nil
	}
	refuse := func(string) (func(), error) { return nil, errors.New("locked") }
	s := Slurm{Spec: testSpec(4), Dir: filepath.Join(dir, "job"), Time: "soon", Mem: "1G", SignalSeconds: 120}
	s.Out = filepath.Join(dir, "out")
	var b bytes.Buffer
	if err := s.Make(bin, nil, claim, &b); !errors.Is(err, ErrSpec) || len(claimed) != 0 {
		t.Errorf("time soon: %v, claimed %v; want ErrSpec before any claim", err, claimed)
	}
	s.Time = "04:00:00"
	if err := s.Make(bin, nil, refuse, &b); err == nil || err.Error() != "locked" {
		t.Errorf("refused claim: %v", err)
	}
	if _, err := os.Stat(s.Dir); !os.IsNotExist(err) {
		t.Errorf("a refused claim left %s: %v", s.Dir, err)
	}
	if err := s.Make(bin, nil, claim, &b); err != nil || len(claimed) != 1 || claimed[0] != s.Dir || len(released) != 1 ||
		!strings.Contains(b.String(), filepath.Join(s.Dir, "submit.sh")) {
		t.Errorf("slurm: %v, claimed %v, released %v, summary %q", err, claimed, released, b.String())
	}
	if _, err := os.Stat(filepath.Join(s.Dir, "sweep.sbatch")); err != nil {
		t.Error(err)
	}
	k := testKubernetes()
	k.Image = "img:latest"
	if err := k.Make("", claim, &b); !errors.Is(err, ErrSpec) || len(claimed) != 1 {
		t.Errorf("image latest: %v, claimed %v; want ErrSpec before any claim", err, claimed)
	}
	k.Image, b = "img:1", bytes.Buffer{}
	kdir := filepath.Join(dir, "k")
	if err := k.Make(kdir, claim, &b); err != nil || len(claimed) != 2 || claimed[1] != kdir || len(released) != 2 ||
		!strings.Contains(b.String(), "run: "+filepath.Join(kdir, "run.sh")) {
		t.Errorf("k8s: %v, claimed %v, released %v, summary %q", err, claimed, released, b.String())
	}
}
