package outlock

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestHolderRecordNamesHostSlurmJobAndPod(t *testing.T) {
	skipWithoutFlock(t)
	t.Setenv("SLURM_JOB_ID", "77")
	t.Setenv("SLURM_ARRAY_JOB_ID", "70")
	t.Setenv("SLURM_ARRAY_TASK_ID", "3")
	t.Setenv("POD_NAME", "sgn-sw-3-abcde")
	dir := t.TempDir()
	l, err := Acquire(dir, "sgn escape sweep --out x")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	b, err := os.ReadFile(filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	var h Holder
	if err := json.Unmarshal(b, &h); err != nil {
		t.Fatalf("lock file %q: %v", b, err)
	}
	host, _ := os.Hostname()
	want := Holder{PID: os.Getpid(), Host: host, SlurmJob: "77", SlurmArrayTask: "70_3", Pod: "sgn-sw-3-abcde", Command: "sgn escape sweep --out x", Since: h.Since}
	if h != want || h.Since.IsZero() {
		t.Errorf("holder %+v, want %+v", h, want)
	}
	_, err = AcquireWith(dir, Options{Who: "second", Wait: time.Millisecond})
	var le *LockedError
	if !errors.As(err, &le) || !errors.Is(err, ErrLocked) || le.Holder != h {
		t.Fatalf("second Acquire: %v", err)
	}
	for _, s := range []string{"pid " + strconv.Itoa(os.Getpid()), "on " + host, "Slurm job 77", "array task 70_3", "pod sgn-sw-3-abcde", "sgn unlock " + dir} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not say %q", err, s)
		}
	}
	l.Release()
	if b, _ := os.ReadFile(filepath.Join(dir, FileName)); len(b) != 0 {
		t.Errorf("Release left the record %q", b)
	}
}

