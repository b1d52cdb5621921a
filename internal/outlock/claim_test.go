package outlock

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestClaim: Claim takes the folder (created, locked, its holder
// recorded) in the default mode, refuses a second holder (ErrLocked) and
// a bad mode (ErrMode, naming ModeEnv and the value), and in ModeNone
// takes no lock and leaves no lock file.
func TestClaim(t *testing.T) {
	skipWithoutFlock(t)
	base := t.TempDir()
	dir := filepath.Join(base, "out")
	l, err := Claim(dir, "first", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, FileName)); err != nil {
		t.Errorf("no lock file while held: %v", err)
	}
	if _, err := Claim(dir, "second", "flock"); !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "first") {
		t.Errorf("second Claim: %v, want ErrLocked naming the holder", err)
	}
	l.Release()
	if _, err := Claim(dir, "x", "off"); !errors.Is(err, ErrMode) || err.Error() != ModeEnv+`: lock mode "off": want flock or none` {
		t.Errorf("Claim with mode off: %v", err)
	}
	if _, err := Claim("", "x", ""); err == nil {
		t.Error("Claim of no folder: no error")
	}
	none := filepath.Join(base, "none")
	l, err = Claim(none, "x", "none")
	if err != nil {
		t.Fatal(err)
	}
	if l.Warning() == "" {
		t.Error("ModeNone: no warning")
	}
	if _, err := os.Stat(filepath.Join(none, FileName)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("ModeNone left a lock file: %v", err)
	}
	l.Release()
}
