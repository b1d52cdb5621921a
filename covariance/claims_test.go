package covariance

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sgn-project/sgn/data"
	"github.com/sgn-project/sgn/internal/report"
	"github.com/sgn-project/sgn/model"
	"github.com/sgn-project/sgn/train/minimum"
)

// realReport analyses a 49-6-10 tanh network on the first 300 MNIST
// training images (pool 4) at θ, against a random model of seed
// 17911839290282890590 (above 2⁵³: a seed that float64 would change), and
// writes covariance.json into a new folder, as sgn covariance does.
func realReport(t *testing.T, m *model.MLP, b model.Batch, sel data.Selection, decay float64, source string) string {
	t.Helper()
	const rndSeed = 17911839290282890590
	o := Options{BatchSizes: []int{16}, Mode: ModeFull, WeightDecay: decay, Workers: 2}
	pair, err := AnalyzePair(m, b, rndSeed, o, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := &Report{Version: "test", Command: []string{"sgn", "covariance"}, Data: sel, BatchSizes: o.BatchSizes,
		Mode: o.Mode, Seeds: Seeds{RandomModel: rndSeed, Lanczos: 1}, Thresholds: CurrentThresholds(),
		Verdict: pair.Verdict(), Seconds: map[string]float64{"total": 1.5}}
	r.Models.Pretrained = &ModelReport{Checkpoint: "pretrained.safetensors", Source: source, Config: m.Config, Pool: 4,
		Headline: NewHeadline(pair.Pretrained)}
	r.Models.Random = &ModelReport{Checkpoint: "random.safetensors", Source: "random", Config: pair.RandomModel.Config, Pool: 4,
		Headline: NewHeadline(pair.Random)}
	dir := t.TempDir()
	if err := r.Write(dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

func claimByID(t *testing.T, cs []report.Claim, id string) report.Claim {
	t.Helper()
	for _, c := range cs {
		if c.ID == id {
			return c
		}
	}
	t.Fatalf("no claim %s among %d", id, len(cs))
	return report.Claim{}
}

// TestClaimsOnRealOutputs judges the claims from covariance.json files of
// real analyses: at the initial network (not a minimum: not-testable, with
// the reason) and at a true minimum of CE + (λ/2)‖θ‖² found by
// train/minimum (every regime check passes).
func TestClaimsOnRealOutputs(t *testing.T) {
	set, err := data.Load(data.Options{Split: "train", Pool: 4, First: 300})
	if err != nil {
		t.Fatal(err)
	}
	b := model.Batch{X: set.X, Y: set.Y}
	m, err := model.New(model.Config{Layers: []int{49, 6, 10}, Activation: model.Tanh, Seed: 9})
	if err != nil {
		t.Fatal(err)
	}

	dir := realReport(t, m, b, set.Selected(), 0, "init.safetensors")
	cs, err := Claims(dir)
	if err != nil {
		t.Fatal(err)
	}
	c := claimByID(t, cs, ClaimTrained)
	if c.Verdict != report.NotTestable || c.Regime[0].OK || !strings.Contains(c.Reason, "‖∇L‖") ||
		!strings.Contains(c.Reason, "minimum.safetensors") || len(c.Effects) != 3 {
		t.Errorf("C ≈ H/B at a point that is no minimum: %s, reason %q, regime %+v", c.Verdict, c.Reason, c.Regime)
	}
	if s := c.Sources[0]; s.Seeds["random_model"] != 17911839290282890590 || s.Version != "test" || s.WallSeconds != 1.5 {
		t.Errorf("source %+v", s)
	}

	const decay = 1e-2
	theta := append([]float64(nil), m.Theta...)
	st, err := minimum.Minimize(minimum.Network{Net: m, Batch: b, Decay: decay, Workers: 2}, theta,
		minimum.Options{GradTol: 1e-8, MaxIterations: 5000})
	if err != nil || !st.Converged {
		t.Fatalf("minimum: %+v, %v", st, err)
	}
	at := *m
	at.Theta = theta
	dir = realReport(t, &at, b, set.Selected(), decay, "minimum.safetensors")
	cs, err = Claims(dir)
	if err != nil {
		t.Fatal(err)
	}
	c = claimByID(t, cs, ClaimMinimum)
	for _, ck := range c.Regime {
		if !ck.OK {
			t.Errorf("at a minimum to ‖∇L‖ ≤ 1e-8 the check %+v fails", ck)
		}
	}
	if e := c.Effects[0]; !(e.Interval.Lo < e.Value && e.Value < e.Interval.Hi) || len(c.Regime) != 3 {
		t.Errorf("the slope's effect %+v has no 95%% interval, or regime %+v lacks the fit's span", e, c.Regime)
	}
	if c.Verdict == report.NotTestable || !strings.Contains(c.At, "minimum") {
		t.Errorf("C ≈ H/B at the minimum: %s at %q", c.Verdict, c.At)
	}
	rnd := claimByID(t, cs, ClaimRandom)
	if !rnd.Regime[0].OK || rnd.Verdict == report.NotTestable || len(rnd.Effects) != 1 {
		t.Errorf("random model: %+v", rnd)
	}
	// Every claim obeys the judging rules as Build enforces them.
	if _, err := report.Build([]string{dir}, "v", []report.ClaimsFunc{Claims}); err != nil {
		t.Fatal(err)
	}
}

// TestClaimsRejectNonReports: a covariance.json that is null, a list, has
// numbers as strings or lacks a model is an error naming the file; a folder
// without one gives the claims unmeasured.
func TestClaimsRejectNonReports(t *testing.T) {
	for _, body := range []string{`null`, `[]`, `"x"`, `{}`, `{"models": {"pretrained": {"median_ratio": "0.5"}}}`,
		`{"batch_sizes": [16], "models": {"pretrained": null, "random": null}}`, `{not json`} {
		dir := t.TempDir()
		p := filepath.Join(dir, FileName)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := Claims(dir); err == nil || !strings.Contains(err.Error(), p) {
			t.Errorf("covariance.json %s: error %v does not name the file", body, err)
		}
	}
	cs, err := Claims(t.TempDir())
	if err != nil || len(cs) != 2 || cs[0].Produce == "" || len(cs[0].Sources) != 0 {
		t.Errorf("an empty folder: %+v, %v", cs, err)
	}
}