func TestSharedLocksExcludeAWriterOnly(t *testing.T) {
	skipWithoutFlock(t)
	dir := t.TempDir()
	// A folder never locked: a reader holds nothing and needs no lock file.
	r0, err := AcquireWith(dir, Options{Shared: true})
	if err != nil {
		t.Fatal(err)
	}
	r0.Release()
	if _, err := os.Stat(filepath.Join(dir, FileName)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a shared lock created the lock file: %v", err)
	}
	if _, err := AcquireWith(filepath.Join(dir, "missing"), Options{Shared: true}); err == nil {
		t.Error("a shared lock of a missing folder succeeded")
	}
	w, err := Acquire(dir, "writer")
	if err != nil {
		t.Fatal(err)
	}
	// A writer writes its results (one that writes nothing leaves no lock
	// file behind: Release).
	if err := os.WriteFile(filepath.Join(dir, "result.json"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := AcquireWith(dir, Options{Shared: true, Wait: time.Millisecond}); !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "writer") {
		t.Fatalf("shared lock beside a writer: %v", err)
	}
	w.Release()
	r1, err := AcquireWith(dir, Options{Shared: true})
	if err != nil {
		t.Fatal(err)
	}
	r2, err := AcquireWith(dir, Options{Shared: true})
	if err != nil {
		t.Fatalf("second reader: %v", err)
	}
	start := time.Now()
	_, err = AcquireWith(dir, Options{Who: "writer", Wait: 100 * time.Millisecond})
	var le *LockedError
	if !errors.As(err, &le) || le.Recorded || !strings.Contains(err.Error(), "reading it") {
		t.Fatalf("writer beside readers: %v", err)
	}
	if d := time.Since(start); d < 100*time.Millisecond {
		t.Errorf("the writer gave up after %v, before its wait of 100ms", d)
	}
	r1.Release()
	// A reader that leaves within the wait lets the writer in.
	go func() { time.Sleep(50 * time.Millisecond); r2.Release() }()
	w, err = AcquireWith(dir, Options{Who: "writer", Wait: 5 * time.Second})
	if err != nil {
		t.Fatalf("writer after the readers left: %v", err)
	}
	w.Release()
}

func TestModeNoneLocksNothingAndSaysSo(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(dir, ".runs.jsonl.tmp-1")
	if err := os.WriteFile(stale, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	a, err := AcquireWith(dir, Options{Mode: ModeNone})
	if err != nil {
		t.Fatal(err)
	}
	b, err := AcquireWith(dir, Options{Mode: ModeNone})
	if err != nil {
		t.Fatalf("second holder without locks: %v", err)
	}
	for _, l := range []*Lock{a, b} {
		if w := l.Warning(); !strings.Contains(w, dir) || !strings.Contains(w, "without a lock") {
			t.Errorf("warning %q", w)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, FileName)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("mode none made a lock file: %v", err)
	}
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("mode none left the stale temporary file: %v", err)
	}
	a.Release()
	b.Release()
	for _, s := range []string{"", "flock", " none "} {
		if _, err := ParseMode(s); err != nil {
			t.Errorf("ParseMode(%q): %v", s, err)
		}
	}
	if _, err := ParseMode("off"); err == nil || !strings.Contains(err.Error(), `"off"`) {
		t.Errorf("ParseMode(off): %v", err)
	}
}

func TestLockScopeOfMountOptions(t *testing.T) {
	for _, c := range []struct {
		fstype string
		opts   string
		want   Scope
		opt    string
	}{
		{"nfs4", "rw,relatime,vers=4.2,local_lock=none", ScopeCluster, ""},
		{"nfs", "rw,vers=3,nolock,local_lock=all", ScopeNode, "local_lock=all"},
		{"nfs", "rw,vers=3,nolock", ScopeNode, "nolock"},
		{"nfs4", "rw,local_lock=flock", ScopeNode, "local_lock=flock"},
		{"lustre", "rw,flock,lazystatfs", ScopeCluster, "flock"},
		{"lustre", "rw,localflock", ScopeNode, "localflock"},
		{"lustre", "rw,noflock", ScopeNone, "noflock"},
		{"lustre", "rw", ScopeUnknown, ""},
		{"gpfs", "rw", ScopeCluster, ""},
		{"beegfs", "rw", ScopeUnknown, ""},
		{"fuse.sshfs", "rw", ScopeUnknown, ""},
		{"ext4", "rw,relatime", ScopeLocal, ""},
		{"tmpfs", "rw", ScopeLocal, ""},
	} {
		s, opt := LockScope(c.fstype, strings.Split(c.opts, ","))
		if s != c.want || opt != c.opt {
			t.Errorf("LockScope(%s, %s) = %s, %q; want %s, %q", c.fstype, c.opts, s, opt, c.want, c.opt)
		}
	}
}

func TestParseMountinfo(t *testing.T) {
	m, ok := parseMountinfo(`36 35 0:52 / /shared\040data rw,relatime shared:1 master:2 - nfs srv:/export/home rw,vers=3,nolock,local_lock=all,addr=10.0.0.1`)
	want := Mount{Point: "/shared data", Type: "nfs", Source: "srv:/export/home",
		Options: []string{"rw", "relatime", "rw", "vers=3", "nolock", "local_lock=all", "addr=10.0.0.1"}}
	if !ok || m.Point != want.Point || m.Type != want.Type || m.Source != want.Source || strings.Join(m.Options, ",") != strings.Join(want.Options, ",") {
		t.Errorf("got %+v, %v; want %+v", m, ok, want)
	}
	if s, opt := LockScope(m.Type, m.Options); s != ScopeNode || opt != "local_lock=all" {
		t.Errorf("scope %s %q", s, opt)
	}
	for _, bad := range []string{"", "1 2 3", "1 2 0:1 / /x rw shared:1 nfs srv rw"} {
		if _, ok := parseMountinfo(bad); ok {
			t.Errorf("parsed %q", bad)
		}
	}
	if _, err := os.Stat("/proc/self/mountinfo"); err == nil {
		m, ok := MountOf(filepath.Join(t.TempDir(), "not", "yet"))
		if !ok || m.Type == "" || !strings.HasPrefix(m.Point, "/") {
			t.Errorf("MountOf(a temp folder) = %+v, %v", m, ok)
		}
	}
}

func TestRefusedLocksAreUnsupported(t *testing.T) {
	skipWithoutFlock(t)
	for _, e := range []syscall.Errno{syscall.ENOSYS, syscall.ENOLCK, syscall.EOPNOTSUPP} {
		err := lockError("/x/out", e)
		if !errors.Is(err, ErrUnsupported) || !errors.Is(err, e) || !strings.Contains(err.Error(), "/x/out") {
			t.Errorf("lockError(%v) = %v", e, err)
		}
	}
	if err := lockError("/x", syscall.EIO); errors.Is(err, ErrUnsupported) {
		t.Errorf("EIO is not a refusal of locks: %v", err)
	}
}

func TestBreakADeadLock(t *testing.T) {
	skipWithoutFlock(t)
	dir := t.TempDir()
	if _, found, err := Break(dir, false); found || err != nil {
		t.Fatalf("Break of a folder never locked: %v %v", found, err)
	}
	l, err := Acquire(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	l.Release()
	if _, found, err := Break(dir, false); found || err != nil {
		t.Fatalf("Break of a released lock: %v %v", found, err)
	}
	// A live holder on this host: Break refuses, even forced.
	cmd := startHolder(t, dir)
	for _, force := range []bool{false, true} {
		h, found, err := Break(dir, force)
		if !errors.Is(err, ErrAlive) || !found || h.PID != cmd.Process.Pid {
			t.Fatalf("Break(force %v) of a live local holder: %+v %v %v", force, h, found, err)
		}
	}
	// The same holder recorded as on a node that died: Break refuses
	// unless forced, then the next Acquire locks a new file.
	path := filepath.Join(dir, FileName)
	rec, _ := json.Marshal(Holder{PID: 4242, Host: "node-gone", SlurmJob: "99", Command: "sgn escape sweep"})
	if err := os.WriteFile(path, append(rec, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Acquire(dir, "me"); !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "node-gone") {
		t.Fatalf("Acquire: %v", err)
	}
	_, _, err = Break(dir, false)
	if !errors.Is(err, ErrAlive) || !strings.Contains(err.Error(), "--force") || !strings.Contains(err.Error(), "Slurm job 99") {
		t.Fatalf("Break without force: %v", err)
	}
	h, found, err := Break(dir, true)
	if err != nil || !found || h.Host != "node-gone" {
		t.Fatalf("Break with force: %+v %v %v", h, found, err)
	}
	aside, _ := filepath.Glob(filepath.Join(dir, BrokenPrefix+"*"))
	if len(aside) != 1 {
		t.Fatalf("set aside: %v", aside)
	}
	if b, _ := os.ReadFile(aside[0]); !strings.Contains(string(b), "node-gone") {
		t.Errorf("the set-aside lock file lost its record: %q", b)
	}
	l, err = Acquire(dir, "me")
	if err != nil {
		t.Fatalf("Acquire after Break: %v", err)
	}
	l.Release()
}
