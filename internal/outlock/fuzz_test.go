package outlock

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
)

// FuzzReadHolder feeds arbitrary lock files to readHolder: a record is
// accepted only with a positive pid, and the holder it names in an error
// (Holder.String, LockedError) is one line of bounded length with no
// control characters, whatever the file holds (it is written by whoever
// held the folder, and a command line can hold newlines).
func FuzzReadHolder(f *testing.F) {
	f.Add([]byte(`{"pid":12,"host":"node7","slurm_job":"88","slurm_array_task":"80_3","command":"sgn escape sweep","since":"2026-01-02T03:04:05Z"}` + "\n"))
	f.Add([]byte(`{"pid":12,"command":"sgn train\n--out x\r\u001b[2J"}`))
	f.Add([]byte(`{"pid":-1}`))
	f.Add([]byte(`{"pid":1,"since":"not a time"}`))
	f.Add([]byte(``))
	dir := f.TempDir()
	path := filepath.Join(dir, FileName)
	f.Fuzz(func(t *testing.T, b []byte) {
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		h, ok := readHolder(path)
		if !ok {
			if h != (Holder{}) {
				t.Fatalf("no record, but holder %+v", h)
			}
			return
		}
		if h.PID <= 0 {
			t.Fatalf("record with pid %d accepted", h.PID)
		}
		msg := (&LockedError{Dir: dir, Holder: h, Recorded: true}).Error()
		if strings.IndexFunc(msg, unicode.IsControl) >= 0 {
			t.Fatalf("the error names the holder with a control character: %q", msg)
		}
		if len(h.String()) > 2*maxRecord {
			t.Fatalf("holder of %d bytes from a file of %d", len(h.String()), len(b))
		}
	})
}
