package noiseshape

import (
	"encoding/json"
	"errors"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/sgn-project/sgn/internal/stats"
)

// TestReportWriteRead: noise.json round-trips through Write and Read and
// holds, for every batch size, the effect sizes under the names other
// tools read.
func TestReportWriteRead(t *testing.T) {
	o := iidOracle(500, 12, 8, func(r *rand.Rand) float64 { return r.NormFloat64() })
	a, err := Analyze(o, Options{BatchSizes: []int{4, 16}, Minibatches: 100, Seed: 3, Workers: 2, Directions: 8, Principal: 2, Bootstrap: 40}, nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	r := &Report{Version: "test", Checkpoint: "x.safetensors", Workers: 2, Analysis: a}
	if err := r.Write(dir); err != nil {
		t.Fatal(err)
	}
	back, err := Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	if back.Version != "test" || len(back.Analysis.Batches) != 2 || back.Files["coords_csv"] != filepath.Join(dir, CoordsCSVFile) {
		t.Errorf("read back %+v", back)
	}
	e := back.Analysis.Batches[1].AcrossMinibatches.EffectSize
	if e == nil || e.Coordinates.MedianExcessKurtosis != a.Batches[1].AcrossMinibatches.EffectSize.Coordinates.MedianExcessKurtosis {
		t.Errorf("effect sizes not read back: %+v", e)
	}
	raw, _ := os.ReadFile(filepath.Join(dir, ReportFile))
	var js struct {
		Report struct {
			Batches []struct {
				AM struct {
					ES map[string]any `json:"effect_size"`
				} `json:"across_minibatches"`
			} `json:"batches"`
		} `json:"report"`
	}
	if err := json.Unmarshal(raw, &js); err != nil {
		t.Fatal(err)
	}
	for _, b := range js.Report.Batches {
		for view, keys := range map[string][]string{
			"coordinates":        {"median_abs_skewness", "median_excess_kurtosis"},
			"random_directions":  {"median_abs_skewness", "median_excess_kurtosis", "median_ks"},
			"gaussian_reference": {"ks"},
		} {
			for _, k := range keys {
				v, _ := b.AM.ES[view].(map[string]any)
				if _, ok := v[k].(float64); !ok {
					t.Errorf("noise.json lacks effect_size.%s.%s", view, k)
				}
			}
		}
	}
	if _, err := Read(t.TempDir()); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v, want fs.ErrNotExist", err)
	}
	bad := t.TempDir()
	os.WriteFile(filepath.Join(bad, ReportFile), []byte(`{"version": "x"}`), 0o644)
	if _, err := Read(bad); err == nil {
		t.Error("a noise.json without a report: want an error")
	}
}

func TestFmtPValueFloor(t *testing.T) {
	if got := fmtPValue(stats.ADPValueFloor); got != "< 1e-23" {
		t.Errorf("floor written %q", got)
	}
	if got := fmtPValue(0.012); got != "0.012" {
		t.Errorf("0.012 written %q", got)
	}
}

func TestFmtStableAlphaAtBound(t *testing.T) {
	// The sample's 5–95% spread over its quartile spread is far above the
	// table's largest ν (that of α = 0.6): the fit clamps α there.
	x := make([]float64, 200)
	for i := range x {
		x[i] = float64(i%5 - 2)
		if i%10 == 0 {
			x[i] = 1e6 * float64(i-100)
		}
	}
	f, err := stats.FitSymStable(x)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmtStableAlpha(f); f.AtBound != "lower" || got != "<= 0.6" {
		t.Errorf("α %v at bound %q written %q, want the lower bound written <= 0.6", f.Alpha, f.AtBound, got)
	}
	if got := fmtStableAlpha(stats.StableFit{Alpha: 1.25}); got != "1.25" {
		t.Errorf("α 1.25 written %q", got)
	}
}
