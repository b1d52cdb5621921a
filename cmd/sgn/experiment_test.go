package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFamiliesShareSubcommands: sgn escape, sgn selection twowell and sgn
// selection networks have the same subcommands from one layer: each lists
// its builtin configs, prints one as JSON (and writes it with --out),
// refuses an unknown one as a usage error, and names its subcommands in
// its help.
func TestFamiliesShareSubcommands(t *testing.T) {
	for _, c := range []struct {
		path    []string
		builtin string
	}{
		{[]string{"escape"}, "mlp-batch-size"},
		{[]string{"selection", "twowell"}, "twowell"},
		{[]string{"selection", "networks"}, "networks"},
	} {
		name := strings.Join(c.path, " ")
		_, help, _ := run(append(append([]string(nil), c.path...), "--help")...)
		for _, sub := range []string{"sweep", "merge", "fit", "configs", "figure"} {
			if !strings.Contains(help, "\n  "+sub+" ") {
				t.Errorf("sgn %s --help does not list %s:\n%s", name, sub, help)
			}
		}
		code, list, errOut := run(append(append([]string(nil), c.path...), "configs")...)
		if code != 0 || !strings.Contains(list, "  "+c.builtin+" ") {
			t.Errorf("sgn %s configs: exit %d, %q %q; want %s listed", name, code, list, errOut, c.builtin)
		}
		dir := t.TempDir()
		code, js, errOut := run(append(append([]string(nil), c.path...), "configs", "builtin:"+c.builtin, "--out", dir)...)
		var v map[string]any
		if code != 0 || json.Unmarshal([]byte(js), &v) != nil {
			t.Errorf("sgn %s configs %s: exit %d, %q %q; want its JSON", name, c.builtin, code, js, errOut)
		}
		if b, err := os.ReadFile(filepath.Join(dir, c.builtin+".json")); err != nil || string(b) != js {
			t.Errorf("sgn %s configs %s --out: %v, file differs from stdout: %v", name, c.builtin, err, string(b) != js)
		}
		if code, _, errOut := run(append(append([]string(nil), c.path...), "configs", "nope")...); code != 2 || !strings.Contains(errOut, c.builtin) {
			t.Errorf("sgn %s configs nope: exit %d, %q; want a usage error listing %s", name, code, errOut, c.builtin)
		}
	}
}
