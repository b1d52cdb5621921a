package outlock

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode"
)

// Holder is the record of an exclusive holder in the lock file: enough to
// find the process on a cluster (its host, its Slurm job and array task, its
// Kubernetes pod) and to decide whether a lock is dead.
type Holder struct {
	PID  int    `json:"pid"`
	Host string `json:"host,omitempty"`
	// SlurmJob is $SLURM_JOB_ID, SlurmArrayTask "$SLURM_ARRAY_JOB_ID_$SLURM_ARRAY_TASK_ID".
	SlurmJob       string `json:"slurm_job,omitempty"`
	SlurmArrayTask string `json:"slurm_array_task,omitempty"`
	// Pod is $POD_NAME (set by the downward API), else the host name when
	// $KUBERNETES_SERVICE_HOST says the process runs in a pod.
	Pod     string    `json:"pod,omitempty"`
	Command string    `json:"command,omitempty"`
	Since   time.Time `json:"since"`
}

// Current returns the holder record of this process running who.
func Current(who string) Holder {
	host, _ := os.Hostname()
	h := Holder{PID: os.Getpid(), Host: host, SlurmJob: os.Getenv("SLURM_JOB_ID"), Command: who, Since: time.Now().UTC().Truncate(time.Second)}
	if a, t := os.Getenv("SLURM_ARRAY_JOB_ID"), os.Getenv("SLURM_ARRAY_TASK_ID"); a != "" && t != "" {
		h.SlurmArrayTask = a + "_" + t
	}
	if p := os.Getenv("POD_NAME"); p != "" {
		h.Pod = p
	} else if os.Getenv("KUBERNETES_SERVICE_HOST") != "" {
		h.Pod = host
	}
	return h
}

// String describes the holder in one line: "pid 12 on node7 (Slurm job 88,
// array task 80_3) since 2026-01-02T03:04:05Z: sgn escape sweep …". Control
// characters of the record (a command line can hold a newline, and the
// record is whatever the holder wrote) are shown as spaces.
func (h Holder) String() string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, h.describe())
}

// describe is String with the record's characters as they are.
func (h Holder) describe() string {
	var b strings.Builder
	fmt.Fprintf(&b, "pid %d", h.PID)
	if h.Host != "" {
		fmt.Fprintf(&b, " on %s", h.Host)
	}
	var where []string
	if h.SlurmJob != "" {
		where = append(where, "Slurm job "+h.SlurmJob)
	}
	if h.SlurmArrayTask != "" {
		where = append(where, "array task "+h.SlurmArrayTask)
	}
	if h.Pod != "" {
		where = append(where, "pod "+h.Pod)
	}
	if len(where) > 0 {
		fmt.Fprintf(&b, " (%s)", strings.Join(where, ", "))
	}
	if !h.Since.IsZero() {
		fmt.Fprintf(&b, " since %s", h.Since.Format(time.RFC3339))
	}
	if h.Command != "" {
		fmt.Fprintf(&b, ": %s", h.Command)
	}
	return b.String()
}

// readHolder returns the holder record of the lock file at path; false if
// there is none (no holder, or one that has not written it yet).
func readHolder(path string) (Holder, bool) {
	b, err := os.ReadFile(path)
	if err != nil || len(b) == 0 || len(b) > maxRecord {
		return Holder{}, false
	}
	var h Holder
	if err := json.Unmarshal(b, &h); err != nil || h.PID <= 0 {
		return Holder{}, false
	}
	return h, true
}

// maxRecord bounds the size of a holder record that readHolder reads.
const maxRecord = 8192

// LockedError is the error of AcquireWith for a folder another process
// holds; it matches ErrLocked.
type LockedError struct {
	Dir string
	// Holder is the exclusive holder's record, if Recorded.
	Holder   Holder
	Recorded bool
}

func (e *LockedError) Error() string {
	if !e.Recorded {
		return fmt.Sprintf("%v: %s is locked by another process (one reading it, or one that has not recorded itself yet); wait for it to finish or choose another folder", ErrLocked, e.Dir)
	}
	return fmt.Sprintf("%v: %s is locked by %s; wait for it to finish or choose another folder (if that process is dead — its node failed — break the lock: sgn unlock %s)", ErrLocked, e.Dir, e.Holder, e.Dir)
}

// Is makes a LockedError match ErrLocked.
func (e *LockedError) Is(target error) bool { return target == ErrLocked }

// ErrAlive is wrapped by the error of Break when the holder may be alive.
var ErrAlive = errors.New("the lock's holder may be alive")

// BrokenPrefix starts the name Break gives the lock file it sets aside.
const BrokenPrefix = FileName + ".broken-"

// Break removes the lock of dir held by a dead process: a lock that a node
// which died kept on an NFS server (which frees it only when that client
// reboots or its lease ends). It returns the holder it removed, or
// found=false if dir was not locked (then it changes nothing).
//
// A holder on this host is checked: if its pid is alive, Break refuses
// (stop the process instead). A holder on another host cannot be checked
// from here: Break refuses unless force, after the caller made sure the
// holder is dead (its Slurm job ended, its pod is gone). Break sets the lock
// file aside as .sgn.lock.broken-<time> (the holder record stays readable),
// so the next Acquire locks a new file. Breaking the lock of a live holder
// lets two commands write the folder at once.
func Break(dir string, force bool) (h Holder, found bool, err error) {
	path := filepath.Join(dir, FileName)
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if errors.Is(err, fs.ErrNotExist) {
		if _, err := os.Stat(dir); err != nil {
			return Holder{}, false, fmt.Errorf("cannot read folder %s: %w", dir, err)
		}
		return Holder{}, false, nil
	}
	if err != nil {
		return Holder{}, false, fmt.Errorf("cannot open the lock of %s: %w", dir, err)
	}
	defer f.Close()
	ok, err := tryLock(f, false)
	if err != nil {
		return Holder{}, false, lockError(dir, err)
	}
	if ok {
		f.Truncate(0) // a stale record of a holder that released
		return Holder{}, false, nil
	}
	h, recorded := readHolder(path)
	if !recorded {
		return Holder{}, true, fmt.Errorf("%w: %s is locked by a process that recorded nothing (a reader such as a merge, or one that is starting): wait and try again", ErrAlive, dir)
	}
	host, _ := os.Hostname()
	if h.Host == host {
		if alive, known := pidAlive(h.PID); alive || !known {
			return h, true, fmt.Errorf("%w: %s is locked by %s, which is running on this host: stop it instead", ErrAlive, dir, h)
		}
	} else if !force {
		return h, true, fmt.Errorf("%w: %s is locked by %s: sgn cannot see from %s whether it is alive; make sure it is dead (squeue, sacct, kubectl get pod), then break the lock with --force", ErrAlive, dir, h, host)
	}
	aside := filepath.Join(dir, BrokenPrefix+time.Now().UTC().Format("20060102T150405.000000000Z"))
	if err := os.Rename(path, aside); err != nil {
		return h, true, fmt.Errorf("cannot break the lock of %s: %w", dir, err)
	}
	return h, true, nil
}
