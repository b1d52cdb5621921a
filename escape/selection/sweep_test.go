package selection

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/sgn-project/sgn/internal/cputime"
	"github.com/sgn-project/sgn/internal/sweep"
)

// TestSweepEndToEnd runs a scaled-down builtin sweep with 1 and 2 workers
// and as 2 merged shards (identical runs.jsonl), then fits it and checks
// selection.json's field names, the CSV and the figure files.
func TestSweepEndToEnd(t *testing.T) {
	full, err := LoadConfig(BuiltinPrefix + "twowell")
	if err != nil {
		t.Fatal(err)
	}
	cfg := Quick(full)
	cfg.BatchSize, cfg.Temperature, cfg.Steps = []float64{2, 6}, []float64{0.01, 0.005}, 200_000
	tmp := t.TempDir()
	one, two := filepath.Join(tmp, "one"), filepath.Join(tmp, "two")
	for dir, w := range map[string]int{one: 1, two: 2} {
		if _, err := Sweep(dir, cfg, Options{Workers: w}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 2 {
		if _, err := Sweep(filepath.Join(tmp, "shard", string(rune('0'+i))), cfg, Options{Workers: 2, Shard: sweep.Shard{Index: i, Count: 2}}); err != nil {
			t.Fatal(err)
		}
	}
	merged := filepath.Join(tmp, "merged")
	if _, err := Merge(merged, []string{filepath.Join(tmp, "shard", "0"), filepath.Join(tmp, "shard", "1")}, "test"); err != nil {
		t.Fatal(err)
	}
	ref, _ := os.ReadFile(filepath.Join(one, sweep.RunsFile))
	for _, d := range []string{two, merged} {
		if b, _ := os.ReadFile(filepath.Join(d, sweep.RunsFile)); !bytes.Equal(b, ref) {
			t.Errorf("%s/runs.jsonl differs from the 1-worker sweep's", d)
		}
	}
	// Resuming a finished sweep simulates nothing; another config is refused.
	if s, err := Sweep(one, cfg, Options{}); err != nil || s.New != 0 {
		t.Errorf("resume: %+v, %v; want nothing new", s, err)
	}
	other := cfg
	other.Seed++
	if _, err := Sweep(one, other, Options{}); err == nil {
		t.Error("a folder of another sweep was not refused")
	}
	out := filepath.Join(tmp, "fit")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	rep, _, paths, err := FitFolder(one, out, "test", cputime.Clock{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range paths {
		if st, err := os.Stat(p); err != nil || st.Size() == 0 {
			t.Errorf("%s missing or empty", p)
		}
	}
	if len(rep.Points) != len(cfg.Points()) || len(rep.Fits) != len(cfg.Dynamics) {
		t.Fatalf("%d points and %d fits, want %d and %d", len(rep.Points), len(rep.Fits), len(cfg.Points()), len(cfg.Dynamics))
	}
	var doc map[string][]map[string]any
	b, _ := os.ReadFile(filepath.Join(out, JSONFile))
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	doc = map[string][]map[string]any{}
	for _, k := range []string{"points", "fits"} {
		var v []map[string]any
		if err := json.Unmarshal(raw[k], &v); err != nil {
			t.Fatalf("selection.json %q: %v", k, err)
		}
		doc[k] = v
	}
	common := []string{"dynamics", "batch_size", "eta", "temperature", "occupancy_ratio", "occupancy_ratio_ci95",
		"rate_sharp_to_flat", "rate_sharp_to_flat_ci95", "rate_flat_to_sharp", "rate_flat_to_sharp_ci95", "transitions"}
	for _, p := range doc["points"] {
		want := append([]string(nil), common...)
		if p["dynamics"] == string(SGLD) {
			want = append(want, "predicted_occupancy_ratio")
		} else {
			want = append(want, "predicted_occupancy_ratio_s0", "predicted_occupancy_ratio_s1")
		}
		for _, k := range want {
			if _, ok := p[k]; !ok {
				t.Errorf("point %v has no %q", p["point"], k)
			}
		}
	}
	for _, f := range doc["fits"] {
		want := []string{"dynamics", "against", "slope", "slope_ci95", "intercept", "r2"}
		if f["dynamics"] != string(SGLD) {
			want = append(want, "implied_s")
			if f["against"] != "B/eta" {
				t.Errorf("fit %v against %v, want B/eta", f["dynamics"], f["against"])
			}
		} else if f["against"] != "1/D" {
			t.Errorf("sgld fit against %v, want 1/D", f["against"])
		}
		for _, k := range want {
			if _, ok := f[k]; !ok {
				t.Errorf("fit %v has no %q", f["dynamics"], k)
			}
		}
	}
}
