//go:build unix

package cluster

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestSweepScriptSignals runs sweep.sbatch outside Slurm with a stand-in
// sgn (appends a run a few times a second until SIGTERM) and scontrol: USR1
// (the time limit near) stops sgn and requeues the array task, not the job;
// TERM (scancel, preemption) stops sgn without a requeue.
func TestSweepScriptSignals(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	for _, sig := range []syscall.Signal{syscall.SIGUSR1, syscall.SIGTERM} {
		dir := t.TempDir()
		bin := filepath.Join(dir, "bin")
		os.Mkdir(bin, 0o755)
		sgn := filepath.Join(bin, "sgn")
		os.WriteFile(sgn, []byte(`#!/bin/bash
[ "$1" = version ] && { echo "sgn test"; exit 0; }
while [ "$1" != --out ]; do shift; done
d="$2-shard-1"; mkdir -p "$d"
trap 'echo stopped >> "$d/stopped"; exit 1' TERM
while :; do echo '{"point":0}' >> "$d/runs.jsonl"; sleep 0.05; done
`), 0o755)
		os.WriteFile(filepath.Join(bin, "scontrol"), []byte("#!/bin/bash\necho \"$*\" >> \"$SLOG\"\n"), 0o755)
		s := Slurm{Spec: testSpec(4), Binary: sgn, Dir: dir, Time: "1:00", Mem: "1G", SignalSeconds: 120}
		s.Out = filepath.Join(dir, "out")
		files, err := s.Files()
		if err != nil {
			t.Fatal(err)
		}
		WriteFiles(dir, files)
		slog := filepath.Join(dir, "scontrol.log")
		cmd := exec.Command(bash, filepath.Join(dir, "sweep.sbatch"))
		cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"), "SLOG="+slog,
			"SLURM_ARRAY_TASK_ID=1", "SLURM_ARRAY_JOB_ID=70", "SLURM_JOB_ID=71", "SLURM_RESTART_COUNT=0")
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		runs := filepath.Join(dir, "out-shard-1", "runs.jsonl")
		for i := 0; i < 200; i++ {
			if b, _ := os.ReadFile(runs); bytes.Count(b, []byte("\n")) >= 3 {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		cmd.Process.Signal(sig)
		err = cmd.Wait()
		calls, _ := os.ReadFile(slog)
		stopped, _ := os.ReadFile(filepath.Join(dir, "out-shard-1", "stopped"))
		if len(stopped) == 0 {
			t.Errorf("%v: sgn was not stopped:\n%s", sig, out.String())
		}
		switch sig {
		case syscall.SIGUSR1:
			if err != nil || string(calls) != "requeue 70_1\n" {
				t.Errorf("USR1: exit %v, scontrol calls %q, output:\n%s", err, calls, out.String())
			}
		case syscall.SIGTERM:
			if err == nil || len(calls) != 0 {
				t.Errorf("TERM: exit %v, scontrol calls %q, output:\n%s", err, calls, out.String())
			}
		}
	}
}
