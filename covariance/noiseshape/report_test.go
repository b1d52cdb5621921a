package noiseshape

import (
	"encoding/json"
	"errors"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
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

// TestTailIndexCapped: α̂ of a sample whose blocks cancel (±1 alternating:
// every block sum of K₁ = 4 values is 0, so the estimate of 1/α is far below
// 1/2) is clipped to 2 and said to be; all ones give 1/α̂ = log 4/log 4 = 1,
// not capped. The summary of sgn noise writes "capped" after a capped
// pooled α̂ and explains the word once.
func TestTailIndexCapped(t *testing.T) {
	alt, ones := make([]float64, 16), make([]float64, 16)
	for i := range alt {
		alt[i], ones[i] = float64(1-2*(i%2)), 1
	}
	for _, c := range []struct {
		x      []float64
		alpha  float64
		capped bool
	}{{alt, 2, true}, {ones, 1, false}} {
		s, err := computeSampleStats(c.x)
		if err != nil {
			t.Fatal(err)
		}
		if s.TailIndex == nil || *s.TailIndex != c.alpha || s.TailIndexCapped == nil || *s.TailIndexCapped != c.capped {
			t.Errorf("%v: α̂ %v capped %v, want %v and %v", c.x[:4], s.TailIndex, s.TailIndexCapped, c.alpha, c.capped)
		}
		if got := fmtAlpha(c.alpha); (got == "2.00 (capped)") != c.capped {
			t.Errorf("fmtAlpha(%v) = %q", c.alpha, got)
		}
		a := &Analysis{Batches: []AtBatch{{BatchSize: 4}}}
		a.Batches[0].AcrossParams.Pooled = s
		var b strings.Builder
		if err := (&Report{Analysis: a}).WriteText(&b); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		if got := strings.Contains(out, "2.00 capped") && strings.Contains(out, "\ncapped: α̂ hit its cap 2"); got != c.capped {
			t.Errorf("α̂ %v: the summary says capped: %v, want %v:\n%s", c.alpha, got, c.capped, out)
		}
	}
	js, err := json.Marshal(&SampleStats{N: 1, TailIndex: new(2.0), TailIndexCapped: new(true)})
	if err != nil || !strings.Contains(string(js), `"tail_index_capped":true`) {
		t.Errorf("JSON %s, %v", js, err)
	}
}
