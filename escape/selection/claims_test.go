package selection

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sgn-project/sgn/internal/report"
)

// TestClaimsOnARealSweep judges the two-valley claim from the selection.json
// that FitFolder writes for a real (quick) sweep of the builtin two-well.
func TestClaimsOnARealSweep(t *testing.T) {
	full, err := LoadConfig(BuiltinPrefix + "twowell")
	if err != nil {
		t.Fatal(err)
	}
	cfg := Quick(full)
	cfg.BatchSize, cfg.Temperature, cfg.Steps = []float64{2, 4, 6}, []float64{0.01, 0.0075, 0.005}, 200_000
	tmp := t.TempDir()
	runs, out := filepath.Join(tmp, "runs"), filepath.Join(tmp, "fit")
	if _, err := Sweep(runs, cfg, Options{Workers: 2}); err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(out, 0o755)
	rep, _, _, err := FitFolder(runs, out, "test")
	if err != nil {
		t.Fatal(err)
	}
	cs, err := Claims(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 1 || cs[0].ID != ClaimTwoValley || len(cs[0].Effects) == 0 || len(cs[0].Effects) > len(rep.Fits) {
		t.Fatalf("claims %+v from %d fits", cs, len(rep.Fits))
	}
	if s := cs[0].Sources[0]; s.Seeds["seed"] != cfg.Seed {
		t.Errorf("source %+v: seed %d", s, cfg.Seed)
	}
	if _, err := report.Build([]string{out}, "v", []report.ClaimsFunc{Claims}); err != nil {
		t.Fatal(err)
	}
	cs, err = Claims(tmp)
	if err != nil || cs[0].Produce == "" {
		t.Errorf("a folder without selection.json: %+v, %v", cs, err)
	}
	for _, body := range []string{`null`, `[]`, `{"fits": "x"}`, `{}`} {
		dir := t.TempDir()
		p := filepath.Join(dir, JSONFile)
		os.WriteFile(p, []byte(body), 0o644)
		if _, err := Claims(dir); err == nil || !strings.Contains(err.Error(), p) {
			t.Errorf("selection.json %s: error %v does not name the file", body, err)
		}
	}
}
