package outlock

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Mount is the mount a folder lives on, from /proc/self/mountinfo (Linux).
type Mount struct {
	Point, Type, Source string
	// Options are the mount's per-mount and file-system options.
	Options []string
}

// Scope is how far the flock(2) locks of a mount reach.
type Scope string

const (
	// ScopeLocal: a local file system, which one node sees.
	ScopeLocal Scope = "local"
	// ScopeCluster: locks reach every client (NFS with lockd or NFSv4,
	// Lustre -o flock, GPFS, CephFS).
	ScopeCluster Scope = "cluster"
	// ScopeNode: a shared file system whose locks stay on each client
	// (NFS -o nolock or local_lock=flock|all, Lustre -o localflock).
	ScopeNode Scope = "node"
	// ScopeNone: flock fails (Lustre -o noflock).
	ScopeNone Scope = "none"
	// ScopeUnknown: a shared file system sgn does not know.
	ScopeUnknown Scope = "unknown"
)

// networkTypes are file systems shared between nodes.
var networkTypes = []string{"nfs", "nfs4", "lustre", "gpfs", "beegfs", "ceph", "cifs", "smb3", "glusterfs", "fuse.glusterfs", "fuse.sshfs", "9p", "virtiofs", "fuse.ceph-fuse", "orangefs", "panfs", "wekafs"}

// LockScope tells how far flock(2) reaches on a mount of type fstype with
// options, and the option that decides it ("" if none does).
func LockScope(fstype string, options []string) (Scope, string) {
	has := func(o string) bool { return slices.Contains(options, o) }
	switch fstype {
	case "nfs", "nfs4":
		for _, o := range []string{"local_lock=flock", "local_lock=all", "nolock"} {
			if has(o) {
				return ScopeNode, o
			}
		}
		return ScopeCluster, ""
	case "lustre":
		switch {
		case has("noflock"):
			return ScopeNone, "noflock"
		case has("localflock"):
			return ScopeNode, "localflock"
		case has("flock"):
			return ScopeCluster, "flock"
		}
		return ScopeUnknown, ""
	case "gpfs", "ceph", "fuse.ceph-fuse":
		return ScopeCluster, ""
	}
	if slices.Contains(networkTypes, fstype) || strings.HasPrefix(fstype, "fuse.") {
		return ScopeUnknown, ""
	}
	return ScopeLocal, ""
}

// MountOf returns the mount that holds path (which need not exist: its
// deepest existing ancestor is looked up); false where /proc/self/mountinfo
// is not readable.
func MountOf(path string) (Mount, bool) {
	p, err := filepath.Abs(path)
	if err != nil {
		return Mount{}, false
	}
	for {
		if r, err := filepath.EvalSymlinks(p); err == nil {
			p = r
			break
		}
		parent := filepath.Dir(p)
		if parent == p {
			break
		}
		p = parent
	}
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return Mount{}, false
	}
	defer f.Close()
	var best Mount
	found := false
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for sc.Scan() {
		m, ok := parseMountinfo(sc.Text())
		if !ok || !within(p, m.Point) {
			continue
		}
		if !found || len(m.Point) >= len(best.Point) {
			best, found = m, true
		}
	}
	return best, found
}

// within reports whether path is mount point mp or beneath it.
func within(path, mp string) bool {
	return path == mp || mp == "/" || strings.HasPrefix(path, mp+"/")
}

// parseMountinfo parses one line of /proc/self/mountinfo:
// "id parent major:minor root point options [optional…] - type source superoptions".
func parseMountinfo(line string) (Mount, bool) {
	f := strings.Fields(line)
	sep := slices.Index(f, "-")
	if sep < 6 || sep+2 >= len(f) {
		return Mount{}, false
	}
	m := Mount{Point: unescape(f[4]), Type: f[sep+1], Source: unescape(f[sep+2])}
	m.Options = strings.Split(f[5], ",")
	if sep+3 < len(f) {
		m.Options = append(m.Options, strings.Split(f[sep+3], ",")...)
	}
	return m, true
}

// unescape decodes mountinfo's octal escapes (\040 for a space).
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// String describes the mount: "nfs4 at /shared (srv:/export, options rw,…)".
func (m Mount) String() string {
	return fmt.Sprintf("%s at %s (%s, options %s)", m.Type, m.Point, m.Source, strings.Join(m.Options, ","))
}

// describeMount says on what mount dir lives and how to get locks there,
// for the error of a refused flock.
func describeMount(dir string) string {
	m, ok := MountOf(dir)
	if !ok {
		return "the file system refuses flock(2)"
	}
	switch m.Type {
	case "lustre":
		return "file system " + m.String() + ": mount it with -o flock for locks across nodes"
	case "nfs", "nfs4":
		return "file system " + m.String() + ": NFSv3 locks need the lock daemons (rpc.statd and lockd) on client and server; NFSv4 has them built in"
	}
	return "file system " + m.String()
}

// scopeWarning is the warning of a lock on dir that protects one node only,
// or "".
func scopeWarning(dir string) string {
	m, ok := MountOf(dir)
	if !ok {
		return ""
	}
	switch s, opt := LockScope(m.Type, m.Options); s {
	case ScopeNode:
		return fmt.Sprintf("the lock of %s protects this node only: its file system, %s, is mounted with %s, which keeps flock locks on each node; two nodes writing one folder would not see each other (one writer per folder is safe: one array task per shard)", dir, m, opt)
	case ScopeUnknown:
		return fmt.Sprintf("the lock of %s may protect this node only: sgn does not know whether %s shares flock locks between nodes", dir, m)
	}
	return ""
}
